"""A full disk, a read-only database and a held lock: residents get a calm out-of-order page (503,
in their language), staff a page naming the problem, /healthz its JSON 503; and once the disk is
fixed the same running app (and a real waitress server) answers again without a restart.

The disks are real: a small tmpfs filled until SQLite says SQLITE_FULL or remounted read-only,
and a read-only bind mount over the database file (tests/disks.py)."""

from __future__ import annotations

import contextlib
import http.client
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from waitress.server import create_server

from kiosk import create_app
from kiosk.db import connect
from kiosk.storage import StorageError
from tests.conftest import PASSWORD, StaffClient, add_sites_and_staff, make_config
from tests.disks import fill, fill_until_sqlite_is_full, read_only_file, remount, small_disk
from tests.fixtures import soup

CALM_HEADING = {"ja": "ただいま、ご利用いただけません", "en": "Not available at the moment",
                "vi": "Hiện tại không thể sử dụng"}
STAFF_HEADING = {"disk_full": "サーバーのディスクがいっぱいです",
                 "read_only": "データベースが読み取り専用になっています",
                 "locked": "データベースが混み合っています",
                 "unavailable": "データベースを読み書きできません"}


def app_on(disk: Path, tmp_path: Path, **config):
    app = create_app(make_config(tmp_path, DATABASE=str(disk / "kiosk.db"), **config))
    db = connect(app.config["DATABASE"])
    try:
        add_sites_and_staff(db)
    finally:
        db.conn.close()  # nothing may stay open: a read-only remount refuses a file open for writing
    return app


class Resident:
    """A kiosk browser: a session in ``lang`` and the CSRF token of its pages."""

    def __init__(self, app, lang: str):
        self.client = app.test_client()
        page = soup(self.client.get("/"))
        self.token = page.select_one('meta[name="csrf-token"]')["content"]
        started = self.client.post("/start", data={"csrf_token": self.token, "lang": lang})
        assert started.status_code == 303, started.status_code

    def tap_menu(self, htmx: bool = False):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post("/chat/menu", data={"csrf_token": self.token}, headers=headers)


def assert_calm_page(response, lang: str) -> None:
    assert response.status_code == 503
    page = soup(response)
    assert page.select_one("html")["lang"].split("-")[0] == lang.split("_")[0]
    assert page.select_one("h1").get_text(strip=True) == CALM_HEADING[lang]
    text = page.get_text(" ", strip=True)
    assert "Traceback" not in text and "sqlite" not in text.lower() and "503" not in text
    assert page.select_one(".k-lead").get_text(strip=True)  # the advice to ask staff


def assert_staff_page(response, code: str, error_name: str) -> None:
    assert response.status_code == 503
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == STAFF_HEADING[code]
    for_it = page.select_one("#storage-problem").get_text(strip=True)
    assert for_it.startswith(f"{code}: ") and error_name in for_it
    assert "Traceback" not in page.get_text()


def assert_health(client, problem: str | None) -> dict:
    response = client.get("/healthz")
    report = response.get_json()
    assert response.mimetype == "application/json"
    if problem is None:
        assert response.status_code == 200 and report["status"] == "ok" and report["storage"]["ok"], report
    else:
        assert response.status_code == 503, report
        assert report["status"] == "error" and report["storage"]["problem"] == problem, report
    return report


def signed_in_staff(app) -> StaffClient:
    staff = StaffClient(app)
    assert staff.login("supporter").status_code == 303
    return staff


# --- a full disk ---------------------------------------------------------------------------------

def test_full_disk_while_a_connection_is_open_gives_sqlite_full_pages_then_recovers(tmp_path):
    """A busy server: another connection keeps the -wal and -shm files, so reads still work and
    writes fail with SQLITE_FULL ("database or disk is full")."""
    with small_disk(tmp_path / "disk") as disk:
        app = app_on(disk, tmp_path)
        resident = Resident(app, "en")
        staff = StaffClient(app)
        staff.refresh_token()
        reader = sqlite3.connect(disk / "kiosk.db")
        try:
            reader.execute("select count(*) from settings").fetchone()
            filler = fill(disk)
            fill_until_sqlite_is_full(disk / "kiosk.db")

            assert_calm_page(resident.tap_menu(), "en")  # the write that fails
            assert_calm_page(resident.client.get("/chat"), "en")  # and every resident page after it
            refreshed = resident.tap_menu(htmx=True)
            assert refreshed.status_code == 503 and refreshed.headers["HX-Refresh"] == "true"
            signed = staff.client.post("/staff/login", data={"csrf_token": staff.token, "username": "supporter",
                                                               "password": PASSWORD})
            assert_staff_page(signed, "disk_full", "SQLITE_FULL")
            report = assert_health(app.test_client(), "disk_full")
            assert report["storage"]["free_bytes"] < 1024 * 1024

            filler.unlink()  # ward IT frees some space; nobody restarts anything
            assert_health(app.test_client(), None)
            assert resident.client.get("/chat").status_code == 200
            assert resident.tap_menu().status_code == 303
            assert staff.login("supporter").status_code == 303
        finally:
            reader.close()


