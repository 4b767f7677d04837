"""Abandoned kiosk sessions are deleted by a timer in the serving app, with no request at all."""

from __future__ import annotations

import datetime as dt
import json
import time

from kiosk import create_app
from kiosk.db import connect
from kiosk.resident.sessions import SessionPurger
from tests.conftest import make_config


def add_session(path: str, session_id: str, idle_seconds: float) -> None:
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=idle_seconds)).isoformat(timespec="seconds")
    db = connect(path)
    try:
        db.table("kiosk_sessions").insert({"id": session_id, "ref": session_id, "state": json.dumps({"thread": []}),
                                           "started_at": stamp, "updated_at": stamp})
    finally:
        db.conn.close()


def session_ids(path: str) -> set[str]:
    db = connect(path)
    try:
        return {row["id"] for row in db.query("select id from kiosk_sessions")}
    finally:
        db.conn.close()


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_an_abandoned_session_is_purged_by_the_timer_without_a_request(tmp_path):
    app = create_app(make_config(tmp_path, SESSION_PURGE_SECONDS=0.2, IDLE_SECONDS=60, IDLE_WARNING_SECONDS=30))
    purger = app.extensions["kiosk_session_purger"]
    try:
        path = app.config["DATABASE"]
        add_session(path, "abandoned", idle_seconds=60 + 30 + 30 + 5)  # past timeout, warning and margin
        add_session(path, "in-use", idle_seconds=10)
        assert wait_for(lambda: "abandoned" not in session_ids(path)), "the timer did not purge the session"
        assert session_ids(path) == {"in-use"}
    finally:
        purger.stop()
    assert not purger.running


def test_no_timer_unless_asked(tmp_path):
    app = create_app(make_config(tmp_path))  # the test configuration: SESSION_PURGE_SECONDS=0
    assert "kiosk_session_purger" not in app.extensions
    cli_app = create_app(make_config(tmp_path, SESSION_PURGE_SECONDS=1), cli=True)  # commands never purge
    assert "kiosk_session_purger" not in cli_app.extensions


def test_several_timers_on_one_database_purge_without_errors(tmp_path, caplog):
    """Several server processes each run a timer on one database: the purge is one statement, so
    they neither fail nor delete a session still in use."""
    path = str(tmp_path / "kiosk.db")
    create_app(make_config(tmp_path))  # creates and migrates the database
    purgers = [SessionPurger(path, 0.01, max_idle_seconds=120).start() for _ in range(4)]
    try:
        for index in range(30):
            add_session(path, f"old-{index}", idle_seconds=600)
        add_session(path, "in-use", idle_seconds=1)
        assert wait_for(lambda: session_ids(path) == {"in-use"})
    finally:
        for purger in purgers:
            purger.stop()
    assert not any(p.running for p in purgers)
    assert "purging abandoned kiosk sessions failed" not in caplog.text
