"""Shared fixtures: a fresh app and database per test, on the real content folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.catalog import get_catalog
from kiosk.catalog.ledger import import_ledger_file
from kiosk.db import connect

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SAMPLE_LEDGER = CONTENT / "ledger-sample.csv"


def make_config(tmp_path: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "DATABASE": str(tmp_path / "kiosk.db"),
        "CONTENT_DIR": str(CONTENT),
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SESSION_PURGE_SECONDS": 0,  # no background purge thread unless a test asks for one
    }
    config.update(overrides)
    return config


@pytest.fixture
def app(tmp_path):
    return create_app(make_config(tmp_path))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.conn.close()


@pytest.fixture
def ledger_app(app, db):
    """The app with the sample ledger imported."""
    with app.app_context():
        import_ledger_file(db, SAMPLE_LEDGER, get_catalog().procedures)
    return app


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the real content, for breaking it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


PASSWORD = "correct-horse-battery"
STAFF = {  # username: (role, site)
    "supporter": ("supporter", 1),
    "supporter2": ("supporter", 2),
    "coordinator": ("coordinator", 1),
    "admin": ("admin", 1),
}


def add_sites_and_staff(db) -> None:
    from kiosk.db import now_iso
    from kiosk.staff.accounts import create_user

    with db.atomic():
        db.table("sites").insert({"name": "北出張所", "kind": "branch", "created_at": now_iso()})
        db.table("sites").insert({"name": "みどり地域センター相談会", "kind": "event", "starts_on": "2026-11-01",
                                  "created_at": now_iso()})
    for username, (role, site) in STAFF.items():
        create_user(db, username, role, PASSWORD, username.capitalize(), site)


@pytest.fixture
def staff_app(ledger_app, db):
    add_sites_and_staff(db)
    return ledger_app


class StaffClient:
    """A test client that signs in and posts with the CSRF token."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.token = ""

    def refresh_token(self, path: str = "/staff/login") -> None:
        from bs4 import BeautifulSoup

        page = BeautifulSoup(self.client.get(path).get_data(as_text=True), "html.parser")
        self.token = page.select_one('meta[name="csrf-token"]')["content"]

    def login(self, username: str, password: str = PASSWORD):
        self.refresh_token()
        response = self.client.post("/staff/login", data={"csrf_token": self.token, "username": username,
                                                          "password": password})
        if response.status_code == 303:
            self.refresh_token("/staff/")
        return response

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data=None, htmx: bool = False, **kwargs):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, headers=headers, **kwargs)


@pytest.fixture
def staff_client(staff_app):
    def make(username: str | None = None) -> StaffClient:
        client = StaffClient(staff_app)
        if username:
            assert client.login(username).status_code == 303
        else:
            client.refresh_token()
        return client
    return make
