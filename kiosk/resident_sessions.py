"""Server-side kiosk sessions, anonymous usage events, help requests and kiosk devices.

A kiosk session holds the resident's conversation only while it lasts: 「最初から」, the idle
timeout, and abandonment (no request for longer than the timeout) delete it. The browser only
holds a random session id in a cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

import sqlite_utils

from .db import now_iso, transaction

EVENTS = (
    "session_started", "language_chosen", "procedure_chosen", "channel_recommended",
    "readiness_failed", "step_reached", "finished", "staff_called", "timed_out", "restarted",
    "handoff_created", "printed", "print_failed",
)


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    kind: str
    site_id: int | None
    site_name: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- devices ----------------------------------------------------------------------------------

ENROLLMENT_HOURS = 24
MAX_UNASSIGNED_CALLS = 5


def create_enrollment_token(db: sqlite_utils.Database, device_id: int) -> str:
    """A one-time token for the enrollment link, valid for a day; only its hash is stored."""
    token = secrets.token_urlsafe(24)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=ENROLLMENT_HOURS)
    with transaction(db):
        db.table("devices").update(device_id, {"enrollment_token_hash": _hash(token),
                                               "enrollment_expires_at": expires.isoformat(timespec="seconds")})
    return token


def device_for_enrollment(db: sqlite_utils.Database, token: str) -> Device | None:
    """The device an unused, unexpired enrollment token is for."""
    rows = list(db.query(
        "select devices.id, devices.name, devices.kind, devices.site_id, sites.name as site_name "
        "from devices left join sites on sites.id = devices.site_id where enrollment_token_hash = ? "
        "and revoked_at is null and enrollment_expires_at > ?", [_hash(token), now_iso()]))
    return Device(**rows[0]) if rows else None


def enroll_device(db: sqlite_utils.Database, token: str) -> tuple[Device, str] | None:
    """Use up an enrollment token; return the device and the secret the kiosk keeps."""
    device = device_for_enrollment(db, token)
    rows = [{"id": device.id}] if device else []
    if not rows:
        return None
    secret = secrets.token_urlsafe(32)
    with transaction(db):
        db.table("devices").update(rows[0]["id"], {"token_hash": _hash(secret), "enrollment_token_hash": None,
                                                   "enrolled_at": now_iso()})
    return device_for_secret(db, secret), secret


def device_for_secret(db: sqlite_utils.Database, secret: str | None) -> Device | None:
    if not secret:
        return None
    rows = list(db.query(
        "select devices.id, devices.name, devices.kind, devices.site_id, sites.name as site_name "
        "from devices left join sites on sites.id = devices.site_id "
        "where devices.token_hash = ? and devices.revoked_at is null", [_hash(secret)]))
    return Device(**rows[0]) if rows else None


# --- sessions ---------------------------------------------------------------------------------

def start_session(db: sqlite_utils.Database, device: Device | None, state: dict) -> str:
    session_id = secrets.token_urlsafe(24)
    stamp = now_iso()
    with transaction(db):
        db.table("kiosk_sessions").insert({
            "id": session_id, "ref": state["ref"], "device_id": device.id if device else None,
            "site_id": device.site_id if device else None, "state": json.dumps(state, ensure_ascii=False),
            "started_at": stamp, "updated_at": stamp})
    return session_id


def load_session(db: sqlite_utils.Database, session_id: str | None, max_idle_seconds: float) -> dict | None:
    """The session's state, or None when there is none or it has been idle too long (then it is
    deleted on the spot)."""
    if not session_id:
        return None
    rows = list(db.query("select state, updated_at from kiosk_sessions where id = ?", [session_id]))
    if not rows:
        return None
    idle = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(rows[0]["updated_at"])
    if idle.total_seconds() > max_idle_seconds:
        delete_session(db, session_id)
        return None
    return json.loads(rows[0]["state"])


def save_session(db: sqlite_utils.Database, session_id: str, state: dict) -> None:
    with transaction(db):
        db.execute("update kiosk_sessions set state = ?, updated_at = ? where id = ?",
                   [json.dumps(state, ensure_ascii=False), now_iso(), session_id])


def touch_session(db: sqlite_utils.Database, session_id: str) -> None:
    with transaction(db):
        db.execute("update kiosk_sessions set updated_at = ? where id = ?", [now_iso(), session_id])


def delete_session(db: sqlite_utils.Database, session_id: str) -> None:
    with transaction(db):
        db.execute("delete from kiosk_sessions where id = ?", [session_id])


def purge_idle_sessions(db: sqlite_utils.Database, max_idle_seconds: float) -> int:
    """Delete sessions abandoned without 「最初から」 or a timeout in the browser."""
    cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=max_idle_seconds)).isoformat(timespec="seconds")
    with transaction(db):
        return db.execute("delete from kiosk_sessions where updated_at < ?", [cutoff]).rowcount


# --- events and help --------------------------------------------------------------------------

def record_event(db: sqlite_utils.Database, session_ref: str, event: str, device: Device | None = None,
                 procedure_id: str | None = None, channel_id: str | None = None,
                 detail: str | None = None) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    with transaction(db):
        db.table("kiosk_events").insert({
            "session_ref": session_ref, "device_id": device.id if device else None,
            "site_id": device.site_id if device else None, "event": event, "procedure_id": procedure_id,
            "channel_id": channel_id, "detail": detail, "occurred_at": now_iso()})


def create_help_request(db: sqlite_utils.Database, session_ref: str | None, device: Device | None,
                        procedure_id: str | None) -> int | None:
    """「職員を呼ぶ」: site, device, the procedure the resident was on, and the time. None when
    this session (or, without a session, this kiosk) is already waiting: repeated taps and
    scripted posts do not flood the staff tablets."""
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
                return None
        table.insert({"site_id": device.site_id if device else None, "device_id": device.id if device else None,
                      "session_ref": session_ref, "procedure_id": procedure_id, "status": "open",
                      "created_at": now_iso()})
    return table.last_pk
