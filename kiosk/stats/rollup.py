"""The statistics rollup and the triggers that keep it in step with every write.

`consultation_stats` holds, per month (ward time: the TIMEZONE setting), site and channel, how
many consultations fall on each value of each dimension. Triggers on `consultations` and
`consultation_topics` add and subtract as records are created, edited and (soft-)deleted, so the
dashboard reads a few thousand rollup rows instead of grouping a million consultations.

The month is computed in SQL by shifting the UTC start time by the zone's one fixed offset
(kiosk.stats.periods.statistics_utc_offset). The offset the triggers and rows were built for is
kept in the `settings` table; when TIMEZONE's offset differs, sync_rollup_to_timezone() rebuilds
both (the table itself is created by migration 0010, for +09:00).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import sqlite_utils

from kiosk.db import get_setting, set_setting, transaction
from kiosk.stats.periods import format_utc_offset, sqlite_shift, statistics_utc_offset

# Where the offset the rollup was built for is kept; without it the rollup is as migration 0010
# built it, for Asia/Tokyo ('+9 hours').
OFFSET_SETTING = "stats_rollup_utc_offset"
MIGRATION_0010_OFFSET = "+09:00"

# (dimension, SQL expression over a consultation row r) — the value is text.
DIMENSIONS = (
    ("all", "''"),
    ("age_band", "r.age_band"),
    ("outcome", "r.outcome"),
    ("reason", "coalesce(r.reason, '')"),
    ("first_visit", "cast(coalesce(r.first_visit, 0) as text)"),
    ("staff", "cast(r.staff_id as text)"),
    ("device_used", "coalesce(r.device_used, '')"),
    ("satisfaction", "coalesce(cast(r.satisfaction as text), '')"),
)

TRIGGERS = ("consultation_stats_insert", "consultation_stats_update", "consultation_topic_insert",
            "consultation_topic_delete")


def month_sql(row: str, utc_offset: dt.timedelta) -> str:
    """The SQL for the ward-time month ('YYYY-MM') of ``row``'s start (row: a table alias, new or old)."""
    return f"strftime('%Y-%m', {row}.started_at, '{sqlite_shift(utc_offset)}')"


_UPSERT = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select {month}, r.site_id, r.channel, '{dimension}', {value}, {sign}, {sign} * r.minutes,
       {sign} * coalesce(r.satisfaction, 0), {sign} * (r.satisfaction is not null)
from consultations r where r.id = {row}.id {row_filter}
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations, minutes = minutes + excluded.minutes,
  satisfaction_sum = satisfaction_sum + excluded.satisfaction_sum,
  satisfaction_n = satisfaction_n + excluded.satisfaction_n;
"""

_TOPICS = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select {month}, r.site_id, r.channel, 'topic', t.topic, {sign}, 0, 0, 0
from consultations r join consultation_topics t on t.consultation_id = r.id
where r.id = {row}.id {row_filter}
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""

# The old values of an updated row come from OLD directly (the table already has the new ones).
_UPSERT_OLD = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select {month}, old.site_id, old.channel, '{dimension}', {value}, -1,
       -old.minutes, -coalesce(old.satisfaction, 0), -(old.satisfaction is not null)
where old.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations, minutes = minutes + excluded.minutes,
  satisfaction_sum = satisfaction_sum + excluded.satisfaction_sum,
  satisfaction_n = satisfaction_n + excluded.satisfaction_n;
"""

_TOPICS_OLD = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select {month}, old.site_id, old.channel, 'topic', t.topic, -1, 0, 0, 0
from consultation_topics t where t.consultation_id = old.id and old.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""

# A topic added to or removed from a live consultation, under the consultation's current keys.
_TOPIC_ROW = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select {month}, r.site_id, r.channel, 'topic', {row}.topic, {sign}, 0, 0, 0
from consultations r where r.id = {row}.consultation_id and r.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""


def _add_new_values(utc_offset: dt.timedelta, row_filter: str = "") -> str:
    """Statements adding the NEW row's values under every dimension, topics included."""
    month = month_sql("r", utc_offset)
    values = "".join(_UPSERT.format(month=month, dimension=name, value=expr, sign=1, row="new", row_filter=row_filter)
                     for name, expr in DIMENSIONS)
    return values + _TOPICS.format(month=month, sign=1, row="new", row_filter=row_filter)


