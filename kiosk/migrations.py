"""The database's migrations, through sqlite-utils' `Migrations`, and the `kiosk db` commands.

Every migration belongs to one set, ``kiosk`` (MIGRATION_SET), recorded in sqlite-utils' table
``_sqlite_migrations``. The set's name is part of that record: never rename it, or every migration
looks pending again.

Append only: a migration, once released, is never edited or removed, and none drops data. A
migration never imports live code (it would change what an old migration does when that code
changes): what it needs is frozen here, as it was when the migration was released.

Databases made before the move to sqlite-utils' `Migrations` have their history in ``_migrations``
(name, applied_at), written by the hand-written runner of that time. `migrate` carries it over to
``_sqlite_migrations`` and then leaves ``_migrations`` as it is, never written again: nothing is
lost, and the previous release still finds its own record there if it has to be rolled back to.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import unicodedata
from pathlib import Path

import click
import sqlite_utils
from flask import current_app
from sqlite_utils.migrations import Migrations

from kiosk.db import BackupError, backup, connect, transaction

MIGRATION_SET = "kiosk"
HISTORY_TABLE = Migrations.migrations_table  # "_sqlite_migrations"
LEGACY_HISTORY_TABLE = "_migrations"  # the previous runner's record: read, never written

migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_sites_devices_users")
def _m0001(db: sqlite_utils.Database) -> None:
    db.table("sites").create(
        {"id": int, "name": str, "kind": str, "venue": str, "starts_on": str, "ends_on": str,
         "created_at": str},
        pk="id", not_null={"name", "kind", "created_at"},
    )
    db.table("devices").create(
        {"id": int, "name": str, "kind": str, "site_id": int, "token_hash": str,
         "created_at": str, "revoked_at": str},
        pk="id", not_null={"name", "kind", "created_at"}, foreign_keys=[("site_id", "sites", "id")],
    )
    db.table("users").create(
        {"id": int, "username": str, "display_name": str, "role": str, "password_hash": str,
         "site_id": int, "created_at": str, "disabled_at": str},
        pk="id", not_null={"username", "role", "password_hash", "created_at"},
        foreign_keys=[("site_id", "sites", "id")],
    )
    db.table("users").create_index(["username"], unique=True)


@migrations(name="0002_ledger")
def _m0002(db: sqlite_utils.Database) -> None:
    db.table("ledger_entries").create(
        {"key": str, "ward_number": str, "name": str, "department": str, "legal_basis": str,
         "seal_kind": str, "review_result": str, "reviewed_on": str, "online": str, "note": str,
         "procedure_id": str, "search_text": str, "imported_at": str, "updated_at": str},
        pk="key", not_null={"name", "department", "review_result", "online"},
    )
    for columns in (["review_result"], ["department"], ["online"], ["procedure_id"]):
        db.table("ledger_entries").create_index(columns)


@migrations(name="0003_settings")
def _m0003(db: sqlite_utils.Database) -> None:
    db.table("settings").create({"name": str, "value": str, "updated_at": str}, pk="name")


@migrations(name="0004_kiosk_sessions_events_help")
def _m0004(db: sqlite_utils.Database) -> None:
    # The resident's conversation lives here only while the session lasts; it is deleted on
    # 「最初から」, on timeout, and when abandoned.
    db.table("kiosk_sessions").create(
        {"id": str, "ref": str, "device_id": int, "site_id": int, "state": str,
         "started_at": str, "updated_at": str},
        pk="id", not_null={"ref", "state", "started_at", "updated_at"},
    )
    db.table("kiosk_sessions").create_index(["updated_at"])
    # Anonymous usage: no IP address, no typed text, nothing about the person.
    db.table("kiosk_events").create(
        {"id": int, "session_ref": str, "device_id": int, "site_id": int, "event": str,
         "procedure_id": str, "channel_id": str, "detail": str, "occurred_at": str},
        pk="id", not_null={"session_ref", "event", "occurred_at"},
    )
    db.table("kiosk_events").create_index(["occurred_at"])
    db.table("kiosk_events").create_index(["event", "occurred_at"])
    db.table("help_requests").create(
        {"id": int, "site_id": int, "device_id": int, "session_ref": str, "procedure_id": str,
         "status": str, "created_at": str, "claimed_by": int, "claimed_at": str,
         "resolved_at": str},
        pk="id", not_null={"status", "created_at"},
        foreign_keys=[("site_id", "sites", "id"), ("device_id", "devices", "id")],
    )
    db.table("help_requests").create_index(["site_id", "status"])
    db.table("devices").add_column("enrollment_token_hash", str)
    db.table("devices").add_column("enrolled_at", str)


@migrations(name="0005_staff_consultations_audit")
def _m0005(db: sqlite_utils.Database) -> None:
    db.table("users").add_column("failed_logins", int, not_null_default=0)
    db.table("users").add_column("locked_until", str)
    db.table("users").add_column("last_login_at", str)
    db.table("sites").add_column("archived_at", str)
    # Failed sign-ins by address, for throttling; the address is kept only as a keyed hash.
    db.table("login_failures").create({"id": int, "address_hash": str, "at": str}, pk="id",
                                      not_null={"address_hash", "at"})
    db.table("login_failures").create_index(["address_hash", "at"])
    db.table("consultations").create(
        {"id": int, "site_id": int, "staff_id": int, "started_at": str, "minutes": int, "channel": str,
         "age_band": str, "first_visit": int, "language": str, "accessibility": str, "device_used": str,
         "outcome": str, "reason": str, "follow_up": int, "handoff_code": str, "satisfaction": int,
         "note": str, "help_request_id": int, "created_at": str, "updated_at": str, "deleted_at": str,
         "deleted_by": int},
        pk="id", not_null={"site_id", "staff_id", "started_at", "minutes", "channel", "age_band", "outcome",
                           "created_at", "updated_at"},
        foreign_keys=[("site_id", "sites", "id"), ("staff_id", "users", "id"),
                      ("help_request_id", "help_requests", "id")],
    )
    for columns in (["started_at"], ["site_id", "started_at"], ["deleted_at"]):
        db.table("consultations").create_index(columns)
    db.table("consultation_topics").create(
        {"consultation_id": int, "topic": str}, pk=("consultation_id", "topic"),
        foreign_keys=[("consultation_id", "consultations", "id")],
    )
    db.table("consultation_topics").create_index(["topic"])
    db.table("audit_log").create(
        {"id": int, "at": str, "user_id": int, "action": str, "entity": str, "entity_id": str,
         "before": str, "after": str},
        pk="id", not_null={"at", "action", "entity"},
    )
    db.table("audit_log").create_index(["at"])


@migrations(name="0006_enrollment_expiry")
def _m0006(db: sqlite_utils.Database) -> None:
    db.table("devices").add_column("enrollment_expires_at", str)


@migrations(name="0007_handoffs")
def _m0007(db: sqlite_utils.Database) -> None:
    # A handoff holds no personal data: what the resident did at the kiosk, never who they are.
    db.table("handoffs").create(
        {"id": int, "code": str, "session_ref": str, "procedure_id": str, "channel_id": str, "readiness": str,
         "site_id": int, "device_id": int, "locale": str, "created_at": str, "expires_at": str, "status": str,
         "updated_at": str},
        pk="id", not_null={"code", "procedure_id", "created_at", "expires_at", "status"},
        foreign_keys=[("site_id", "sites", "id"), ("device_id", "devices", "id")],
    )
    db.table("handoffs").create_index(["code"], unique=True)
    db.table("handoffs").create_index(["status", "created_at"])
    db.table("handoff_notes").create(
        {"id": int, "handoff_id": int, "user_id": int, "note": str, "at": str},
        pk="id", not_null={"handoff_id", "note", "at"},
        foreign_keys=[("handoff_id", "handoffs", "id"), ("user_id", "users", "id")],
    )
    db.table("handoff_lookups").create({"id": int, "address_hash": str, "at": str}, pk="id",
                                       not_null={"address_hash", "at"})
    db.table("handoff_lookups").create_index(["address_hash", "at"])
    db.table("devices").add_column("printer_queue", str)
    db.table("devices").add_column("paper", str)


# 0008, frozen: kiosk.catalog.ledger.search_text (and the reading from kiosk.assistant.text's
# Analyzer) as they were when 0008 was released. Later changes to the live search text need a new
# migration of their own; they must not change what 0008 computes.
_0008_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞", "連体詞", "感動詞"}
_0008_STOP_LEMMAS = {
    "する", "ある", "いる", "なる", "できる", "れる", "られる", "ない", "ます", "です", "こと", "もの",
    "ため", "よう", "これ", "それ", "どう", "どこ", "なに", "何", "いつ", "方", "ほう", "たい", "ほしい",
    "欲しい", "教える", "知る", "思う", "言う", "いう", "お", "ご", "御", "さん", "様", "ください",
    "下さい", "手続き", "手続", "方法", "やり方", "したい", "わかる", "分かる", "的", "等", "など",
    "今日", "今", "私", "僕", "ちょっと", "について", "くれる", "もらう", "いただく",
}
_0008_LATIN_WORD = re.compile(r"[a-z0-9]+")
_0008_TO_KATAKANA = str.maketrans("".join(chr(c) for c in range(0x3041, 0x3097)),
                                  "".join(chr(c) for c in range(0x30A1, 0x30F7)))
_0008_KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー・\s]+$")
_0008_PUNCTUATION = re.compile(r"[^\w\sー]+")


def _0008_reading(tokenizer, name: str) -> str:
    """The katakana reading of the content words of ``name`` (SudachiPy core dictionary, mode C)."""
    from sudachipy import SplitMode

    folded = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    folded = " ".join(_0008_PUNCTUATION.sub(" ", folded).split())
    # Kana-only text is read as katakana: Sudachi splits hiragana runs into odd pieces.
    source = folded.translate(_0008_TO_KATAKANA) if _0008_KANA_ONLY.match(folded) else folded
    reading = []
    for morpheme in tokenizer.tokenize(source, SplitMode.C):
        if morpheme.part_of_speech()[0] not in _0008_CONTENT_POS or _0008_LATIN_WORD.fullmatch(morpheme.surface()):
            continue
        if morpheme.normalized_form() in _0008_STOP_LEMMAS or morpheme.dictionary_form() in _0008_STOP_LEMMAS:
            continue
        reading.append(morpheme.reading_form().translate(_0008_TO_KATAKANA))
    return "".join(reading)


def _0008_search_text(tokenizer, row: dict) -> str:
    parts = (row.get("name"), row.get("department"), row.get("legal_basis"), row.get("note"))
    text = unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).strip().casefold()
    reading = _0008_reading(tokenizer, row.get("name") or "")
    return f"{text} {reading}" if reading else text


@migrations(name="0008_ledger_readings")
def _m0008(db: sqlite_utils.Database) -> None:
    # The seal-free list now also searches the katakana reading of each name.
    rows = list(db.query("select key, name, department, legal_basis, note from ledger_entries"))
    if not rows:
        return  # a new database: no need to load the dictionary (about 100 ms)
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").tokenizer(SplitMode.C)
    for row in rows:
        db.execute("update ledger_entries set search_text = ? where key = ?",
                   [_0008_search_text(tokenizer, row), row["key"]])


@migrations(name="0009_session_version")
def _m0009(db: sqlite_utils.Database) -> None:
    db.table("users").add_column("session_version", int, not_null_default=0)


# 0010, frozen: the rollup table, its triggers and its first computation as kiosk.stats.rollup had
# them when 0010 was released. The live module may change its triggers later (with a migration of
# its own); this copy must not follow.
_0010_DIMENSIONS = (
    ("all", "''"),
    ("age_band", "r.age_band"),
    ("outcome", "r.outcome"),
    ("reason", "coalesce(r.reason, '')"),
    ("first_visit", "cast(coalesce(r.first_visit, 0) as text)"),
    ("staff", "cast(r.staff_id as text)"),
    ("device_used", "coalesce(r.device_used, '')"),
    ("satisfaction", "coalesce(cast(r.satisfaction as text), '')"),
)
_0010_MONTH = "strftime('%Y-%m', {row}.started_at, '+9 hours')"

_0010_UPSERT = """
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

