"""Benchmark: ledger import, app start-up with 5,000 ledger rows, and the seal-free list's
response time through a real waitress server. Prints its figures; docs/benchmarks.md keeps them.

    .venv/bin/python bench/startup_and_seal_free.py [--rows 5000] [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from waitress.server import create_server

from kiosk import create_app
from kiosk.catalog import get_catalog
from kiosk.catalog.ledger import import_ledger
from kiosk.db import connect
from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
from kiosk.migrations import migrate

STARTUP_SNIPPET = """
import time
t0 = time.perf_counter()
from kiosk import create_app
t1 = time.perf_counter()
create_app()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--startups", type=int, default=5)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {__import__('sqlite3').sqlite_version}")
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    env = {"KIOSK_DATABASE": str(tmp / "bench.db"), "KIOSK_INSTANCE_PATH": str(tmp / "instance"),
           "KIOSK_SECRET_KEY": "bench"}
    os.environ.update(env)

    app = create_app()
    with app.app_context():
        ids = get_catalog().procedures
    out = io.StringIO(newline="")
    write_ledger_csv(synthetic_ledger_rows(args.rows, procedure_ids=ids), out)
    data = out.getvalue().encode()
    db = connect(env["KIOSK_DATABASE"])
    migrate(db)
    t0 = time.perf_counter()
    report = import_ledger(db, data, ids)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = import_ledger(db, data, ids)
    second = time.perf_counter() - t0
    print(f"ledger import, {args.rows} rows: {first:.2f} s ({report.inserted} added); "
          f"re-import: {second:.2f} s ({again.unchanged} unchanged, {again.inserted + again.updated} changed)")
    db.conn.close()

    # The command a ward's IT staff runs, new process and all, into a fresh database.
    csv_path = tmp / "ledger.csv"
    csv_path.write_bytes(data)
    kiosk = Path(sys.executable).parent / "kiosk"
    cli_env = {**os.environ, **env, "KIOSK_DATABASE": str(tmp / "cli.db")}
    for label in ("first", "again"):
        t0 = time.perf_counter()
        result = subprocess.run([str(kiosk), "ledger", "import", str(csv_path)], capture_output=True,
                                text=True, env=cli_env, check=True)
        print(f"`kiosk ledger import` ({label}), whole command: {time.perf_counter() - t0:.2f} s — "
              f"{result.stdout.strip().split(': ', 1)[1]}")

    imports, factories, totals = [], [], []
    for _ in range(args.startups):
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", STARTUP_SNIPPET], capture_output=True, text=True,
                                env={**os.environ, **env}, check=True, cwd=ROOT)
        totals.append(time.perf_counter() - t0)
        imported, built = map(float, result.stdout.split())
        imports.append(imported)
        factories.append(built)
    print(f"start-up with {args.rows} ledger rows (median of {args.startups} new processes): "
          f"import {ms(statistics.median(imports))}, create_app() {ms(statistics.median(factories))}, "
          f"whole process {ms(statistics.median(totals))}")

    server = create_server(create_app(), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.effective_port)
    cases = {
        "first page": "/seal-free",
        "page 40": "/seal-free?page=40",
        "search 住民票": "/seal-free?q=%E4%BD%8F%E6%B0%91%E7%A5%A8",
        "filters": "/seal-free?online=online&result=abolished",
        "htmx partial": "/seal-free?online=planned",
    }
    for name, path in cases.items():
        headers = {"HX-Request": "true"} if name == "htmx partial" else {}
        timings = []
        for i in range(args.requests + 10):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - t0
            assert response.status == 200 and body, (name, response.status)
            if i >= 10:  # warm-up
                timings.append(elapsed)
        print(f"seal-free list, {name}: median {ms(statistics.median(timings))}, "
              f"p95 {ms(percentile(timings, 95))} over {args.requests} requests ({len(body) // 1024} KiB)")
    conn.close()
    server.close()


if __name__ == "__main__":
    main()
