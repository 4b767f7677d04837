"""The statistics in the ward's TIMEZONE: one fiscal-year rule, months counted with the zone's one
UTC offset, the rollup rebuilt at start-up only when that offset changes, and zones with daylight
saving time refused."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from kiosk import create_app
from kiosk.db import connect, get_setting, transaction
from kiosk.settings import SettingsError
from kiosk.stats.periods import (
    StatisticsTimezoneError,
    fiscal_year,
    fiscal_year_of_month,
    format_utc_offset,
    parse_period,
    statistics_utc_offset,
)
from kiosk.stats.rollup import OFFSET_SETTING, month_sql, sync_rollup_to_timezone
from tests.conftest import make_config

# Around the end of FY2025 in Tokyo, Kolkata and UTC, and inside months.
STARTS = ["2026-03-31T14:59:00+00:00", "2026-03-31T15:00:00+00:00", "2026-03-31T18:29:00+00:00",
          "2026-03-31T18:30:00+00:00", "2026-03-31T20:00:00+00:00", "2026-04-15T03:00:00+00:00",
          "2026-04-30T23:59:00+00:00", "2026-12-31T15:00:00+00:00"]


def test_fiscal_years_run_from_april_to_march():
    assert fiscal_year(dt.date(2026, 3, 31)) == 2025
    assert fiscal_year(dt.date(2026, 4, 1)) == 2026
    assert fiscal_year_of_month("2027-03") == 2026 == fiscal_year_of_month("2026-04")
    assert parse_period("fy", "", dt.date(2026, 3, 31)).value == "2025"


@pytest.mark.parametrize(("timezone", "offset"), [("Asia/Tokyo", "+09:00"), ("Japan", "+09:00"), ("UTC", "+00:00"),
                                                  ("Asia/Kolkata", "+05:30"), ("Pacific/Honolulu", "-10:00")])
def test_zones_with_one_offset(timezone, offset):
    assert format_utc_offset(statistics_utc_offset(timezone)) == offset


def test_tokyo_months_and_bounds_are_as_before():
    """The same periods and months as when +9 hours was written out."""
    period = parse_period("fy", "2025", dt.date(2026, 1, 1))
    assert period.utc_bounds("Asia/Tokyo") == ("2025-03-31T15:00:00+00:00", "2026-03-31T15:00:00+00:00")
    conn = sqlite3.connect(":memory:")
    conn.execute("create table r (started_at text)")
    conn.executemany("insert into r values (?)", [(s,) for s in STARTS])
    now = conn.execute(f"select {month_sql('r', statistics_utc_offset('Asia/Tokyo'))} from r").fetchall()
    before = conn.execute("select strftime('%Y-%m', r.started_at, '+9 hours') from r").fetchall()
    assert now == before
    conn.close()


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/Moscow"])
def test_zones_whose_offset_changes_are_refused(timezone):
    with pytest.raises(StatisticsTimezoneError, match="daylight saving time") as refused:
        statistics_utc_offset(timezone)
    assert str(refused.value).startswith(f"TIMEZONE: {timezone!r} changes its UTC offset")


def _add_consultation(db, started_at: str) -> None:
    with transaction(db):
        cid = db.table("consultations").insert({
            "site_id": 1, "staff_id": 1, "started_at": started_at, "minutes": 10, "channel": "counter",
            "age_band": "75-84", "first_visit": 1, "language": "ja", "device_used": "android",
            "outcome": "completed-online", "follow_up": 0, "created_at": "x", "updated_at": "x"}).last_pk
        db.table("consultation_topics").insert({"consultation_id": cid, "topic": "pin"})


def _rollup_months(db) -> dict[str, int]:
    return {r["month"]: r["n"] for r in db.query(
        "select month, sum(consultations) n from consultation_stats where dimension = 'all' group by month "
        "having n != 0")}


def _months_in_python(db, timezone: str) -> dict[str, int]:
    """The months by zoneinfo, independent of the SQL offset arithmetic."""
    zone = ZoneInfo(timezone)
    return dict(Counter(dt.datetime.fromisoformat(r["started_at"]).astimezone(zone).strftime("%Y-%m")
                        for r in db.query("select started_at from consultations where deleted_at is null")))


def _plant_sentinel(db) -> None:
    """A rollup row no rebuild would make: it survives exactly as long as nothing is rebuilt."""
    with transaction(db):
        db.execute("insert into consultation_stats values ('1999-01', 1, 'counter', 'sentinel', '', 1, 0, 0, 0)")


def _has_sentinel(db) -> bool:
    return db.execute("select count(*) from consultation_stats where dimension = 'sentinel'").fetchone()[0] == 1


def _trigger_sql(db) -> str:
    return " ".join(r[0] for r in db.execute("select sql from sqlite_master where type = 'trigger' order by name"))


def test_restarting_with_the_same_offset_keeps_the_rollup_and_a_new_one_rebuilds_it(tmp_path):
    app = create_app(make_config(tmp_path))  # Asia/Tokyo: the triggers migration 0010 made
    db = connect(app.config["DATABASE"])
    with transaction(db):
        db.table("sites").insert({"id": 1, "name": "北出張所", "kind": "branch", "created_at": "x"})
        db.table("users").insert({"id": 1, "username": "u1", "role": "supporter", "password_hash": "x",
                                  "created_at": "x"})
    for started_at in STARTS:
        _add_consultation(db, started_at)
    assert _rollup_months(db) == _months_in_python(db, "Asia/Tokyo")
    _plant_sentinel(db)
    migration_triggers = _trigger_sql(db)
    assert "'+9 hours'" in migration_triggers

    for same_offset in ("Asia/Tokyo", "Japan"):  # compared by offset, not by name
        create_app(make_config(tmp_path, TIMEZONE=same_offset))
        assert _has_sentinel(db) and _trigger_sql(db) == migration_triggers
        assert get_setting(db, OFFSET_SETTING) is None  # not even a write at start-up

    create_app(make_config(tmp_path, TIMEZONE="Asia/Kolkata"))
    assert not _has_sentinel(db) and "'+330 minutes'" in _trigger_sql(db)
    assert get_setting(db, OFFSET_SETTING) == "+05:30"
    assert _rollup_months(db) == _months_in_python(db, "Asia/Kolkata") != _months_in_python(db, "Asia/Tokyo")
    _add_consultation(db, "2026-05-31T18:30:00+00:00")  # 1 June in Kolkata: the new triggers count it so
    assert _rollup_months(db) == _months_in_python(db, "Asia/Kolkata")
    assert _rollup_months(db)["2026-06"] == 1

    _plant_sentinel(db)
    create_app(make_config(tmp_path, TIMEZONE="Asia/Kolkata"))
    assert _has_sentinel(db)
    create_app(make_config(tmp_path, TIMEZONE="UTC"))
    assert not _has_sentinel(db) and _rollup_months(db) == _months_in_python(db, "UTC")
    create_app(make_config(tmp_path))  # and back
    assert get_setting(db, OFFSET_SETTING) == "+09:00"
    assert _rollup_months(db) == _months_in_python(db, "Asia/Tokyo")
    db.conn.close()


def test_the_app_does_not_start_with_a_zone_whose_offset_changes(tmp_path):
    app = create_app(make_config(tmp_path))
    db = connect(app.config["DATABASE"])
    _plant_sentinel(db)
    before = _trigger_sql(db)
    # A settings error, refused before anything is opened: `kiosk serve` prints it as one line.
    with pytest.raises(SettingsError, match=r"^TIMEZONE: 'Europe/Berlin' changes its UTC offset"):
        create_app(make_config(tmp_path, TIMEZONE="Europe/Berlin"))
    assert _has_sentinel(db) and _trigger_sql(db) == before and get_setting(db, OFFSET_SETTING) is None
    db.conn.close()


def test_sync_is_one_settings_read_when_nothing_changed(tmp_path):
    app = create_app(make_config(tmp_path))
    db = connect(app.config["DATABASE"])
    statements = []
    db.conn.set_trace_callback(statements.append)
    assert sync_rollup_to_timezone(db, "Asia/Tokyo") is False
    db.conn.set_trace_callback(None)
    queries = [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE"))]  # sqlite-utils' wrapping
    assert len(queries) == 1 and "from settings" in queries[0]
    db.conn.close()


def test_kiosk_export_follows_the_zone_and_refuses_one_whose_offset_changes(tmp_path):
    from click.testing import CliRunner

    from kiosk.cli import main
    from tests.conftest import CONTENT

    env = {"KIOSK_DATABASE": str(tmp_path / "cli.db"), "KIOSK_CONTENT_DIR": str(CONTENT),
           "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "KIOSK_TIMEZONE": "UTC"}
    output = str(tmp_path / "kpis.csv")
    result = CliRunner().invoke(main, ["export", "table", "kpis", "--output", output], env=env)
    assert result.exit_code == 0, result.output
    db = connect(env["KIOSK_DATABASE"])
    assert get_setting(db, OFFSET_SETTING) == "+00:00"  # the rollup was made to count UTC months
    db.conn.close()
    result = CliRunner().invoke(main, ["export", "table", "kpis", "--output", output],
                                env={**env, "KIOSK_TIMEZONE": "Europe/Berlin"})
    assert result.exit_code == 2 and "Error: KIOSK_TIMEZONE: 'Europe/Berlin' changes its UTC offset" in result.output
