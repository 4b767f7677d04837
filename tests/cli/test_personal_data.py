"""`kiosk user add` and `set-department` refuse a 個人番号 in any field, create nothing, and never
repeat the number."""

from __future__ import annotations

import sqlite_utils
from click.testing import CliRunner

from kiosk.cli import main
from tests.cli.conftest import run

TYPED = "１２３４ ５６７８ ９０１８"


def usernames(settings: dict) -> list[str]:
    return [row["username"] for row in sqlite_utils.Database(settings["KIOSK_DATABASE"]).query(
        "select username from users")]


def test_user_add_refuses_it_in_every_field_and_creates_nothing(env):
    for args in (["user", "add", "tanaka", "--role", "supporter", "--name", f"田中 {TYPED}"],
                 ["user", "add", "123456789018", "--role", "supporter"],
                 ["user", "add", "suzuki", "--role", "reviewer", "--department", f"戸籍住民課 {TYPED}"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, args
        assert "個人番号" in result.stderr and TYPED not in result.output + result.stderr
        assert "123456789018" not in result.stderr
    assert usernames(env) == []


def test_set_department_refuses_it(env):
    assert run("user", "add", "suzuki", "--role", "reviewer", "--department", "戸籍住民課").exit_code == 0
    result = CliRunner().invoke(main, ["user", "set-department", "suzuki", f"戸籍住民課 {TYPED}"])
    assert result.exit_code == 1 and "個人番号" in result.stderr and TYPED not in result.stderr
    department = sqlite_utils.Database(env["KIOSK_DATABASE"]).execute(
        "select department from users where username = 'suzuki'").fetchone()[0]
    assert department == "戸籍住民課"
