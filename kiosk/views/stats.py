"""Coordinators and administrators: the KPI dashboard and the exports (CSV for Excel, .xlsx)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request
from flask_babel import gettext as _

from kiosk.audit import audit
from kiosk.catalog import get_catalog
from kiosk.consultations import vocabulary
from kiosk.db import connect, get_db, transaction
from kiosk.staff.auth import role_required
from kiosk.staff.personal_data import is_number
from kiosk.stats.dashboard import Filters, build_dashboard, staff_names, targets_from
from kiosk.stats.exports import EXPORT_COLUMNS, aggregate_tables, consultation_rows, stream_csv, write_xlsx
from kiosk.stats.periods import parse_period, ward_today
from kiosk.web.htmx import render_page

bp = Blueprint("stats", __name__, url_prefix="/stats")




@bp.before_request
@role_required("coordinator")
def require_coordinator():
    return None


def _filters() -> Filters:
    args = request.args
    period = parse_period(args.get("period", "fy"), args.get(args.get("period", "fy"), ""), ward_today())
    site = args.get("site", "")
    channel = args.get("channel", "")
    return Filters(period, int(site) if is_number(site) else None, channel if channel in vocabulary.CHANNELS else None)


@bp.get("/")
def dashboard():
    filters = _filters()
    db = get_db()
    data = build_dashboard(db, filters, targets_from(current_app.config), ward_today())
    sites = list(db.query("select id, name from sites order by id"))
    staff = staff_names(db)
    tables = aggregate_tables(data, staff, get_catalog())
    top_topics = [(label, n) for _, label, n in tables["topics"][1][:10]]
    by_staff = [(name, n) for _, name, n in tables["staff"][1]]
    return render_page("stats/dashboard.html", data=data, filters=filters, sites=sites, vocab=vocabulary,
                       fiscal_years=_fiscal_years(db), top_topics=top_topics, by_staff=by_staff)


def _fiscal_years(db) -> list[int]:
    row = db.execute("select min(month), max(month) from consultation_stats where consultations > 0").fetchone()
    this = ward_today()
    current = this.year if this.month >= 4 else this.year - 1
    if not row or not row[0]:
        return [current]
    first = int(row[0][:4]) - (int(row[0][5:7]) < 4)
    return list(range(max(current, int(row[1][:4])), first - 1, -1))


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
    path = current_app.config["DATABASE"]

    def generate():
        db = connect(path)  # the request's connection is closed before the body is streamed
        try:
            yield from stream_csv(consultation_rows(db, filters), EXPORT_COLUMNS, encoding)
        finally:
            db.conn.close()

    name = f"consultations-{filters.period.value}{'-cp932' if encoding == 'cp932' else ''}.csv"
    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})





def _tables():
    filters = _filters()
    db = get_db()
    data = build_dashboard(db, filters, targets_from(current_app.config), ward_today())
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
    data = build_dashboard(db, filters, targets_from(current_app.config), ward_today())
    _log_export("report.pdf", filters)
    staff = staff_names(db)
    site = db.execute("select name from sites where id = ?", [filters.site_id]).fetchone() if filters.site_id else None
    pdf = render_report_pdf(data=data, tables=aggregate_tables(data, staff, get_catalog()), vocab=vocabulary,
                            site_name=site[0] if site else None)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="report-{filters.period.value}.pdf"'})
