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
