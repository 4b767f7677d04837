"""`kiosk export datasette PATH` (kiosk/stats/datasette.py): only the statistics and their code lists,
opened for real with Datasette's own Python API, and described as docs/statistics.md says."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.db import connect
from kiosk.stats.datasette import COLUMN_DESCRIPTIONS, DATABASE_FILE, DATABASE_NAME, TABLE_DESCRIPTIONS
from tests.conftest import CONTENT, ROOT

NOTE = "ご家族の事情を伺った（統計に出してはいけないメモ）"
EXPECTED_TABLES = set(TABLE_DESCRIPTIONS)
FORBIDDEN_COLUMNS = {"password_hash", "token_hash", "enrollment_token_hash", "note", "state", "handoff_code",
                     "username", "address_hash", "before", "after"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A database with synthetic statistics, a consultation with a note, a deleted one, a kiosk
    session in progress and an enrolled device; and its Datasette copy."""
    folder = tmp_path_factory.mktemp("datasette")
    environ = {"KIOSK_DATABASE": str(folder / "live.db"), "KIOSK_CONTENT_DIR": str(CONTENT),
               "KIOSK_SECRET_KEY": "datasette", "KIOSK_INSTANCE_PATH": str(folder / "instance")}
    runner = CliRunner(env=environ)
    generated = runner.invoke(main, ["demo", "generate", "--consultations", "300", "--years", "1", "--sites", "3"])
    assert generated.exit_code == 0, generated.output
    db = connect(environ["KIOSK_DATABASE"])
    first, second = (row["id"] for row in db.query("select id from consultations order by id limit 2"))
    db.execute("update consultations set note = ? where id = ?", [NOTE, first])
    db.execute("update consultations set deleted_at = '2026-11-30T00:00:00+00:00' where id = ?", [second])
    db.execute("insert into kiosk_sessions (ref, state, started_at, updated_at) values "
               "('abc', '{\"said\": \"秘密の相談\"}', '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00')")
    db.execute("update devices set token_hash = 'tokenhash-must-not-leave' where id = (select min(id) from devices)")
    db.conn.commit()
    secrets = {"hashes": [row["password_hash"] for row in db.query("select password_hash from users")],
               "codes": [row["handoff_code"] for row in db.query(
                   "select handoff_code from consultations where handoff_code is not null")],
               "live": {"consultations": db.execute(
                   "select count(*) from consultations where deleted_at is null").fetchone()[0],
                   "deleted": second}}
    db.conn.close()
    target = folder / "for-statistics"
    result = runner.invoke(main, ["export", "datasette", str(target)])
    assert result.exit_code == 0, result.output
    return target, secrets, runner


def test_the_copy_holds_only_statistics_and_code_lists(exported):
    target, secrets, _ = exported
    assert sorted(path.name for path in target.iterdir()) == [DATABASE_FILE, "metadata.json"]
    conn = sqlite3.connect(target / DATABASE_FILE)
    tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    assert tables == EXPECTED_TABLES
    for table in tables:
        columns = {row[1] for row in conn.execute(f"pragma table_info({table})")}
        assert not columns & FORBIDDEN_COLUMNS, table
    count, = conn.execute("select count(*) from consultations").fetchone()
    assert count == secrets["live"]["consultations"] > 0
    assert not conn.execute("select 1 from consultations where id = ?", [secrets["live"]["deleted"]]).fetchone()
    assert conn.execute("select count(*) from consultation_stats").fetchone()[0] > 0
    assert conn.execute("select label from channels where code = 'counter'").fetchone() == ("窓口",)
    assert conn.execute("select label from topics where code = 'residence-certificate'").fetchone() == (
        "住民票の写しの交付",)
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    conn.close()
    raw = (target / DATABASE_FILE).read_bytes()
    for value in [NOTE, "秘密の相談", "tokenhash-must-not-leave", *secrets["hashes"], *secrets["codes"]]:
        assert value.encode() not in raw, value


def test_datasette_opens_it_with_labels_and_the_documented_descriptions(exported):
    from datasette.app import Datasette

    target, _, _ = exported
    metadata = json.loads((target / "metadata.json").read_text(encoding="utf-8"))

    async def look():
        datasette = Datasette([str(target / DATABASE_FILE)], metadata=metadata)
        rows = (await datasette.client.get(
            f"/{DATABASE_NAME}/consultations.json?_shape=array&_labels=on&_size=5")).json()
        tables = (await datasette.client.get(f"/{DATABASE_NAME}.json")).json()["tables"]
        shown = (await datasette.client.get(f"/{DATABASE_NAME}/consultations")).text
        return rows, tables, shown

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        rows, tables, shown = thread.submit(lambda: asyncio.run(look())).result()
    assert rows and rows[0]["channel"]["label"] in ("窓口", "出張相談", "電話", "キオスク同伴")
    assert rows[0]["outcome"]["value"] and rows[0]["outcome"]["label"]
    assert {table["name"] for table in tables if not table["hidden"]} == EXPECTED_TABLES
    assert TABLE_DESCRIPTIONS["consultations"] in shown


def test_a_folder_with_other_files_is_refused(exported, tmp_path):
    _, _, runner = exported
    (tmp_path / "mine.txt").write_text("keep me")
    result = runner.invoke(main, ["export", "datasette", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path}: holds other files (mine.txt)")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine.txt"]


def test_docs_statistics_describes_every_table_and_column_as_the_metadata_does():
    text = (ROOT / "docs" / "statistics.md").read_text(encoding="utf-8")
    section = text.split("### The Datasette copy", 1)[1].split("\n## ", 1)[0]
    documented = dict(re.findall(r"^\| `([a-z_]+(?:\.[a-z_]+)?)` \| (.+) \|$", section, re.M))
    assert documented == {**TABLE_DESCRIPTIONS, **COLUMN_DESCRIPTIONS}

