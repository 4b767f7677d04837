"""Benchmark: the reading aids through a real waitress server. Furigana on a step page (the first
time a text is seen, and once its readings are cached), the page in every locale, and
Japanese read-aloud (Open JTalk synthesis on a cache miss, the cached file afterwards).
Prints its figures; docs/benchmarks.md keeps them.

    .venv/bin/python bench/reading_aids.py [--runs 30]
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, median_ms, temporary_instance

from kiosk import create_app
from kiosk.i18n.locales import LOCALES
from kiosk.reading_aids.furigana import segments

STEP = "/guide/residence-certificate/counter/1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    temporary_instance("kiosk-bench-aids-")
    app = create_app()
    server = Server(app)
    browser = Browser(server.port)
    try:
        browser.start_kiosk_session()
        plain = median_ms(lambda: browser.request("GET", STEP), args.runs)
        browser.request("POST", "/furigana", {"furigana": "on", "next": STEP})

        def cold() -> None:
            segments.cache_clear()
            browser.request("GET", STEP)

        first = median_ms(cold, args.runs)
        warm = median_ms(lambda: browser.request("GET", STEP), args.runs)
        page = browser.request("GET", STEP).body.decode()
        print(f"step page, furigana off:            {plain:7.1f} ms median over {args.runs}")
        print(f"step page, furigana on, cold cache: {first:7.1f} ms")
        print(f"step page, furigana on, cached:     {warm:7.1f} ms ({page.count('<ruby>')} ruby)")
        browser.request("POST", "/furigana", {"furigana": "off", "next": STEP})
        for locale in LOCALES:
            browser.request("POST", "/language", {"lang": locale.code, "next": STEP})
            ms = median_ms(lambda: browser.request("GET", STEP), args.runs)
            print(f"step page in {locale.code:8}:              {ms:7.1f} ms")
        browser.request("POST", "/language", {"lang": "ja", "next": STEP})

        # The first synthesis in a process also loads Open JTalk's dictionary; the next ones do not.
        for label, path in (("first in the process", STEP), ("another text", STEP[:-1] + "2")):
            url = html.unescape(re.search(r'data-speak-src="([^"]+)"', browser.request("GET", path).body.decode())[1])
            started = time.perf_counter()
            reply = browser.request("GET", url)
            synthesis = (time.perf_counter() - started) * 1000
            assert reply.headers["X-Speech-Cache"] == "miss", reply.status
            seconds = (len(reply.body) - 44) / 2 / 48000
            print(f"read-aloud synthesis, {label:20}: {synthesis:7.1f} ms for {seconds:.1f} s of speech "
                  f"({len(reply.body) / 1024:.0f} KiB WAV)")
        cached = median_ms(lambda: browser.request("GET", url), args.runs)
        print(f"read-aloud, cached file:            {cached:7.1f} ms")
    finally:
        browser.close()
        server.close()


if __name__ == "__main__":
    main()
