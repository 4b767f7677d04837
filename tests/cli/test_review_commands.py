"""The reviewer account from the command line, and the synthetic ledger with the review columns."""

from __future__ import annotations

import csv
import io
import sqlite3

from tests.cli.conftest import run


def department_of(env, username: str):
    with sqlite3.connect(env["KIOSK_DATABASE"]) as db:
        return db.execute("select role, department from users where username = ?", [username]).fetchone()


def test_a_reviewer_needs_a_department_and_can_be_moved(env):
    run("db", "migrate")
    refused = run("user", "add", "road", "--role", "reviewer")
    assert refused.exit_code == 1 and "needs --department" in refused.output
    assert department_of(env, "road") is None  # nothing was created
    created = run("user", "add", "road", "--role", "reviewer", "--department", "道路課")
    assert created.exit_code == 0 and "Created road (reviewer)" in created.output
    assert department_of(env, "road") == ("reviewer", "道路課")
    assert run("user", "set-department", "road", "公園課").exit_code == 0
    assert department_of(env, "road") == ("reviewer", "公園課")
    assert run("user", "set-department", "road", "").exit_code == 0
    assert department_of(env, "road") == ("reviewer", None)
    missing = run("user", "set-department", "nobody", "道路課")
    assert missing.exit_code == 1 and "No user 'nobody'" in missing.output


def test_the_synthetic_ledger_with_review_columns_imports_cleanly(env, tmp_path):
    target = tmp_path / "ledger.csv"
    assert run("demo", "ledger", "--rows", "300", "--review-columns", "--output", str(target)).exit_code == 0
    header = next(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert header[-5:] == ["状況", "存続理由", "改正する例規", "例規改正日", "廃止日"]
    result = run("ledger", "import", str(target))
    assert result.exit_code == 0 and "300 added" in result.output and "0 skipped" in result.output
    old = tmp_path / "old.csv"
    assert run("demo", "ledger", "--rows", "10", "--output", str(old)).exit_code == 0
    assert "状況" not in old.read_text(encoding="utf-8").splitlines()[0]  # an older ledger stays one
