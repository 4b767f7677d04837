"""Synthetic data: valid codes and links, a realistic shape, deterministic for a seed, and the
`kiosk demo generate` command."""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils
from click.testing import CliRunner

from kiosk.catalog import load_catalog
from kiosk.cli import main
from kiosk.consultations import vocabulary
from kiosk.db import connect, transaction
from kiosk.demo.synthetic import generate, window
from kiosk.handoff import codes as handoff_codes
from kiosk.migrations import migrate
from kiosk.resident.events import EVENTS
from tests.conftest import CONTENT

TOKYO = ZoneInfo("Asia/Tokyo")
CONSULTATIONS, YEARS, SITES = 3000, 2, 5
PAST_END = dt.date(2025, 3, 31)  # for comparing runs: a window that does not move with the clock


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


def _fresh(path) -> sqlite_utils.Database:
    db = connect(str(path))
    migrate(db)
    return db


@pytest.fixture(scope="module")
def generated(tmp_path_factory, catalog):
    db = _fresh(tmp_path_factory.mktemp("synthetic") / "kiosk.db")
    counts = generate(db, CONSULTATIONS, YEARS, SITES, seed=7, catalog=catalog)
    yield db, counts
    db.conn.close()


def rows(db, sql: str, params=()) -> list[dict]:
    return list(db.query(sql, params))


def scalar(db, sql: str, params=()):
    return db.execute(sql, params).fetchone()[0]


def test_counts_match_the_database(generated):
    db, counts = generated
    assert counts["consultations"] == CONSULTATIONS == scalar(db, "select count(*) from consultations")
    assert counts["sites"] == SITES == scalar(db, "select count(*) from sites")
    assert counts["branches"] + counts["events"] == SITES and counts["branches"] >= 3 and counts["events"] >= 1
    assert counts["devices"] == counts["branches"] == scalar(db, "select count(*) from devices where kind = 'kiosk'")
    assert counts["users"] == scalar(db, "select count(*) from users") > SITES
    assert scalar(db, "select count(*) from users where role = 'supporter'") == SITES
    for table in ("consultation_topics", "kiosk_events", "help_requests", "handoffs"):
        key = "topics" if table == "consultation_topics" else table
        assert counts[key] == scalar(db, f"select count(*) from {table}") > 0, table
    assert counts["kiosk_sessions"] == scalar(db, "select count(distinct session_ref) from kiosk_events")
    assert counts["deleted"] == scalar(db, "select count(*) from consultations where deleted_at is not null")
    assert 0 < counts["deleted"] < CONSULTATIONS * 0.05
    assert scalar(db, "select count(*) from audit_log") == 0


def test_every_consultation_uses_valid_codes_and_links(generated):
    db, _ = generated
    sites = {r["id"]: r for r in rows(db, "select * from sites")}
    users = {r["id"] for r in rows(db, "select id from users")}
    help_requests = {r["id"] for r in rows(db, "select id from help_requests")}
    handoffs = {r["code"] for r in rows(db, "select code from handoffs")}
    for row in rows(db, "select * from consultations"):
        assert row["site_id"] in sites and row["staff_id"] in users
        assert row["channel"] in vocabulary.CHANNELS and row["age_band"] in vocabulary.AGE_BANDS
        assert row["language"] in vocabulary.LANGUAGES and row["device_used"] in vocabulary.DEVICES
        assert row["outcome"] in vocabulary.OUTCOMES and row["reason"] in (None, *vocabulary.REASONS)
        assert row["accessibility"] is None or all(
            a in vocabulary.ACCESSIBILITY for a in row["accessibility"].split(","))
        assert row["first_visit"] in (0, 1) and row["follow_up"] in (0, 1)
        assert row["satisfaction"] in (None, 1, 2, 3, 4, 5)
        assert 1 <= row["minutes"] <= vocabulary.MAX_MINUTES
        assert row["help_request_id"] is None or row["help_request_id"] in help_requests
        assert row["handoff_code"] is None or (row["handoff_code"] in handoffs
                                               and handoff_codes.normalise(row["handoff_code"]) == row["handoff_code"])
        assert row["deleted_at"] is None or row["deleted_by"] in users
        assert (row["channel"] == "outreach") == (sites[row["site_id"]]["kind"] == "event")
        if row["outcome"] in vocabulary.ONLINE_OUTCOMES:
            assert row["reason"] is None


