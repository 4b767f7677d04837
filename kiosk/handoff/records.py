"""Handoff records: what a resident takes home on the printed sheet, and how staff follow up.

No name, address, phone number or any other personal data, ever: a handoff knows the procedure,
the recommended channel, the readiness answers, where and when — and a random code.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import sqlite_utils

from kiosk.audit import audit
from kiosk.db import now_iso, transaction
from kiosk.handoff import codes as handoff_codes
from kiosk.staff.accounts import address_hash
from kiosk.staff.personal_data import refuse_mynumbers

STATUSES = ("open", "contacted", "resolved")  # "expired" is derived from expires_at
LOOKUP_WINDOW_MINUTES = 10


def create_handoff(db: sqlite_utils.Database, *, procedure_id: str, channel_id: str | None,
                   session_ref: str | None, readiness: list | None, site_id: int | None,
                   device_id: int | None, locale: str, days: int, timezone: str = "Asia/Tokyo") -> dict:
    now = dt.datetime.now(dt.UTC)
    # Valid to the end of the printed day, in the ward's time zone.
    zone = ZoneInfo(timezone)
    last_day = (now.astimezone(zone) + dt.timedelta(days=days)).date()
    expires_at = dt.datetime.combine(last_day, dt.time(23, 59, 59), zone).astimezone(dt.UTC)
    record = {"procedure_id": procedure_id, "channel_id": channel_id, "session_ref": session_ref,
              "readiness": json.dumps(readiness or [], ensure_ascii=False), "site_id": site_id,
              "device_id": device_id, "locale": locale, "created_at": now.isoformat(timespec="seconds"),
              "expires_at": expires_at.isoformat(timespec="seconds"), "status": "open",
              "updated_at": now.isoformat(timespec="seconds")}
    with transaction(db):
        for _ in range(5):  # 40 random bits: a collision is rare, but never a crash
            code = handoff_codes.new_code()
            if not db.execute("select 1 from handoffs where code = ?", [code]).fetchone():
                break
        db.table("handoffs").insert({**record, "code": code})
    return get_handoff(db, code)


def _with_state(row: dict) -> dict:
    """Adds expired (a time fact) and state (what staff see: expired unless resolved)."""
    row["expired"] = dt.datetime.fromisoformat(row["expires_at"]) < dt.datetime.now(dt.UTC)
    row["state"] = "expired" if row["expired"] and row["status"] != "resolved" else row["status"]
    row["readiness"] = json.loads(row["readiness"] or "[]")
    row["display_code"] = handoff_codes.display(row["code"])
    return row


def get_handoff(db: sqlite_utils.Database, code: str) -> dict | None:
    rows = list(db.query("select * from handoffs where code = ?", [code]))
    return _with_state(rows[0]) if rows else None


def session_handoff(db: sqlite_utils.Database, codes: list[str], procedure_id: str,
                    channel_id: str | None) -> dict | None:
    """The handoff this kiosk session already made for this procedure and channel: a second tap
    on 「印刷する」 or 「スマホで続ける」 shows the same code instead of making a new one."""
    for code in codes:
        record = get_handoff(db, code)
        if record and record["procedure_id"] == procedure_id and record["channel_id"] == channel_id:
            return record
    return None


def latest_session_handoff(db: sqlite_utils.Database, session_ref: str | None) -> dict | None:
    """The newest handoff of a kiosk session (a staff member answering its call continues it)."""
    if not session_ref:
        return None
    rows = list(db.query("select * from handoffs where session_ref = ? order by id desc limit 1", [session_ref]))
    return _with_state(rows[0]) if rows else None


def find_handoff(db: sqlite_utils.Database, typed: str) -> dict | None:
    """A handoff by a typed or scanned code (normalised and checked first)."""
    code = handoff_codes.normalise(typed)
    return get_handoff(db, code) if code else None


def lookup_allowed(db: sqlite_utils.Database, address: str, secret: str, limit: int) -> bool:
    """Rate limit for the public page: one address may look up ``limit`` codes in 10 minutes."""
    hashed = address_hash(address, secret)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=LOOKUP_WINDOW_MINUTES)).isoformat(timespec="seconds")
    with transaction(db):
        db.execute("delete from handoff_lookups where at < ?", [since])
        count = db.execute("select count(*) from handoff_lookups where address_hash = ?", [hashed]).fetchone()[0]
        if count >= limit:
            return False
        db.table("handoff_lookups").insert({"address_hash": hashed, "at": now_iso()})
    return True


def open_handoffs(db: sqlite_utils.Database, site_id: int | None) -> list[dict]:
    """Not yet resolved, oldest first, with the days since created."""
    rows = list(db.query(
        "select handoffs.*, sites.name as site_name from handoffs left join sites on sites.id = handoffs.site_id "
        "where status != 'resolved' and (? is null or site_id = ?) order by created_at", [site_id, site_id]))
    now = dt.datetime.now(dt.UTC)
    for row in rows:
        _with_state(row)
        row["days"] = (now - dt.datetime.fromisoformat(row["created_at"])).days
    return rows


def kiosk_activity(db: sqlite_utils.Database, session_ref: str | None) -> list[dict]:
    """What the resident did at the kiosk in the session that made the handoff (anonymous events)."""
    if not session_ref:
        return []
    return list(db.query("select event, procedure_id, channel_id, detail, occurred_at from kiosk_events "
                         "where session_ref = ? order by id", [session_ref]))


def notes(db: sqlite_utils.Database, handoff_id: int) -> list[dict]:
    return list(db.query("select handoff_notes.*, users.display_name from handoff_notes "
                         "left join users on users.id = handoff_notes.user_id where handoff_id = ? order by at",
                         [handoff_id]))


def add_note(db: sqlite_utils.Database, handoff: dict, user_id: int, note: str) -> None:
    """Raises MyNumberRefused for a note holding a 個人番号 (the staff view checks first, with
    kiosk.consultations.form.check_note, in words staff read)."""
    refuse_mynumbers({"note": note})
    with transaction(db):
        db.table("handoff_notes").insert({"handoff_id": handoff["id"], "user_id": user_id, "note": note,
                                          "at": now_iso()})
        audit(db, user_id, "note", "handoff", handoff["code"], None, {"note": note})


def set_status(db: sqlite_utils.Database, handoff: dict, user_id: int, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(status)
    with transaction(db):
        db.table("handoffs").update(handoff["id"], {"status": status, "updated_at": now_iso()})
        audit(db, user_id, "status", "handoff", handoff["code"], {"status": handoff["status"]}, {"status": status})
