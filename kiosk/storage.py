"""What is wrong with the disk under the database: a full disk, a read-only file or filesystem, a
lock held too long. Errors from SQLite (and from writing files) are named here once, so that the
error pages, /healthz and the start-up check tell the same story.

SQLite's own message is often beside the point (a full disk with no room for the ``-shm`` file is
a "disk I/O error", a read-only filesystem is "unable to open database file"), so the filesystem
is looked at too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import os
import sqlite3
import threading
from pathlib import Path

from kiosk.db import connect

DISK_FULL = "disk_full"
READ_ONLY = "read_only"
LOCKED = "locked"
UNAVAILABLE = "unavailable"

# Below this much free space an I/O error or a file that cannot be opened is taken for a full disk:
# SQLite needs room for its -wal and -shm files, a few pages at least.
NEARLY_FULL_BYTES = 1024 * 1024

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


class StorageError(Exception):
    """The database cannot be used as the kiosk needs it (raised at start-up): one line naming the
    file and the problem."""

    def __init__(self, problem: StorageProblem) -> None:
        super().__init__(problem.start_up_message())
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class StorageProblem:
    code: str  # DISK_FULL, READ_ONLY, LOCKED or UNAVAILABLE
    error: str  # SQLite's (or the system's) own words, with its code name
    path: str
    free_bytes: int | None
    seen_at: str

    @property
    def transient(self) -> bool:
        """A lock passes by itself; the other problems need someone to fix the server."""
        return self.code == LOCKED

    def summary(self) -> str:
        """One line for ward IT (logs, the staff page): no translation, the words SQLite used."""
        free = "" if self.free_bytes is None else f", {self.free_bytes} bytes free"
        return f"{self.code}: {self.error} ({self.path}{free})"

    def start_up_message(self) -> str:
        if self.code == DISK_FULL:
            return (f"The disk holding the database {self.path} is full ({self.error}; {self.free_bytes} bytes "
                    "free): free some space, then start the kiosk again.")
        if self.code == READ_ONLY:
            return (f"The database {self.path} is read-only ({self.error}): the kiosk must write the file and its "
                    "folder; check their owner and permissions and that the disk is not mounted read-only.")
        if self.code == LOCKED:
            return (f"The database {self.path} is locked by another program ({self.error}): wait for it to finish "
                    "(a backup, an import) or stop it, then start the kiosk again.")
        return f"The database {self.path} cannot be opened or written ({self.error})."

    def as_json(self) -> dict:
        return {"ok": False, "problem": self.code, "error": self.error, "free_bytes": self.free_bytes,
                "seen_at": self.seen_at}


def free_bytes(path: str) -> int | None:
    """Free space for the server's user on the filesystem that holds ``path`` (or its folder)."""
    for candidate in (Path(path), Path(path).parent):
        try:
            stats = os.statvfs(candidate)
        except OSError:
            continue
        return stats.f_bavail * stats.f_frsize
    return None


def _read_only_filesystem(path: str) -> bool:
    for candidate in (Path(path), Path(path).parent):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def _cannot_write(path: str) -> bool:
    """The file or its folder (where -wal and -shm go) refuses writes. os.access is right for the
    service user; root passes it except on a read-only filesystem, which statvfs reports."""
    target = Path(path)
    if _read_only_filesystem(path):
        return True
    if target.exists() and not os.access(target, os.W_OK):
        return True
    return target.parent.exists() and not os.access(target.parent, os.W_OK)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _code_for_sqlite(exc: sqlite3.Error, path: str, free: int | None) -> str | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return DISK_FULL
    if name.startswith("SQLITE_READONLY"):
        return READ_ONLY
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return LOCKED
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")):
        # The filesystem says more than SQLite: no room for the -shm file, or nothing writable.
        if free is not None and free < NEARLY_FULL_BYTES:
            return DISK_FULL
        return READ_ONLY if _cannot_write(path) else UNAVAILABLE
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return UNAVAILABLE
    return None


def storage_problem(exc: BaseException, path: str) -> StorageProblem | None:
    """The storage problem behind ``exc``, or None when ``exc`` is some other error (a bug).
    ``path`` is the database's; a file error that names its own file is reported on that one."""
    if isinstance(exc, OSError) and isinstance(exc.filename, str):
        path = exc.filename
    free = free_bytes(path)
    if isinstance(exc, sqlite3.Error):
        code = _code_for_sqlite(exc, path, free)
        detail = f"{exc} [{getattr(exc, 'sqlite_errorname', '') or type(exc).__name__}]"
        if code == READ_ONLY and _read_only_filesystem(path):
            detail += "; the filesystem is mounted read-only"  # SQLite only says it cannot open the file
    elif isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        code, detail = DISK_FULL, f"{exc.strerror} [{errno.errorcode.get(exc.errno, exc.errno)}]"
    elif isinstance(exc, OSError) and exc.errno == errno.EROFS:
        code, detail = READ_ONLY, f"{exc.strerror} [EROFS]"
    else:
        return None
    if code is None:
        return None
    return StorageProblem(code, detail, path, free, _now())


def probe_write(db) -> None:
    """One real write, committed, that changes nothing: SQLite must write the database header
    again (to the WAL), so a read-only file, a full disk or a held lock makes it raise."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute(f"PRAGMA user_version = {int(version)}")


def check_storage(path: str) -> StorageProblem | None:
    """Open the database as a request would, read it and write it once. None when all is well."""
    try:
        db = connect(path)
    except (sqlite3.Error, OSError) as exc:
        return _problem_or_raise(exc, path)
    try:
        db.execute("select count(*) from sqlite_master").fetchone()
        probe_write(db)
    except (sqlite3.Error, OSError) as exc:
        return _problem_or_raise(exc, path)
    finally:
        db.conn.close()
    return None


def _problem_or_raise(exc: BaseException, path: str) -> StorageProblem:
    problem = storage_problem(exc, path)
    if problem is None:
        raise exc
    return problem


class StorageWatch:
    """The last lasting storage problem this app met. Resident pages show 「ただいま、ご利用いただけません」
    while it lasts, not only the page that failed to write (a start screen that works would lead
    to the out-of-order page one tap later); each of them probes again, so the kiosk comes back by
    itself once the disk is fixed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problem: StorageProblem | None = None
        self._lock = threading.Lock()

    def record(self, problem: StorageProblem) -> bool:
        """Remember a lasting problem; True when it is news (a different problem, or the first)."""
        if problem.transient:
            return False
        with self._lock:
            news = self.problem is None or self.problem.code != problem.code
            self.problem = problem
        return news

    def current(self) -> StorageProblem | None:
        """The problem if it is still there (checked by a real write), None once it is fixed."""
        if self.problem is None:
            return None
        problem = check_storage(self.path)
        with self._lock:
            self.problem = problem if problem and not problem.transient else None
        return self.problem

    def clear(self) -> None:
        with self._lock:
            self.problem = None
