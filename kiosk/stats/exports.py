"""Exports for the statistics office: consultations one row each, and the aggregate tables —
as CSV that Japanese Excel opens (UTF-8 with BOM, or CP932) and as an .xlsx workbook. Rows are
read and written in batches, so memory stays flat whatever the count. Columns are documented in
docs/statistics.md."""

from __future__ import annotations

import io

from kiosk.consultations import vocabulary
from kiosk.spreadsheets import excel_safe
from kiosk.stats.dashboard import Filters
from kiosk.stats.periods import sqlite_shift, statistics_utc_offset

EXPORT_COLUMNS = ("id", "started_at", "site_id", "site", "staff_id", "channel", "minutes", "topics", "age_band",
                  "first_visit", "language", "accessibility", "device_used", "outcome", "reason", "follow_up",
                  "handoff_code", "satisfaction", "help_request_id", "created_at", "updated_at")


def consultation_rows(db, filters: Filters, *, timezone: str):
    """Every live consultation of the period, one row each, topics joined, times in ``timezone``
    (the TIMEZONE setting) — read in batches so memory stays flat whatever the count."""
    utc_offset = statistics_utc_offset(timezone)  # the rollup's offset, so the rows match its months
    clauses = ["c.deleted_at is null", "c.started_at >= ?", "c.started_at < ?"]
    params: list = [*filters.period.utc_bounds(timezone)]
    if filters.site_id is not None:
        clauses.append("c.site_id = ?")
        params.append(filters.site_id)
    if filters.channel:
        clauses.append("c.channel = ?")
        params.append(filters.channel)
    cursor = db.conn.execute(
        f"select c.id, strftime('%Y-%m-%d %H:%M', c.started_at, '{sqlite_shift(utc_offset)}'), c.site_id, s.name, "
        "c.staff_id, c.channel, c.minutes, (select group_concat(topic, ';') from consultation_topics t "
        "where t.consultation_id = c.id), c.age_band, c.first_visit, c.language, c.accessibility, c.device_used, "
        "c.outcome, c.reason, c.follow_up, c.handoff_code, c.satisfaction, c.help_request_id, c.created_at, "
        "c.updated_at from consultations c left join sites s on s.id = c.site_id "
        f"where {' and '.join(clauses)} order by c.started_at, c.id", params)
    while batch := cursor.fetchmany(2000):
        yield from batch


def aggregate_tables(data, staff: dict, catalog) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """The dashboard's tables, as (header, rows), with codes and labels side by side."""
    tables = {
        "by-month": (("month", "consultations"), data.by_month),
        "by-site": (("site", "consultations"), data.by_site),
        "funnel": (("event", "sessions"), data.funnel),
    }
    for dimension, labels in (("age_band", vocabulary.AGE_BANDS), ("outcome", vocabulary.OUTCOMES),
                              ("reason", vocabulary.REASONS), ("device_used", vocabulary.DEVICES)):
        counts = data.by.get(dimension, {})
        tables[dimension] = (("code", "label", "consultations"),
                             [(code, str(label), counts.get(code, 0)) for code, label in labels.items()])
    topics = data.by.get("topic", {})
    tables["topics"] = (("code", "label", "consultations"), sorted(
        [(code, str(vocabulary.GENERAL_TOPICS.get(code) or (catalog.procedures[code].title if code in catalog.procedures
                                                      else code)), n) for code, n in topics.items()],
        key=lambda row: -row[2]))
    tables["staff"] = (("staff_id", "name", "consultations"), sorted(
        [(code, staff.get(code, code), n) for code, n in data.by.get("staff", {}).items()], key=lambda r: -r[2]))
    tables["kpis"] = (("kpi", "value"), [(k, v) for k, v in data.kpis.items()])
    return tables


def write_xlsx(tables: dict) -> bytes:
    """One sheet per table, written with openpyxl's write-only mode."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, (header, rows) in tables.items():
        sheet = book.create_sheet(title=name[:31])
        sheet.append(list(header))
        for row in rows:
            sheet.append([excel_safe(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
