"""Migrations through sqlite-utils' `Migrations`: a database made by the previous hand-written
runner (tests/fixtures/pre_layout_db.sql.gz) is carried over with nothing re-run and nothing lost,
a new database gets the schema the old runner gave it, the frozen migrations compute what the old
code computed, and a failing or concurrent run leaves nothing half-applied."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from sqlite_utils.migrations import Migrations

from kiosk import create_app
from kiosk import migrations as kiosk_migrations
from kiosk.consultations.store import delete_consultation
from kiosk.db import connect, transaction
from kiosk.migrations import MIGRATION_SET, applied_migrations, migrate, pending_migrations
from kiosk.staff.accounts import find_user, set_password
from tests.conftest import CONTENT, PASSWORD, StaffClient, make_config

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pre_layout_db.sql.gz"
OLD_NAMES = [
    "0001_sites_devices_users", "0002_ledger", "0003_settings", "0004_kiosk_sessions_events_help",
    "0005_staff_consultations_audit", "0006_enrollment_expiry", "0007_handoffs", "0008_ledger_readings",
    "0009_session_version", "0010_consultation_stats",
]
BOOKKEEPING = ("_migrations", "_sqlite_migrations")
TODAYS_SET = kiosk_migrations.migrations  # before any test swaps in a trial set
ALL_NAMES = [step.name for step in TODAYS_SET.pending(sqlite_utils.Database(memory=True))]
LATER_NAMES = ALL_NAMES[len(OLD_NAMES):]  # released after the old runner was replaced


@pytest.fixture
def old_steps_only(monkeypatch):
    """Only the steps the old runner knew: for what the carry-over alone does to its databases."""
    trial = Migrations(MIGRATION_SET)
    for step in TODAYS_SET.pending(sqlite_utils.Database(memory=True)):
        if step.name in OLD_NAMES:
            trial(name=step.name)(step.fn)
    monkeypatch.setattr(kiosk_migrations, "migrations", trial)


@pytest.fixture(scope="module")
def old_database_template(tmp_path_factory) -> Path:
    """The fixture dump restored once per module; each test works on its own copy."""
    path = tmp_path_factory.mktemp("old") / "old.db"
    conn = sqlite3.connect(path)
    try:
        conn.executescript(gzip.decompress(FIXTURE.read_bytes()).decode("utf-8"))
    finally:
        conn.close()
    return path


@pytest.fixture
def old_db_path(old_database_template, tmp_path) -> str:
    path = tmp_path / "kiosk.db"
    shutil.copyfile(old_database_template, path)
    return str(path)


def user_tables(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [name for (name,) in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")]


def fingerprints(path: str) -> dict[str, tuple[int, str]]:
    """Every user table's row count and a checksum of its rows (rowid included, so that a table
    emptied and refilled with the same rows in another order also shows)."""
    result = {}
    conn = sqlite3.connect(path)
    try:
        for name in user_tables(path):
            digest, count = hashlib.sha256(), 0
            columns = len(conn.execute(f'select * from "{name}" limit 0').description)
            without_rowid = conn.execute("select sql like '%without rowid' from sqlite_master where name = ?",
                                         [name]).fetchone()[0]
            query = (f'select * from "{name}" order by {", ".join(str(i + 1) for i in range(columns))}'
                     if without_rowid else f'select rowid, * from "{name}" order by rowid')
            for row in conn.execute(query):
                digest.update(repr(row).encode())
                count += 1
            result[name] = (count, digest.hexdigest())
    finally:
        conn.close()
    return result


def schema(path: str, without_bookkeeping: bool = False) -> dict[tuple[str, str], str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select type, name, tbl_name, sql from sqlite_master order by name").fetchall()
    return {(kind, name): sql for kind, name, table, sql in rows
            if not (without_bookkeeping and table in BOOKKEEPING)}


def history(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    return [(row["name"], row["applied_at"]) for row in db.query(
        "select name, applied_at from _sqlite_migrations where migration_set = ? order by id", [MIGRATION_SET])]


def legacy_history(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    return [(row["name"], row["applied_at"])
            for row in db.query("select name, applied_at from _migrations order by rowid")]


def nonzero_rollup(db: sqlite_utils.Database) -> dict[tuple, tuple]:
    return {(r["month"], r["site_id"], r["channel"], r["dimension"], r["value"]):
            (r["consultations"], r["minutes"], r["satisfaction_sum"], r["satisfaction_n"])
            for r in db.query("select * from consultation_stats where consultations != 0 or minutes != 0 "
                              "or satisfaction_sum != 0 or satisfaction_n != 0")}


def assert_rollup_matches_the_consultations(db: sqlite_utils.Database) -> None:
    """The rollup against GROUP BYs written here, independently of kiosk.stats.rollup."""
    rollup = nonzero_rollup(db)
    month = "strftime('%Y-%m', c.started_at, '+9 hours')"
    direct_all = {(r["month"], r["site_id"], r["channel"], "all", ""): (r["n"], r["minutes"], r["s"], r["sn"])
                  for r in db.query(f"select {month} month, c.site_id, c.channel, count(*) n, sum(c.minutes) minutes, "
                                    f"coalesce(sum(c.satisfaction), 0) s, count(c.satisfaction) sn "
                                    f"from consultations c where c.deleted_at is null group by 1, 2, 3")}
    assert {k: v for k, v in rollup.items() if k[3] == "all"} == direct_all
    direct_topics = {(r["month"], r["site_id"], r["channel"], "topic", r["topic"]): (r["n"], 0, 0, 0)
                     for r in db.query(f"select {month} month, c.site_id, c.channel, t.topic, count(*) n "
                                       f"from consultations c join consultation_topics t on t.consultation_id = c.id "
                                       f"where c.deleted_at is null group by 1, 2, 3, 4")}
    assert {k: v for k, v in rollup.items() if k[3] == "topic"} == direct_topics
    live = db.execute("select count(*) from consultations where deleted_at is null").fetchone()[0]
    assert live > 0
    totals = {r["dimension"]: r["n"] for r in db.query(
        "select dimension, sum(consultations) n from consultation_stats where dimension != 'topic' group by 1")}
    assert len(totals) == 8 and set(totals.values()) == {live}, totals


def test_an_old_database_is_carried_over_with_nothing_rerun_and_nothing_lost(old_db_path, old_steps_only):
    before, schema_before = fingerprints(old_db_path), schema(old_db_path)
    assert before["consultations"][0] == 10_000 and "_sqlite_migrations" not in before
    db = connect(old_db_path)
    legacy = legacy_history(db)
    assert [name for name, _ in legacy] == OLD_NAMES

    assert migrate(db) == []

    after = fingerprints(old_db_path)
    assert set(after) == set(before) | {"_sqlite_migrations"}
    assert {name: after[name] for name in before} == before  # every table, _migrations included
    assert history(db) == legacy  # the old names with their original times, in the order applied
    assert pending_migrations(db) == []
    assert [row["name"] for row in applied_migrations(db)] == OLD_NAMES
    schema_after = schema(old_db_path)
    assert {key: sql for key, sql in schema_after.items() if key in schema_before} == schema_before
    assert set(schema_after) - set(schema_before) == {("table", "_sqlite_migrations"),
                                                      ("index", "idx__sqlite_migrations_migration_set_name")}

    assert migrate(db) == []
    assert fingerprints(old_db_path) == after
    db.conn.close()


def test_status_is_read_only_and_truthful_before_the_first_migrate(old_db_path, tmp_path, monkeypatch,
                                                                   old_steps_only):
    before = fingerprints(old_db_path)
    db = connect(old_db_path)
    assert pending_migrations(db) == []
    assert [row["name"] for row in applied_migrations(db)] == OLD_NAMES
    for key, value in {"KIOSK_DATABASE": old_db_path, "KIOSK_CONTENT_DIR": str(CONTENT),
                       "KIOSK_SECRET_KEY": "test", "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")}.items():
        monkeypatch.setenv(key, value)
    from kiosk.cli import main

    status = CliRunner().invoke(main, ["db", "status"], catch_exceptions=False).output
    assert status.count("(in _migrations; carried over by the next migrate)") == 10
    assert "Up to date." in status
    assert fingerprints(old_db_path) == before  # no _sqlite_migrations yet, nothing written

    migrate(db)
    status = CliRunner().invoke(main, ["db", "status"], catch_exceptions=False).output
    assert "Migrations: set 'kiosk' in _sqlite_migrations" in status
    assert status.count("  applied  ") == 10 and "carried over" not in status and "Up to date." in status
    db.conn.close()


def test_the_app_starts_on_an_old_database_and_serves_a_consistent_rollup(old_db_path, tmp_path):
    app = create_app(make_config(tmp_path, DATABASE=old_db_path))  # migrates on start, as waitress does
    health = app.test_client().get("/healthz").get_json()
    assert health["database"] == {"ok": True, "pending_migrations": [], "ledger_entries": 204}
    db = connect(old_db_path)
    assert [name for name, _ in history(db)] == ALL_NAMES
    assert_rollup_matches_the_consultations(db)

    set_password(db, find_user(db, "coordinator")["id"], PASSWORD)
    staff = StaffClient(app)
    assert staff.login("coordinator").status_code == 303
    by_month = {r["month"]: r["n"] for r in db.query(
        "select strftime('%Y-%m', started_at, '+9 hours') month, count(*) n from consultations "
        "where deleted_at is null group by 1")}
    years = sorted({int(m[:4]) - (int(m[5:7]) < 4) for m in by_month})
    assert len(years) >= 2
    for year in years:
        assert staff.get(f"/stats/?period=fy&fy={year}").status_code == 200
        response = staff.get(f"/stats/export/table/by-month.csv?codes=1&period=fy&fy={year}")
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
        assert rows[0] == ["month", "consultations"] and len(rows) == 13
        assert {month: int(n) for month, n in rows[1:]} == {month: by_month.get(month, 0) for month, _ in rows[1:]}

    # The triggers the old runner installed keep the rollup in step with later writes.
    staff_id = find_user(db, "coordinator")["id"]
    live_ids = [r["id"] for r in db.query("select id from consultations where deleted_at is null order by id limit 3")]
    delete_consultation(db, live_ids[0], staff_id)
    with transaction(db):
        db.execute("update consultations set started_at = '2025-07-01T01:00:00+00:00', minutes = minutes + 7 "
                   "where id = ?", [live_ids[1]])
        db.table("consultation_topics").insert({"consultation_id": live_ids[2], "topic": "migration-test"})
    assert_rollup_matches_the_consultations(db)
    db.conn.close()


def test_a_new_database_gets_the_schema_the_old_runner_made(old_db_path, tmp_path, old_steps_only):
    path = str(tmp_path / "new.db")
    db = connect(path)
    assert migrate(db) == OLD_NAMES
    assert schema(path, without_bookkeeping=True) == schema(old_db_path, without_bookkeeping=True)
    assert "_migrations" not in user_tables(path)  # the old record exists only where the old runner wrote it
    assert [name for name, _ in history(db)] == OLD_NAMES
    assert migrate(db) == [] and pending_migrations(db) == []
    db.conn.close()


def copy_tables(db: sqlite_utils.Database, old_db_path: str, skip: set[str]) -> None:
    """The old database's rows into a new one migrated part of the way (tables in creation order,
    so that foreign keys point at rows already copied)."""
    db.execute("attach database ? as old", [old_db_path])
    tables = [r["name"] for r in db.query("select name from main.sqlite_master where type = 'table' "
                                          "and name not like 'sqlite_%' order by rowid")]
    with transaction(db):
        for name in tables:
            if name not in skip:
                db.execute(f'insert into main."{name}" select * from old."{name}"')
    db.execute("detach database old")


def test_the_frozen_0008_computes_the_search_text_the_old_code_stored(old_db_path, tmp_path):
    db = connect(str(tmp_path / "new.db"))
    TODAYS_SET.apply(db, stop_before="0008_ledger_readings")
    db.execute("attach database ? as old", [old_db_path])
    with transaction(db):
        db.execute("insert into main.ledger_entries select * from old.ledger_entries")
        db.execute("update main.ledger_entries set search_text = null")
    db.execute("detach database old")
    assert migrate(db) == ALL_NAMES[7:]
    old = sqlite_utils.Database(old_db_path)
    stored = {r["key"]: r["search_text"] for r in old.query("select key, search_text from ledger_entries")}
    computed = {r["key"]: r["search_text"] for r in db.query("select key, search_text from ledger_entries")}
    assert len(stored) == 204 and computed == stored
    old.close()
    db.conn.close()


def test_the_frozen_0010_builds_the_rollup_the_old_code_kept(old_db_path, tmp_path):
    db = connect(str(tmp_path / "new.db"))
    TODAYS_SET.apply(db, stop_before="0010_consultation_stats")
    copy_tables(db, old_db_path, skip={"consultation_stats", *BOOKKEEPING})
    assert migrate(db) == ["0010_consultation_stats", *LATER_NAMES]
    old = sqlite_utils.Database(old_db_path)
    assert nonzero_rollup(db) == nonzero_rollup(old)
    old.close()
    db.conn.close()


def set_with(extra_name: str, extra) -> Migrations:
    """Today's migrations and one more, under the same set name."""
    trial = Migrations(MIGRATION_SET)
    for step in TODAYS_SET.pending(sqlite_utils.Database(memory=True)):  # every step, on an empty database
        trial(name=step.name)(step.fn)
    trial(name=extra_name)(extra)
    return trial


