"""Bad KIOSK_* values stop every command with one line and exit code 2; `--version`; `python -m kiosk`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import kiosk
from kiosk.cli import main
from tests.conftest import CONTENT

KIOSK = Path(sys.executable).parent / "kiosk"


@pytest.fixture
def environ(tmp_path, monkeypatch) -> dict[str, str]:
    """The environment for a run: the developer's KIOSK_* variables left out, everything in tmp_path."""
    for name in [name for name in os.environ if name.startswith("KIOSK_")]:
        monkeypatch.delenv(name)
    values = {"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "KIOSK_DATABASE": str(tmp_path / "cli.db"),
              "KIOSK_CONTENT_DIR": str(CONTENT), "KIOSK_SECRET_KEY": "cli-test"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


def test_kiosk_serve_with_a_bad_port_says_so_in_one_line(environ, tmp_path):
    served = subprocess.run([str(KIOSK), "serve"], env={**environ, "KIOSK_PORT": "abc"}, capture_output=True,
                            text=True, timeout=60)
    assert served.returncode == 2
    assert served.stderr == "Error: KIOSK_PORT: 'abc' is not a valid integer\n"
    assert "Traceback" not in served.stdout + served.stderr
    assert not (tmp_path / "instance").exists()  # stopped before making anything


def test_a_bad_boolean_names_its_variable_for_every_command(environ):
    for command in (["db", "status"], ["content", "check"], ["serve"], ["user", "list"]):
        result = CliRunner().invoke(main, command, env={"KIOSK_SECURE_COOKIES": "maybe"})
        assert result.exit_code == 2, command
        assert result.stderr.startswith("Error: KIOSK_SECURE_COOKIES: 'maybe' is not a boolean"), command
        assert result.exception is None or isinstance(result.exception, SystemExit), command


def test_every_bad_value_gets_its_own_line(environ):
    result = CliRunner().invoke(main, ["db", "status"], env={"KIOSK_PORT": "0", "KIOSK_TIMEZONE": "Tokyo"})
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: KIOSK_PORT: '0' is out of range (expected 1 to 65535)",
        "Error: KIOSK_TIMEZONE: 'Tokyo' is not a time zone name (expected an IANA name such as Asia/Tokyo)"]


def test_help_still_works_with_a_bad_setting_and_says_what_is_wrong(environ):
    result = CliRunner().invoke(main, ["--help"], env={"KIOSK_PORT": "abc"})
    assert result.exit_code == 0
    assert "Usage:" in result.stdout and "serve" in result.stdout
    assert "KIOSK_PORT: 'abc' is not a valid integer" in result.stderr
    assert "Traceback" not in result.output


def test_version_from_the_script_and_from_python_m(environ):
    expected = f"kiosk {kiosk.__version__}\n"
    assert kiosk.__version__ != "0.0.0+unknown"  # the package is installed: the version is pyproject's
    for command in ([str(KIOSK), "--version"], [sys.executable, "-m", "kiosk", "--version"]):
        result = subprocess.run(command, env={**environ, "KIOSK_PORT": "abc"}, capture_output=True, text=True,
                                timeout=60)
        assert (result.returncode, result.stdout, result.stderr) == (0, expected, ""), command


def test_python_m_kiosk_runs_the_same_commands(environ):
    checked = subprocess.run([sys.executable, "-m", "kiosk", "content", "check"], env=environ, capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr
    assert "OK: 35 procedures" in checked.stdout
    refused = subprocess.run([sys.executable, "-m", "kiosk", "db", "status"],
                             env={**environ, "KIOSK_HANDOFF_DAYS": "0"}, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr == "Error: KIOSK_HANDOFF_DAYS: '0' is out of range (expected at least 1)\n"
