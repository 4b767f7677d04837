"""Benchmark: the seal review's progress page (/review/) over 5,000 and 200,000 ledger rows, through
a real waitress server, beside a same-run baseline (raw SQL counts over the same table).

Also timed: the progress figures in-process, a department's page, the waiting list, and the
import of the ledger with the review columns (then the same file with 100 changed statuses).

    .venv/bin/python bench/review_progress.py [--sizes 5000,200000] [--runs 20]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, median_ms, temporary_instance

from kiosk import create_app
from kiosk.catalog.ledger import import_ledger
from kiosk.db import connect
from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
from kiosk.migrations import migrate
from kiosk.review.progress import build_progress
from kiosk.staff.accounts import create_user
from kiosk.stats.periods import ward_today

PROGRESS_PAGE_BUDGET_MS = 300  # the target for the progress page over 200,000 rows


def ledger_csv(rows: list[dict]) -> bytes:
    out = io.StringIO(newline="")
    write_ledger_csv(rows, out)
    return out.getvalue().encode()


def page_median_ms(browser: Browser, path: str, runs: int) -> tuple[float, int]:
    browser.request("GET", path)  # warm-up
    timings, size = [], 0
    for _ in range(runs):
        reply = browser.request("GET", path)
        assert reply.status == 200, (path, reply.status)
        timings.append(reply.seconds)
        size = len(reply.body)
    return statistics.median(timings) * 1000, size


def run_size(rows_count: int, runs: int) -> float:
    temporary_instance(f"kiosk-review-{rows_count}-")
    app = create_app()
    db = connect(app.config["DATABASE"])
    migrate(db)
    rows = synthetic_ledger_rows(rows_count, seed=16, review_columns=True)
    data = ledger_csv(rows)
    started = time.perf_counter()
    report = import_ledger(db, data)
    imported = time.perf_counter() - started
    assert report.inserted == rows_count and not report.problems, report.problems[:3]
    waiting = [i for i, row in enumerate(rows) if row["状況"] == "未着手"]
    for i in random.Random(1).sample(waiting, 100):
        rows[i] = {**rows[i], "状況": "検討中"}
    started = time.perf_counter()
    again = import_ledger(db, ledger_csv(rows))
    reimported = time.perf_counter() - started
    assert again.updated == 100
    create_user(db, "bench-coordinator", "coordinator", "bench-password-1")
    database = app.config["DATABASE"]
    size_mb = sum(os.path.getsize(path) for path in (database, database + "-wal") if os.path.exists(path)) / 2**20
    print(f"\n{rows_count:,} ledger rows ({size_mb:.0f} MB database and WAL): import {imported:.1f} s, "
          f"the same file with 100 changed statuses {reimported:.1f} s ({again.updated} updated)")

    config = app.config
    today = ward_today(config["TIMEZONE"])
    in_process = median_ms(lambda: build_progress(db, target_share=config["TARGET_SEALS_ABOLISHED_SHARE"],
                                                  deadline_setting="", today=today), runs)
    raw = sqlite3.connect(config["DATABASE"])
    baseline = median_ms(lambda: raw.execute("select count(*) from ledger_entries").fetchone(), runs)
    baseline_group = median_ms(lambda: raw.execute(
        "select department, status, count(*) from ledger_entries group by 1, 2").fetchall(), runs)
    baseline_naive = median_ms(lambda: raw.execute(
        "select department, status, count(*) from ledger_entries not indexed group by 1, 2").fetchall(), 5)
    department = raw.execute("select department from ledger_entries group by 1 order by count(*) desc "
                             "limit 1").fetchone()[0]
    raw.close()

    server = Server(app)
    browser = Browser(server.port)
    browser.sign_in("bench-coordinator", "bench-password-1")
    page, page_size = page_median_ms(browser, "/review/", runs)
    department_page, _ = page_median_ms(browser, "/review/departments/" + urllib.parse.quote(department), runs)
    waiting_page, _ = page_median_ms(browser, "/review/waiting", runs)
    browser.close()
    server.close()
    db.conn.close()

    print(f"  progress page /review/ (full HTML, {page_size / 1024:.0f} KiB): median {page:.1f} ms "
          f"(budget {PROGRESS_PAGE_BUDGET_MS} ms)")
    print(f"  progress figures in-process (build_progress): median {in_process:.1f} ms")
    print(f"  baseline, same run: select count(*) median {baseline:.2f} ms; "
          f"count by department and status (index) median {baseline_group:.1f} ms; "
          f"the same without an index median {baseline_naive:.1f} ms")
    print(f"  department page ({department}, 50 cards with forms): median {department_page:.1f} ms; "
          f"waiting list, first page: median {waiting_page:.1f} ms")
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="5000,200000")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")
    results = {int(size): run_size(int(size), args.runs) for size in args.sizes.split(",")}
    largest = max(results)
    verdict = "within" if results[largest] < PROGRESS_PAGE_BUDGET_MS else "OVER"
    print(f"\nprogress page over {largest:,} rows: {results[largest]:.1f} ms, {verdict} the "
          f"{PROGRESS_PAGE_BUDGET_MS} ms budget")


if __name__ == "__main__":
    main()
