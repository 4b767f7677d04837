"""The restore drill: `kiosk db backup` while the data changes, `kiosk db restore`, and the app serves
exactly what the backup held; damaged, foreign and newer backups are refused with the live database
left as it was."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk import create_app
from kiosk.cli import main
from kiosk.db import connect
from tests.conftest import CONTENT, SAMPLE_LEDGER, StaffClient, add_sites_and_staff

# Kept as they were restored: everything a ward would miss (not the restore's own bookkeeping).
COMPARED_TABLES = ("sites", "devices", "users", "ledger_entries", "consultations", "consultation_topics",
                   "consultation_stats", "audit_log", "handoffs", "handoff_notes")


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {"KIOSK_DATABASE": str(tmp_path / "live.db"), "KIOSK_CONTENT_DIR": str(CONTENT),
              "KIOSK_SECRET_KEY": "drill", "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"),
              "KIOSK_SESSION_PURGE_SECONDS": "0"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def fingerprint(path: str | Path) -> dict[str, str]:
    db = connect(str(path))
    try:
        return {table: hashlib.sha256(repr(list(db.execute(f"select * from {table} order by rowid"))).encode())
                .hexdigest() for table in COMPARED_TABLES}
    finally:
        db.conn.close()


def add_consultation(db, minutes: int) -> None:
    from kiosk.consultations.form import ParsedForm
    from kiosk.consultations.store import record_consultation

    values = {"site_id": 1, "started_at": "2026-11-02T01:00:00+00:00", "minutes": minutes, "channel": "counter",
              "age_band": "75-84", "first_visit": 1, "language": "ja", "accessibility": "",
              "device_used": "none", "outcome": "completed-online-assisted", "reason": None, "follow_up": 0,
              "satisfaction": 5, "note": None}
    record_consultation(db, 1, ParsedForm(values=values, topics=["residence-certificate"]))


def test_backup_then_restore_brings_back_exactly_the_backup_and_it_serves(env, tmp_path):
    live = env["KIOSK_DATABASE"]
    assert run("ledger", "import", str(SAMPLE_LEDGER)).exit_code == 0
    db = connect(live)
    add_sites_and_staff(db)
    add_consultation(db, 20)
    db.conn.close()
    backup = tmp_path / "nightly.db"
    assert run("db", "backup", str(backup)).exit_code == 0
    at_backup = fingerprint(live)

    # the day goes on: a consultation, a new account, a ledger row gone
    db = connect(live)
    add_consultation(db, 45)
    db.execute("delete from ledger_entries where rowid = (select min(rowid) from ledger_entries)")
    db.conn.commit()
    db.conn.close()
    after_backup = fingerprint(live)
    assert after_backup != at_backup

    result = run("db", "restore", "--yes", str(backup))
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    assert fingerprint(live) == at_backup
    kept = [path for path in tmp_path.iterdir() if path.name.startswith("live.db.before-restore-")]
    assert len(kept) == 1 and fingerprint(kept[0]) == after_backup  # the day's work is not lost either

    app = create_app({"TESTING": True})
    assert app.test_client().get("/healthz").status_code == 200
    staff = StaffClient(app)
    assert staff.login("coordinator").status_code == 303
    assert staff.get("/stats/?period=fy&fy=2026").status_code == 200


def test_restore_asks_first_and_does_nothing_when_told_no(env, tmp_path, sample_backup):
    shutil.copyfile(sample_backup[0], env["KIOSK_DATABASE"])
    backup = tmp_path / "b.db"
    shutil.copyfile(sample_backup[1], backup)
    result = CliRunner().invoke(main, ["db", "restore", str(backup)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert not [path for path in tmp_path.iterdir() if ".before-restore-" in path.name]


def _corrupt(path: Path) -> None:
    """Overwrite a table's pages in the middle of the file: the header still says SQLite."""
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    for offset in range(2 * page, len(data) - page, page * 3):
        data[offset + 8:offset + 400] = b"\xa5" * 392
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("create table notes (text)")
    conn.commit()
    conn.close()


def _newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('kiosk', '9999_future', '')")
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def sample_backup(tmp_path_factory) -> tuple[Path, Path]:
    """A database with the sample ledger and its backup, made once (copied by each test)."""
    from kiosk.catalog.ledger import import_ledger_file
    from kiosk.db import backup
    from kiosk.migrations import migrate

    folder = tmp_path_factory.mktemp("sample")
    db = connect(str(folder / "live.db"))
    migrate(db)
    import_ledger_file(db, SAMPLE_LEDGER)
    backup(db, folder / "backup.db")
    db.conn.execute("pragma wal_checkpoint(truncate)")
    db.conn.close()
    return folder / "live.db", folder / "backup.db"


@pytest.mark.parametrize(("spoil", "message"), [
    (_corrupt, "failed its integrity check"),
    (lambda path: path.write_text("name,department\n住民票,区民課\n", encoding="utf-8"), "is not an SQLite database"),
    (lambda path: (path.unlink(), _foreign(path)), "is not a kiosk database"),
    (_newer, "was made by a newer version of the kiosk (unknown migrations 9999_future)"),
    (lambda path: path.unlink(), "no such file"),
])
def test_a_bad_backup_is_refused_in_one_line_and_the_live_database_is_untouched(env, tmp_path, sample_backup,
                                                                                 spoil, message):
    live = env["KIOSK_DATABASE"]
    shutil.copyfile(sample_backup[0], live)
    backup = tmp_path / "backup.db"
    shutil.copyfile(sample_backup[1], backup)
    before = fingerprint(live)
    spoil(backup)
    result = run("db", "restore", "--yes", str(backup))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {backup}: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fingerprint(live) == before
    assert not [path for path in tmp_path.iterdir() if ".before-restore-" in path.name]
