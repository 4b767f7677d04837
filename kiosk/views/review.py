"""The seal review (押印見直し) for the ward's DX task force: progress, the waiting list, the 例規
still to amend, each department's page where its reviewer updates statuses, and the exports.

Reviewers, coordinators and admins only (role "reviewer", see kiosk/staff/accounts.py);
supporters get 403. A reviewer updates its own department's rows, coordinators and admins any.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from kiosk.audit import audit
from kiosk.db import connect, get_db, transaction
from kiosk.review.exports import LEDGER_HEADER, ledger_rows, progress_tables, render_progress_pdf
from kiosk.review.progress import (
    EntryFilters,
    abolished_by_month,
    build_progress,
    department_counts,
    department_names,
    find_entries,
    has_department,
    rules_to_amend,
)
from kiosk.review.statuses import STATUS_LABELS, STATUSES, WAITING
from kiosk.review.store import may_update, review_entry, update_entry
from kiosk.spreadsheets import stream_csv
from kiosk.staff.auth import role_required
from kiosk.stats.exports import write_xlsx
from kiosk.stats.periods import ward_today
from kiosk.web.htmx import is_htmx, render_page

bp = Blueprint("review", __name__, url_prefix="/review")
PAGE_SIZE = 50


@bp.before_request
@role_required("reviewer")
def require_reviewer():
    return None


def _today():
    return ward_today(current_app.config["TIMEZONE"])


def _progress():
    config = current_app.config
    return build_progress(get_db(), target_share=config["TARGET_SEALS_ABOLISHED_SHARE"],
                          deadline_setting=config["SEAL_REVIEW_DEADLINE"], today=_today())


@bp.get("/")
def index():
    return render_page("review/index.html", progress=_progress(), statuses=STATUS_LABELS)


def _entry_filters(known: list[str], waiting_only: bool) -> tuple[EntryFilters, dict[str, str]]:
    """The filter form; a value that is not offered is dropped with a message."""
    args, errors = request.args, {}
    department, status = args.get("department", ""), args.get("status", "")
    if department and department not in known:
        errors["department"] = _("この所管課は台帳にありません。すべての所管課を表示しています。")
        department = ""
    if status and status not in (WAITING if waiting_only else STATUSES):
        errors["status"] = _("この状況は選べません。すべてを表示しています。")
        status = ""
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    return EntryFilters(department, status, (args.get("q") or "").strip()[:100], page), errors


@bp.get("/waiting")
def waiting():
    db = get_db()
    known = department_names(db)
    filters, errors = _entry_filters(known, waiting_only=True)
    result = find_entries(db, filters, PAGE_SIZE, statuses=WAITING)
    return render_page("review/waiting.html", "results", filters=filters, errors=errors, result=result,
                       departments=known, statuses=STATUS_LABELS,
                       status_items=[(status, STATUS_LABELS[status]) for status in WAITING])


@bp.get("/rules")
def rules():
    return render_page("review/rules.html", rules=rules_to_amend(get_db()))


def _department_or_404(department: str) -> None:
    if not has_department(get_db(), department):
        abort(404)


def _department_page(department: str, errors_by_key: dict | None = None, entry_override: dict | None = None,
                     status: int = 200):
    db = get_db()
    filters, filter_errors = _entry_filters([department], waiting_only=False)
    filters.department = department
    result = find_entries(db, filters, PAGE_SIZE)
    if entry_override:  # a refused update: show what was typed, with its messages
        result.entries = [entry_override if e["key"] == entry_override["key"] else e for e in result.entries]
    counts = next(iter(department_counts(db, department)), None)
    editable = may_update(g.user, {"department": department})
    body = render_page("review/department.html", department=department, filters=filters,
                       filter_errors=filter_errors, result=result, counts=counts, statuses=STATUS_LABELS,
                       by_month=abolished_by_month(db, department), editable=editable,
                       errors_by_key=errors_by_key or {})
    return body, status


@bp.get("/departments/<department>")
def department(department: str):
    _department_or_404(department)
    return _department_page(department)


@bp.post("/entries/<key>")
def update(key: str):
    db = get_db()
    entry = review_entry(db, key)
    if entry is None:
        abort(404)
    if not may_update(g.user, entry):
        abort(403)
    form = {name: request.form[name] for name in request.form if name != "csrf_token"}
    result = update_entry(db, g.user, key, form, _today())
    back = request.form.get("back") or ""
    if is_htmx():
        # The card swaps itself; a refusal comes back with 200 so that htmx shows it.
        return render_page("review/_entry.html", entry=result.entry, errors=result.errors, statuses=STATUS_LABELS,
                           editable=True, saved=not result.errors and bool(result.changed))
    if result.errors:
        return _department_page(entry["department"], {key: result.errors}, result.entry, status=400)
    if result.changed:
        flash(_("「%(name)s」を「%(status)s」にしました。", name=entry["name"],
                status=STATUS_LABELS[result.entry["status"]]))
    target = url_for("review.department", department=entry["department"])
    return redirect(target + (back if back.startswith("?") else ""), 303)


# --- exports -----------------------------------------------------------------------------------------

def _log_export(what: str) -> None:
    db = get_db()
    with transaction(db):
        audit(db, g.user["id"], "export", what, None)


@bp.get("/export/ledger.csv")
def export_ledger():
    """The ledger with its statuses, as `kiosk ledger import` reads it; UTF-8 with BOM or CP932."""
    department = request.args.get("department") or None
    if department is not None and not has_department(get_db(), department):
        abort(404)
    encoding = "cp932" if request.args.get("encoding") == "cp932" else "utf-8"
    _log_export("review/ledger.csv")
    path = current_app.config["DATABASE"]

    def generate():
        db = connect(path)  # the request's connection is closed before the body is streamed
        try:
            yield from stream_csv(ledger_rows(db, department), LEDGER_HEADER, encoding)
        finally:
            db.conn.close()

    name = f"seal-review-ledger{'-cp932' if encoding == 'cp932' else ''}.csv"
    return Response(generate(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/export/progress.xlsx")
def export_xlsx():
    _log_export("review/progress.xlsx")
    body = write_xlsx(progress_tables(get_db(), _progress()))
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="seal-review-progress.xlsx"'})


@bp.get("/report.pdf")
def report_pdf():
    _log_export("review/report.pdf")
    pdf = render_progress_pdf(_progress(), _today())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="seal-review-progress.pdf"'})