_0010_TOPICS = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select {month}, r.site_id, r.channel, 'topic', t.topic, {sign}, 0, 0, 0
from consultations r join consultation_topics t on t.consultation_id = r.id
where r.id = {row}.id {topic_filter}
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""

_0010_UPSERT_OLD = """
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

_0010_TOPICS_OLD = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select strftime('%Y-%m', old.started_at, '+9 hours'), old.site_id, old.channel, 'topic', t.topic, -1, 0, 0, 0
from consultation_topics t where t.consultation_id = old.id and old.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""

_0010_TOPIC_ROW = """
insert into consultation_stats (month, site_id, channel, dimension, value, consultations, minutes,
                                satisfaction_sum, satisfaction_n)
select strftime('%Y-%m', r.started_at, '+9 hours'), r.site_id, r.channel, 'topic', {row}.topic, {sign}, 0, 0, 0
from consultations r where r.id = {row}.consultation_id and r.deleted_at is null
on conflict (month, site_id, channel, dimension, value) do update set
  consultations = consultations + excluded.consultations;
"""

_0010_FOR_NEW = "from consultations r where r.id = new.id"


def _0010_dimension_statements(row: str, sign: int) -> str:
    month = _0010_MONTH.format(row="r")
    return "".join(_0010_UPSERT.format(month=month, dimension=name, value=expr, sign=sign, row=row)
                   for name, expr in _0010_DIMENSIONS)


def _0010_create_triggers(db: sqlite_utils.Database) -> None:
    # The trigger texts, whitespace included, are what sqlite_master holds: keep them byte for byte.
    db.execute(f"""create trigger consultation_stats_insert after insert on consultations
        when new.deleted_at is null begin {_0010_dimension_statements('new', 1)} end""")
    old_out = "".join(
        _0010_UPSERT_OLD.format(dimension=name, value=expr.replace("r.", "old."), sign=-1)
        for name, expr in _0010_DIMENSIONS)
    new_in = _0010_dimension_statements('new', 1).replace(_0010_FOR_NEW, _0010_FOR_NEW + ' and new.deleted_at is null')
    topics_in = _0010_TOPICS.format(month=_0010_MONTH.format(row='r'), sign=1, row='new',
                                    topic_filter='and new.deleted_at is null')
    db.execute(f"""create trigger consultation_stats_update after update on consultations begin
        {old_out}
        {_0010_TOPICS_OLD}
        {new_in}
        {topics_in}
        end""")
    db.execute(f"""create trigger consultation_topic_insert after insert on consultation_topics begin
        {_0010_TOPIC_ROW.format(sign=1, row='new')} end""")
    db.execute(f"""create trigger consultation_topic_delete after delete on consultation_topics begin
        {_0010_TOPIC_ROW.format(sign=-1, row='old')} end""")


@migrations(name="0010_consultation_stats")
def _m0010(db: sqlite_utils.Database) -> None:
    db.execute("""
        create table consultation_stats (
          month text not null, site_id integer not null, channel text not null,
          dimension text not null, value text not null,
          consultations integer not null default 0, minutes integer not null default 0,
          satisfaction_sum integer not null default 0, satisfaction_n integer not null default 0,
          primary key (month, site_id, channel, dimension, value))""")
    db.execute("create index consultation_stats_dimension on consultation_stats (dimension, month)")
    _0010_create_triggers(db)
    # The consultations already recorded (the table starts empty, so no delete is needed).
    for name, expr in _0010_DIMENSIONS:
        db.execute(f"""
            insert into consultation_stats select {_0010_MONTH.format(row='r')}, r.site_id, r.channel, '{name}', {expr},
                count(*), sum(r.minutes), sum(coalesce(r.satisfaction, 0)), sum(r.satisfaction is not null)
            from consultations r where r.deleted_at is null group by 1, 2, 3, 5""")
    db.execute(f"""
        insert into consultation_stats select {_0010_MONTH.format(row='r')}, r.site_id, r.channel, 'topic', t.topic,
            count(*), 0, 0, 0
        from consultations r join consultation_topics t on t.consultation_id = r.id
        where r.deleted_at is null group by 1, 2, 3, 5""")


# 0011, frozen: how the old 見直し結果 maps onto the review statuses of kiosk.review.statuses
# when 0011 was released (存続 with a 実印 becomes kept-registered-seal, other 存続 kept-law).
_0011_STATUS_FROM_RESULT = {"abolished": "abolished", "never-required": "not-applicable", "kept": "kept-law"}


@migrations(name="0011_seal_review")
def _m0011(db: sqlite_utils.Database) -> None:
    ledger = db.table("ledger_entries")
    for column in ("status", "keep_reason", "rules_to_amend", "rules_amended_on", "abolished_on"):
        ledger.add_column(column, str)
    for result, status in _0011_STATUS_FROM_RESULT.items():
        db.execute("update ledger_entries set status = ? where review_result = ?", [status, result])
    db.execute("update ledger_entries set status = 'kept-registered-seal' "
               "where review_result = 'kept' and seal_kind like '%実印%'")
    db.execute("update ledger_entries set keep_reason = legal_basis where review_result = 'kept'")
    db.execute("update ledger_entries set abolished_on = reviewed_on where review_result = 'abolished'")
    db.execute("update ledger_entries set status = 'not-started' where status is null")
    # The progress page counts by department and status, and abolitions by month (the ward's and
    # a department's), from these covering indexes; the first import dates the default deadline.
    ledger.create_index(["department", "status", "abolished_on"])
    ledger.create_index(["status", "abolished_on"])
    ledger.create_index(["imported_at"])
    db.execute("create index ledger_entries_rules_pending on ledger_entries (rules_to_amend) "
               "where rules_to_amend is not null and rules_amended_on is null")
    # A reviewer updates the ledger rows of one department (所管課).
    db.table("users").add_column("department", str)


@migrations(name="0012_tablet_submissions")
def _m0012(db: sqlite_utils.Database) -> None:
    # Records a staff tablet made offline and sent later (kiosk.consultations.tablet_sync): one row
    # per tablet-made id, the primary key, so a resend, even two at once, can never store a record twice.
    db.table("tablet_submissions").create({
        "client_id": str, "staff_id": int, "content_hash": str, "consultation_id": int,
        "made_at": str, "received_at": str,
    }, pk="client_id", not_null={"staff_id", "content_hash", "consultation_id", "received_at"},
        foreign_keys=[("staff_id", "users", "id"), ("consultation_id", "consultations", "id")])


@migrations(name="0013_kiosk_events_by_session")
def _m0013(db: sqlite_utils.Database) -> None:
    # The help queue shows the guide step a calling resident was on: found by the session's events.
    db.table("kiosk_events").create_index(["session_ref", "event"], if_not_exists=True)


@migrations(name="0014_ledger_search")
def _m0014(db: sqlite_utils.Database) -> None:
    # The assistant's search over the seal-review ledger, kept here instead of in every process's
    # memory (kiosk.catalog.ledger_index fills it at import; empty here, built once on start-up).
    db.execute("create table ledger_search_rows (key text primary key, name text not null, "
               "name_key text not null, fields text not null)")
    db.execute("create index ledger_search_rows_name_key on ledger_search_rows (name_key)")
    # WITHOUT ROWID: the postings are their primary key, stored once (not a table and an index)
    db.execute("create table ledger_search_terms (term text not null, key text not null, "
               "primary key (term, key)) without rowid")
    db.execute("create table ledger_search_counts (term text primary key, df integer not null) without rowid")


def _legacy_history(db: sqlite_utils.Database) -> list[dict]:
    if not db.table(LEGACY_HISTORY_TABLE).exists():
        return []
    return list(db.query(f"select name, applied_at from {LEGACY_HISTORY_TABLE} order by rowid"))


def _carry_over_legacy_history(db: sqlite_utils.Database) -> None:
    """Copy the previous runner's record into sqlite-utils' table, each name once, with its
    original time. Idempotent; the caller's write transaction keeps two processes from racing."""
    if not db.table(LEGACY_HISTORY_TABLE).exists():
        return
    migrations.ensure_migrations_table(db)
    db.execute(
        f"insert into {HISTORY_TABLE} (migration_set, name, applied_at) "
        f"select ?, legacy.name, legacy.applied_at from {LEGACY_HISTORY_TABLE} legacy "
        f"where not exists (select 1 from {HISTORY_TABLE} done "
        f"                  where done.migration_set = ? and done.name = legacy.name) "
        f"order by legacy.rowid",
        [MIGRATION_SET, MIGRATION_SET],
    )


