"""Sign-in throttling under parallel guesses: real SQLite file, one connection per thread, as the
server's threads have."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from waitress.server import create_server

from kiosk import create_app
from kiosk.db import connect
from kiosk.migrations import migrate
from kiosk.staff.accounts import Throttle, create_user, find_user, sign_in
from tests.conftest import make_config

PASSWORD = "correct-horse-battery"
PARALLEL = 40


@pytest.fixture
def database(tmp_path) -> str:
    path = str(tmp_path / "kiosk.db")
    db = connect(path)
    migrate(db)
    create_user(db, "target", "supporter", PASSWORD)
    db.conn.close()
    return path


def guess_in_parallel(path: str, guesses: list[tuple[str, str, str]], throttle: Throttle) -> list[str | None]:
    """Each (username, password, address) from its own thread and connection, all released at once."""
    start = threading.Barrier(len(guesses))

    def guess(item: tuple[str, str, str]) -> str | None:
        db = connect(path)
        try:
            start.wait()
            return sign_in(db, *item[:2], item[2], "secret", throttle).error
        finally:
            db.conn.close()

    with ThreadPoolExecutor(len(guesses)) as pool:
        return list(pool.map(guess, guesses))


def test_forty_parallel_wrong_guesses_get_no_more_than_the_limit_checked(database):
    throttle = Throttle(max_failures=5, lock_minutes=15, max_address_failures=1000)
    guesses = [("target", f"wrong-{index}", f"10.0.0.{index}") for index in range(PARALLEL)]
    results = guess_in_parallel(database, guesses, throttle)
    # Four are told "wrong", the fifth wrong one locks the account; every other one is refused
    # without its password being looked at.
    assert results.count("invalid") == throttle.max_failures - 1, results
    assert results.count("locked") == PARALLEL - (throttle.max_failures - 1)
    db = connect(database)
    try:
        assert find_user(db, "target")["locked_until"]
        assert sign_in(db, "target", PASSWORD, "10.0.1.1", "secret", throttle).error == "locked"
    finally:
        db.conn.close()


def test_parallel_guesses_from_one_address_stop_at_its_limit(database):
    throttle = Throttle(max_failures=5, lock_minutes=15, max_address_failures=20)
    guesses = [(f"nobody{index}", "guess", "192.0.2.7") for index in range(PARALLEL)]
    results = guess_in_parallel(database, guesses, throttle)
    assert results.count("invalid") == throttle.max_address_failures, results
    assert results.count("address") == PARALLEL - throttle.max_address_failures


def test_the_right_password_within_the_allowance_signs_in_and_clears_the_count(database):
    throttle = Throttle()
    db = connect(database)
    try:
        for _ in range(throttle.max_failures - 1):
            assert sign_in(db, "target", "wrong", "10.0.0.1", "secret", throttle).error == "invalid"
        result = sign_in(db, "target", PASSWORD, "10.0.0.1", "secret", throttle)
        assert result.user and result.user["failed_logins"] == 0
        # The right guess was taken back from the address's count too.
        assert db.table("login_failures").count == throttle.max_failures - 1
    finally:
        db.conn.close()


def test_forty_parallel_sign_ins_through_a_real_waitress_server(tmp_path):
    """The whole path: 40 browsers' worth of CSRF-protected posts at once to a waitress server."""
    app = create_app(make_config(tmp_path, LOGIN_MAX_ADDRESS_FAILURES=1000))
    db = connect(app.config["DATABASE"])
    create_user(db, "target", "supporter", PASSWORD)
    db.conn.close()
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    start = threading.Barrier(PARALLEL)

    def attempt(index: int) -> int:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = opener.open(base + "/staff/login", timeout=30).read().decode()
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, "username": "target", "password": f"wrong-{index}"})
        start.wait()
        try:
            return opener.open(base + "/staff/login", data=body.encode(), timeout=60).status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code

    try:
        with ThreadPoolExecutor(PARALLEL) as pool:
            statuses = list(pool.map(attempt, range(PARALLEL)))
    finally:
        server.close()
        thread.join(timeout=5)
    # 400 "wrong username or password" for the guesses that were checked before the lock; 429 after.
    checked_before_the_lock = app.config["LOGIN_MAX_FAILURES"] - 1
    assert statuses.count(400) == checked_before_the_lock, statuses
    assert statuses.count(429) == PARALLEL - checked_before_the_lock
