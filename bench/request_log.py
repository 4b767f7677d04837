"""Benchmark: what the access log (kiosk/logs.py: request id, path masking, one line per request)
costs a request. Two real waitress servers on the same database in this process, one with the
access log and one with it taken out (the same-run baseline); one keep-alive client alternates
between them, and the log goes to a file as the service's journal would take it.

    .venv/bin/python bench/request_log.py [--requests 300]
"""

from __future__ import annotations

import argparse
import logging
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import Browser, Server, temporary_instance

PAGES = {"start screen": "/", "seal-free list": "/seal-free", "phone page /h/<code>": None,
         "healthz": "/healthz"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    folder, _ = temporary_instance("kiosk-bench-log-")
    from kiosk import create_app
    from kiosk.db import connect
    from kiosk.handoff.records import create_handoff
    from kiosk.logs import AccessLog

    config = {"CONTENT_DIR": str(ROOT / "content"), "SESSION_PURGE_SECONDS": 0,
              "HANDOFF_LOOKUPS_PER_10_MINUTES": 100_000}  # the phone page is rate-limited per address
    logged = create_app(config)
    plain = create_app(config)
    assert isinstance(plain.wsgi_app, AccessLog)
    plain.wsgi_app = plain.wsgi_app.wsgi_app  # the baseline: the same app without the access log
    root = logging.getLogger()
    for handler in list(root.handlers):  # the log to a file, not the terminal
        root.removeHandler(handler)
    file_handler = logging.FileHandler(folder / "server.log")
    from kiosk.logs import TextFormatter, add_request_ids

    file_handler.setFormatter(TextFormatter())
    add_request_ids(file_handler)
    root.addHandler(file_handler)
    db = connect(logged.config["DATABASE"])
    code = create_handoff(db, procedure_id="residence-certificate", channel_id=None, session_ref=None,
                          readiness=None, site_id=None, device_id=None, locale="ja", days=30)["code"]
    db.conn.close()
    PAGES["phone page /h/<code>"] = f"/h/{code}"

    servers = {"with access log": Server(logged), "without (baseline)": Server(plain)}
    clients = {name: Browser(server.port) for name, server in servers.items()}
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")
    for page, path in PAGES.items():
        times: dict[str, list[float]] = {name: [] for name in clients}
        for client in clients.values():
            for _ in range(10):
                client.request("GET", path)
        for _ in range(args.requests):
            for name, client in clients.items():  # alternate, so both see the same machine load
                started = time.perf_counter()
                reply = client.request("GET", path)
                times[name].append((time.perf_counter() - started) * 1000)
                assert reply.status == 200, (page, reply.status)
        line = ", ".join(f"{name}: median {statistics.median(values):.2f} ms, "
                         f"p95 {statistics.quantiles(values, n=20)[18]:.2f} ms" for name, values in times.items())
        print(f"{page} ({args.requests} requests each): {line}")
    lines = (folder / "server.log").read_text(encoding="utf-8").splitlines()
    access = [line for line in lines if " kiosk.access " in line]
    print(f"access lines written: {len(access)} (expected {len(PAGES) * (args.requests + 10)}); "
          f"codes in the log: {sum(code in line for line in lines)}")
    for client in clients.values():
        client.close()
    for server in servers.values():
        server.close()


if __name__ == "__main__":
    main()
