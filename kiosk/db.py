"""The database: one SQLite file through sqlite-utils, in WAL mode (migrations in migrations.py).

Views never open connections: they call get_db(), which caches one per request on ``g``."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import secrets
import sqlite3
from pathlib import Path

import sqlite_utils
from flask import Flask, current_app, g

BUSY_TIMEOUT_MS = 10_000


def connect(path: str) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        db = sqlite_utils.Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA secure_delete = ON")  # a deleted kiosk conversation is overwritten, not just unlinked
        if path != ":memory:" and db.journal_mode != "wal":
            db.enable_wal()
    except BaseException:
        # On a read-only or full disk the first statement fails: close now, or every request
        # leaves an open file behind (and the filesystem cannot even be unmounted to fix it).
        conn.close()
        raise
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


class BackupError(Exception):
    """A backup that was refused or failed; the message is one line naming the path. Nothing was
    written at the target."""


@dataclasses.dataclass(frozen=True)
class BackupResult:
    path: str
    size: int
    integrity: str  # what PRAGMA integrity_check says of the copy: "ok"


def database_file(db: sqlite_utils.Database) -> str:
    """The main database file of a connection ("" for an in-memory database)."""
    return next((row[2] for row in db.conn.execute("PRAGMA database_list") if row[1] == "main"), "")


def _is_live_file(target: Path, live: str) -> bool:
    """The live database or one of its companions (-wal, -shm, -journal), however it is spelt."""
    if not live:
        return False
    real = os.path.realpath(live)
    if os.path.realpath(target) in {real + suffix for suffix in ("", "-wal", "-shm", "-journal")}:
        return True
    try:
        return target.exists() and os.path.samefile(target, live)  # a hard link, another mount
    except OSError:
        return False


def _check_backup_target(target: Path, live: str, force: bool) -> None:
    if _is_live_file(target, live):
        raise BackupError(f"{target}: is the live database (or its -wal/-shm file); choose another path")
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(f"{target}: the folder {folder} does not exist")
    if target.is_dir():
        raise BackupError(f"{target}: is a folder; give the backup's file name")
    if target.exists() and not force:
        raise BackupError(f"{target}: already exists; use --force to replace it")


def _integrity(conn: sqlite3.Connection) -> str:
    """"ok", or the first problem PRAGMA integrity_check finds and how many more (one line)."""
    found = [line for row in conn.execute("PRAGMA integrity_check(100)") for line in row[0].splitlines()
             if not line.startswith("***")]
    if found == ["ok"]:
        return "ok"
    return found[0] + (f", and {len(found) - 1} more problem(s)" if len(found) > 1 else "")


def backup(db: sqlite_utils.Database, target: str | os.PathLike, *, force: bool = False) -> BackupResult:
    """SQLite's online backup API: consistent, and safe while the server writes. The copy is made
    under a temporary name in the target's folder, checked (PRAGMA integrity_check), then renamed:
    a backup that fails leaves no half-written file, and never touches the live database."""
    target = Path(target)
    _check_backup_target(target, database_file(db), force)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        dest = sqlite3.connect(temporary)
        try:
            db.conn.backup(dest)
            integrity = _integrity(dest)
        finally:
            dest.close()
        if integrity != "ok":
            raise BackupError(f"{target}: the copy failed its integrity check ({integrity}); nothing was written")
        size = temporary.stat().st_size
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        raise BackupError(f"{target}: the backup failed ({exc}); nothing was written") from None
    except OSError as exc:
        raise BackupError(f"{target}: cannot write there ({exc.strerror or exc}); nothing was written") from None
    finally:
        for leftover in (temporary, *(Path(f"{temporary}{s}") for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    return BackupResult(str(target), size, integrity)


class RestoreError(Exception):
    """A restore that was refused or failed; one line naming the file. The live database is as it was."""


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    source: str
    target: str
    previous: str | None  # the copy of the database as it was before, if there was one
    size: int
    integrity: str


def _open_backup(source: Path, live: str) -> sqlite3.Connection:
    if not source.is_file():
        raise RestoreError(f"{source}: no such file")
    if _is_live_file(source, live):
        raise RestoreError(f"{source}: is the live database itself; give a backup file")
    with source.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise RestoreError(f"{source}: is not an SQLite database")
    try:  # read only: a restore never writes its source (nor creates -wal files beside it)
        return sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise RestoreError(f"{source}: cannot be opened ({exc})") from None


def _check_backup(conn: sqlite3.Connection, source: Path, history_tables: tuple[str, ...],
                  known_steps: set[str]) -> str:
    """The source must be sound and a kiosk database no newer than this code."""
    try:
        integrity = _integrity(conn)
        if integrity != "ok":
            raise RestoreError(f"{source}: failed its integrity check ({integrity}); nothing was restored")
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
        present = [name for name in history_tables if name in tables]
        if not present:
            raise RestoreError(f"{source}: is not a kiosk database (it has no {history_tables[0]} table)")
        steps = {row[0] for name in present for row in conn.execute(f"select name from {name}")}
    except sqlite3.DatabaseError as exc:  # damaged beyond what integrity_check reports
        raise RestoreError(f"{source}: failed its integrity check ({exc}); nothing was restored") from None
    newer = sorted(steps - known_steps)
    if newer:
        raise RestoreError(f"{source}: was made by a newer version of the kiosk (unknown migrations "
                           f"{', '.join(newer)}); install that version to restore it")
    return integrity


def restore(source: str | os.PathLike, live: str, *, history_tables: tuple[str, ...], known_steps: set[str],
            keep_previous: bool = True) -> RestoreResult:
    """Replace the live database with the backup ``source``, after checking it (PRAGMA
    integrity_check, a kiosk database, no newer than this code). The live database is first backed
    up beside itself (``<name>.before-restore-<UTC time>``), then overwritten page by page with
    SQLite's backup API under its write lock, so a server still serving it sees the restored data
    from its next transaction; the result is checked again."""
    source = Path(source)
    conn = _open_backup(source, live)
    previous = None
    try:
        integrity = _check_backup(conn, source, history_tables, known_steps)
        if keep_previous and os.path.isfile(live):
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            try:
                current = connect(live)
                try:
                    previous = backup(current, f"{live}.before-restore-{stamp}").path
                finally:
                    current.conn.close()
            except (BackupError, sqlite3.Error) as exc:
                raise RestoreError(f"{live}: cannot keep a copy of the current database first ({exc}); "
                                   "nothing was restored (use --no-keep to restore without one)") from None
        target = connect(live)
        try:
            conn.backup(target.conn)
            integrity = _integrity(target.conn)
        except sqlite3.Error as exc:
            raise RestoreError(f"{live}: the restore failed ({exc})" + (
                f"; the previous database is in {previous}" if previous else "")) from None
        finally:
            target.conn.close()
    finally:
        conn.close()
    return RestoreResult(str(source), live, previous, os.path.getsize(live), integrity)


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