def _take_out_old_values(utc_offset: dt.timedelta) -> str:
    month = month_sql("old", utc_offset)
    values = "".join(_UPSERT_OLD.format(month=month, dimension=name, value=expr.replace("r.", "old."))
                     for name, expr in DIMENSIONS)
    return values + _TOPICS_OLD.format(month=month)


def drop_triggers(db: sqlite_utils.Database) -> None:
    for name in TRIGGERS:
        db.execute(f"drop trigger if exists {name}")


def create_triggers(db: sqlite_utils.Database, utc_offset: dt.timedelta) -> None:
    """The four triggers, counting months with ``utc_offset`` (see statistics_utc_offset)."""
    month = month_sql("r", utc_offset)
    # A new consultation: its own values (its topics arrive just after, with their own trigger).
    new_values = "".join(_UPSERT.format(month=month, dimension=name, value=expr, sign=1, row="new", row_filter="")
                         for name, expr in DIMENSIONS)
    db.execute(f"""create trigger consultation_stats_insert after insert on consultations
        when new.deleted_at is null begin {new_values} end""")
    # An edit or a soft delete: take the old values out, put the new ones in, topics included.
    # (Inside the trigger the row already holds the new values, so the old ones are written out from OLD.)
    db.execute(f"""create trigger consultation_stats_update after update on consultations begin
        {_take_out_old_values(utc_offset)}
        {_add_new_values(utc_offset, 'and new.deleted_at is null')}
        end""")
    db.execute(f"""create trigger consultation_topic_insert after insert on consultation_topics begin
        {_TOPIC_ROW.format(month=month, sign=1, row='new')} end""")
    db.execute(f"""create trigger consultation_topic_delete after delete on consultation_topics begin
        {_TOPIC_ROW.format(month=month, sign=-1, row='old')} end""")


def rebuild_rollup(db: sqlite_utils.Database, utc_offset: dt.timedelta) -> None:
    """Recompute the rollup from the consultations, counting months with ``utc_offset`` (after a bulk
    load with the triggers off, or for a new offset)."""
    month = month_sql("r", utc_offset)
    db.execute("delete from consultation_stats")
    for name, expr in DIMENSIONS:
        db.execute(f"""
            insert into consultation_stats select {month}, r.site_id, r.channel, '{name}', {expr},
                count(*), sum(r.minutes), sum(coalesce(r.satisfaction, 0)), sum(r.satisfaction is not null)
            from consultations r where r.deleted_at is null group by 1, 2, 3, 5""")
    db.execute(f"""
        insert into consultation_stats select {month}, r.site_id, r.channel, 'topic', t.topic, count(*), 0, 0, 0
        from consultations r join consultation_topics t on t.consultation_id = r.id
        where r.deleted_at is null group by 1, 2, 3, 5""")


def rollup_utc_offset(db: sqlite_utils.Database) -> str:
    """The offset ('+09:00') the rollup's triggers and rows were built for."""
    return get_setting(db, OFFSET_SETTING) or MIGRATION_0010_OFFSET


def _rebuild_for(db: sqlite_utils.Database, utc_offset: dt.timedelta) -> None:
    drop_triggers(db)
    create_triggers(db, utc_offset)
    rebuild_rollup(db, utc_offset)
    set_setting(db, OFFSET_SETTING, format_utc_offset(utc_offset))


def sync_rollup_to_timezone(db: sqlite_utils.Database, timezone: str) -> bool:
    """Make the rollup count months in ``timezone`` (the TIMEZONE setting): when the offset it was
    built for differs, re-create the triggers and rebuild it, in one transaction. Returns whether it
    rebuilt. Called at start-up after the migrations: a single settings read when nothing changed.

    Raises StatisticsTimezoneError for a zone without one fixed offset (daylight saving time)."""
    utc_offset = statistics_utc_offset(timezone)
    wanted = format_utc_offset(utc_offset)
    if rollup_utc_offset(db) == wanted:
        return False
    with transaction(db):
        if rollup_utc_offset(db) == wanted:  # another process rebuilt it while this one waited for the lock
            return False
        _rebuild_for(db, utc_offset)
    return True


@contextlib.contextmanager
def bulk_load(db: sqlite_utils.Database, timezone: str):
    """For loading many consultations at once (synthetic data): the triggers are set aside and
    the rollup is recomputed in one pass at the end, which is far faster than row by row. The
    triggers come back for ``timezone``'s offset, which is recorded."""
    utc_offset = statistics_utc_offset(timezone)  # refused before anything is dropped
    drop_triggers(db)
    try:
        yield db
    finally:
        _rebuild_for(db, utc_offset)
