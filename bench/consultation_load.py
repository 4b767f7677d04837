"""Load: 20 concurrent tablets, each logging 50 consultations through the real HTTP endpoints of
a real waitress server (sign-in, CSRF token, the form post). Reports throughput, latency
percentiles, errors, lost rows and "database is locked" in the server log. Figures go to
docs/benchmarks.md. Bounded: 20 × 50 requests to 127.0.0.1, then it stops.

    .venv/bin/python bench/consultation_load.py [--clients 20] [--each 50]
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, temporary_instance

from kiosk import create_app
from kiosk.db import connect
from tests.conftest import PASSWORD, add_sites_and_staff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--each", type=int, default=50)
    args = parser.parse_args()

    temporary_instance("kiosk-load-")
    app = create_app()
    db = connect(app.config["DATABASE"])
    add_sites_and_staff(db)
    db.conn.close()

    locked = []

    class Watch(logging.Handler):
        def emit(self, record):
            if "database is locked" in record.getMessage() or (
                    record.exc_info and "database is locked" in str(record.exc_info[1])):
                locked.append(record)

    app.logger.addHandler(Watch())
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" is expected here
    server = Server(app, threads=8)

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def tablet_session(number: int) -> None:
        tablet = Browser(server.port, timeout=60)
        try:
            tablet.sign_in("supporter", PASSWORD)
        except AssertionError as exc:
            failures.append(f"client {number}: {exc}")
            return
        page = tablet.request("GET", "/staff/consultations/new").body
        started = re.search(rb'id="f-started_at" name="started_at" type="datetime-local" value="([^"]+)"', page)
        form = {"site_id": "1", "started_at": started.group(1).decode(), "minutes": "10", "channel": "counter",
                "age_band": "75-84", "visit": "first", "language": "ja", "device_used": "android",
                "outcome": "completed-online-assisted", "topics": ["mynumber-card", "pin"],
                "note": f"負荷試験 {number}"}
        for _ in range(args.each):
            reply = tablet.request("POST", "/staff/consultations/new", form)
            with lock:
                latencies.append(reply.seconds)
                if reply.status != 303:
                    failures.append(f"client {number}: {reply.status}")
        tablet.close()

    threads = [threading.Thread(target=tablet_session, args=(n,)) for n in range(args.clients)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    server.close()

    db = connect(app.config["DATABASE"])
    stored = db.execute("select count(*) from consultations").fetchone()[0]
    topics = db.execute("select count(*) from consultation_topics").fetchone()[0]
    audits = db.execute("select count(*) from audit_log where entity = 'consultation'").fetchone()[0]
    expected = args.clients * args.each
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print(f"{args.clients} tablets × {args.each} consultations = {expected} posts in {wall:.1f} s: "
          f"{len(latencies) / wall:.0f} posts/s")
    print(f"latency: median {statistics.median(latencies) * 1000:.0f} ms, p95 {pct(95):.0f} ms, "
          f"p99 {pct(99):.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    print(f"errors: {len(failures)}; rows stored: {stored} of {expected} (topics {topics}, audit entries {audits}); "
          f"'database is locked' in the log: {len(locked)}")
    if failures or stored != expected or locked:
        print("FAILED:", failures[:5])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
