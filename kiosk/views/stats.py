"""Coordinators and administrators: the KPI dashboard and the exports (CSV for Excel, .xlsx)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request
from flask_babel import gettext as _

from kiosk.admin.sites import get_site, list_sites
from kiosk.audit import audit
from kiosk.catalog import get_catalog
from kiosk.consultations import vocabulary
from kiosk.db import connect, get_db, transaction
from kiosk.spreadsheets import stream_csv
from kiosk.staff.auth import role_required
from kiosk.staff.personal_data import is_number
from kiosk.stats.dashboard import Filters, build_dashboard, fiscal_years_with_data, staff_names, targets_from
from kiosk.stats.exports import EXPORT_COLUMNS, aggregate_tables, consultation_rows, write_xlsx
from kiosk.stats.periods import parse_period, ward_today
from kiosk.web.htmx import render_page

bp = Blueprint("stats", __name__, url_prefix="/stats")




@bp.before_request
@role_required("coordinator")
def require_coordinator():
    return None


def _timezone() -> str:
    return current_app.config["TIMEZONE"]


def _filters() -> Filters:
    args = request.args
    period = parse_period(args.get("period", "fy"), args.get(args.get("period", "fy"), ""), ward_today(_timezone()))
    site = args.get("site", "")
    channel = args.get("channel", "")
    return Filters(period, int(site) if is_number(site) else None, channel if channel in vocabulary.CHANNELS else None)


@bp.get("/")
def dashboard():
    filters = _filters()
    db = get_db()
    today = ward_today(_timezone())
    data = build_dashboard(db, filters, targets_from(current_app.config), today, timezone=_timezone())
    staff = staff_names(db)
    tables = aggregate_tables(data, staff, get_catalog())
    top_topics = [(label, n) for _, label, n in tables["topics"][1][:10]]
    by_staff = [(name, n) for _, name, n in tables["staff"][1]]
    # Every site, archived ones too: their consultations still count.
    return render_page("stats/dashboard.html", data=data, filters=filters, sites=list_sites(db), vocab=vocabulary,
                       fiscal_years=fiscal_years_with_data(db, today), top_topics=top_topics, by_staff=by_staff)


def _log_export(what: str, filters: Filters) -> None:
    db = get_db()
    with transaction(db):
        audit(db, g.user["id"], "export", what, None, None,
              {"period": filters.period.value, "site_id": filters.site_id, "channel": filters.channel})











@bp.get("/export/consultations.csv")
def export_consultations():
    filters = _filters()
    encoding = "cp932" if request.args.get("encoding") == "cp932" else "utf-8"
    _log_export("consultations.csv", filters)
    path, timezone = current_app.config["DATABASE"], _timezone()  # the body is streamed after the request

    def generate():
        db = connect(path)  # the request's connection is closed before the body is streamed
        try:
            yield from stream_csv(consultation_rows(db, filters, timezone=timezone), EXPORT_COLUMNS, encoding)
        finally:
            db.conn.close()

    name = f"consultations-{filters.period.value}{'-cp932' if encoding == 'cp932' else ''}.csv"
    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})





def _tables():
    filters = _filters()
    db = get_db()
    data = build_dashboard(db, filters, targets_from(current_app.config), ward_today(_timezone()),
                           timezone=_timezone())
    staff = staff_names(db)
    return filters, aggregate_tables(data, staff, get_catalog())


@bp.get("/export/table/<name>.csv")
def export_table(name: str):
    filters, tables = _tables()
    if name not in tables:
        return render_page("error.html", status=404, message=_("お探しのページは見つかりませんでした。")), 404
    _log_export(f"table/{name}.csv", filters)
    header, rows = tables[name]
    body = b"".join(stream_csv(rows, header, "utf-8"))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{filters.period.value}.csv"'})


@bp.get("/export/statistics.xlsx")
def export_xlsx():
    """One sheet per table, written with openpyxl's write-only mode."""
    filters, tables = _tables()
    _log_export("statistics.xlsx", filters)
    return Response(write_xlsx(tables),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="statistics-{filters.period.value}.xlsx"'})


@bp.get("/report.pdf")
def report_pdf():
    """The monthly (or any period's) report as a PDF, for the ward's monthly report."""
    from kiosk.stats.report import render_report_pdf

    filters = _filters()
    db = get_db()
    today = ward_today(_timezone())
    data = build_dashboard(db, filters, targets_from(current_app.config), today, timezone=_timezone())
    _log_export("report.pdf", filters)
    staff = staff_names(db)
    site = get_site(db, filters.site_id) if filters.site_id is not None else None
    pdf = render_report_pdf(data=data, tables=aggregate_tables(data, staff, get_catalog()), vocab=vocabulary,
                            site_name=site["name"] if site else None, today=today)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="report-{filters.period.value}.pdf"'})
