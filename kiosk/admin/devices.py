"""Kiosks and tablets: their records, one-time enrollment links, and the device secret a kiosk
browser keeps in a cookie. Only hashes of tokens and secrets are stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlite_utils
from flask_babel import lazy_gettext as _l

from kiosk.audit import audit
from kiosk.db import now_iso, transaction
from kiosk.staff.personal_data import fields_with_mynumbers

DEVICE_KINDS = {"kiosk": _l("キオスク"), "tablet": _l("タブレット")}
PAPERS = {"a4": _l("A4"), "80mm": _l("80mm ロール紙")}
# What an administrator edits; secrets, enrollment and revocation are kept by this module.
DEVICE_FIELDS = ("name", "kind", "site_id", "printer_queue", "paper")
# A CUPS queue name (what `lp -d` is given): letters, digits, '-', '_', '.', nothing else.
PRINTER_QUEUE = re.compile(r"[A-Za-z0-9_.\-]{1,127}")
_WITH_SITE_NAME = ("select devices.*, sites.name as site_name from devices "
                   "left join sites on sites.id = devices.site_id")


class DeviceError(ValueError):
    """A device that does not exist (or is revoked), or fields no device may have."""


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    kind: str
    site_id: int | None
    site_name: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


ENROLLMENT_HOURS = 24


def create_enrollment_token(db: sqlite_utils.Database, device_id: int, *, issued_by: int | None = None) -> str:
    """A one-time token for the enrollment link, valid for a day; only its hash is stored. A link
    a staff member asked for (``issued_by``) is written to the audit log in the same transaction;
    the console command and the demo loader leave it out. Earlier links stop working."""
    token = secrets.token_urlsafe(24)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=ENROLLMENT_HOURS)
    with transaction(db):
        _active_device(db, device_id)
        db.table("devices").update(device_id, {"enrollment_token_hash": _hash(token),
                                               "enrollment_expires_at": expires.isoformat(timespec="seconds")})
        if issued_by is not None:
            audit(db, issued_by, "enrollment-link", "device", device_id)
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


# --- the administrators' device records -------------------------------------------------------------

def list_devices(db: sqlite_utils.Database) -> list[dict]:
    """Every device with its site's name, revoked ones last."""
    return list(db.query(f"{_WITH_SITE_NAME} order by devices.revoked_at is not null, devices.id"))


def get_device(db: sqlite_utils.Database, device_id: int) -> dict | None:
    """One device with its site's name."""
    rows = list(db.query(f"{_WITH_SITE_NAME} where devices.id = ?", [device_id]))
    return rows[0] if rows else None


def printer_settings(db: sqlite_utils.Database, device_id: int) -> dict | None:
    """The CUPS queue (or None) and paper a kiosk prints its handoff sheets with."""
    rows = list(db.query("select printer_queue, paper from devices where id = ?", [device_id]))
    return rows[0] if rows else None


def printer_queues_in_use(db: sqlite_utils.Database) -> list[str]:
    """The CUPS queues devices that are not revoked print on (for /healthz)."""
    return [row["printer_queue"] for row in db.query(
        "select distinct printer_queue from devices where printer_queue is not null and revoked_at is null "
        "order by printer_queue")]


def _active_device(db: sqlite_utils.Database, device_id: int) -> dict:
    device = get_device(db, device_id)
    if device is None:
        raise DeviceError(f"no device with id {device_id}")
    if device["revoked_at"]:
        raise DeviceError(f"device {device_id} is revoked")
    return device


def _device_record(db: sqlite_utils.Database, fields: dict) -> dict:
    """The row to store; refused whole, with the reason, if it breaks a rule the kiosk relies on
    (the admin form checks these first, with friendlier words)."""
    unknown = set(fields) - set(DEVICE_FIELDS)
    if unknown:
        raise DeviceError(f"unknown device fields: {', '.join(sorted(unknown))}")
    record = {name: fields.get(name) for name in DEVICE_FIELDS}
    record["printer_queue"] = record["printer_queue"] or None
    record["paper"] = record["paper"] or "a4"
    refused = fields_with_mynumbers(record)
    if refused:  # the field's name only: the number goes nowhere, not even into the message
        raise DeviceError(f"{refused[0]} holds what looks like a 個人番号 (My Number), which is never stored")
    if not record["name"]:
        raise DeviceError("a device needs a name")
    if record["kind"] not in DEVICE_KINDS:
        raise DeviceError(f"unknown device kind {record['kind']!r}; one of {', '.join(DEVICE_KINDS)}")
    if record["paper"] not in PAPERS:
        raise DeviceError(f"unknown paper {record['paper']!r}; one of {', '.join(PAPERS)}")
    if record["printer_queue"] and not PRINTER_QUEUE.fullmatch(record["printer_queue"]):
        raise DeviceError(f"{record['printer_queue']!r} is not a CUPS queue name")
    if not list(db.query("select id from sites where id = ? and archived_at is null", [record["site_id"]])):
        raise DeviceError(f"no site in use with id {record['site_id']!r}")
    return record


def create_device(db: sqlite_utils.Database, fields: dict, *, by_user: int | None) -> int:
    """Add a kiosk or tablet, not yet enrolled; returns its id."""
    with transaction(db):
        record = _device_record(db, fields)
        device_id = db.table("devices").insert({**record, "created_at": now_iso()}).last_pk
        audit(db, by_user, "create", "device", device_id, None, record)
    return device_id


def update_device(db: sqlite_utils.Database, device_id: int, fields: dict, *, by_user: int | None) -> None:
    """Rename a device, move it to another site, change its printer."""
    with transaction(db):
        before = get_device(db, device_id)
        if before is None:
            raise DeviceError(f"no device with id {device_id}")
        record = _device_record(db, fields)
        db.table("devices").update(device_id, record)
        audit(db, by_user, "update", "device", device_id, {k: before[k] for k in record}, record)


def revoke_device(db: sqlite_utils.Database, device_id: int, *, by_user: int | None) -> None:
    """Unbind a device for good: its secret and any enrollment link stop working at once. Revoking
    it again keeps the date it was first revoked."""
    with transaction(db):
        before = get_device(db, device_id)
        if before is None:
            raise DeviceError(f"no device with id {device_id}")
        db.table("devices").update(device_id, {"revoked_at": before["revoked_at"] or now_iso(), "token_hash": None,
                                               "enrollment_token_hash": None})
        audit(db, by_user, "revoke", "device", device_id, {"revoked_at": before["revoked_at"]},
              {"revoked_at": "now"})
