"""The statistics rollup and the triggers that keep it in step with every write.

`consultation_stats` holds, per month (Tokyo time), site and channel, how many consultations
fall on each value of each dimension. Triggers on `consultations` and `consultation_topics` add
and subtract as records are created, edited and (soft-)deleted, so the dashboard reads a few
thousand rollup rows instead of grouping a million consultations.
"""

from __future__ import annotations

import contextlib

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
# Asia/Tokyo has had no daylight saving time since 1951: a fixed offset is exact.
MONTH = "strftime('%Y-%m', {row}.started_at, '+9 hours')"

_UPSERT = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select {month}, r.site_id, r.channel, '{dimension}', {value}, {sign}, {sign} * r.minutes,
       {sign} * coalesce(r.satisfaction, 0), {sign} * (r.satisfaction is not null)
from consultations r where r.id = {row}.id
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
where r.id = {row}.id {topic_filter}
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""


def _dimension_statements(row: str, sign: int, month_row: str) -> str:
    month = MONTH.format(row="r") if month_row == "r" else MONTH.format(row=month_row)
    return "".join(_UPSERT.format(month=month, dimension=name, value=expr, sign=sign, row=row)
                   for name, expr in DIMENSIONS)


_FOR_NEW = "from consultations r where r.id = new.id"


def create_rollup(db) -> None:
    db.execute("""
        create table consultation_stats (
          month text not null, site_id integer not null, channel text not null,
          dimension text not null, value text not null,
          consultations integer not null default 0, minutes integer not null default 0,
          satisfaction_sum integer not null default 0, satisfaction_n integer not null default 0,
          primary key (month, site_id, channel, dimension, value))""")
    db.execute("create index consultation_stats_dimension on consultation_stats (dimension, month)")
    create_triggers(db)


TRIGGERS = ("consultation_stats_insert", "consultation_stats_update", "consultation_topic_insert",
            "consultation_topic_delete")


@contextlib.contextmanager
def bulk_load(db):
    """For loading many consultations at once (synthetic data): the triggers are set aside and
    the rollup is recomputed in one pass at the end, which is far faster than row by row."""
    for name in TRIGGERS:
        db.execute(f"drop trigger if exists {name}")
    try:
        yield db
    finally:
        create_triggers(db)
        rebuild_rollup(db)


def create_triggers(db) -> None:
    # A new consultation: its own values (its topics arrive just after, with their own trigger).
    db.execute(f"""create trigger consultation_stats_insert after insert on consultations
        when new.deleted_at is null begin {_dimension_statements('new', 1, 'r')} end""")
    # An edit or a soft delete: take the old values out, put the new ones in, topics included.
    # (Inside the trigger the row already holds the new values, so the old ones are written
    # out from OLD.)
    old_out = "".join(
        _UPSERT_OLD.format(dimension=name, value=expr.replace("r.", "old."), sign=-1)
        for name, expr in DIMENSIONS)
    db.execute(f"""create trigger consultation_stats_update after update on consultations begin
        {old_out}
        {_TOPICS_OLD}
        {_dimension_statements('new', 1, 'r').replace(_FOR_NEW, _FOR_NEW + ' and new.deleted_at is null')}
        {_TOPICS.format(month=MONTH.format(row='r'), sign=1, row='new', topic_filter='and new.deleted_at is null')}
        end""")
    db.execute(f"""create trigger consultation_topic_insert after insert on consultation_topics begin
        {_TOPIC_ROW.format(sign=1, row='new')} end""")
    db.execute(f"""create trigger consultation_topic_delete after delete on consultation_topics begin
        {_TOPIC_ROW.format(sign=-1, row='old')} end""")


# The old values of an updated row come from OLD directly (the table already has the new ones).
_UPSERT_OLD = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select strftime('%Y-%m', old.started_at, '+9 hours'), old.site_id, old.channel, '{dimension}', {value}, {sign},
       {sign} * old.minutes, {sign} * coalesce(old.satisfaction, 0), {sign} * (old.satisfaction is not null)
where old.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations, minutes = minutes + excluded.minutes,
  satisfaction_sum = satisfaction_sum + excluded.satisfaction_sum,
  satisfaction_n = satisfaction_n + excluded.satisfaction_n;
"""

_TOPICS_OLD = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select strftime('%Y-%m', old.started_at, '+9 hours'), old.site_id, old.channel, 'topic', t.topic, -1, 0, 0, 0
from consultation_topics t where t.consultation_id = old.id and old.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""

# A topic added to or removed from a live consultation, under the consultation's current keys.
_TOPIC_ROW = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select strftime('%Y-%m', r.started_at, '+9 hours'), r.site_id, r.channel, 'topic', {row}.topic, {sign}, 0, 0, 0
from consultations r where r.id = {row}.consultation_id and r.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""


def rebuild_rollup(db) -> None:
    """Recompute the rollup from the consultations (after a bulk load with triggers off)."""
    db.execute("delete from consultation_stats")
    for name, expr in DIMENSIONS:
        db.execute(f"""
            insert into consultation_stats select {MONTH.format(row='r')}, r.site_id, r.channel, '{name}', {expr},
                count(*), sum(r.minutes), sum(coalesce(r.satisfaction, 0)), sum(r.satisfaction is not null)
            from consultations r where r.deleted_at is null group by 1, 2, 3, 5""")
    db.execute(f"""
        insert into consultation_stats select {MONTH.format(row='r')}, r.site_id, r.channel, 'topic', t.topic,
            count(*), 0, 0, 0
        from consultations r join consultation_topics t on t.consultation_id = r.id
        where r.deleted_at is null group by 1, 2, 3, 5""")
