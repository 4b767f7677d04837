"""Benchmark: free-text chat turns through a real waitress server, `kiosk ask` on 100 queries,
and the weight of a kiosk page's JavaScript and CSS. Prints its figures; docs/benchmarks.md
keeps them.

    .venv/bin/python bench/kiosk_chat.py [--rows 5000] [--turns 300]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, temporary_instance

from kiosk import create_app
from kiosk.catalog import get_catalog
from kiosk.catalog.ledger import import_ledger
from kiosk.db import connect
from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
from kiosk.migrations import migrate

QUERIES = ["住民票", "じゅうみんひょう", "ｼﾞｭｳﾐﾝﾋｮｳ", "住民表", "引っ越してきました", "ソファを捨てたい",
           "マイナンバーカードの暗証番号を忘れた", "児童手当", "保育園に入りたい", "印鑑証明", "residence certificate",
           "今日の天気", "ラーメン", "道路占用許可", "こくほ", "介護", "結婚します", "犬を飼った", "税金の証明",
           "bulky waste"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()

    _, env = temporary_instance("kiosk-bench-")
    app = create_app()
    with app.app_context():
        ids = get_catalog().procedures
    out = io.StringIO(newline="")
    write_ledger_csv(synthetic_ledger_rows(args.rows, procedure_ids=ids), out)
    db = connect(env["KIOSK_DATABASE"])
    migrate(db)
    import_ledger(db, out.getvalue().encode(), ids)
    import_ledger(db, (ROOT / "content" / "ledger-sample.csv").read_bytes(), ids)
    db.conn.close()

    app = create_app()  # built after the import: the index holds every ledger row
    server = Server(app)
    client = Browser(server.port)
    server_ms, round_trip = [], []
    for turn in range(args.turns + 20):
        if turn % 20 == 0:  # a new resident every 20 turns, as at a real kiosk
            client.start_kiosk_session()
        reply = client.request("POST", "/chat/say", {"text": QUERIES[turn % len(QUERIES)]}, htmx=True)
        assert reply.status == 200, reply.status
        if turn >= 20:  # warm-up
            server_ms.append(reply.server_ms)
            round_trip.append(reply.seconds * 1000)
    server_ms.sort()
    print(f"free-text chat turn ({args.rows} ledger rows + 35 procedures), {args.turns} turns: "
          f"server median {statistics.median(server_ms):.1f} ms, p95 {server_ms[int(len(server_ms) * 0.95)]:.1f} ms; "
          f"round trip median {statistics.median(round_trip):.1f} ms")

    # The weight of a kiosk page: the JavaScript and CSS the chat page loads (fonts aside).
    page = client.request("GET", "/chat").body
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:js|css))"', page)
    total = 0
    for asset in assets:
        data = client.request("GET", asset.decode()).body
        total += len(data)
        print(f"  {asset.decode()}: {len(data) / 1024:.1f} KiB")
    print(f"kiosk page JavaScript and CSS: {total / 1024:.1f} KiB in {len(assets)} files (uncompressed)")
    client.close()
    server.close()

    kiosk = Path(sys.executable).parent / "kiosk"
    queries = "\n".join(QUERIES[i % len(QUERIES)] for i in range(100)) + "\n"
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = subprocess.run([str(kiosk), "ask", "--json"], input=queries, capture_output=True, text=True,
                                env={**os.environ, **env}, check=True)
        timings.append(time.perf_counter() - started)
        assert len(result.stdout.splitlines()) == 100
    print(f"`kiosk ask --json`, 100 queries from standard input, whole command: "
          f"median {statistics.median(timings):.2f} s of 3 runs")


if __name__ == "__main__":
    main()
