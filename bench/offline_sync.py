"""Load: 20 outreach tablets come back to the network at once, each with 200 consultations logged
offline, and sync them through the real sync endpoint (/staff/offline/sync, JSON, CSRF token) of a
real waitress server, in batches of 100 as the tablets' script sends them. Then every tablet
resends its whole queue (its answers were lost), and one request is replayed twice at once.
Counts lost and duplicated records. The same-run baseline: the same tablets logging online, one
form post per consultation (bench/consultation_load.py's path). Bounded: 127.0.0.1 only.

    .venv/bin/python bench/offline_sync.py [--tablets 20] [--each 200] [--baseline-each 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Browser, Server, temporary_instance

from kiosk import create_app
from kiosk.db import connect
from tests.conftest import PASSWORD, add_sites_and_staff

BATCH = 100  # what kiosk/static/js/staff-offline.js sends in one request
OFFLINE_NOTE = "出張相談"


def post_json(tablet: Browser, path: str, body: dict, csrf: str) -> tuple[int, dict, float]:
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in tablet.cookies.items()),
               "Content-Type": "application/json", "X-CSRFToken": csrf}
    started = time.perf_counter()
    tablet.conn.request("POST", path, body=json.dumps(body), headers=headers)
    response = tablet.conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if response.status == 200 else {}), time.perf_counter() - started


def queue(number: int, each: int, timezone: str) -> list[dict]:
    started = dt.datetime.now(ZoneInfo(timezone)) - dt.timedelta(hours=3)
    records = []
    for n in range(each):
        made = started + dt.timedelta(seconds=30 * n)
        records.append({"id": str(uuid.uuid4()), "made_at": made.astimezone(dt.UTC).isoformat(timespec="seconds"),
                        "fields": [["site_id", "2"], ["started_at", made.strftime("%Y-%m-%dT%H:%M")],
                                   ["minutes", "15"], ["channel", "outreach"], ["age_band", "75-84"],
                                   ["visit", "first"], ["language", "ja"], ["device_used", "none"],
                                   ["outcome", "handed-off"], ["topics", "pin"], ["topics", "mynumber-card"],
                                   ["note", f"{OFFLINE_NOTE} {number}-{n}"]]})
    return records


def percentiles(latencies: list[float]) -> str:
    latencies = sorted(latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
    return (f"median {statistics.median(latencies) * 1000:.0f} ms, p95 {pct(95):.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms")


def run_all(tablets: list, work) -> float:
    threads = [threading.Thread(target=work, args=(n, tablet)) for n, tablet in enumerate(tablets)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:  # noqa: C901 - one scenario, told in order
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tablets", type=int, default=20)
    parser.add_argument("--each", type=int, default=200)
    parser.add_argument("--baseline-each", type=int, default=20)
    args = parser.parse_args()

    temporary_instance("kiosk-offline-sync-")
    app = create_app()
    db = connect(app.config["DATABASE"])
    add_sites_and_staff(db)
    db.conn.close()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = Server(app, threads=8)
    timezone = app.config["TIMEZONE"]

    tablets, csrf = [], []
    for _ in range(args.tablets):
        tablet = Browser(server.port, timeout=300)
        tablet.sign_in("supporter", PASSWORD)
        tablets.append(tablet)
        csrf.append(json.loads(tablet.request("GET", "/staff/offline/session.json").body)["csrf"])
    queues = [queue(n, args.each, timezone) for n in range(args.tablets)]
    lock = threading.Lock()

    def sync_round(latencies: list[float], statuses: dict, failures: list[str]):
        def work(n: int, tablet: Browser) -> None:
            records = queues[n]
            for start in range(0, len(records), BATCH):
                body = {"sent_at": dt.datetime.now(dt.UTC).isoformat(), "records": records[start:start + BATCH]}
                status, answer, seconds = post_json(tablet, "/staff/offline/sync", body, csrf[n])
                with lock:
                    latencies.append(seconds)
                    if status != 200:
                        failures.append(f"tablet {n}: HTTP {status}")
                        continue
                    for result in answer["results"]:
                        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        return work

    first_latencies: list[float] = []
    first: dict[str, int] = {}
    first_failures: list[str] = []
    first_wall = run_all(tablets, sync_round(first_latencies, first, first_failures))
    # Every tablet sends its whole queue again, as one that lost the answers (or got a 503) does.
    resend_latencies: list[float] = []
    resent: dict[str, int] = {}
    failures: list[str] = []
    resend_wall = run_all(tablets, sync_round(resend_latencies, resent, failures))

    replay_body = {"sent_at": dt.datetime.now(dt.UTC).isoformat(), "records": queues[0][:BATCH]}
    replayed: list[dict] = []

    def replay(n: int, tablet: Browser) -> None:
        status, answer, _ = post_json(tablet, "/staff/offline/sync", replay_body, csrf[0])
        with lock:
            replayed.append(answer)
    twin = Browser(server.port, timeout=300)
    twin.cookies = dict(tablets[0].cookies)  # the same tablet's session, on a second connection
    run_all([tablets[0], twin], replay)

    # Baseline, same run and server: online logging, one form post per consultation.
    baseline_latencies: list[float] = []

    def online(n: int, tablet: Browser) -> None:
        page = tablet.request("GET", "/staff/consultations/new")
        fields = dict(pair for pair in queues[n][0]["fields"] if pair[0] != "topics")
        form = {**fields, "topics": ["pin", "mynumber-card"], "note": "窓口相談",
                "started_at": dt.datetime.now(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")}
        assert page.status == 200
        for _ in range(args.baseline_each):
            reply = tablet.request("POST", "/staff/consultations/new", form)
            with lock:
                baseline_latencies.append(reply.seconds)
                if reply.status != 303:
                    failures.append(f"online {n}: HTTP {reply.status}")
    baseline_wall = run_all(tablets, online)
    server.close()

    db = connect(app.config["DATABASE"])
    ids = [record["id"] for records in queues for record in records]
    expected = len(ids)
    kept = {row["client_id"]: row["consultation_id"] for row in db.query(
        "select client_id, consultation_id from tablet_submissions")}
    lost = sum(1 for client_id in ids if client_id not in kept)
    stored_offline = db.execute("select count(*) from consultations where note like ?",
                                [f"{OFFLINE_NOTE} %"]).fetchone()[0]
    duplicated = stored_offline - len(set(kept.values()))
    baseline_stored = db.execute("select count(*) from consultations where note = '窓口相談'").fetchone()[0]
    replay_statuses = sorted({r["status"] for answer in replayed for r in answer.get("results", [])})

    print(f"first sync: {args.tablets} tablets × {args.each} records = {expected} records in "
          f"{len(first_latencies)} requests, {first_wall:.1f} s: {expected / first_wall:.0f} records/s; "
          f"per request of {BATCH}: {percentiles(first_latencies)}")
    print(f"  answers: {first}; requests refused (503: the write lock was busy too long; the tablet resends): "
          f"{len(first_failures)}")
    print(f"resend of every queue (answers lost): {resend_wall:.1f} s: {expected / resend_wall:.0f} records/s; "
          f"per request: {percentiles(resend_latencies)}; answers: {resent}")
    print(f"one request replayed twice at once: answers {replay_statuses}")
    print(f"baseline, online form: {args.tablets} tablets × {args.baseline_each} posts = "
          f"{len(baseline_latencies)} in {baseline_wall:.1f} s: {len(baseline_latencies) / baseline_wall:.0f} "
          f"records/s; per post: {percentiles(baseline_latencies)}")
    print(f"stored from tablets: {stored_offline} of {expected}; lost: {lost}; duplicated: {duplicated}; "
          f"online baseline stored: {baseline_stored}; HTTP errors after the resend: {len(failures)}")
    if (failures or lost or duplicated or stored_offline != expected or sum(resent.values()) != expected
            or set(resent) - {"stored", "already-stored"} or replay_statuses != ["already-stored"]):
        print("FAILED:", failures[:5])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
