"""Hostile files through the `kiosk` command: one clear line naming the file and line, a non-zero
exit, and nothing stored or overwritten."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from tests.cli.conftest import run
from tests.conftest import CONTENT, SAMPLE_LEDGER

HEADER = "管理番号,手続名,所管課,根拠規定,押印の種類,見直し結果,見直し日,オンライン化,備考,手続ID\n"
GOOD_ROW = "A-1,犬の登録,生活衛生課,狂犬病予防法,認印,廃止,2021-04-01,未,,\n"




def ledger_rows(env) -> int:
    with sqlite3.connect(env["KIOSK_DATABASE"]) as db:
        return db.execute("select count(*) from ledger_entries").fetchone()[0]


# --- kiosk ledger import -------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "reason"), [
    (",".join(f"c{index}" for index in range(100_000)) + "\n" + GOOD_ROW,
     "line 1: the header has 100,000 columns; a ledger may have at most 200"),
    (HEADER + f'A-2,犬の登録,生活衛生課,,,廃止,2021-04-01,未,"{"x" * 20 * 1024 * 1024}",\n',
     "line 2: the cell in column 9 (備考) is longer than 10,000 characters"),
    (HEADER + GOOD_ROW + "A-2,犬\x00の登録,生活衛生課,,,廃止,2021-04-01,未,,\n", "line 3: contains a NUL byte"),
], ids=["100000-columns", "20-MB-cell", "NUL"])
def test_ledger_import_refuses_a_hostile_file_with_one_line(env, tmp_path, content, reason):
    path = tmp_path / "hostile.csv"
    path.write_bytes(content.encode())
    result = run("ledger", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{path}: {reason}", "Nothing was imported."]
    assert "Traceback" not in result.output
    assert ledger_rows(env) == 0


# --- kiosk content check -------------------------------------------------------------------------

def test_content_check_reports_a_file_with_a_nul_byte(env, tmp_path):
    broken = tmp_path / "content"
    shutil.copytree(CONTENT, broken)
    path = broken / "procedures" / "bulky-waste.yaml"
    lines = path.read_bytes().split(b"\n")
    lines[2] += b"\x00"
    path.write_bytes(b"\n".join(lines))
    result = CliRunner().invoke(main, ["content", "check", str(broken)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{path}: line 3: contains a NUL byte", "1 problem(s) found."]


# --- kiosk db backup -----------------------------------------------------------------------------

@pytest.fixture
def live(env) -> Path:
    assert run("ledger", "import", str(SAMPLE_LEDGER)).exit_code == 0
    return Path(env["KIOSK_DATABASE"])


def test_backup_reports_size_and_integrity_of_the_copy(live, tmp_path):
    target = tmp_path / "copy.db"
    result = run("db", "backup", str(target))
    assert result.exit_code == 0
    assert result.output.strip() == (f"Backed up {live} to {target} ({target.stat().st_size:,} bytes, "
                                     f"integrity ok)")
    with sqlite3.connect(target) as copy:
        assert copy.execute("select count(*) from ledger_entries").fetchone()[0] > 190
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".copy.db")) == []


def test_backup_to_a_missing_folder_is_one_line_and_exit_1(live, tmp_path):
    target = tmp_path / "no-such-folder" / "copy.db"
    result = run("db", "backup", str(target))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {target}: the folder {target.parent} does not exist"]
    assert not target.parent.exists()


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink", "wal", "shm"])
def test_backup_never_writes_onto_the_live_database(live, tmp_path, spelling, env):
    rows_before = ledger_rows(env)
    if spelling == "same":
        target = live
    elif spelling == "dotted":
        target = live.parent / "." / ".." / live.parent.name / live.name
    elif spelling == "symlink":
        target = tmp_path / "link.db"
        target.symlink_to(live)
    elif spelling == "hardlink":
        target = tmp_path / "hard.db"
        os.link(live, target)
    else:
        target = Path(f"{live}-{spelling}")
    result = run("db", "backup", "--force", str(target))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {target}: is the live database (or its -wal/-shm file); choose another path"]
    assert ledger_rows(env) == rows_before
    with sqlite3.connect(live) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_backup_refuses_an_existing_file_unless_forced(live, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"last night's backup")
    result = run("db", "backup", str(target))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {target}: already exists; use --force to replace it"]
    assert target.read_bytes() == b"last night's backup"
    assert run("db", "backup", "--force", str(target)).exit_code == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_backup_to_a_folder_is_refused(live, tmp_path):
    result = run("db", "backup", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {tmp_path}: is a folder; give the backup's file name"]


def test_backup_of_a_missing_database_creates_nothing(env, tmp_path):
    target = tmp_path / "copy.db"
    result = run("db", "backup", str(target))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{env['KIOSK_DATABASE']}: the database does not exist; nothing to back up"]
    assert not target.exists() and not Path(env["KIOSK_DATABASE"]).exists()


def test_a_failed_backup_leaves_the_previous_one_and_no_half_file(live, tmp_path):
    """A damaged live database: the copy fails its check, and the previous backup stays as it was."""
    with sqlite3.connect(live) as db:
        db.execute("pragma wal_checkpoint(truncate)")
        page_size = db.execute("pragma page_size").fetchone()[0]
        pages = db.execute("pragma page_count").fetchone()[0]
    with live.open("r+b") as handle:  # scribble over the last pages: the ledger's rows, not the schema
        for page in range(pages // 2, pages):
            handle.seek(page * page_size + 8)
            handle.write(b"\xff" * 64)
    target = tmp_path / "copy.db"
    target.write_bytes(b"last night's backup")
    result = run("db", "backup", "--force", str(target))
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    # Which check refuses (opening the damaged file, or the copy's integrity check) depends on where the
    # scribbled pages fall: either way one line, and nothing written.
    assert line.startswith(("Error: " + str(target) + ": ", "Error: " + str(live) + ": ")), line
    assert line.endswith("nothing was written"), line
    assert target.read_bytes() == b"last night's backup"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy.db")] == []
