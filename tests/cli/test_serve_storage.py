"""`kiosk serve` refuses to start on a database it cannot write: one line naming the file and the
problem, exit code 1 (a read-only file used to start and fail every resident's first tap)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import create_app
from tests.conftest import CONTENT
from tests.disks import fill, read_only_file, remount, small_disk

KIOSK = Path(sys.executable).parent / "kiosk"


@pytest.fixture
def environ(tmp_path, monkeypatch) -> dict[str, str]:
    for name in [name for name in os.environ if name.startswith("KIOSK_")]:
        monkeypatch.delenv(name)
    return {**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"),
            "KIOSK_DATABASE": str(tmp_path / "disk" / "kiosk.db"), "KIOSK_CONTENT_DIR": str(CONTENT),
            "KIOSK_SECRET_KEY": "cli-test"}


@pytest.mark.parametrize(("broken", "words"), [
    ("read-only file", "is read-only (attempt to write a readonly database [SQLITE_READONLY]"),
    ("read-only filesystem", "is read-only (unable to open database file [SQLITE_CANTOPEN]; "
                             "the filesystem is mounted read-only)"),
    ("full disk", "is full ("),
])
def test_kiosk_serve_refuses_a_database_it_cannot_write(environ, tmp_path, broken, words):
    database = environ["KIOSK_DATABASE"]
    with small_disk(tmp_path / "disk") as disk:
        create_app({"DATABASE": database, "CONTENT_DIR": str(CONTENT), "SECRET_KEY": "x",
                    "INSTANCE_PATH": str(tmp_path / "instance")})  # a good database, migrated
        with contextlib.ExitStack() as undo:
            if broken == "read-only file":
                undo.enter_context(read_only_file(disk / "kiosk.db"))
            elif broken == "read-only filesystem":
                remount(disk, "ro")
                undo.callback(remount, disk, "rw")
            else:
                undo.callback(fill(disk).unlink)
            # If it started, it would serve until the timeout: the test fails then too.
            served = subprocess.run([str(KIOSK), "serve", "--port", "0"], env=environ, capture_output=True,
                                    text=True, timeout=60)
        assert served.returncode == 1, served.stdout + served.stderr
        assert served.stdout == ""
        [line] = served.stderr.splitlines()
        subject = f"the disk holding the database {database}" if broken == "full disk" else f"database {database}"
        assert line.startswith(f"Error: the kiosk did not start. The {subject.removeprefix('the ')} "), line
        assert words in line, line
        assert "Traceback" not in served.stderr