def test_every_consultation_has_one_to_three_valid_topics(generated, catalog):
    db, _ = generated
    allowed = set(vocabulary.GENERAL_TOPICS) | set(catalog.procedures)
    per_consultation = {r["id"]: r["n"] for r in rows(
        db, "select c.id, count(t.topic) n from consultations c left join consultation_topics t "
            "on t.consultation_id = c.id group by c.id")}
    assert len(per_consultation) == CONSULTATIONS
    assert set(per_consultation.values()) <= {1, 2, 3}
    assert {r["topic"] for r in rows(db, "select distinct topic from consultation_topics")} <= allowed
    assert scalar(db, "select count(*) from consultation_topics where consultation_id not in "
                      "(select id from consultations)") == 0


def test_the_shape_is_realistic(generated):
    db, _ = generated
    old = scalar(db, f"select avg(age_band in ({', '.join('?' * len(vocabulary.AGE_65_PLUS))})) from consultations",
                 vocabulary.AGE_65_PLUS)
    assert old >= 0.6
    outcomes = {r["outcome"]: r["n"] for r in rows(db, "select outcome, count(*) n from consultations group by 1")}
    assert set(outcomes) == set(vocabulary.OUTCOMES)
    assert 0.3 < sum(outcomes[o] for o in vocabulary.ONLINE_OUTCOMES) / CONSULTATIONS < 0.7
    asked = scalar(db, "select avg(satisfaction is not null) from consultations")
    assert 0.4 < asked < 0.6
    assert scalar(db, "select avg(satisfaction >= 4) from consultations where satisfaction is not null") > 0.75
    assert 0.5 < scalar(db, "select avg(first_visit) from consultations") < 0.7
    local = [dt.datetime.fromisoformat(r["started_at"]).astimezone(TOKYO) for r in
             rows(db, "select started_at from consultations")]
    assert sum(moment.weekday() < 5 for moment in local) / len(local) > 0.9
    assert all(8 <= moment.hour < 17 for moment in local)


def test_started_at_lies_within_the_fiscal_years_and_not_in_the_future(generated):
    db, _ = generated
    first, last = window(YEARS)
    today = dt.datetime.now(TOKYO).date()
    assert last < today and first.month == 4 and first.day == 1
    assert first.year == (last.year if last.month >= 4 else last.year - 1) - YEARS + 1
    start = dt.datetime.combine(first, dt.time(), TOKYO)
    now = dt.datetime.now(dt.UTC)
    earliest, latest = db.execute("select min(started_at), max(started_at) from consultations").fetchone()
    assert start <= dt.datetime.fromisoformat(earliest)
    assert dt.datetime.fromisoformat(latest) <= now
    assert dt.datetime.fromisoformat(latest).astimezone(TOKYO).date() <= last
    for column in ("created_at", "updated_at", "deleted_at"):
        stamp = scalar(db, f"select max({column}) from consultations")
        assert dt.datetime.fromisoformat(stamp) <= now, column
    assert dt.datetime.fromisoformat(scalar(db, "select max(occurred_at) from kiosk_events")) <= now
    for site in rows(db, "select * from sites where kind = 'event'"):
        assert site["starts_on"] <= site["ends_on"]
        for (started,) in db.execute("select started_at from consultations where site_id = ?", [site["id"]]):
            day = dt.datetime.fromisoformat(started).astimezone(TOKYO).date().isoformat()
            assert site["starts_on"] <= day <= site["ends_on"]


