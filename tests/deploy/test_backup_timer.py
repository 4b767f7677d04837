"""The nightly backup: deploy/kiosk-backup.service and .timer pass `systemd-analyze verify`, the
service's own command line makes a checked, time-stamped backup, and --keep deletes only the
oldest time-stamped copies."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.migrations import prune_backups, timestamped
from tests.conftest import CONTENT, ROOT

SERVICE = ROOT / "deploy" / "kiosk-backup.service"
TIMER = ROOT / "deploy" / "kiosk-backup.timer"
INSTALLED_KIOSK = "/opt/tetsuzuki-kiosk/venv/bin/kiosk"
KIOSK = Path(sys.executable).parent / "kiosk"


def setting(text: str, name: str) -> list[str]:
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{name}=")]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian: systemd)")
def test_the_backup_units_verify_without_a_warning(tmp_path):
    (tmp_path / SERVICE.name).write_text(SERVICE.read_text(encoding="utf-8").replace(INSTALLED_KIOSK, str(KIOSK)),
                                         encoding="utf-8")
    shutil.copy(TIMER, tmp_path / TIMER.name)
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr
    timer = TIMER.read_text(encoding="utf-8")
    assert setting(timer, "Unit") == [SERVICE.name] and setting(timer, "Persistent") == ["yes"]
    calendar = subprocess.run(["systemd-analyze", "calendar", setting(timer, "OnCalendar")[0]],
                              capture_output=True, text=True, timeout=30)
    assert calendar.returncode == 0 and "02:30:00" in calendar.stdout


def test_the_service_command_makes_a_checked_time_stamped_backup(tmp_path):
    service = SERVICE.read_text(encoding="utf-8")
    assert setting(service, "Type") == ["oneshot"] and setting(service, "User") == ["kiosk"]
    instance, backups = tmp_path / "instance", tmp_path / "backups"
    backups.mkdir()
    command = shlex.split(setting(service, "ExecStart")[0])
    assert command[0] == INSTALLED_KIOSK
    command = [str(KIOSK), *(arg.replace("/var/backups/tetsuzuki-kiosk", str(backups)) for arg in command[1:])]
    environ = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_CONTENT_DIR": str(CONTENT)}
    environ.pop("KIOSK_DATABASE", None)
    assert subprocess.run([str(KIOSK), "db", "migrate"], env=environ, capture_output=True).returncode == 0
    done = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    made = sorted(backups.iterdir())
    assert len(made) == 1 and made[0].name.startswith("kiosk-") and made[0].suffix == ".db"
    assert "integrity ok" in done.stdout
    conn = sqlite3.connect(made[0])
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    conn.close()


def test_keep_deletes_only_the_oldest_time_stamped_backups(tmp_path):
    start = dt.datetime(2026, 11, 1, 2, 30, tzinfo=dt.UTC)
    names = [timestamped(str(tmp_path / "kiosk.db"), start + dt.timedelta(days=day)) for day in range(5)]
    for name in names:
        name.write_bytes(b"x")
    others = [tmp_path / "kiosk.db", tmp_path / "kiosk-manual.db", tmp_path / "other-20261101T023000Z.db"]
    for other in others:
        other.write_bytes(b"y")
    removed = prune_backups(names[-1], keep=2)
    assert removed == names[:3]
    assert sorted(tmp_path.iterdir()) == sorted([*names[3:], *others])


def test_keep_needs_timestamp(tmp_path):
    result = CliRunner().invoke(main, ["db", "backup", "--keep", "3", str(tmp_path / "b.db")])
    assert result.exit_code == 2 and "--keep" in result.output and "only with --timestamp" in result.output
