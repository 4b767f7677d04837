"""Server-side kiosk sessions.

A kiosk session holds the resident's conversation only while it lasts: 「最初から」, the idle
timeout, and abandonment (no request for longer than the timeout) delete it. The browser only
holds a random session id in a cookie.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Mapping

import sqlite_utils

from kiosk.admin.devices import Device
from kiosk.db import connect, now_iso, transaction

log = logging.getLogger(__name__)


def start_session(db: sqlite_utils.Database, device: Device | None, state: dict) -> str:
    session_id = secrets.token_urlsafe(24)
    stamp = now_iso()
    with transaction(db):
        db.table("kiosk_sessions").insert({
            "id": session_id, "ref": state["ref"], "device_id": device.id if device else None,
            "site_id": device.site_id if device else None, "state": json.dumps(state, ensure_ascii=False),
            "started_at": stamp, "updated_at": stamp})
    return session_id


def load_session(db: sqlite_utils.Database, session_id: str | None, max_idle_seconds: float) -> dict | None:
    """The session's state, or None when there is none or it has been idle too long (then it is
    deleted on the spot)."""
    if not session_id:
        return None
    rows = list(db.query("select state, updated_at from kiosk_sessions where id = ?", [session_id]))
    if not rows:
        return None
    idle = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(rows[0]["updated_at"])
    if idle.total_seconds() > max_idle_seconds:
        delete_session(db, session_id)
        return None
    return json.loads(rows[0]["state"])


def save_session(db: sqlite_utils.Database, session_id: str, state: dict) -> None:
    with transaction(db):
        db.execute("update kiosk_sessions set state = ?, updated_at = ? where id = ?",
                   [json.dumps(state, ensure_ascii=False), now_iso(), session_id])


def touch_session(db: sqlite_utils.Database, session_id: str) -> None:
    with transaction(db):
        db.execute("update kiosk_sessions set updated_at = ? where id = ?", [now_iso(), session_id])


def delete_session(db: sqlite_utils.Database, session_id: str) -> None:
    with transaction(db):
        db.execute("delete from kiosk_sessions where id = ?", [session_id])


def purge_idle_sessions(db: sqlite_utils.Database, max_idle_seconds: float) -> int:
    """Delete sessions abandoned without 「最初から」 or a timeout in the browser."""
    cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=max_idle_seconds)).isoformat(timespec="seconds")
    with transaction(db):
        return db.execute("delete from kiosk_sessions where updated_at < ?", [cutoff]).rowcount


def abandoned_after_seconds(config: Mapping) -> float:
    """A session with no request for longer than the idle timeout, its warning and a margin is
    gone, whether or not the browser's timer fired."""
    return config["IDLE_SECONDS"] + config["IDLE_WARNING_SECONDS"] + 30


class SessionPurger:
    """Deletes abandoned sessions every ``interval`` seconds from a daemon thread, with a connection
    of its own, so that a conversation left on a kiosk that was switched off is gone on time even if
    no request ever comes. Several processes may each run one: the purge is one DELETE."""

    def __init__(self, database: str, interval: float, max_idle_seconds: float) -> None:
        self.database = database
        self.interval = interval
        self.max_idle_seconds = max_idle_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-session-purge", daemon=True)

    def start(self) -> SessionPurger:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def purge_once(self) -> int:
        try:
            db = connect(self.database)
            try:
                return purge_idle_sessions(db, self.max_idle_seconds)
            finally:
                db.conn.close()
        except sqlite3.Error as exc:  # a locked or missing database: try again next time
            log.warning("purging abandoned kiosk sessions failed: %s", exc)
            return 0

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            self.purge_once()

    def stop(self, timeout: float = 10.0) -> None:
        """Let a purge in progress finish, then end the thread."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
