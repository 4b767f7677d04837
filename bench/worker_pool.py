"""Benchmark: chat turns while 8 handoff sheets render and 4 texts are synthesised at once, through
a real waitress server, with the heavy work in the request threads (WORKER_PROCESSES=0, as before
the worker pool) and in the worker pool (the default); then one request over the worker limit.

    .venv/bin/python bench/worker_pool.py [--turns 200] [--processes 2]

Prints chat turn round-trip median and p95 idle and under load for both, and the sheets and
syntheses finished meanwhile. docs/benchmarks.md keeps the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, temporary_instance

from kiosk import create_app
from kiosk.reading_aids.speech import speech_digest

SHEETS, SYNTHESES = 8, 4
QUERIES = ["住民票", "引っ越してきました", "児童手当", "印鑑証明", "粗大ごみ", "マイナンバーカードの暗証番号を忘れた"]
SPOKEN = ("住民票の写しは、マイナンバーカードがあれば、全国のコンビニエンスストアで、朝六時半から夜十一時まで"
          "取ることができます。暗証番号が必要です。")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Load:
    """8 residents fetching their sheet's PDF over and over, 4 kiosks asking for new read-aloud texts."""

    def __init__(self, port: int, secret: str, rounds: int = 0):
        self.port, self.secret, self.rounds = port, secret, rounds  # rounds 0: until stopped
        self.stop = threading.Event()
        self.done = {"sheet": 0, "speech": 0, "busy": 0, "timed out": 0}
        self.lock = threading.Lock()
        self.sheet_urls = []
        for _ in range(SHEETS):
            browser = Browser(port)
            browser.start_kiosk_session()
            browser.request("POST", "/chat/procedure", {"procedure": "residence-certificate"})
            reply = browser.request("POST", "/handoff", {"procedure": "residence-certificate",
                                                         "channel": "convenience-store", "action": "phone"})
            self.sheet_urls.append((browser, reply.headers["Location"] + ".pdf?layout=a4"))
        self.threads = [threading.Thread(target=self._sheets, args=pair) for pair in self.sheet_urls]
        self.threads += [threading.Thread(target=self._speech, args=(number,)) for number in range(SYNTHESES)]

    def _count(self, kind: str) -> None:
        with self.lock:
            self.done[kind] += 1

    def _going(self, done: int) -> bool:
        return not self.stop.is_set() and not (self.rounds and done >= self.rounds)

    def _fetch(self, browser: Browser, url: str, kind: str) -> Browser:
        try:
            reply = browser.request("GET", url)
        except TimeoutError:  # no answer in the client's 120 s: counted, and a fresh connection
            self._count("timed out")
            fresh = Browser(self.port)
            fresh.cookies = dict(browser.cookies)
            return fresh
        self._count(kind if reply.status == 200 else "busy")
        return browser

    def _sheets(self, browser: Browser, url: str) -> None:
        done = 0
        while self._going(done):
            done += 1
            browser = self._fetch(browser, url, "sheet")

    def _speech(self, number: int) -> None:
        browser = Browser(self.port)
        serial = 0
        while self._going(serial):
            serial += 1
            text = f"{SPOKEN}{number}の{serial}番目です。"  # never cached: every request is a synthesis
            digest = speech_digest(text, self.secret)
            browser = self._fetch(browser, f"/speech/{digest}.wav?text={quote(text)}", "speech")

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        if not self.rounds:
            self.stop.set()
        for thread in self.threads:
            thread.join()


def chat_turns(port: int, turns: int) -> list[float]:
    browser = Browser(port)
    times = []
    for turn in range(turns + 10):
        if turn % 20 == 0:
            browser.start_kiosk_session()
        reply = browser.request("POST", "/chat/say", {"text": QUERIES[turn % len(QUERIES)]}, htmx=True)
        assert reply.status == 200, reply.status
        if turn >= 10:
            times.append(reply.seconds * 1000)
    browser.close()
    return times


def run(label: str, processes: int, turns: int, threads: int) -> None:
    # LOG_LEVEL ERROR: no access line per request, and no warning per refused sheet, in the figures.
    app = create_app({"WORKER_PROCESSES": processes, "SESSION_PURGE_SECONDS": 0, "LOG_LEVEL": "ERROR"})
    server = Server(app, threads=threads)
    # Warm up: start the workers, load WeasyPrint's fonts and Open JTalk's dictionary in each.
    with Load(server.port, app.config["SECRET_KEY"], rounds=2):
        pass
    chat_turns(server.port, 40)  # warm up the search and the language detection too
    idle = chat_turns(server.port, turns)
    with Load(server.port, app.config["SECRET_KEY"]) as load:
        time.sleep(1)
        started = time.perf_counter()
        loaded = chat_turns(server.port, turns)
        seconds = time.perf_counter() - started
    print(f"{label}: chat turn idle median {statistics.median(idle):.1f} ms, p95 {percentile(idle, 0.95):.1f} ms; "
          f"with {SHEETS} sheets + {SYNTHESES} syntheses running: median {statistics.median(loaded):.1f} ms, "
          f"p95 {percentile(loaded, 0.95):.1f} ms, max {max(loaded):.0f} ms "
          f"({load.done['sheet']} sheets, {load.done['speech']} syntheses, {load.done['busy']} busy, "
          f"{load.done['timed out']} timed out, in {seconds:.1f} s; load average {os.getloadavg()[0]:.1f})")
    if processes:
        print(f"  worker memory (RSS): {', '.join(f'{mb} MB' for mb in worker_rss_mb(app))}")
        over_the_limit(server.port, app)
    server.close()


def worker_rss_mb(app) -> list[int]:
    executor = app.extensions["kiosk_workers"]._executor  # the bench may look inside
    pids = list(executor._processes) if executor else []
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            kib = next(line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmRSS"))
            sizes.append(int(kib) // 1024)
    return sizes


def over_the_limit(port: int, app) -> None:
    """With the load holding WORKER_QUEUE_LIMIT jobs, one more sheet is refused at once with the busy page."""
    limit = app.config["WORKER_QUEUE_LIMIT"]
    load = Load(port, app.config["SECRET_KEY"])
    owner, url = load.sheet_urls[0]
    extra = Browser(port)
    extra.cookies = dict(owner.cookies)  # the same kiosk session: its own sheet
    refused = None
    with load:
        time.sleep(1)
        for attempt in range(1, 200):
            reply = extra.request("GET", url)
            if reply.status == 503:
                refused = (attempt, reply)
                break
    if refused is None:
        print(f"over the limit ({limit} jobs): no request was refused in 200 tries")
        return
    attempt, reply = refused
    page = "the busy page" if "ただいま混み合っています" in reply.body.decode() else "another body"
    print(f"over the limit ({limit} jobs accepted): 503 in {reply.seconds * 1000:.1f} ms at try {attempt}, "
          f"Retry-After {reply.headers.get('Retry-After')}, {page}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    temporary_instance("kiosk-bench-workers-")
    threads = create_app({"SESSION_PURGE_SECONDS": 0}).config["THREADS"]
    run("in the request threads (WORKER_PROCESSES=0, the baseline)", 0, args.turns, threads)
    run(f"in the worker pool (WORKER_PROCESSES={args.processes})", args.processes, args.turns, threads)


if __name__ == "__main__":
    main()
