"""The systemd unit passes `systemd-analyze verify` with no warning and keeps its sandboxing; the
Containerfile is read for what it must hold (no podman, buildah or docker daemon runs on the
test machines, so it is not built here)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

UNIT = ROOT / "deploy" / "kiosk.service"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
INSTALLED_KIOSK = "/opt/tetsuzuki-kiosk/venv/bin/kiosk"


def unit_settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"^(\w+)=(.*)$", line)
        if match:
            settings.setdefault(match.group(1), []).append(match.group(2))
    return settings


NEEDS_ANALYZE = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                   reason="systemd-analyze is not installed (Debian: systemd)")


@NEEDS_ANALYZE
def test_the_unit_verifies_without_a_warning(tmp_path):
    # verify checks that ExecStart exists: point it at this checkout's kiosk, as install.sh would have one.
    unit = tmp_path / "kiosk.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED_KIOSK, str(ROOT / ".venv" / "bin" / "kiosk")),
                    encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


@NEEDS_ANALYZE
def test_systemd_analyze_would_catch_a_mistake(tmp_path):
    unit = tmp_path / "kiosk.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSistem=strict")
                    .replace(INSTALLED_KIOSK, str(ROOT / ".venv" / "bin" / "kiosk")), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert "ProtectSistem" in result.stdout + result.stderr


def test_the_unit_is_sandboxed_and_writes_only_its_instance_folder():
    settings = unit_settings(UNIT.read_text(encoding="utf-8"))
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes",
                       "CapabilityBoundingSet": "", "User": "kiosk"}.items():
        assert settings.get(key) == [value], key
    assert settings["ReadWritePaths"] == ["/var/lib/tetsuzuki-kiosk"]
    assert "KIOSK_INSTANCE_PATH=/var/lib/tetsuzuki-kiosk" in settings["Environment"]
    assert settings["ExecStart"] == [f"{INSTALLED_KIOSK} serve"]


def test_the_containerfile_is_debian_12_installs_offline_and_keeps_no_secret_in_the_image():
    text = CONTAINERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM \S*debian:12", text, re.M)
    assert "--no-index --find-links /tmp/wheels" in text
    assert re.search(r"^USER kiosk$", text, re.M) and "VOLUME /var/lib/tetsuzuki-kiosk" in text
    # kiosk init (secret key, database) runs when a container starts, never while the image is built.
    build_steps = [line for line in text.splitlines() if line.startswith("RUN") or line.startswith(" &&")]
    assert not any("kiosk init" in line for line in build_steps)
    assert "kiosk init" in next(line for line in text.splitlines() if line.startswith("CMD"))