def test_full_disk_with_no_connection_open_names_the_full_disk_not_an_io_error(tmp_path):
    """An idle kiosk: no -shm file, and no room to make one. SQLite says "disk I/O error"
    (SQLITE_IOERR_SHMSIZE) for every read; the pages still say what is really wrong."""
    with small_disk(tmp_path / "disk") as disk:
        app = app_on(disk, tmp_path)
        resident = Resident(app, "vi")
        filler = fill(disk)

        assert_calm_page(resident.client.get("/chat"), "vi")
        assert_calm_page(resident.client.get("/"), "vi")
        staff = StaffClient(app)
        staff.refresh_token()  # the sign-in page itself needs no database
        signed = staff.post("/staff/login", data={"username": "supporter", "password": PASSWORD})
        assert_staff_page(signed, "disk_full", "SQLITE_IOERR")
        assert_health(app.test_client(), "disk_full")

        filler.unlink()
        assert resident.client.get("/chat").status_code == 200
        assert_health(app.test_client(), None)


# --- a read-only database ------------------------------------------------------------------------

def test_read_only_database_file_shows_the_out_of_order_page_from_the_start_screen(tmp_path):
    """The file cannot be written, its folder can (chmod 444 for the service user): SQLite opens it
    read-only, reads work, every write fails. Residents are told at the start screen, not one tap
    later, once the app has seen it (here through the health check a monitor calls)."""
    with small_disk(tmp_path / "disk") as disk:
        app = app_on(disk, tmp_path)
        resident = Resident(app, "ja")
        staff = signed_in_staff(app)
        with read_only_file(disk / "kiosk.db"):
            report = assert_health(app.test_client(), "read_only")
            assert "SQLITE_READONLY" in report["storage"]["error"]
            assert_calm_page(app.test_client().get("/"), "ja")
            assert_calm_page(resident.tap_menu(), "ja")
            assert staff.get("/staff/").status_code == 200  # staff can still read what is there
            saved = staff.post("/staff/login", data={"username": "supporter", "password": PASSWORD})
            assert_staff_page(saved, "read_only", "SQLITE_READONLY")
        assert app.test_client().get("/").status_code == 200
        assert resident.tap_menu().status_code == 303
        assert_health(app.test_client(), None)


def test_read_only_filesystem_names_the_read_only_mount_then_recovers(tmp_path):
    """ext4 remounts itself read-only after an I/O error: SQLite cannot even open the file
    ("unable to open database file")."""
    with small_disk(tmp_path / "disk") as disk:
        app = app_on(disk, tmp_path)
        resident = Resident(app, "en")
        staff = StaffClient(app)
        staff.refresh_token()
        remount(disk, "ro")
        try:
            assert_calm_page(resident.client.get("/chat"), "en")
            signed = staff.post("/staff/login", data={"username": "supporter", "password": PASSWORD})
            assert_staff_page(signed, "read_only", "SQLITE_CANTOPEN")
            report = assert_health(app.test_client(), "read_only")
            assert "mounted read-only" in report["storage"]["error"]
        finally:
            remount(disk, "rw")
        assert resident.client.get("/chat").status_code == 200
        assert resident.tap_menu().status_code == 303


# --- a lock held past the busy timeout -----------------------------------------------------------

def test_database_locked_past_the_busy_timeout_gives_the_calm_page_not_a_500(tmp_path, monkeypatch):
    monkeypatch.setattr("kiosk.db.BUSY_TIMEOUT_MS", 300)  # the real wait is 10 s
    app = create_app(make_config(tmp_path))
    db = connect(app.config["DATABASE"])
    add_sites_and_staff(db)
    db.conn.close()
    resident = Resident(app, "ja")
    staff = StaffClient(app)
    staff.refresh_token()
    holder = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long import or backup holding the write lock
    try:
        tapped = resident.tap_menu()
        assert_calm_page(tapped, "ja")
        assert tapped.headers["Retry-After"] == "5"
        tapped_htmx = resident.tap_menu(htmx=True)
        assert tapped_htmx.status_code == 503 and "HX-Refresh" not in tapped_htmx.headers  # "try again" stays
        signed = staff.client.post("/staff/login", data={"csrf_token": staff.token, "username": "supporter",
                                                           "password": PASSWORD})
        assert_staff_page(signed, "locked", "SQLITE_BUSY")
        assert resident.client.get("/chat").status_code == 200  # a lock is not remembered: reads go on
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert resident.tap_menu().status_code == 303


