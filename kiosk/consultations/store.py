"""Consultation records: written, corrected and soft-deleted with an audit trail, and read back
for the tablet's recent list.
"""

from __future__ import annotations

import sqlite_utils

from kiosk.audit import audit
from kiosk.consultations.form import ParsedForm
from kiosk.db import now_iso, transaction
from kiosk.staff.personal_data import refuse_mynumbers


def get_consultation(db: sqlite_utils.Database, consultation_id: int, include_deleted: bool = False) -> dict | None:
    rows = list(db.query("select * from consultations where id = ?" +
                         ("" if include_deleted else " and deleted_at is null"), [consultation_id]))
    if not rows:
        return None
    row = rows[0]
    row["topics"] = [r["topic"] for r in db.query(
        "select topic from consultation_topics where consultation_id = ? order by topic", [consultation_id])]
    return row


def _snapshot(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}


def record_consultation(db: sqlite_utils.Database, staff_id: int, parsed: ParsedForm,
                        help_request_id: int | None = None) -> int:
    refuse_mynumbers(parsed.values, ["note"])  # the form refuses it first, in words staff read
    stamp = now_iso()
    with transaction(db):
        table = db.table("consultations")
        table.insert({**parsed.values, "staff_id": staff_id, "help_request_id": help_request_id,
                      "created_at": stamp, "updated_at": stamp})
        consultation_id = table.last_pk
        db.table("consultation_topics").insert_all(
            [{"consultation_id": consultation_id, "topic": t} for t in parsed.topics])
        audit(db, staff_id, "create", "consultation", consultation_id, None,
              _snapshot(get_consultation(db, consultation_id)))
    return consultation_id


def update_consultation(db: sqlite_utils.Database, consultation_id: int, user_id: int, parsed: ParsedForm) -> None:
    refuse_mynumbers(parsed.values, ["note"])
    with transaction(db):
        before = get_consultation(db, consultation_id)
        db.table("consultations").update(consultation_id, {**parsed.values, "updated_at": now_iso()})
        db.execute("delete from consultation_topics where consultation_id = ?", [consultation_id])
        db.table("consultation_topics").insert_all(
            [{"consultation_id": consultation_id, "topic": t} for t in parsed.topics])
        after = get_consultation(db, consultation_id)
        changed_before = {k: v for k, v in _snapshot(before).items() if after.get(k) != v}
        changed_after = {k: after.get(k) for k in changed_before}
        audit(db, user_id, "update", "consultation", consultation_id, changed_before, changed_after)


def delete_consultation(db: sqlite_utils.Database, consultation_id: int, user_id: int) -> None:
    """Soft delete: the row stays (statistics exclude it) and the audit log says who and when."""
    with transaction(db):
        before = get_consultation(db, consultation_id)
        stamp = now_iso()
        db.table("consultations").update(consultation_id, {"deleted_at": stamp, "deleted_by": user_id,
                                                           "updated_at": stamp})
        audit(db, user_id, "delete", "consultation", consultation_id, _snapshot(before),
              {"deleted_at": stamp})


def recent_consultations(db: sqlite_utils.Database, site_id: int | None, limit: int = 20) -> list[dict]:
    rows = list(db.query(
        "select consultations.*, users.display_name as staff_name from consultations "
        "join users on users.id = consultations.staff_id "
        "where consultations.deleted_at is null and (? is null or consultations.site_id = ?) "
        "order by consultations.started_at desc limit ?",
        [site_id, site_id, limit]))
    for row in rows:
        row["topics"] = [r["topic"] for r in db.query(
            "select topic from consultation_topics where consultation_id = ?", [row["id"]])]
    return rows