def _fails_halfway(db: sqlite_utils.Database) -> None:
    db.table("half_done").create({"id": int}, pk="id")
    db.table("half_done").insert({"id": 1})
    db.table("settings").insert({"name": "half_done", "value": "1", "updated_at": "now"})
    raise RuntimeError("0011 fails halfway")


def test_a_migration_that_raises_leaves_nothing_half_applied(old_db_path, tmp_path, monkeypatch):
    monkeypatch.setattr(kiosk_migrations, "migrations", set_with("0011_fails_halfway", _fails_halfway))

    before = fingerprints(old_db_path)
    db = connect(old_db_path)
    with pytest.raises(RuntimeError, match="fails halfway"):
        migrate(db)
    assert not db.conn.in_transaction
    assert fingerprints(old_db_path) == before  # not even the carried-over history was kept
    assert pending_migrations(db) == [*LATER_NAMES, "0011_fails_halfway"]
    db.conn.close()

    # On a new database the whole run is one transaction: nothing of the earlier steps stays either.
    new_path = str(tmp_path / "new.db")
    db = connect(new_path)
    with pytest.raises(RuntimeError, match="fails halfway"):
        migrate(db)
    assert user_tables(new_path) == []
    assert pending_migrations(db) == [*ALL_NAMES, "0011_fails_halfway"]

    monkeypatch.setattr(kiosk_migrations, "migrations", set_with("0011_works", lambda db: None))
    assert migrate(db) == [*ALL_NAMES, "0011_works"]
    db.conn.close()


