"""Coordinators and administrators: the KPI dashboard and the exports (CSV for Excel, .xlsx)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request, stream_with_context
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
from kiosk.stats.exports import (
    TABLE_TITLES,
    aggregate_tables,
    consultation_headers,
    consultation_rows,
    csv_text,
    readable_consultation_rows,
    readable_tables,
    write_xlsx,
)
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
                       fiscal_years=fiscal_years_with_data(db, today), top_topics=top_topics, by_staff=by_staff,
                       table_titles=TABLE_TITLES, export_args=_export_args())


def _export_args() -> dict:
    """The dashboard's filters for its download links (the links add the variant themselves)."""
    return {key: value for key, value in request.args.items() if key not in ("codes", "encoding")}


def _codes() -> bool:
    """The machine-readable variant (``?codes=1``): stored codes, code headers, shares as fractions."""
    return request.args.get("codes") == "1"


def _log_export(what: str, filters: Filters) -> None:
    db = get_db()
    with transaction(db):
        audit(db, g.user["id"], "export", what, None, None,
              {"period": filters.period.value, "site_id": filters.site_id, "channel": filters.channel})











@bp.get("/export/consultations.csv")
def export_consultations():
    filters = _filters()
    encoding = "cp932" if request.args.get("encoding") == "cp932" else "utf-8"
    codes = _codes()
    _log_export("consultations-codes.csv" if codes else "consultations.csv", filters)
    path, timezone, catalog = current_app.config["DATABASE"], _timezone(), get_catalog()

    def generate():
        db = connect(path)  # a connection of its own for the streamed body
        try:
            rows = consultation_rows(db, filters, timezone=timezone)
            if not codes:
                rows = readable_consultation_rows(rows, catalog, timezone=timezone)
            yield from stream_csv(rows, consultation_headers(codes), encoding)
        finally:
            db.conn.close()

    name = (f"consultations-{'codes-' if codes else ''}{filters.period.value}"
            f"{'-cp932' if encoding == 'cp932' else ''}.csv")
    # The labels are translated while streaming, so the request (and its locale) stays open.
    return Response(stream_with_context(generate()), mimetype="text/csv",
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
    codes = _codes()
    _log_export(f"table/{name}{'-codes' if codes else ''}.csv", filters)
    header, rows = tables[name] if codes else readable_tables({name: tables[name]}).popitem()[1]
    body = b"".join(stream_csv(rows if codes else csv_text(rows), header, "utf-8"))
    filename = f"{name}-{'codes-' if codes else ''}{filters.period.value}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/export/statistics.xlsx")
def export_xlsx():
    """One sheet per table, written with openpyxl's write-only mode."""
    filters, tables = _tables()
    codes = _codes()
    _log_export("statistics-codes.xlsx" if codes else "statistics.xlsx", filters)
    filename = f"statistics-{'codes-' if codes else ''}{filters.period.value}.xlsx"
    return Response(write_xlsx(tables if codes else readable_tables(tables)),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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
