"""`kiosk init PATH`: an instance folder with an editable copy of the content, which the app then
reads; a second init changes nothing."""

from __future__ import annotations

from click.testing import CliRunner

from kiosk import create_app
from kiosk.catalog import get_catalog
from kiosk.cli import main
from tests.conftest import CONTENT


def test_init_makes_an_instance_whose_content_the_app_reads(tmp_path, monkeypatch):
    for name in ("KIOSK_INSTANCE_PATH", "KIOSK_DATABASE", "KIOSK_CONTENT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KIOSK_SESSION_PURGE_SECONDS", "0")
    instance = tmp_path / "ward"
    result = CliRunner().invoke(main, ["init", str(instance)])
    assert result.exit_code == 0, result.output
    assert f"KIOSK_INSTANCE_PATH={instance}" in result.output
    assert (instance / "kiosk.db").is_file() and (instance / "secret_key").is_file()
    copied = instance / "content" / "procedures" / "dog-registration.yaml"
    assert copied.read_bytes() == (CONTENT / "procedures" / "dog-registration.yaml").read_bytes()

    # The ward edits its copy; an app on that instance (no CONTENT_DIR given) reads the edit.
    copied.write_text(copied.read_text(encoding="utf-8").replace("title: 犬の登録", "title: 犬の登録（北区）", 1),
                      encoding="utf-8")
    app = create_app({"INSTANCE_PATH": str(instance), "SESSION_PURGE_SECONDS": 0})
    assert app.config["CONTENT_DIR"] == str(instance / "content")
    with app.app_context():
        assert get_catalog().procedures["dog-registration"].title == "犬の登録（北区）"

    again = CliRunner().invoke(main, ["init", str(instance)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert "犬の登録（北区）" in copied.read_text(encoding="utf-8")  # the ward's edit is kept


def test_an_explicit_content_dir_wins_over_the_instance_copy(tmp_path):
    (tmp_path / "instance" / "content").mkdir(parents=True)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "CONTENT_DIR": str(CONTENT),
                      "DATABASE": str(tmp_path / "k.db"), "SESSION_PURGE_SECONDS": 0})
    assert app.config["CONTENT_DIR"] == str(CONTENT)
