"""「職員を呼ぶ」: a kiosk's call for staff, and the help queue on the staff tablets of the same site.

A request is open → claimed (by one staff member; the others see who) → resolved. Requests from
kiosks not yet bound to a site show on every tablet, so that nobody is left waiting.
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from kiosk.admin.devices import Device
from kiosk.audit import audit
from kiosk.db import now_iso, transaction

MAX_UNASSIGNED_CALLS = 5


class TooManyCalls(RuntimeError):
    """Kiosks not bound to a site already have MAX_UNASSIGNED_CALLS calls open: this one was not
    made (the resident must not be told that staff are coming)."""


def create_help_request(db: sqlite_utils.Database, session_ref: str | None, device: Device | None,
                        procedure_id: str | None) -> int | None:
    """「職員を呼ぶ」: site, device, the procedure the resident was on, and the time. None when
    this session (or, without a session, this kiosk) is already waiting: repeated taps and
    scripted posts do not flood the staff tablets. Raises TooManyCalls when unassigned kiosks
    already have too many calls open."""
    table = db.table("help_requests")
    with transaction(db):
        waiting = db.execute(
            "select 1 from help_requests where status in ('open', 'claimed') and "
            "((? is not null and session_ref = ?) or (? is null and device_id = ?))",
            [session_ref, session_ref, session_ref, device.id if device else None]).fetchone()
        if waiting:
            return None
        if device is None:  # calls from unassigned kiosks show on every tablet: keep them few
            unassigned = db.execute("select count(*) from help_requests where site_id is null and "
                                    "status in ('open', 'claimed')").fetchone()[0]
            if unassigned >= MAX_UNASSIGNED_CALLS:
                raise TooManyCalls(unassigned)
        table.insert({"site_id": device.site_id if device else None, "device_id": device.id if device else None,
                      "session_ref": session_ref, "procedure_id": procedure_id, "status": "open",
                      "created_at": now_iso()})
    return table.last_pk


def call_status(db: sqlite_utils.Database, session_ref: str | None, device: Device | None) -> str | None:
    """What the kiosk shows about its own call: "open" (waiting), "claimed" (a supporter is on
    the way), or None (no call waiting)."""
    if session_ref is None and device is None:
        return None
    row = db.execute(
        "select status from help_requests where status in ('open', 'claimed') and "
        "((? is not null and session_ref = ?) or (? is null and device_id = ?)) order by id desc limit 1",
        [session_ref, session_ref, session_ref, device.id if device else None]).fetchone()
    return row[0] if row else None


def last_step_reached(db: sqlite_utils.Database, session_ref: str | None, procedure_id: str | None) -> dict | None:
    """The guide step of ``procedure_id`` the resident was last on (from the session's anonymous
    events): the call card shows it, so that the supporter walks up knowing where they are."""
    if not session_ref or not procedure_id:
        return None
    rows = list(db.query("select procedure_id, channel_id, detail from kiosk_events where session_ref = ? "
                         "and procedure_id = ? and event = 'step_reached' order by id desc limit 1",
                         [session_ref, procedure_id]))
    if not rows or not (rows[0]["detail"] or "").isdigit():
        return None
    return {"procedure_id": rows[0]["procedure_id"], "channel_id": rows[0]["channel_id"],
            "number": int(rows[0]["detail"])}


class NotFound(LookupError):
    """No such request at this site (or it is not in a state that allows the change)."""


def waiting_requests(db: sqlite_utils.Database, site_id: int | None) -> list[dict]:
    rows = list(db.query(
        "select help_requests.*, devices.name as device_name, sites.name as site_name, "
        "users.display_name as claimed_by_name from help_requests "
        "left join devices on devices.id = help_requests.device_id "
        "left join sites on sites.id = help_requests.site_id "
        "left join users on users.id = help_requests.claimed_by "
        "where status in ('open', 'claimed') and (help_requests.site_id is null or help_requests.site_id = ?) "
        "order by help_requests.created_at", [site_id]))
    now = dt.datetime.now(dt.UTC)
    for row in rows:
        row["waiting_minutes"] = int((now - dt.datetime.fromisoformat(row["created_at"])).total_seconds() // 60)
        row["step"] = last_step_reached(db, row["session_ref"], row["procedure_id"])
    return rows


def get_request(db: sqlite_utils.Database, request_id: int, site_id: int | None) -> dict:
    rows = list(db.query("select * from help_requests where id = ? and (site_id is null or site_id = ?)",
                         [request_id, site_id]))
    if not rows:
        raise NotFound(request_id)
    return rows[0]


def claim(db: sqlite_utils.Database, request_id: int, user: dict, site_id: int | None) -> bool:
    """True when this user now holds the request; False when someone else claimed it first."""
    get_request(db, request_id, site_id)
    with transaction(db):
        changed = db.execute(
            "update help_requests set status = 'claimed', claimed_by = ?, claimed_at = ? "
            "where id = ? and status = 'open'", [user["id"], now_iso(), request_id]).rowcount
        if changed:
            audit(db, user["id"], "claim", "help_request", request_id)
    return bool(changed)


def resolve(db: sqlite_utils.Database, request_id: int, user: dict, site_id: int | None) -> None:
    request = get_request(db, request_id, site_id)
    if request["status"] == "resolved":
        return
    with transaction(db):
        db.execute("update help_requests set status = 'resolved', resolved_at = ?, "
                   "claimed_by = coalesce(claimed_by, ?) where id = ?", [now_iso(), user["id"], request_id])
        audit(db, user["id"], "resolve", "help_request", request_id)
