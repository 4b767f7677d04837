"""The package's layout holds: views stay thin, every feature folder says what it is for, and the
migrations do not depend on live code that may change after they were released."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "kiosk"
DATABASE_CALLS = re.compile(r"\.(query|execute|executemany|executescript|table|rows_where|insert|upsert)\(")


def test_no_view_runs_sql_itself():
    offenders = []
    for path in sorted((PACKAGE / "views").glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DATABASE_CALLS.search(line) or re.search(r"[\"'](select|insert into|update|delete from) ", line, re.I):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders, "views call data-access modules instead of the database:\n" + "\n".join(offenders)


def test_every_feature_folder_says_what_it_is_for():
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        if init.parent.name in ("static", "templates"):
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(PACKAGE.parent)} has no docstring"


def test_migrations_import_no_live_feature_code():
    tree = ast.parse((PACKAGE / "migrations.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    live = sorted(name for name in imported if name.startswith("kiosk") and name != "kiosk.db")
    assert not live, f"a released migration must not change with later code: it imports {live}"