# --- start-up --------------------------------------------------------------------------------

@pytest.mark.parametrize("broken", ["read-only file", "read-only filesystem", "full disk"])
def test_create_app_refuses_a_database_it_cannot_write(tmp_path, broken):
    with small_disk(tmp_path / "disk") as disk:
        create_app(make_config(tmp_path, DATABASE=str(disk / "kiosk.db")))
        with contextlib.ExitStack() as undo:
            if broken == "read-only file":
                undo.enter_context(read_only_file(disk / "kiosk.db"))
            elif broken == "read-only filesystem":
                remount(disk, "ro")
                undo.callback(remount, disk, "rw")
            else:
                undo.callback((fill(disk)).unlink)
            with pytest.raises(StorageError) as refused:
                create_app(make_config(tmp_path, DATABASE=str(disk / "kiosk.db")))
        message = str(refused.value)
        assert "\n" not in message and str(disk / "kiosk.db") in message
        assert ("is full" if broken == "full disk" else "is read-only") in message


# --- a real waitress server ----------------------------------------------------------------------

@contextlib.contextmanager
def waitress(app):
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        time.sleep(0.1)
        server.close()
        thread.join(timeout=5)


def http_get(port: int, path: str, headers: dict | None = None) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


def test_a_running_waitress_server_says_out_of_order_on_a_full_disk_and_recovers(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        app = app_on(disk, tmp_path)
        with waitress(app) as port:
            assert http_get(port, "/")[0] == 200
            filler = fill(disk)
            status, kind, body = http_get(port, "/", {"Accept-Language": "en"})
            assert status == 503 and kind.startswith("text/html")
            assert BeautifulSoup(body, "html.parser").select_one("h1").get_text(strip=True) == CALM_HEADING["en"]
            status, kind, body = http_get(port, "/healthz")
            assert status == 503 and kind == "application/json" and '"problem":"disk_full"' in body

            filler.unlink()
            assert http_get(port, "/healthz")[0] == 200
            status, _, body = http_get(port, "/", {"Accept-Language": "en"})
            assert status == 200 and CALM_HEADING["en"] not in body


def test_full_disk_under_the_read_aloud_cache_is_a_503_not_a_500_and_the_kiosk_goes_on(tmp_path):
    """Only the speech cache's disk is full (ENOSPC from a plain file write): that audio is not
    served, and since the database still takes writes the kiosk is not out of order."""
    with small_disk(tmp_path / "speech", size="1m") as cache:
        app = create_app(make_config(tmp_path, SPEECH_CACHE_DIR=str(cache)))
        resident = Resident(app, "ja")
        [button] = soup(resident.client.get("/guide/residence-certificate/convenience-store/1")).select(
            "button.k-speak")
        filler = fill(cache)
        audio = resident.client.get(button["data-speak-src"])
        assert audio.status_code == 503 and audio.mimetype == "text/html"
        assert resident.client.get("/chat").status_code == 200  # the database is fine: no out-of-order page
        filler.unlink()
        audio = resident.client.get(button["data-speak-src"])
        assert audio.status_code == 200 and audio.mimetype == "audio/wav"
        audio.close()


def test_a_damaged_database_file_is_named_unavailable_and_comes_back_when_restored(tmp_path):
    app = create_app(make_config(tmp_path))
    db = connect(app.config["DATABASE"])
    add_sites_and_staff(db)
    db.conn.close()
    resident = Resident(app, "ja")
    staff = StaffClient(app)
    staff.refresh_token()
    database = Path(app.config["DATABASE"])
    good = database.read_bytes()
    database.write_bytes(b"this is not a database, it was overwritten" * 200)
    assert_calm_page(resident.client.get("/chat"), "ja")
    signed = staff.post("/staff/login", data={"username": "supporter", "password": PASSWORD})
    assert_staff_page(signed, "unavailable", "SQLITE_NOTADB")
    assert_health(app.test_client(), "unavailable")
    database.write_bytes(good)  # restored from the backup
    assert resident.client.get("/chat").status_code == 200
