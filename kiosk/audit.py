"""The audit log: who changed what and when, with the record before and after. Every feature that
changes staff-entered data writes here in the same transaction as the change.
"""

from __future__ import annotations

import json

import sqlite_utils

from kiosk.db import now_iso


def audit(db: sqlite_utils.Database, user_id: int | None, action: str, entity: str, entity_id,
          before: dict | None = None, after: dict | None = None) -> None:
    db.table("audit_log").insert({
        "at": now_iso(), "user_id": user_id, "action": action, "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None})
