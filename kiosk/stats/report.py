"""The monthly statistics report as a PDF: KPIs, then each chart with its table."""

from __future__ import annotations

from flask import render_template

from kiosk.i18n.formats import japanese_date
from kiosk.pdf import font_configuration


def render_report_pdf(*, data, tables: dict, vocab, site_name: str | None) -> bytes:
    """The statistics report: KPIs, then each chart with its table. Same font as the sheets."""
    from weasyprint import HTML

    from kiosk.stats.periods import ward_today

    html = render_template("print/report.html", data=data, tables=tables, vocab=vocab, site_name=site_name,
                           generated=japanese_date(ward_today()))
    return HTML(string=html).write_pdf(font_config=font_configuration())
