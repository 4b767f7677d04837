"""The statistics rollup stays in step with every write: creates, edits, topic changes and soft
deletes, checked against a recomputation from the raw rows."""

from __future__ import annotations

import random

import pytest

from kiosk.consultations import vocabulary
from kiosk.consultations.form import ParsedForm
from kiosk.consultations.store import delete_consultation, record_consultation
from kiosk.db import connect, transaction
from kiosk.migrations import migrate
from kiosk.stats.periods import statistics_utc_offset
from kiosk.stats.rollup import rebuild_rollup, sync_rollup_to_timezone

TOPICS = list(vocabulary.GENERAL_TOPICS) + ["residence-certificate", "moving-in"]


@pytest.fixture
def db(tmp_path):
    database = connect(str(tmp_path / "stats.db"))
    migrate(database)
    with transaction(database):
        database.table("sites").insert_all([{"id": i, "name": f"site {i}", "kind": "branch", "created_at": "x"}
                                            for i in (1, 2)])
        database.table("users").insert_all([{"id": i, "username": f"u{i}", "role": "supporter",
                                             "password_hash": "x", "created_at": "x"} for i in (1, 2)])
    yield database
    database.conn.close()


def snapshot(db) -> dict:
    return {(r["month"], r["site_id"], r["channel"], r["dimension"], r["value"]):
            (r["consultations"], r["minutes"], r["satisfaction_sum"], r["satisfaction_n"])
            for r in db.query("select * from consultation_stats where consultations != 0 or minutes != 0")}


def random_values(rng) -> dict:
    outcome = rng.choice(list(vocabulary.OUTCOMES))
    return {"site_id": rng.choice([1, 2]), "staff_id": rng.choice([1, 2]),
            "started_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                          f"{rng.randint(0, 23):02d}:30:00+00:00",
            "minutes": rng.choice([5, 10, 30]), "channel": rng.choice(list(vocabulary.CHANNELS)),
            "age_band": rng.choice(list(vocabulary.AGE_BANDS)), "first_visit": rng.choice([0, 1]), "language": "ja",
            "device_used": rng.choice(list(vocabulary.DEVICES)), "outcome": outcome,
            "reason": None if outcome in vocabulary.ONLINE_OUTCOMES else rng.choice([None, "pin-locked", "no-card"]),
            "follow_up": 0, "satisfaction": rng.choice([None, 3, 5]), "created_at": "x", "updated_at": "x"}


# Asia/Tokyo keeps the triggers migration 0010 made; the others get this module's, for their offset.
@pytest.mark.parametrize("timezone", ["Asia/Tokyo", "Asia/Kolkata", "UTC"])
def test_rollup_matches_a_recomputation_after_random_writes(db, timezone):
    sync_rollup_to_timezone(db, timezone)
    rng = random.Random(4)
    ids = []
    for _ in range(300):
        action = rng.random()
        with transaction(db):
            if action < 0.5 or not ids:
                cid = db.table("consultations").insert(random_values(rng)).last_pk
                db.table("consultation_topics").insert_all(
                    [{"consultation_id": cid, "topic": t} for t in rng.sample(TOPICS, rng.randint(1, 3))])
                ids.append(cid)
            elif action < 0.8:  # an edit, as update_consultation does it
                cid = rng.choice(ids)
                db.table("consultations").update(cid, {k: v for k, v in random_values(rng).items()
                                                       if k not in ("created_at",)})
                db.execute("delete from consultation_topics where consultation_id = ?", [cid])
                db.table("consultation_topics").insert_all(
                    [{"consultation_id": cid, "topic": t} for t in rng.sample(TOPICS, rng.randint(1, 3))])
            elif action < 0.95:  # a soft delete
                cid = rng.choice(ids)
                db.execute("update consultations set deleted_at = 'now' where id = ? and deleted_at is null", [cid])
            else:  # undo a soft delete
                cid = rng.choice(ids)
                db.execute("update consultations set deleted_at = null where id = ?", [cid])
    kept = snapshot(db)
    with transaction(db):
        rebuild_rollup(db, statistics_utc_offset(timezone))
    assert kept == snapshot(db)
    live = db.execute("select count(*) from consultations where deleted_at is null").fetchone()[0]
    total = db.execute("select sum(consultations) from consultation_stats where dimension = 'all'").fetchone()[0]
    assert total == live


def test_the_app_functions_keep_the_rollup(db):
    parsed = ParsedForm(values={k: v for k, v in random_values(random.Random(1)).items()
                                    if k not in ("staff_id", "created_at", "updated_at")}, topics=["pin"])
    with transaction(db):
        cid = record_consultation(db, 1, parsed)
    assert db.execute("select sum(consultations) from consultation_stats where dimension = 'topic' "
                      "and value = 'pin'").fetchone()[0] == 1
    delete_consultation(db, cid, 1)
    assert db.execute("select coalesce(sum(consultations), 0) from consultation_stats").fetchone()[0] == 0
