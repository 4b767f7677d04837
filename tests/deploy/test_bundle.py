"""The offline bundle: `scripts/make_bundle.py` (what `make bundle` runs) writes the folder, its
install script installs it into a fresh virtualenv with no network, and the installed kiosk, run
from outside the checkout, serves the start page in two languages, htmx and a sound /healthz from
the wheel's own files. Takes about two minutes (building and installing ~55 wheels)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.bundle


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, language: str = "ja") -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def without_network() -> list[str]:
    """A new network namespace (no interface but a down loopback) when this user may make one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def clean_environment(tmp_path: Path) -> dict:
    """No KIOSK_* setting, no path into the checkout, pip without the machine's configuration, and
    any proxied connection going nowhere."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("KIOSK_", "PIP_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_NO_COMPILE="1", HOME=str(tmp_path),
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="")
    return env


def test_the_bundle_installs_with_no_network_and_serves_the_start_page(tmp_path):
    build = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_bundle.py"), str(tmp_path / "dist"),
                            "--no-archive"], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    [bundle] = (tmp_path / "dist").iterdir()
    assert {"install.sh", "install.ps1", "README.txt", "constraints.txt", "kiosk.service", "Containerfile"} <= {
        path.name for path in bundle.iterdir()}

    env = clean_environment(tmp_path)
    target, instance = tmp_path / "opt", tmp_path / "data"
    install = subprocess.run([*without_network(), "sh", str(bundle / "install.sh"), str(target), str(instance)],
                             capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-3000:]
    python = target / "venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import kiosk; print(kiosk.__file__)"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, check=True).stdout.strip()
    assert where.startswith(str(target)), where  # the installed package, not the checkout
    assert (instance / "content" / "categories.yaml").is_file()  # kiosk init: the ward's own copy

    port = free_port()
    server = subprocess.Popen([str(target / "venv" / "bin" / "kiosk"), "serve", "--port", str(port)],
                              env={**env, "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_SESSION_PURGE_SECONDS": "0"},
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                status, page = get(base + "/")
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(server.stdout.read())
                time.sleep(0.1)
        else:
            pytest.fail("the installed kiosk did not start")
        assert status == 200 and '<script src="/static/vendor/htmx.min.js"' in page
        assert "<html lang=\"ja\"" in page
        _, english = get(base + "/", "en")
        assert "<html lang=\"en\"" in english and "Touch the screen to begin" in english  # a compiled catalog
        status, htmx = get(base + "/static/vendor/htmx.min.js")
        assert status == 200 and "htmx" in htmx[:2000]
        health = json.loads(get(base + "/healthz")[1])
        assert health["status"] == "ok" and health["content"]["procedures"] >= 35
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert f"content {instance / 'content'}" in output  # served the instance's content, not the package's
