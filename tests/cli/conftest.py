"""What the `kiosk` command tests share: a private instance in the environment, and a runner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from tests.conftest import CONTENT


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {"KIOSK_DATABASE": str(tmp_path / "cli.db"), "KIOSK_CONTENT_DIR": str(CONTENT),
              "KIOSK_SECRET_KEY": "cli-test", "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)