def _slow_start(db: sqlite_utils.Database) -> None:
    time.sleep(0.3)  # long enough for the other process to look for pending steps meanwhile
    db.execute("create table slow_start (id integer)")


@pytest.mark.parametrize("start", ["old", "new"])
def test_two_processes_migrating_at_once_apply_each_step_once(start, old_db_path, tmp_path, monkeypatch):
    trial = Migrations(MIGRATION_SET)
    trial(name="0000_slow_start")(_slow_start)
    for step in TODAYS_SET.pending(sqlite_utils.Database(memory=True)):
        trial(name=step.name)(step.fn)
    monkeypatch.setattr(kiosk_migrations, "migrations", trial)
    path = old_db_path if start == "old" else str(tmp_path / "new.db")
    connections = [connect(path) for _ in range(2)]  # like waitress and `kiosk db migrate`
    barrier = threading.Barrier(len(connections))
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run(db: sqlite_utils.Database) -> None:
        barrier.wait()
        try:
            results.append(migrate(db))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(db,)) for db in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    applied_once = ["0000_slow_start"] + (LATER_NAMES if start == "old" else ALL_NAMES)
    assert sorted(results) == [[], applied_once]
    expected = OLD_NAMES + applied_once if start == "old" else applied_once
    assert [name for name, _ in history(connections[0])] == expected
    for db in connections:
        db.conn.close()


