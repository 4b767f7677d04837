"""Exports for the statistics office: consultations one row each, and the aggregate tables —
as CSV that Japanese Excel opens (UTF-8 with BOM, or CP932) and as an .xlsx workbook. Rows are
read and written in batches, so memory stays flat whatever the count. Columns are documented in
docs/statistics.md.

Two variants of each: for people (headers, values and table names in the reader's language,
shares as percentages; the default) and for machines (``codes``: the stable codes as stored)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kiosk.consultations import vocabulary
from kiosk.i18n.formats import resident_percent
from kiosk.spreadsheets import excel_safe
from kiosk.stats.dashboard import Filters
from kiosk.stats.periods import sqlite_shift, statistics_utc_offset

EXPORT_COLUMNS = ("id", "started_at", "site_id", "site", "staff_id", "channel", "minutes", "topics", "age_band",
                  "first_visit", "language", "accessibility", "device_used", "outcome", "reason", "follow_up",
                  "handoff_code", "satisfaction", "help_request_id", "created_at", "updated_at")

# The readable headers of EXPORT_COLUMNS, in the same order (the staff form's own labels where it has one).
CONSULTATION_HEADERS = {
    "id": _l("番号"), "started_at": _l("開始時刻"), "site_id": _l("拠点番号"), "site": _l("拠点"),
    "staff_id": _l("職員番号"), "channel": _l("相談の方法"), "minutes": _l("所要時間（分）"), "topics": _l("相談内容"),
    "age_band": _l("年代"), "first_visit": _l("来所"), "language": _l("言語"), "accessibility": _l("配慮したこと"),
    "device_used": _l("使った端末"), "outcome": _l("結果"), "reason": _l("オンラインで完了しなかった理由"),
    "follow_up": _l("後日のフォロー"), "handoff_code": _l("引継ぎコード"), "satisfaction": _l("満足度"),
    "help_request_id": _l("呼び出し番号"), "created_at": _l("登録日時"), "updated_at": _l("更新日時"),
}

# The dashboard's tables, as their readers call them (sheet names and download links).
TABLE_TITLES = {
    "by-month": _l("月別の相談件数"), "by-site": _l("拠点別"), "age_band": _l("年代別"), "outcome": _l("結果別"),
    "reason": _l("オンラインでできなかった理由"), "device_used": _l("使った端末"), "topics": _l("相談内容別"),
    "staff": _l("職員別"), "funnel": _l("キオスクの利用の流れ"), "kpis": _l("主な指標（KPI）"),
}

KPI_LABELS = {
    "consultations": _l("相談件数"), "consultations_target": _l("相談件数の目標"),
    "consultations_share_of_target": _l("目標に対する相談件数の割合"),
    "consultations_needed_per_month": _l("目標まで月に必要な件数"), "aged_65_plus_share": _l("65歳以上の割合"),
    "online_completion_rate": _l("オンライン完了率"), "digital_take_up": _l("デジタル化率（職員入力を含む）"),
    "satisfied_share": _l("満足と答えた割合"), "satisfaction_target": _l("満足と答えた割合の目標"),
    "average_satisfaction": _l("平均満足度（1〜5）"), "first_visits": _l("はじめての来所"),
    "repeat_visits": _l("2回目以上の来所"), "handoffs": _l("案内シートの数"),
    "handoffs_followed_up_share": _l("案内シートのフォロー済みの割合"),
    "sites_with_consultations": _l("相談のあった拠点"), "sites_target": _l("拠点数の目標"),
    "average_minutes": _l("平均所要時間（分）"),
}
SHARE_KPIS = {"consultations_share_of_target", "aged_65_plus_share", "online_completion_rate", "digital_take_up",
              "satisfied_share", "satisfaction_target", "handoffs_followed_up_share"}


class Percent(float):
    """A share (0.7707) that a workbook shows as 77.1% and still computes with, and CSV writes as text."""

    def __str__(self) -> str:
        return resident_percent(float(self))

    __repr__ = __str__  # the csv module writes floats with repr()


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


def _labels(codes: str | None, labels: dict, separator: str) -> str:
    return "、".join(str(labels.get(code, code)) for code in codes.split(separator)) if codes else ""


def _ward_time(stamp: str | None, zone: ZoneInfo) -> str:
    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def readable_consultation_rows(rows, catalog, *, timezone: str):
    """``consultation_rows`` for people: labels instead of codes, yes/no, every time in ward time."""
    zone = ZoneInfo(timezone)
    topics = {**vocabulary.GENERAL_TOPICS, **{pid: p.title for pid, p in catalog.procedures.items()}}
    yes, no = _("はい"), _("いいえ")
    visits = {1: vocabulary.VISITS["first"], 0: vocabulary.VISITS["repeat"]}
    for (cid, started, site_id, site, staff_id, channel, minutes, topic_codes, age_band, first_visit, language,
         accessibility, device, outcome, reason, follow_up, handoff_code, satisfaction, help_request_id,
         created, updated) in rows:
        yield (cid, started, site_id, site, staff_id, str(vocabulary.CHANNELS.get(channel, channel or "")), minutes,
               _labels(topic_codes, topics, ";"), str(vocabulary.AGE_BANDS.get(age_band, age_band or "")),
               str(visits.get(first_visit, "")), str(vocabulary.LANGUAGES.get(language, language or "")),
               _labels(accessibility, vocabulary.ACCESSIBILITY, ","),
               str(vocabulary.DEVICES.get(device, device or "")), str(vocabulary.OUTCOMES.get(outcome, outcome or "")),
               str(vocabulary.REASONS.get(reason, reason)) if reason else "", yes if follow_up else no,
               handoff_code or "", satisfaction, help_request_id, _ward_time(created, zone), _ward_time(updated, zone))


def consultation_headers(codes: bool) -> list[str]:
    return list(EXPORT_COLUMNS) if codes else [str(CONSULTATION_HEADERS[column]) for column in EXPORT_COLUMNS]


def _month(month: str) -> str:
    year, number = month.split("-")
    return _("%(year)s年%(month)s月", year=year, month=int(number))


def _kpi_value(key: str, value):
    if value is None:
        return None
    if key in SHARE_KPIS:
        return Percent(value)
    return round(value, 2) if isinstance(value, float) else value


def readable_tables(tables: dict) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """``aggregate_tables`` for people, keyed by the table's title in the reader's language: headers
    and labels in words, months as 2026年4月 (Excel would turn 2026-04 into a date), shares as
    percentages. The code columns stay, so a row can still be matched to its code."""
    from kiosk.web.template_helpers import funnel_labels

    count, code = _("件数"), _("コード")
    header_of = {"age_band": _("年代"), "outcome": _("結果"), "reason": _("オンラインで完了しなかった理由"),
                 "device_used": _("使った端末"), "topics": _("相談内容")}
    readable = {}
    for name, (_header, rows) in tables.items():
        if name == "by-month":
            table = ((_("月"), count), [(_month(month), n) for month, n in rows])
        elif name == "by-site":
            table = ((_("拠点"), count), rows)
        elif name == "funnel":
            table = ((code, _("区分"), _("セッション数")),
                     [(event, label, n) for (event, _n), (label, n) in zip(rows, funnel_labels(rows), strict=True)])
        elif name == "staff":
            table = ((_("職員番号"), _("職員"), count), rows)
        elif name == "kpis":
            table = ((code, _("指標"), _("値")),
                     [(key, str(KPI_LABELS.get(key, key)), _kpi_value(key, value)) for key, value in rows])
        else:
            table = ((code, header_of.get(name, _("区分")), count), rows)
        readable[str(TABLE_TITLES.get(name, name))] = table
    return readable


def csv_text(rows):
    """Rows for a CSV: percentages as the locale writes them (77.1%)."""
    for row in rows:
        yield [str(cell) if isinstance(cell, Percent) else cell for cell in row]


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
    """One sheet per table, written with openpyxl's write-only mode; a ``Percent`` is a number
    formatted as a percentage."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for name, (header, rows) in tables.items():
        sheet = book.create_sheet(title=name[:31])
        sheet.append(list(header))
        for row in rows:
            cells = []
            for cell in row:
                if isinstance(cell, Percent):
                    cell = WriteOnlyCell(sheet, value=float(cell))
                    cell.number_format = "0.0%"
                    cells.append(cell)
                else:
                    cells.append(excel_safe(cell))
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
