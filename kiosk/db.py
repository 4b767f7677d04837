"""The database: one SQLite file through sqlite-utils, in WAL mode (migrations in migrations.py).

Views never open connections: they call get_db(), which caches one per request on ``g``."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3

import sqlite_utils
from flask import Flask, current_app, g

BUSY_TIMEOUT_MS = 10_000


def connect(path: str) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")  # a deleted kiosk conversation is overwritten, not just unlinked
    if path != ":memory:" and db.journal_mode != "wal":
        db.enable_wal()
    return db


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database):
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE), so that a
    concurrent writer waits for the busy timeout instead of failing with "database is locked"
    when a read inside the transaction would otherwise have to upgrade its lock. Nested calls
    become savepoints."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.conn.execute("COMMIT")


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def get_setting(db: sqlite_utils.Database, name: str, default: str | None = None) -> str | None:
    rows = list(db.query("select value from settings where name = ?", [name]))
    return rows[0]["value"] if rows else default


def set_setting(db: sqlite_utils.Database, name: str, value: str) -> None:
    with transaction(db):
        db.table("settings").upsert({"name": name, "value": value, "updated_at": now_iso()},
                                    pk="name")


def backup(db: sqlite_utils.Database, target: str) -> None:
    """SQLite's online backup API: consistent, and safe while the server writes."""
    dest = sqlite3.connect(target)
    try:
        with dest:
            db.conn.backup(dest)
    finally:
        dest.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