def test_0011_gives_the_old_ledger_review_statuses_and_nothing_else_changes(old_db_path):
    before = fingerprints(old_db_path)
    db = connect(old_db_path)
    old_rows = {r["key"]: r for r in db.query("select * from ledger_entries")}
    assert migrate(db) == LATER_NAMES
    after = fingerprints(old_db_path)
    changed = {name for name in before if after.get(name) != before[name]}
    assert changed == {"ledger_entries", "users"}  # columns added; every other table as it was
    rows = {r["key"]: r for r in db.query("select * from ledger_entries")}
    assert rows.keys() == old_rows.keys()
    expected = {"abolished": "abolished", "never-required": "not-applicable", "kept": "kept-law"}
    for key, row in rows.items():
        old = old_rows[key]
        assert {k: row[k] for k in old} == old  # nothing of the old row changed
        status = expected[old["review_result"]]
        if old["review_result"] == "kept" and "実印" in (old["seal_kind"] or ""):
            status = "kept-registered-seal"
        assert row["status"] == status, key
        assert row["abolished_on"] == (old["reviewed_on"] if status == "abolished" else None)
    assert {r["status"] for r in rows.values()} >= {"abolished", "not-applicable"}
    assert all(r["department"] is None for r in db.query("select department from users"))
    db.conn.close()


def test_0012_takes_each_tablet_made_id_once(tmp_path):
    db = connect(str(tmp_path / "new.db"))
    migrate(db)
    table = db.table("tablet_submissions")
    assert table.pks == ["client_id"]
    db.execute("pragma foreign_keys = off")  # the rows it points to do not matter here
    row = {"client_id": "8c0f7d0e-tablet-made", "staff_id": 1, "content_hash": "a" * 64, "consultation_id": 1,
           "made_at": "2026-12-03T04:00:00+00:00", "received_at": "2026-12-03T05:00:00+00:00"}
    table.insert(row)
    with pytest.raises(sqlite3.IntegrityError):
        table.insert({**row, "content_hash": "b" * 64, "consultation_id": 2})
    assert [r["content_hash"] for r in table.rows] == ["a" * 64]
    db.conn.close()
