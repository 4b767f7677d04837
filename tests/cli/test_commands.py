"""The `kiosk` command, through click's runner and as the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlite_utils
import yaml
from click.testing import CliRunner

from kiosk import migrations as kiosk_migrations
from kiosk.cli import main
from tests.cli.conftest import run
from tests.conftest import CONTENT, SAMPLE_LEDGER

KIOSK = Path(sys.executable).parent / "kiosk"




def test_db_migrate_twice_is_a_no_op_and_status_says_so(env):
    first = run("db", "migrate")
    steps = kiosk_migrations.migrations.pending(sqlite_utils.Database(memory=True))
    assert first.exit_code == 0 and f"Applied {len(steps)} migration(s)" in first.output
    second = run("db", "migrate")
    assert "Applied 0 migration(s)" in second.output
    status = run("db", "status")
    assert "journal mode wal" in status.output and "Up to date." in status.output


def test_db_backup_copies_a_consistent_database(env, tmp_path):
    run("db", "migrate")
    run("ledger", "import", str(SAMPLE_LEDGER))
    target = tmp_path / "backup.db"
    result = run("db", "backup", str(target))
    assert result.exit_code == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("select count(*) from ledger_entries").fetchone()[0] > 190
        assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_content_check_passes_on_shipped_content(env):
    result = run("content", "check")
    assert result.exit_code == 0
    assert "OK: 35 procedures" in result.output


def test_content_check_names_file_and_key_path_on_broken_copy(env, tmp_path):
    broken = tmp_path / "content"
    shutil.copytree(CONTENT, broken)
    path = broken / "procedures" / "bulky-waste.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["channels"][1]["steps"][0]["title"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["content", "check", str(broken)])
    assert result.exit_code == 1
    assert "procedures/bulky-waste.yaml: channels[1].steps[0].title: missing" in result.output
    assert "1 problem(s) found." in result.output


def test_content_reload_bumps_the_generation(env):
    run("db", "migrate")
    result = run("content", "reload")
    assert result.exit_code == 0 and "Reload requested: 35 procedures" in result.output
    with sqlite3.connect(env["KIOSK_DATABASE"]) as db:
        assert db.execute("select value from settings where name = 'content_generation'").fetchone()


def test_ledger_import_reports_bad_lines_and_exits_2(env, tmp_path):
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("手続名,所管課,見直し結果,オンライン化,見直し日\n"
                        "住民票,戸籍住民課,廃止,済,2021-04-01\n"
                        ",戸籍住民課,廃止,済,2021-04-01\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ledger", "import", str(csv_file)])
    assert result.exit_code == 2
    assert f"{csv_file}: line 3: 手続名 is empty" in result.output
    assert "1 added, 0 updated, 0 unchanged, 1 skipped" in result.output


def test_ledger_import_rejects_a_file_without_required_columns(env, tmp_path):
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("name,dept\nfoo,bar\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ledger", "import", str(csv_file)])
    assert result.exit_code == 1
    assert "missing column(s) 手続名, 所管課, 見直し結果, オンライン化" in result.output
    assert "Nothing was imported." in result.output


def test_demo_ledger_then_import_then_reimport(env, tmp_path):
    target = tmp_path / "synthetic.csv"
    assert run("demo", "ledger", "--rows", "500", "--encoding", "cp932", "--output", str(target)).exit_code == 0
    first = run("ledger", "import", str(target))
    assert "CP932" in first.output and "500 added" in first.output
    second = run("ledger", "import", str(target))
    assert "0 added, 0 updated, 500 unchanged, 0 skipped" in second.output


def test_demo_load_is_idempotent_and_prints_passwords(env):
    first = run("demo", "load")
    assert "created 2 demo sites" in first.output
    assert "imported the sample ledger" in first.output
    passwords = [line.split()[-1] for line in first.output.splitlines() if line.startswith("  admin ")]
    assert len(passwords) == 1 and len(passwords[0]) == 14
    second = run("demo", "load")
    assert "created" not in second.output and "imported" not in second.output
    assert passwords[0] in second.output  # still shown, from the instance folder
    with sqlite3.connect(env["KIOSK_DATABASE"]) as db:
        assert db.execute("select count(*) from users").fetchone()[0] == 4
        assert db.execute("select role, department from users where username = 'reviewer'").fetchone() == (
            "reviewer", "戸籍住民課")
        hashes = [row[0] for row in db.execute("select password_hash from users")]
    assert all(h.startswith("scrypt:") for h in hashes)


def test_console_script_exit_codes(tmp_path):
    """The installed `kiosk` script, as ward IT would run it."""
    broken = tmp_path / "content"
    shutil.copytree(CONTENT, broken)
    (broken / "procedures" / "moving-in.yaml").write_text("id: moving-in\n", encoding="utf-8")
    environ = {**os.environ, "KIOSK_DATABASE": str(tmp_path / "x.db"), "KIOSK_CONTENT_DIR": str(broken),
               "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")}
    result = subprocess.run([str(KIOSK), "content", "check"], env=environ, capture_output=True, text=True)
    assert result.returncode == 1
    assert "procedures/moving-in.yaml: title: missing" in result.stderr
    served = subprocess.run([str(KIOSK), "serve", "--port", "0"], env=environ, capture_output=True,
                            text=True, timeout=60)
    assert served.returncode == 1
    assert "procedures/moving-in.yaml: title: missing" in served.stderr
    assert "The kiosk did not start" in served.stderr


def test_kiosk_ask_json_from_standard_input(env):
    run("demo", "load")
    result = CliRunner().invoke(main, ["ask", "--json"], input="住民票\nラーメン\n\nじゅうみんひょう\n")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["query"] for line in lines] == ["住民票", "ラーメン", "じゅうみんひょう"]
    assert lines[0]["action"] == "procedure" and lines[0]["id"] == "residence-certificate"
    assert lines[0]["confident"] and lines[0]["matches"][0]["id"] == "residence-certificate"
    assert lines[1]["action"] == "nothing" and not lines[1]["confident"] and lines[1]["candidates"] == []
    assert all(set(m) == {"id", "kind", "score"} for line in lines for m in line["matches"])


def test_kiosk_ask_lang_runs_the_kiosk_search_for_that_screen(env):
    """What a resident on the Korean screen, or typing Korean on the Japanese one, gets."""
    run("demo", "load")
    queries = "주민표를 발급받고 싶어요\n父が亡くなった\nパスポートを申請したい\n"
    on_japanese = [json.loads(line) for line in CliRunner().invoke(
        main, ["ask", "--lang", "ja", "--json"], input=queries).output.splitlines()]
    assert on_japanese[0]["language"] == "ko" and on_japanese[0]["screen_language"] == "ja"
    assert (on_japanese[0]["action"], on_japanese[0]["id"]) == ("procedure", "residence-certificate")
    assert (on_japanese[1]["action"], on_japanese[1]["id"]) == ("event", "death-in-family")
    assert (on_japanese[2]["action"], on_japanese[2]["id"]) == ("elsewhere", "passport")
    on_korean = json.loads(CliRunner().invoke(main, ["ask", "--lang", "ko", "--json", "주민표"]).output)
    assert on_korean["language"] == on_korean["screen_language"] == "ko"


def test_kiosk_ask_plain_and_bad_language(env):
    result = run("ask", "粗大ごみ")
    assert result.output.splitlines()[0] == "粗大ごみ: procedure (typed in ja)"
    assert "bulky-waste" in result.output.splitlines()[1]
    bad = CliRunner().invoke(main, ["ask", "--lang", "xx", "住民票"])
    assert bad.exit_code == 2 and "--lang" in bad.output


def test_device_enrollment_link(env):
    run("demo", "load")
    listed = run("device", "list")
    assert "北出張所 キオスク1" in listed.output and "not enrolled" in listed.output
    link = run("device", "enroll-link", "1", "--base-url", "http://kiosk.local:8000/")
    assert link.exit_code == 0
    assert link.output.startswith("http://kiosk.local:8000/enroll/")
    missing = CliRunner().invoke(main, ["device", "enroll-link", "99"])
    assert missing.exit_code == 1 and "No active device with id 99" in missing.output


def test_user_commands(env):
    added = run("user", "add", "tanaka", "--role", "coordinator", "--name", "田中")
    assert added.exit_code == 0
    password = added.output.strip().rsplit(" ", 1)[1]
    assert len(password) == 14
    assert "tanaka\tcoordinator\t田中\t-\tactive" in run("user", "list").output
    again = CliRunner().invoke(main, ["user", "add", "tanaka", "--role", "admin"])
    assert again.exit_code == 1 and "taken" in again.output
    reset = run("user", "reset-password", "tanaka")
    assert reset.exit_code == 0 and password not in reset.output
    assert "disabled" in run("user", "disable", "tanaka").output
    assert "tanaka\tcoordinator\t田中\t-\tdisabled" in run("user", "list").output
    missing = CliRunner().invoke(main, ["user", "disable", "nobody"])
    assert missing.exit_code == 1 and "No user 'nobody'" in missing.output
    bad_role = CliRunner().invoke(main, ["user", "add", "x", "--role", "king"])
    assert bad_role.exit_code == 2


def test_export_commands(env, tmp_path):
    run("demo", "load")
    for args, check in ((["consultations"], lambda b: b.startswith("\ufeff番号,開始時刻,".encode())),
                        (["consultations", "--codes"], lambda b: b.startswith("\ufeffid,started_at,".encode())),
                        (["table", "age_band", "--encoding", "cp932"],
                         lambda b: b.decode("cp932").startswith("コード,年代,件数\r\n")),
                        (["table", "age_band", "--codes"], lambda b: b.decode("utf-8-sig").startswith("code,")),
                        (["xlsx"], lambda b: b.startswith(b"PK")),
                        (["report", "--month", "2026-11"], lambda b: b.startswith(b"%PDF"))):
        target = tmp_path / ("out-" + "-".join(args))
        result = run("export", *args, "--output", str(target))
        assert result.exit_code == 0, result.output
        assert check(target.read_bytes()), args
    bad = CliRunner().invoke(main, ["export", "table", "nope", "--output", str(tmp_path / "x")])
    assert bad.exit_code == 2
    with sqlite3.connect(env["KIOSK_DATABASE"]) as db:
        assert db.execute("select count(*) from audit_log where action = 'export'").fetchone()[0] == 6