def test_kiosk_sessions_help_requests_and_handoffs_hang_together(generated, catalog):
    db, _ = generated
    assert {r["event"] for r in rows(db, "select distinct event from kiosk_events")} <= set(EVENTS)
    for event in ("procedure_chosen", "channel_recommended", "finished", "printed", "staff_called", "timed_out"):
        assert scalar(db, "select count(*) from kiosk_events where event = ?", [event]) > 0, event
    assert scalar(db, "select count(*) from kiosk_events where procedure_id is not null and procedure_id not in "
                      f"({', '.join('?' * len(catalog.procedures))})", list(catalog.procedures)) == 0
    assert scalar(db, "select count(*) from kiosk_events e left join devices d on d.id = e.device_id "
                      "where d.site_id is not e.site_id") == 0
    for handoff in rows(db, "select * from handoffs"):
        assert handoff_codes.normalise(handoff["code"]) == handoff["code"]
        assert handoff["procedure_id"] in catalog.procedures
        channels = {c.id for c in catalog.procedures[handoff["procedure_id"]].channels}
        assert handoff["channel_id"] in channels and handoff["status"] in ("open", "contacted", "resolved")
        assert handoff["created_at"] < handoff["expires_at"]
    # A printed sheet belongs to a kiosk session that printed it.
    assert scalar(db, "select count(*) from handoffs h where not exists (select 1 from kiosk_events e where "
                      "e.session_ref = h.session_ref and e.event = 'printed')") == 0
    # A consultation that came from 「職員を呼ぶ」 has the request of a session that called staff.
    linked = rows(db, "select c.*, h.session_ref, h.site_id as request_site from consultations c "
                      "join help_requests h on h.id = c.help_request_id")
    assert linked and all(r["channel"] == "kiosk" and r["site_id"] == r["request_site"] for r in linked)
    assert scalar(db, "select count(*) from help_requests h where not exists (select 1 from kiosk_events e "
                      "where e.session_ref = h.session_ref and e.event = 'staff_called')") == 0


def test_the_statistics_rollup_matches_a_recomputation(generated):
    db, _ = generated
    if not db.table("consultation_stats").exists():
        pytest.skip("this version has no statistics rollup")
    from kiosk.stats.periods import statistics_utc_offset
    from kiosk.stats.rollup import rebuild_rollup

    def snapshot():
        return sorted(db.execute("select * from consultation_stats where consultations != 0").fetchall())

    triggers = scalar(db, "select count(*) from sqlite_master where type = 'trigger'")
    kept = snapshot()
    with transaction(db):
        rebuild_rollup(db, statistics_utc_offset("Asia/Tokyo"))
    assert kept == snapshot() and kept
    assert scalar(db, "select count(*) from sqlite_master where type = 'trigger'") == triggers > 0


def test_a_load_in_another_zone_counts_its_months_and_records_the_offset(tmp_path, catalog):
    """The triggers come back for the load's zone, and the start-up check then finds nothing to do."""
    from kiosk.db import get_setting
    from kiosk.stats.rollup import OFFSET_SETTING, sync_rollup_to_timezone

    db = _fresh(tmp_path / "kolkata.db")
    generate(db, 500, 1, 2, seed=3, end=PAST_END, catalog=catalog, timezone="Asia/Kolkata")
    assert get_setting(db, OFFSET_SETTING) == "+05:30"
    assert sync_rollup_to_timezone(db, "Asia/Kolkata") is False
    zone = ZoneInfo("Asia/Kolkata")
    expected: dict[str, int] = {}
    for r in rows(db, "select started_at from consultations where deleted_at is null"):
        month = dt.datetime.fromisoformat(r["started_at"]).astimezone(zone).strftime("%Y-%m")
        expected[month] = expected.get(month, 0) + 1
    assert {r["month"]: r["n"] for r in rows(db, "select month, sum(consultations) n from consultation_stats "
                                                 "where dimension = 'all' group by month having n > 0")} == expected
    db.conn.close()