def applied_migrations(db: sqlite_utils.Database) -> list[dict]:
    """``{"name", "applied_at"}`` of every applied migration, in the order applied. Read only: on a
    database the previous runner made and `migrate` has not yet seen, its history comes from
    ``_migrations``."""
    recorded = [{"name": m.name, "applied_at": m.applied_at} for m in migrations.applied(db)]
    names = {row["name"] for row in recorded}
    return [row for row in _legacy_history(db) if row["name"] not in names] + recorded


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """The names `migrate` would apply, in order. Read only."""
    done = {row["name"] for row in applied_migrations(db)}
    return [m.name for m in migrations.pending(db) if m.name not in done]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded; return their names. Running it again is a no-op.

    One write transaction (BEGIN IMMEDIATE) holds the carry-over and every pending migration, each
    in its own savepoint: a second process (waitress starting while `kiosk db migrate` runs) waits
    for the lock and then finds nothing to do, and a migration that raises rolls the whole run
    back, leaving the database as it was."""
    with transaction(db):
        _carry_over_legacy_history(db)
        pending = migrations.pending(db)
        outside = [m.name for m in pending if not m.transactional]
        if outside:  # VACUUM and the like cannot run inside the run's transaction
            raise RuntimeError(f"migrations registered with transactional=False are not supported: {outside}")
        migrations.apply(db)
    return [m.name for m in pending]


@click.group("db", help="Database: migrate, status, backup, restore.")
def db_cli() -> None:
    pass


@db_cli.command("migrate", help="Apply pending migrations (safe to run again).")
def migrate_command() -> None:
    db = connect(current_app.config["DATABASE"])
    applied = migrate(db)
    click.echo(f"Database: {current_app.config['DATABASE']}")
    click.echo(f"Applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


@db_cli.command("status", help="Show the database file, applied and pending migrations.")
def status_command() -> None:
    db = connect(current_app.config["DATABASE"])
    click.echo(f"Database: {current_app.config['DATABASE']} (journal mode {db.journal_mode})")
    click.echo(f"Migrations: set '{MIGRATION_SET}' in {HISTORY_TABLE}")
    recorded = {m.name for m in migrations.applied(db)}
    for row in applied_migrations(db):
        where = "" if row["name"] in recorded else f"  (in {LEGACY_HISTORY_TABLE}; carried over by the next migrate)"
        click.echo(f"  applied  {row['name']}  {row['applied_at']}{where}")
    pending = pending_migrations(db)
    for name in pending:
        click.echo(f"  pending  {name}")
    click.echo("Up to date." if not pending else f"{len(pending)} pending: run `kiosk db migrate`.")


@db_cli.command("backup", help="Copy the live database to PATH with SQLite's online backup, then check the copy. "
                               "Refuses an existing PATH unless --force.")
@click.argument("path", type=click.Path())
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.option("--timestamp", is_flag=True,
              help="Add the UTC time to PATH's name (kiosk.db: kiosk-20261203T020000Z.db): for a timer.")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="With --timestamp: then delete all but the newest N such backups beside it.")
def backup_command(path: str, force: bool, timestamp: bool, keep: int | None) -> None:
    if keep and not timestamp:
        raise click.BadParameter("only with --timestamp", param_hint="--keep")
    if timestamp:
        path = str(timestamped(path, dt.datetime.now(dt.UTC)))
    live = current_app.config["DATABASE"]
    if not os.path.isfile(live):  # connecting would create an empty database and back that up
        click.echo(f"{live}: the database does not exist; nothing to back up", err=True)
        raise SystemExit(1)
    try:
        db = connect(live)
    except sqlite3.Error as exc:  # not a database, or a damaged one
        click.echo(f"Error: {live}: cannot open the database ({exc}); nothing was written", err=True)
        raise SystemExit(1) from None
    try:
        result = backup(db, path, force=force)
    except BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    finally:
        db.conn.close()
    click.echo(f"Backed up {live} to {result.path} ({result.size:,} bytes, integrity {result.integrity})")
    if keep:
        for removed in prune_backups(Path(result.path), keep):
            click.echo(f"Deleted the older backup {removed}")


TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"


def timestamped(path: str, moment: dt.datetime) -> Path:
    path = Path(path)
    return path.with_name(f"{path.stem}-{moment.strftime(TIMESTAMP_FORMAT)}{path.suffix}")


def prune_backups(newest: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups named like ``newest`` (stem-<UTC time>.suffix)."""
    stem = newest.stem.rsplit("-", 1)[0]
    pattern = re.compile(rf"{re.escape(stem)}-\d{{8}}T\d{{6}}Z{re.escape(newest.suffix)}")
    backups = sorted(p for p in newest.parent.iterdir() if pattern.fullmatch(p.name))  # the name sorts by time
    removed = backups[:-keep]
    for old in removed:
        old.unlink()
    return removed

