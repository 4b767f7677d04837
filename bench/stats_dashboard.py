"""Benchmark: the statistics over 1,000,000 synthetic consultations (5 years, 25 sites).

Reports, side by side: the dashboard for one fiscal year from the rollup (in-process, and the
whole page through a real waitress server) and the same figures by plain GROUP BY over the raw
table; the full consultations CSV export (time, and peak memory growth of the exporting process
measured as its maximum RSS above a process that only starts the app).

    .venv/bin/python bench/stats_dashboard.py [--consultations 1000000] [--years 5] [--sites 25]
        [--database PATH]   (generates into PATH when it does not exist, reuses it when it does)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, median_ms

from kiosk import create_app
from kiosk.catalog.loader import load_catalog
from kiosk.db import connect
from kiosk.demo.synthetic import generate
from kiosk.migrations import migrate
from kiosk.staff.accounts import create_user
from kiosk.stats.dashboard import Filters, build_dashboard
from kiosk.stats.periods import fiscal_year, parse_period, sqlite_shift, statistics_utc_offset, ward_today

NAIVE = [
    "select age_band, count(*) from consultations where deleted_at is null and started_at >= ? and started_at < ? "
    "group by age_band",
    "select outcome, count(*) from consultations where deleted_at is null and started_at >= ? and started_at < ? "
    "group by outcome",
    "select reason, count(*) from consultations where deleted_at is null and started_at >= ? and started_at < ? "
    "group by reason",
    "select strftime('%Y-%m', started_at, '{shift}'), count(*) from consultations where deleted_at is null "
    "and started_at >= ? and started_at < ? group by 1",
    "select site_id, count(*) from consultations where deleted_at is null and started_at >= ? and started_at < ? "
    "group by site_id",
    "select staff_id, count(*) from consultations where deleted_at is null and started_at >= ? and started_at < ? "
    "group by staff_id",
    "select satisfaction, count(*), sum(minutes) from consultations where deleted_at is null and started_at >= ? "
    "and started_at < ? group by satisfaction",
    "select t.topic, count(*) from consultations c join consultation_topics t on t.consultation_id = c.id "
    "where c.deleted_at is null and c.started_at >= ? and c.started_at < ? group by t.topic",
]


def child_max_rss_mb(args: list[str], env: dict) -> tuple[float, float]:
    """Run a command; return (seconds, its maximum RSS in MB) from a fresh child accounting."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True)
    seconds, rss = out.stdout.split()
    return float(seconds), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--consultations", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--sites", type=int, default=25)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-stats-"))
    database = args.database or str(tmp / "stats.db")
    env = {**os.environ, "KIOSK_DATABASE": database, "KIOSK_INSTANCE_PATH": str(tmp / "instance"),
           "KIOSK_SECRET_KEY": "bench"}
    os.environ.update(env)
    fresh = not os.path.exists(database)
    app = create_app()  # KIOSK_TIMEZONE as the server would read it
    timezone = app.config["TIMEZONE"]
    db = connect(database)
    migrate(db)
    if fresh:
        t0 = time.perf_counter()
        created = generate(db, args.consultations, args.years, args.sites, seed=7,
                           catalog=load_catalog(ROOT / "content"), timezone=timezone)
        print(f"generated {created.get('consultations', args.consultations):,} consultations over {args.years} "
              f"years and {args.sites} sites in {time.perf_counter() - t0:.1f} s "
              f"({os.path.getsize(database) / 2**20:.0f} MB database)")
        create_user(db, "bench-coordinator", "coordinator", "bench-password-1")
    db.conn.close()

    today = ward_today(timezone)
    year = fiscal_year(today) - 1  # the last complete fiscal year
    period = parse_period("fy", str(year), today)
    bounds = list(period.utc_bounds(timezone))
    naive_sql = [sql.format(shift=sqlite_shift(statistics_utc_offset(timezone))) for sql in NAIVE]
    filters = Filters(period)
    targets = {"consultations_per_year": 10000, "satisfied_share": 0.85, "sites": 20}
    db = connect(env["KIOSK_DATABASE"])
    rollup = median_ms(lambda: build_dashboard(db, filters, targets, today, timezone=timezone), args.runs)
    naive = median_ms(lambda: [list(db.execute(sql, bounds)) for sql in naive_sql], 3)
    total = build_dashboard(db, filters, targets, today, timezone=timezone).total
    raw = db.execute("select count(*) from consultations where deleted_at is null and started_at >= ? "
                     "and started_at < ?", bounds).fetchone()[0]
    print(f"FY{year} ({total:,} consultations; raw count {raw:,}): dashboard figures from the rollup median "
          f"{rollup:.0f} ms; the same figures by plain GROUP BY over the raw table median {naive:.0f} ms")
    db.conn.close()

    server = Server(app)
    browser = Browser(server.port)
    browser.sign_in("bench-coordinator", "bench-password-1")
    timings = []
    for index in range(args.runs + 1):
        reply = browser.request("GET", f"/stats/?period=fy&fy={year}")
        assert reply.status == 200
        if index:
            timings.append(reply.seconds)
    print(f"the dashboard page for FY{year} through HTTP (charts and tables rendered): median "
          f"{statistics.median(timings) * 1000:.0f} ms")
    browser.close()
    server.close()

    kiosk = str(Path(sys.executable).parent / "kiosk")
    _, baseline = child_max_rss_mb([kiosk, "db", "status"], env)
    seconds, peak = child_max_rss_mb([kiosk, "export", "consultations", "--all", "--output", str(tmp / "all.csv")],
                                     env)
    rows = sum(1 for _ in open(tmp / "all.csv", encoding="utf-8-sig")) - 1
    print(f"full consultations CSV export ({rows:,} rows, {os.path.getsize(tmp / 'all.csv') / 2**20:.0f} MB): "
          f"{seconds:.1f} s; maximum RSS {peak:.0f} MB against {baseline:.0f} MB for a process that only "
          f"starts the app: growth {peak - baseline:.0f} MB")


if __name__ == "__main__":
    main()