def _dump(db) -> dict:
    return {
        "sites": db.execute("select * from sites order by id").fetchall(),
        "users": db.execute("select username, display_name, role, site_id from users order by id").fetchall(),
        "consultations": db.execute("select * from consultations order by id").fetchall(),
        "topics": db.execute("select * from consultation_topics order by 1, 2").fetchall(),
        "events": db.execute("select * from kiosk_events order by id").fetchall(),
        "help": db.execute("select * from help_requests order by id").fetchall(),
        "handoffs": db.execute("select * from handoffs order by id").fetchall(),
    }


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(tmp_path, catalog):
    dumps = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        db = _fresh(tmp_path / f"{name}.db")
        generate(db, CONSULTATIONS, YEARS, SITES, seed=seed, end=PAST_END, catalog=catalog)
        dumps.append(_dump(db))
        db.conn.close()
    same, also_same, other = dumps
    assert same == also_same
    assert same["consultations"] != other["consultations"] and same["sites"] != other["sites"]
    assert max(r[3] for r in same["consultations"]) < "2025-03-31T15:00:00+00:00"  # before 1 April in Tokyo


def test_procedure_ids_alone_are_enough(tmp_path):
    db = _fresh(tmp_path / "ids.db")
    counts = generate(db, 200, 1, 1, procedure_ids=["residence-certificate", "moving-in"], end=PAST_END)
    assert counts["consultations"] == 200 and counts["events"] == 0
    topics = {r["topic"] for r in rows(db, "select distinct topic from consultation_topics")}
    assert topics <= set(vocabulary.GENERAL_TOPICS) | {"residence-certificate", "moving-in"}
    db.conn.close()


def test_generate_refuses_nonsense(tmp_path, catalog):
    db = _fresh(tmp_path / "bad.db")
    with pytest.raises(ValueError):
        generate(db, 0, 1, 1, catalog=catalog)
    with pytest.raises(ValueError):
        generate(db, 10, 1, 1)  # no procedures at all
    assert scalar(db, "select count(*) from sites") == 0
    db.conn.close()



def test_a_failed_run_adds_nothing_and_keeps_the_rollup_triggers(tmp_path, catalog, monkeypatch):
    from kiosk.demo import synthetic as synthetic

    db = _fresh(tmp_path / "failed.db")
    triggers = scalar(db, "select count(*) from sqlite_master where type = 'trigger'")
    real_load = synthetic._load

    def load_then_fail(*args, **kwargs):
        real_load(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(synthetic, "_load", load_then_fail)
    with pytest.raises(RuntimeError):
        generate(db, 500, 1, 2, catalog=catalog, end=PAST_END)
    for table in ("sites", "users", "devices", "consultations", "consultation_topics", "kiosk_events", "handoffs"):
        assert scalar(db, f"select count(*) from {table}") == 0, table
    assert scalar(db, "select count(*) from sqlite_master where type = 'trigger'") == triggers > 0
    db.conn.close()

@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {"KIOSK_DATABASE": str(tmp_path / "cli.db"), "KIOSK_CONTENT_DIR": str(CONTENT),
              "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_the_command_generates_and_reports(env):
    result = CliRunner().invoke(main, ["demo", "generate", "--consultations", "500", "--years", "1",
                                       "--sites", "2", "--seed", "5"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "500 consultations" in result.output and "2 sites" in result.output and " s:" in result.output
    with sqlite3.connect(env["KIOSK_DATABASE"]) as db:
        assert db.execute("select count(*) from consultations").fetchone()[0] == 500
        assert db.execute("select count(*) from sites").fetchone()[0] == 2
        assert db.execute("select count(*) from audit_log").fetchone()[0] == 0
    db.close()


@pytest.mark.parametrize("args", [
    ["--consultations", "0", "--years", "1", "--sites", "1"],
    ["--consultations", "5000001", "--years", "1", "--sites", "1"],
    ["--consultations", "10", "--years", "21", "--sites", "1"],
    ["--consultations", "10", "--years", "1", "--sites", "201"],
    ["--consultations", "10", "--years", "1"],
])
def test_the_command_checks_its_options(env, args):
    result = CliRunner().invoke(main, ["demo", "generate", *args])
    assert result.exit_code == 2
    assert "--" in result.output
