"""`kiosk export datasette PATH`: a copy of the statistics for the statistics office, to open in
Datasette (`datasette PATH`).

PATH becomes a folder with ``kiosk-statistics.db`` and ``metadata.json`` (Datasette's configuration
directory). The copy holds only what the statistics need: the consultations without their notes or
handoff codes (deleted ones left out), their topics, the monthly rollup, the kiosks' anonymous usage
events and help requests, the sites and devices by name, and one code→label table per code list,
each linked from the columns that use it. No accounts or password hashes, no device tokens, no
notes, no kiosk session states, no audit log. Every table and column is described in the metadata,
in the words of docs/statistics.md ("The Datasette copy"; tests/cli/test_export_datasette.py keeps
the two the same)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import sqlite_utils

DATABASE_NAME = "kiosk-statistics"
DATABASE_FILE = f"{DATABASE_NAME}.db"
METADATA_FILE = "metadata.json"

# The code lists as lookup tables: table → (kiosk.consultations.vocabulary name, description).
LOOKUPS = {
    "channels": ("CHANNELS", "Consultation channels: code and label."),
    "age_bands": ("AGE_BANDS", "Age bands: code and label."),
    "languages": ("LANGUAGES", "Languages the consultation was held in: code and label."),
    "accessibility_needs": ("ACCESSIBILITY", "Accessibility support given: code and label."),
    "devices_used": ("DEVICES", "Devices the resident used: code and label."),
    "outcomes": ("OUTCOMES", "Outcomes: code and label."),
    "reasons": ("REASONS", "Why a consultation was not completed online: code and label."),
}

TABLE_DESCRIPTIONS = {
    "consultations": "One row per consultation logged by staff (deleted ones left out), without the free-text "
                     "note or the handoff code.",
    "consultation_topics": "The topics of each consultation, one row per topic.",
    "consultation_stats": "The monthly rollup the dashboard reads: counts per month, site, channel and dimension.",
    "kiosk_events": "Anonymous usage events of the kiosks (the funnel).",
    "help_requests": "Staff calls from kiosks.",
    "sites": "Support sites: branch offices and outreach events.",
    "devices": "Kiosks and tablets by name (no tokens).",
    "topics": "Topics: the general topics and the procedure ids, with their labels.",
    **{table: description for table, (_, description) in LOOKUPS.items()},
}

COLUMN_DESCRIPTIONS = {
    "consultations.id": "The consultation's number (as shown to staff).",
    "consultations.site_id": "The site (see sites).",
    "consultations.staff_id": "The id of the staff member who logged it.",
    "consultations.started_at": "Start, UTC, ISO 8601.",
    "consultations.minutes": "Time spent, 1–480.",
    "consultations.channel": "Channel code (see channels).",
    "consultations.age_band": "Age band code (see age_bands).",
    "consultations.first_visit": "1 first visit, 0 repeat.",
    "consultations.language": "Language code (see languages).",
    "consultations.accessibility": "Accessibility codes joined with `,`, or empty (see accessibility_needs).",
    "consultations.device_used": "Device code (see devices_used).",
    "consultations.outcome": "Outcome code (see outcomes).",
    "consultations.reason": "Why it was not completed online (see reasons), or empty.",
    "consultations.follow_up": "1 when a follow-up is needed.",
    "consultations.has_handoff": "1 when the resident left with a handoff sheet (the code itself is not copied).",
    "consultations.satisfaction": "1–5, or empty when not asked.",
    "consultations.help_request_id": "The kiosk's staff call this consultation answered (see help_requests).",
    "consultations.created_at": "When the record was written (UTC).",
    "consultations.updated_at": "When the record last changed (UTC).",
    "consultation_topics.consultation_id": "The consultation.",
    "consultation_topics.topic": "Topic code (see topics).",
    "consultation_stats.month": "Month in the ward's time zone, YYYY-MM.",
    "consultation_stats.site_id": "The site.",
    "consultation_stats.channel": "Channel code.",
    "consultation_stats.dimension": "What value counts: all, age_band, outcome, reason, first_visit, staff, "
                                    "device_used, satisfaction or topic.",
    "consultation_stats.value": "The code counted in that dimension.",
    "consultation_stats.consultations": "Consultations.",
    "consultation_stats.minutes": "Minutes spent, summed.",
    "consultation_stats.satisfaction_sum": "Satisfaction answers, summed.",
    "consultation_stats.satisfaction_n": "Satisfaction answers given.",
    "kiosk_events.id": "The event's number.",
    "kiosk_events.session_ref": "A random reference shared by the events of one kiosk session.",
    "kiosk_events.site_id": "The kiosk's site.",
    "kiosk_events.device_id": "The kiosk (see devices).",
    "kiosk_events.event": "What happened: session_started, procedure_chosen, finished, printed, staff_called, …",
    "kiosk_events.procedure_id": "The procedure, when the event has one.",
    "kiosk_events.channel_id": "The channel of the procedure, when the event has one.",
    "kiosk_events.detail": "A code adding to the event (a language, a reason), or empty.",
    "kiosk_events.occurred_at": "When (UTC).",
    "help_requests.id": "The call's number.",
    "help_requests.site_id": "The site.",
    "help_requests.device_id": "The kiosk that called.",
    "help_requests.procedure_id": "The procedure on the screen, when there was one.",
    "help_requests.status": "open, claimed or resolved.",
    "help_requests.created_at": "When staff were called (UTC).",
    "help_requests.claimed_at": "When a staff member took the call (UTC).",
    "help_requests.resolved_at": "When it was resolved (UTC).",
    "sites.id": "The site's id.",
    "sites.name": "Its name.",
    "sites.kind": "branch (an office) or event (an outreach event).",
    "sites.venue": "Where an event is held.",
    "sites.starts_on": "First day of an event.",
    "sites.ends_on": "Last day of an event.",
    "sites.archived_at": "When the site was archived, or empty.",
    "devices.id": "The device's id.",
    "devices.name": "Its name.",
    "devices.kind": "kiosk or tablet.",
    "devices.site_id": "Its site.",
    "topics.code": "Topic code.",
    "topics.label": "Its label.",
    **{f"{table}.code": "Code." for table in LOOKUPS},
    **{f"{table}.label": "Label." for table in LOOKUPS},
}

CONSULTATION_COLUMNS = ("id", "site_id", "staff_id", "started_at", "minutes", "channel", "age_band",
                        "first_visit", "language", "accessibility", "device_used", "outcome", "reason",
                        "follow_up", "satisfaction", "help_request_id", "created_at", "updated_at")
CONSULTATION_LINKS = {"site_id": "sites", "channel": "channels", "age_band": "age_bands", "language": "languages",
                      "device_used": "devices_used", "outcome": "outcomes", "reason": "reasons",
                      "help_request_id": "help_requests"}
LOOKUP_TABLES = {*LOOKUPS, "topics"}
COPIED = {  # in this order (a link needs its table): table → (columns, column → linked table)
    "sites": (("id", "name", "kind", "venue", "starts_on", "ends_on", "archived_at"), {}),
    "devices": (("id", "name", "kind", "site_id"), {"site_id": "sites"}),
    "help_requests": (("id", "site_id", "device_id", "procedure_id", "status", "created_at", "claimed_at",
                       "resolved_at"), {"site_id": "sites", "device_id": "devices"}),
    "kiosk_events": (("id", "session_ref", "site_id", "device_id", "event", "procedure_id", "channel_id",
                      "detail", "occurred_at"), {"site_id": "sites", "device_id": "devices"}),
    "consultation_stats": (("month", "site_id", "channel", "dimension", "value", "consultations", "minutes",
                            "satisfaction_sum", "satisfaction_n"), {}),
}
BATCH = 10_000


class DatasetteExportError(Exception):
    """One line naming PATH and why nothing was written there."""


def _check_target(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise DatasetteExportError(f"{folder}: is a file; give a folder (it is created)")
    if folder.is_dir():
        others = sorted(p.name for p in folder.iterdir() if p.name not in (DATABASE_FILE, METADATA_FILE))
        if others:
            raise DatasetteExportError(f"{folder}: holds other files ({', '.join(others[:3])}); give a new "
                                       "or empty folder")
    elif not folder.parent.is_dir():
        raise DatasetteExportError(f"{folder}: the folder {folder.parent} does not exist")


def export_datasette(live: sqlite_utils.Database, folder: str | os.PathLike, labels: dict[str, dict[str, str]],
                     topic_labels: dict[str, str]) -> dict[str, int]:
    """Write the copy and its metadata into ``folder``; return the rows per table. ``labels`` maps
    each lookup table to {code: label}; ``topic_labels`` the topics (general ones and procedures)."""
    folder = Path(folder)
    _check_target(folder)
    folder.mkdir(exist_ok=True)
    temporary = folder / f".{DATABASE_FILE}.tmp"
    temporary.unlink(missing_ok=True)
    out = sqlite_utils.Database(temporary)
    try:
        counts = _write_tables(live, out, labels, topic_labels)
        out.conn.execute("vacuum")
    finally:
        out.conn.close()
    os.replace(temporary, folder / DATABASE_FILE)
    (folder / METADATA_FILE).write_text(json.dumps(metadata(), ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    return counts


def _write_tables(live: sqlite_utils.Database, out: sqlite_utils.Database, labels: dict[str, dict[str, str]],
                  topic_labels: dict[str, str]) -> dict[str, int]:
    for table, codes in {**labels, "topics": topic_labels}.items():
        out[table].create({"code": str, "label": str}, pk="code")
        out[table].insert_all({"code": code, "label": label} for code, label in codes.items())
    for table, (columns, links) in COPIED.items():
        _copy(live, out, table, columns, links, f"select {', '.join(columns)} from {table}")
    _copy(live, out, "consultations", CONSULTATION_COLUMNS, CONSULTATION_LINKS,
          f"select {', '.join(CONSULTATION_COLUMNS)}, handoff_code is not null as has_handoff "
          "from consultations where deleted_at is null", extra={"has_handoff": int})
    _copy(live, out, "consultation_topics", ("consultation_id", "topic"),
          {"consultation_id": "consultations", "topic": "topics"},
          "select consultation_id, topic from consultation_topics where consultation_id in "
          "(select id from consultations where deleted_at is null)")
    return {table: out[table].count for table in out.table_names()}


def _copy(live: sqlite_utils.Database, out: sqlite_utils.Database, table: str, columns, links: dict[str, str],
          sql: str, extra: dict | None = None) -> None:
    """Create ``table`` with the live column types, its primary key and links, then copy the rows."""
    types = live[table].columns_dict
    pks = [pk for pk in live[table].pks if pk != "rowid"] or None
    out[table].create({**{column: types[column] for column in columns}, **(extra or {})},
                      pk=pks[0] if pks and len(pks) == 1 else (tuple(pks) if pks else None),
                      foreign_keys=[(column, other, "code" if other in LOOKUP_TABLES else "id")
                                    for column, other in links.items()])
    out[table].insert_all(live.query(sql), batch_size=BATCH)


def metadata() -> dict:
    """Datasette's metadata: titles, and every table's and column's description."""
    tables: dict[str, dict] = {}
    for table, description in TABLE_DESCRIPTIONS.items():
        columns = {key.split(".", 1)[1]: text for key, text in COLUMN_DESCRIPTIONS.items()
                   if key.split(".", 1)[0] == table}
        tables[table] = {"description": description, "columns": columns}
        if table in LOOKUPS or table == "topics":
            tables[table]["label_column"] = "label"
        elif table in ("sites", "devices"):
            tables[table]["label_column"] = "name"
    return {
        "title": "手続きサポート kiosk: statistics",
        "description": "A copy of the kiosk's statistics for the statistics office (kiosk export datasette). "
                       "How each figure is computed: docs/statistics.md.",
        "databases": {DATABASE_NAME: {"tables": tables}},
    }
