"""/healthz (kiosk/health.py) beyond the database and the disk: the compiled catalogs, the vendored
front-end files and the printer queues kiosks print on (a real private CUPS), each a 503 that
names what failed."""

from __future__ import annotations

import shutil

import pytest

from kiosk import create_app
from kiosk.db import connect
from tests.conftest import ROOT, make_config
from tests.cups_server import DEBIAN_PACKAGES, PrivateCups, cups_available

STATIC = ROOT / "kiosk" / "static"


def test_every_part_is_reported_when_all_is_well(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.get_json()
    assert report["problems"] == [] and report["status"] == "ok"
    assert report["translations"] == {"ok": True, "locales": 9, "missing": []}
    assert report["assets"] == {"ok": True, "missing": []}
    assert report["printers"] == {"ok": True, "queues": {}, "checked": True}


def test_no_vendored_files_is_503_naming_each_missing_asset(app, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(STATIC, static, ignore=shutil.ignore_patterns("vendor"))  # as a checkout before `make vendor`
    app.static_folder = str(static)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    report = response.get_json()
    assert report["status"] == "error"
    assert report["assets"]["missing"] == ["vendor/htmx.min.js", "vendor/fonts/BIZUDPGothic-Regular.ttf",
                                           "vendor/fonts/BIZUDPGothic-Bold.ttf"]
    assert report["problems"] == ["assets: missing static/vendor/htmx.min.js, static/vendor/fonts/"
                                  "BIZUDPGothic-Regular.ttf, static/vendor/fonts/BIZUDPGothic-Bold.ttf (make vendor)"]


def test_a_missing_or_broken_compiled_catalog_is_503_naming_the_locale(tmp_path):
    translations = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", translations)
    (translations / "en" / "LC_MESSAGES" / "messages.mo").unlink()
    (translations / "ko" / "LC_MESSAGES" / "messages.mo").write_text("msgid \"\"\n")  # a .po saved as .mo
    app = create_app(make_config(tmp_path, TRANSLATIONS_DIR=str(translations)))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    report = response.get_json()
    assert report["translations"]["missing"] == ["en", "ko (not a compiled catalog)"]
    assert report["problems"] == [f"translations: no compiled catalog for en, ko (not a compiled catalog) in "
                                  f"{translations} (make translations, or pybabel compile)"]


@pytest.fixture(scope="module")
def cups():
    if not cups_available():
        pytest.fail(f"cupsd/lpadmin not found: the printer checks need the Debian packages {DEBIAN_PACKAGES}",
                    pytrace=False)
    with PrivateCups() as server:
        yield server


def add_kiosk(app, name: str, queue: str) -> None:
    db = connect(app.config["DATABASE"])
    db.table("devices").insert({"name": name, "kind": "kiosk", "printer_queue": queue, "paper": "a4",
                                "created_at": "2026-12-01T00:00:00+00:00"})
    db.conn.close()


def test_printer_queues_of_kiosks_are_checked(app, cups, tmp_path, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cups.env["CUPS_SERVER"])
    cups.add_pdf_queue("counterq", tmp_path / "out.pdf")
    add_kiosk(app, "窓口のキオスク", "counterq")
    client = app.test_client()
    healthy = client.get("/healthz")
    assert healthy.status_code == 200, healthy.get_json()["problems"]
    assert healthy.get_json()["printers"] == {"ok": True, "queues": {"counterq": "ready"}, "checked": True}

    add_kiosk(app, "2階のキオスク", "upstairsq")  # a queue CUPS does not have
    cups.disable("counterq")  # paper out
    failing = client.get("/healthz")
    assert failing.status_code == 503
    report = failing.get_json()
    assert report["printers"]["queues"] == {"counterq": "disabled", "upstairsq": "missing"}
    assert report["problems"] == ["printers: counterq disabled, upstairsq missing"]


def test_no_cups_at_all_says_so(app, monkeypatch, tmp_path):
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-such-socket"))
    add_kiosk(app, "窓口のキオスク", "counterq")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["printers"]["queues"] == {"counterq": "no-cups"}
