"""Benchmark: rendering the handoff sheet (A4 and 80 mm) in a warm process — WeasyPrint alone
(prepared HTML to PDF) beside the whole render (template, two QR codes, PDF) and the PDF through
the app's HTTP endpoint on a real waitress server. Prints its figures for docs/benchmarks.md.

    .venv/bin/python bench/sheet_render.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, median_ms, temporary_instance
from weasyprint import HTML

from kiosk import create_app
from kiosk.catalog import get_catalog
from kiosk.db import connect
from kiosk.handoff import records as handoffs
from kiosk.handoff.sheet import render_handoff_html, render_handoff_pdf
from kiosk.pdf import font_configuration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    os.environ["KIOSK_PUBLIC_BASE_URL"] = "https://ward.example.jp"
    temporary_instance("kiosk-sheets-")
    app = create_app()
    db = connect(app.config["DATABASE"])
    with app.test_request_context():
        catalog = get_catalog()
        proc = catalog.procedures["residence-certificate"]
        channel = proc.channel("convenience-store")
        record = handoffs.create_handoff(db, procedure_id=proc.id, channel_id=channel.id, session_ref="b",
                                         readiness=[], site_id=None, device_id=None, locale="ja", days=90)
        for layout in ("a4", "80mm"):
            kwargs = dict(handoff=record, procedure=proc, channel=channel, needs=catalog.needs, layout=layout,
                          public_base_url=app.config["PUBLIC_BASE_URL"])
            html = render_handoff_html(**kwargs)
            alone = median_ms(lambda html=html: HTML(string=html).write_pdf(font_config=font_configuration()),
                              args.runs)
            whole = median_ms(lambda kwargs=kwargs: render_handoff_pdf(**kwargs), args.runs)
            print(f"{layout}: WeasyPrint alone median {alone:.0f} ms; whole sheet (template, QR codes, PDF) "
                  f"median {whole:.0f} ms over {args.runs} renders")
    db.conn.close()

    # Through HTTP: a kiosk session makes a handoff, then fetches its PDF.
    server = Server(app)
    browser = Browser(server.port)
    browser.start_kiosk_session()
    reply = browser.request("POST", "/handoff", {"procedure": proc.id, "channel": channel.id, "action": "phone"})
    code = reply.headers["Location"].rsplit("/", 1)[1]
    for layout in ("a4", "80mm"):
        timings = []
        for index in range(args.runs + 1):
            reply = browser.request("GET", f"/handoff/{code}.pdf?layout={layout}")
            assert reply.status == 200 and reply.body.startswith(b"%PDF")
            if index:
                timings.append(reply.seconds)
        print(f"{layout}: through the app's HTTP endpoint median {statistics.median(timings) * 1000:.0f} ms "
              f"({len(reply.body) // 1024} KiB)")
    browser.close()
    server.close()


if __name__ == "__main__":
    main()
