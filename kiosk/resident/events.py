"""Anonymous usage events from the kiosk: what was chosen and reached, never who or what was typed.
They feed the statistics' kiosk funnel.
"""

from __future__ import annotations

import sqlite_utils

from kiosk.admin.devices import Device
from kiosk.db import now_iso, transaction

EVENTS = (
    "session_started", "language_chosen", "procedure_chosen", "channel_recommended",
    "readiness_failed", "step_reached", "finished", "staff_called", "timed_out", "restarted",
    "handoff_created", "printed", "print_failed",
)


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
