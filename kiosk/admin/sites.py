"""Sites: the ward's branch offices and the outreach events where residents are helped. Every
change is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils
from flask_babel import lazy_gettext as _l

from kiosk.audit import audit
from kiosk.db import now_iso, transaction
from kiosk.staff.personal_data import fields_with_mynumbers

SITE_KINDS = {"branch": _l("支所・出張所"), "event": _l("出張相談会")}
# What an administrator edits; created_at and archived_at are kept by this module.
SITE_FIELDS = ("name", "kind", "venue", "starts_on", "ends_on")


class SiteError(ValueError):
    """A site that does not exist, or fields no site may have (the message says which)."""


def list_sites(db: sqlite_utils.Database) -> list[dict]:
    """Every site, those in use first."""
    return list(db.query("select * from sites order by archived_at is not null, id"))


def get_site(db: sqlite_utils.Database, site_id: int) -> dict | None:
    rows = list(db.query("select * from sites where id = ?", [site_id]))
    return rows[0] if rows else None


def active_sites(db: sqlite_utils.Database) -> list[dict]:
    """The sites still in use (not archived), for choosing one: id, name and kind."""
    return list(db.query("select id, name, kind from sites where archived_at is null order by id"))


def _site_record(fields: dict) -> dict:
    """The row to store: empty text as NULL; refused whole, with the reason, if it breaks a rule
    the rest of the app relies on (the admin form checks these first, with friendlier words)."""
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise SiteError(f"unknown site fields: {', '.join(sorted(unknown))}")
    record = {name: (fields.get(name) or None) for name in SITE_FIELDS}
    refused = fields_with_mynumbers(record)
    if refused:  # the field's name only: the number goes nowhere, not even into the message
        raise SiteError(f"{refused[0]} holds what looks like a 個人番号 (My Number), which is never stored")
    if not record["name"]:
        raise SiteError("a site needs a name")
    if record["kind"] not in SITE_KINDS:
        raise SiteError(f"unknown site kind {record['kind']!r}; one of {', '.join(SITE_KINDS)}")
    dates = {}
    for name in ("starts_on", "ends_on"):
        if record[name]:
            try:
                dates[name] = dt.date.fromisoformat(record[name])
            except ValueError:
                raise SiteError(f"{name} must be a date as YYYY-MM-DD, not {record[name]!r}") from None
    if len(dates) == 2 and dates["ends_on"] < dates["starts_on"]:
        raise SiteError("ends_on is before starts_on")
    return record


def create_site(db: sqlite_utils.Database, fields: dict, *, by_user: int | None) -> int:
    """Add a site; returns its id."""
    record = _site_record(fields)
    with transaction(db):
        site_id = db.table("sites").insert({**record, "created_at": now_iso()}).last_pk
        audit(db, by_user, "create", "site", site_id, None, record)
    return site_id


def update_site(db: sqlite_utils.Database, site_id: int, fields: dict, *, archived: bool,
                by_user: int | None) -> None:
    """Change a site's fields; ``archived`` ends its use (kept for statistics) or brings it back.
    An archived site keeps the date it was first archived."""
    record = _site_record(fields)
    with transaction(db):
        before = get_site(db, site_id)
        if before is None:
            raise SiteError(f"no site with id {site_id}")
        record["archived_at"] = (before["archived_at"] or now_iso()) if archived else None
        db.table("sites").update(site_id, record)
        audit(db, by_user, "update", "site", site_id, {k: before[k] for k in record}, record)
