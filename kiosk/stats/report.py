"""The monthly statistics report as a PDF: KPIs, then each chart with its table."""

from __future__ import annotations

import datetime as dt

from flask import render_template

from kiosk.i18n.formats import japanese_date
from kiosk.pdf import render_pdf


def render_report_pdf(*, data, tables: dict, vocab, site_name: str | None, today: dt.date) -> bytes:
    """The statistics report: KPIs, then each chart with its table, dated ``today`` (the ward's).
    Same font as the sheets; laid out in the worker pool."""
    html = render_template("print/report.html", data=data, tables=tables, vocab=vocab, site_name=site_name,
                           generated=japanese_date(today))
    return render_pdf(html)
