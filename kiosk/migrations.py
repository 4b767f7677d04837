"""The database's migrations, applied once each and recorded, and the `kiosk db` commands.

Append only: a migration, once released, is never edited or removed, and none drops data."""

from __future__ import annotations

from collections.abc import Callable

import click
import sqlite_utils
from flask import current_app

from kiosk.db import backup, connect, now_iso, transaction

MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


def migration(name: str):
    def register(fn):
        MIGRATIONS.append((name, fn))
        return fn
    return register


@migration("0001_sites_devices_users")
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


@migration("0002_ledger")
def _m0002(db: sqlite_utils.Database) -> None:
    db.table("ledger_entries").create(
        {"key": str, "ward_number": str, "name": str, "department": str, "legal_basis": str,
         "seal_kind": str, "review_result": str, "reviewed_on": str, "online": str, "note": str,
         "procedure_id": str, "search_text": str, "imported_at": str, "updated_at": str},
        pk="key", not_null={"name", "department", "review_result", "online"},
    )
    for columns in (["review_result"], ["department"], ["online"], ["procedure_id"]):
        db.table("ledger_entries").create_index(columns)


@migration("0003_settings")
def _m0003(db: sqlite_utils.Database) -> None:
    db.table("settings").create({"name": str, "value": str, "updated_at": str}, pk="name")


@migration("0004_kiosk_sessions_events_help")
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


@migration("0005_staff_consultations_audit")
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


@migration("0006_enrollment_expiry")
def _m0006(db: sqlite_utils.Database) -> None:
    db.table("devices").add_column("enrollment_expires_at", str)


@migration("0007_handoffs")
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


@migration("0008_ledger_readings")
def _m0008(db: sqlite_utils.Database) -> None:
    # The seal-free list now also searches the katakana reading of each name.
    from kiosk.catalog.ledger import search_text

    rows = list(db.query("select key, name, department, legal_basis, note from ledger_entries"))
    for row in rows:
        db.execute("update ledger_entries set search_text = ? where key = ?", [search_text(row), row["key"]])


@migration("0009_session_version")
def _m0009(db: sqlite_utils.Database) -> None:
    db.table("users").add_column("session_version", int, not_null_default=0)


@migration("0010_consultation_stats")
def _m0010(db: sqlite_utils.Database) -> None:
    from kiosk.stats.rollup import create_rollup, rebuild_rollup

    create_rollup(db)
    rebuild_rollup(db)


def applied_migrations(db: sqlite_utils.Database) -> list[dict]:
    if not db.table("_migrations").exists():
        return []
    return list(db.query("select name, applied_at from _migrations order by name"))


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded; return their names. Running it again is a no-op."""
    if not db.table("_migrations").exists():
        db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in applied_migrations(db)}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with transaction(db):
            fn(db)
            db.table("_migrations").insert({"name": name, "applied_at": now_iso()})
        applied.append(name)
    return applied


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    done = {row["name"] for row in applied_migrations(db)}
    return [name for name, _ in MIGRATIONS if name not in done]


@click.group("db", help="Database: migrate, status, backup.")
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
    for row in applied_migrations(db):
        click.echo(f"  applied  {row['name']}  {row['applied_at']}")
    pending = pending_migrations(db)
    for name in pending:
        click.echo(f"  pending  {name}")
    click.echo("Up to date." if not pending else f"{len(pending)} pending: run `kiosk db migrate`.")


@db_cli.command("backup", help="Copy the live database to PATH with SQLite's online backup.")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str) -> None:
    db = connect(current_app.config["DATABASE"])
    backup(db, path)
    click.echo(f"Backed up {current_app.config['DATABASE']} to {path}")
