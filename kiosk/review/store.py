"""A reviewer's update of one ledger row: the status, the reason a seal is kept, the 例規 to
amend and the dates — checked, written with its audit entry in one transaction.

The public seal-free list and the kiosk read the status directly (kiosk.catalog.ledger), so an
abolition shows there from the moment it is saved; the assistant's search index holds only
names and departments, so it needs no rebuild.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils
from flask_babel import gettext as _

from kiosk.audit import audit
from kiosk.db import now_iso, transaction
from kiosk.review.statuses import KEPT, STATUSES, public_result

# What a reviewer may change; each is in the audit entry when it changed.
EDITABLE = ("status", "keep_reason", "rules_to_amend", "rules_amended_on", "abolished_on", "reviewed_on")
MAX_LENGTH = {"keep_reason": 300, "rules_to_amend": 200}


@dataclass
class UpdateResult:
    entry: dict | None  # the row after the update (or as it was, when refused)
    errors: dict[str, str]  # field → message; nothing written when there are any
    changed: tuple[str, ...] = ()


def may_update(user: dict, entry: dict) -> bool:
    """A reviewer updates its own department's rows; coordinators and admins any row."""
    if user["role"] in ("coordinator", "admin"):
        return True
    return user["role"] == "reviewer" and bool(user.get("department")) and user["department"] == entry["department"]


def _date(value: str, errors: dict, name: str) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        errors[name] = _("日付は 2026-04-01 の形で入れてください。")
        return None


def check_update(entry: dict, form: dict[str, str], today: dt.date) -> tuple[dict, dict[str, str]]:
    """The new values from the form, and the problems, by field. Dates a status implies are filled:
    見直し日 once reviewed, 廃止日 on 廃止済 (today unless given)."""
    errors: dict[str, str] = {}
    status = form.get("status", "")
    if status not in STATUSES:
        errors["status"] = _("状況を選んでください。")
        status = entry["status"]
    values = {"status": status}
    # A field the form did not send keeps its value (a short form sends the status alone).
    for name, limit in MAX_LENGTH.items():
        text = " ".join((form[name] or "").split()) if name in form else (entry[name] or "")
        if len(text) > limit:
            errors[name] = _("%(limit)s文字以内で入れてください。", limit=limit)
        values[name] = text or None
    for name in ("rules_amended_on", "abolished_on"):
        values[name] = _date(form[name].strip(), errors, name) if name in form else entry[name]
    if status in KEPT and not values["keep_reason"]:
        errors["keep_reason"] = _("押印を残す理由（根拠となる法令・規則）を入れてください。")
    if status == "abolished":
        values["abolished_on"] = values["abolished_on"] or today.isoformat()
    elif status != "decided":
        values["abolished_on"] = None  # a date only 廃止決定 (planned) and 廃止済 have
    if values["rules_amended_on"] and not values["rules_to_amend"]:
        errors["rules_amended_on"] = _("改正日は、改正する例規を入れてから入れてください。")
    reviewed = status not in ("not-started", "reviewing")
    values["reviewed_on"] = (entry["reviewed_on"] or today.isoformat()) if reviewed else entry["reviewed_on"]
    if status != entry["status"] and reviewed:
        values["reviewed_on"] = today.isoformat()  # a new decision is dated the day it is made
    return values, errors


def review_entry(db: sqlite_utils.Database, key: str) -> dict | None:
    """One ledger row by its key, as stored (the status and review columns included)."""
    return next(iter(db.query("select * from ledger_entries where key = ?", [key])), None)


def update_entry(db: sqlite_utils.Database, user: dict, key: str, form: dict[str, str],
                 today: dt.date) -> UpdateResult:
    entry = review_entry(db, key)
    if entry is None:
        return UpdateResult(None, {"status": _("この手続きは台帳にありません。")})
    values, errors = check_update(entry, form, today)
    if errors:
        return UpdateResult({**entry, **{k: v for k, v in values.items() if k in form}}, errors)
    changed = tuple(name for name in EDITABLE if values[name] != entry[name])
    if not changed:
        return UpdateResult(entry, {})
    stamp = now_iso()
    with transaction(db):  # the row and its audit entry together, or neither
        update = {name: values[name] for name in changed}
        update["review_result"] = public_result(values["status"])  # kept in step for older readers
        db.table("ledger_entries").update(key, {**update, "updated_at": stamp})
        audit(db, user["id"], "update", "ledger_entry", key, {name: entry[name] for name in changed},
              {name: values[name] for name in changed})
    return UpdateResult({**entry, **update, "updated_at": stamp}, {}, changed)
