"""Content is cached in the app and replaced whole on reload; bad content never replaces good."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk import create_app
from kiosk.catalog import ContentError
from kiosk.cli import main
from tests.conftest import make_config
from tests.fixtures import soup, text_of

KIOSK = Path(sys.executable).parent / "kiosk"


def set_title(content: Path, procedure_id: str, title: str) -> None:
    path = content / "procedures" / f"{procedure_id}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [f"title: {title}" if line.startswith("title: ") else line for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def title_on_page(client, procedure_id: str) -> str:
    return text_of(soup(client.get(f"/procedures/{procedure_id}")).select_one("h1"))


def test_app_refuses_to_start_on_invalid_content(tmp_path, content_copy):
    (content_copy / "procedures" / "bulky-waste.yaml").write_text("id: bulky-waste\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        create_app(make_config(tmp_path, CONTENT_DIR=str(content_copy)))
    assert any("bulky-waste.yaml: title: missing" in str(p) for p in caught.value.problems)


def test_kiosk_content_reload_is_picked_up_by_a_running_app(tmp_path, content_copy, monkeypatch):
    app = create_app(make_config(tmp_path, CONTENT_DIR=str(content_copy), CONTENT_RELOAD_CHECK_SECONDS=0))
    client = app.test_client()
    assert title_on_page(client, "bulky-waste") == "粗大ごみの収集申込"
    set_title(content_copy, "bulky-waste", "粗大ごみの収集申込（改訂）")
    assert title_on_page(client, "bulky-waste") == "粗大ごみの収集申込"  # cached until asked

    monkeypatch.setenv("KIOSK_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("KIOSK_CONTENT_DIR", str(content_copy))
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    assert CliRunner().invoke(main, ["content", "reload"]).exit_code == 0
    assert title_on_page(client, "bulky-waste") == "粗大ごみの収集申込（改訂）"

    # Broken content: the command refuses, and the app keeps serving the last good content.
    (content_copy / "procedures" / "bulky-waste.yaml").write_text("id: bulky-waste\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["content", "reload"])
    assert result.exit_code == 1 and "Not reloaded" in result.output
    assert title_on_page(client, "bulky-waste") == "粗大ごみの収集申込（改訂）"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is POSIX only")
def test_sighup_reloads_a_running_server(tmp_path, content_copy):
    port = free_port()
    env = {**os.environ, "KIOSK_DATABASE": str(tmp_path / "s.db"), "KIOSK_CONTENT_DIR": str(content_copy),
           "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "KIOSK_PORT": str(port)}
    server = subprocess.Popen([str(KIOSK), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/procedures/dog-registration"
        for _ in range(100):
            try:
                page = fetch(url)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start")
        assert "<h1 class=\"k-heading-l\">犬の登録</h1>" in page
        set_title(content_copy, "dog-registration", "犬の登録（新しい題名）")
        server.send_signal(signal.SIGHUP)
        for _ in range(50):
            if "犬の登録（新しい題名）" in fetch(url):
                break
            time.sleep(0.1)
        else:
            pytest.fail("SIGHUP did not reload the content")
    finally:
        server.terminate()
        server.communicate(timeout=10)
