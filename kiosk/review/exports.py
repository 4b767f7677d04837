"""Downloads for the task force meeting: the ledger as CSV (Japanese Excel; the same columns
`kiosk ledger import` reads, so an edited copy can be imported back), the progress tables as
.xlsx, and a one-page PDF progress report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlite_utils
from flask import render_template
from flask_babel import gettext as _

from kiosk.catalog.ledger import COLUMNS, ONLINE_STATES, REVIEW_RESULTS
from kiosk.review.progress import Progress, rules_to_amend
from kiosk.review.statuses import CSV_LABEL, STATUS_LABELS, WAITING

LEDGER_HEADER = tuple(COLUMNS)  # the import's column names, in its order
_RESULT_CELL = {code: label for label, code in REVIEW_RESULTS.items()}
_ONLINE_CELL = {code: label for label, code in ONLINE_STATES.items()}


def ledger_rows(db: sqlite_utils.Database, department: str | None = None) -> Iterator[tuple]:
    """Every ledger row (or one department's) in LEDGER_HEADER's order, as the CSV import writes
    them: 見直し結果 is left empty while the review is not finished (状況 says where it is)."""
    fields = list(COLUMNS.values())
    where, params = ("where department = ?", [department]) if department is not None else ("", [])
    cursor = db.conn.execute(f"select {', '.join(fields)} from ledger_entries {where} "
                             f"order by department, ward_number, name, key", params)
    result_at, online_at, status_at = (fields.index(n) for n in ("review_result", "online", "status"))
    while batch := cursor.fetchmany(2000):
        for row in batch:
            cells = list(row)
            status = cells[status_at]
            cells[result_at] = "" if status in WAITING else _RESULT_CELL.get(cells[result_at], "")
            cells[online_at] = _ONLINE_CELL.get(cells[online_at], cells[online_at])
            cells[status_at] = CSV_LABEL.get(status, status)
            yield tuple("" if cell is None else cell for cell in cells)


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def progress_tables(db: sqlite_utils.Database, progress: Progress) -> dict[str, tuple[tuple, list[tuple]]]:
    """The progress page's tables as (header, rows), for the .xlsx workbook."""
    status_header = tuple(str(STATUS_LABELS[s]) for s in STATUS_LABELS)
    ksi = progress.ksi
    summary = [
        (_("廃止済（件）"), ksi.abolished),
        (_("対象の手続（対象外を除く）"), ksi.in_scope),
        (_("廃止率"), _share(ksi.share)),
        (_("目標"), _share(ksi.target_share)),
        (_("目標まであと（件）"), ksi.still_needed),
        (_("期限"), ksi.deadline.isoformat() if ksi.deadline else ""),
        (_("必要なペース（件／月）"), "" if ksi.needed_per_month is None else round(ksi.needed_per_month, 1)),
        (_("直近3か月のペース（件／月）"), round(ksi.recent_per_month, 1)),
        (_("見直し完了（累計）"), progress.ward.reviewed),
        (_("改正待ちの例規"), progress.rules_pending),
    ]
    departments = [(d.department, d.total, d.in_scope, *d.counts.values(), _share(d.abolished_share))
                   for d in progress.departments]
    rules = [(r["rules"], r["procedures"], r["departments"], r["decided"], r["abolished"])
             for r in rules_to_amend(db)]
    return {
        _("区全体"): ((_("項目"), _("値")), summary),
        _("所管課別"): ((_("所管課"), _("手続数"), _("対象"), *status_header, _("廃止率")), departments),
        _("月別の廃止"): ((_("月"), _("廃止済（件）")), progress.abolished_by_month),
        _("改正待ちの例規"): ((_("例規"), _("手続数"), _("所管課"), _("廃止決定"), _("廃止済")), rules),
    }


def render_progress_pdf(progress: Progress, today: dt.date) -> bytes:
    """One A4 page: the KSI, every department's counts and the last twelve months' abolitions."""
    from kiosk.i18n.formats import japanese_date
    from kiosk.pdf import render_pdf

    html = render_template("review/report.html", progress=progress, statuses=STATUS_LABELS,
                           months=progress.abolished_by_month[-12:], generated=japanese_date(today))
    return render_pdf(html)  # laid out in the worker pool
