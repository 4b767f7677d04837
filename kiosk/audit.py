"""The audit log: who changed what and when, with the record before and after. Every feature that
changes staff-entered data writes here in the same transaction as the change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils

from kiosk.db import now_iso
from kiosk.staff.personal_data import mask_mynumbers


def audit(db: sqlite_utils.Database, user_id: int | None, action: str, entity: str, entity_id,
          before: dict | None = None, after: dict | None = None) -> None:
    """Every 個人番号 in the record is masked: the features refuse one before storing it, and this is
    the last line, for a path that did not (an imported file, say), so the log never keeps one."""
    before, after = mask_mynumbers(before), mask_mynumbers(after)
    entity_id = None if entity_id is None else mask_mynumbers(str(entity_id))
    db.table("audit_log").insert({
        "at": now_iso(), "user_id": user_id, "action": action, "entity": entity,
        "entity_id": entity_id,
        "before": json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None})


# --- reading the log ---------------------------------------------------------------------------------

# The columns of the CSV download, in order: who is a username, the records are JSON as stored.
AUDIT_COLUMNS = ("id", "at", "username", "action", "entity", "entity_id", "before", "after")
_ENTRIES = ("select audit_log.id, audit_log.at, users.username, audit_log.action, audit_log.entity, "
            "audit_log.entity_id, audit_log.before, audit_log.after from audit_log "
            "left join users on users.id = audit_log.user_id")


@dataclass(frozen=True)
class AuditPage:
    entries: list[dict]  # newest first; before and after decoded from JSON
    total: int
    page: int
    pages: int


def audit_count(db: sqlite_utils.Database) -> int:
    return db.table("audit_log").count


def audit_page(db: sqlite_utils.Database, page: int, per_page: int) -> AuditPage:
    """One page of the log, newest first; a page past the end shows the last one."""
    total = audit_count(db)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = list(db.query(f"{_ENTRIES} order by audit_log.id desc limit ? offset ?",
                            [per_page, (page - 1) * per_page]))
    for entry in entries:
        for key in ("before", "after"):
            entry[key] = json.loads(entry[key]) if entry[key] else None
    return AuditPage(entries, total, page, pages)


def audit_rows(db: sqlite_utils.Database) -> Iterator[tuple]:
    """The whole log, oldest first, as tuples in AUDIT_COLUMNS order — read in batches so memory
    stays flat however long the log is."""
    cursor = db.conn.execute(f"{_ENTRIES} order by audit_log.id")
    while batch := cursor.fetchmany(500):
        yield from batch
