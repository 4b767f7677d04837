"""Kiosks and tablets: their records, one-time enrollment links, and the device secret a kiosk
browser keeps in a cookie. Only hashes of tokens and secrets are stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlite_utils

from kiosk.db import now_iso, transaction


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
