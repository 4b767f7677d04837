"""Support staff on a tablet: sign-in, the consultation log, and the help queue."""

from __future__ import annotations

import hashlib
import re
import secrets

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kiosk.admin.devices import get_device
from kiosk.admin.sites import active_sites, get_site
from kiosk.catalog import get_catalog
from kiosk.consultations import store, vocabulary
from kiosk.consultations.form import ConsultationForm, check_note, local_now, record_as_form_data
from kiosk.consultations.store import (
    get_consultation,
    recent_consultations,
    record_consultation,
    update_consultation,
)
from kiosk.db import get_db
from kiosk.handoff import records as handoffs
from kiosk.resident.help_requests import NotFound, claim, get_request, resolve, waiting_requests
from kiosk.staff.accounts import Throttle, end_all_sessions, has_role, sign_in
from kiosk.staff.auth import (
    current_site_id,
    end_session,
    remember_saved,
    role_required,
    saved_record,
    start_session,
    switch_site,
)
from kiosk.staff.personal_data import is_number
from kiosk.web.htmx import is_htmx, render_page
from kiosk.web.urls import local_path

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _safe_next(target: str | None) -> str:
    target = local_path(target, url_for("staff.home"))
    return url_for("staff.home") if target.startswith("/staff/login") else target


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")[:50]
        config = current_app.config
        throttle = Throttle(config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"],
                            config["LOGIN_MAX_ADDRESS_FAILURES"])
        result = sign_in(get_db(), username, request.form.get("password", "")[:200],
                         request.remote_addr or "unknown", config["SECRET_KEY"], throttle)
        if result.user:
            start_session(result.user)
            # A reviewer has no staff home: its work is the seal review.
            default = url_for("review.index") if result.user["role"] == "reviewer" else None
            return redirect(_safe_next(request.form.get("next") or default), 303)
        error, status = {
            "invalid": (_("ユーザー名かパスワードがちがいます。"), 400),
            "disabled": (_("このアカウントは使えません。管理者に連絡してください。"), 403),
            "locked": (_("パスワードを何度もまちがえたため、このアカウントは%(minutes)s分間ロックされています。"
                         "時間をおいてから、もう一度お試しください。", minutes=result.wait_minutes), 429),
            "address": (_("この端末からの失敗が多いため、%(minutes)s分ほど待ってからお試しください。",
                          minutes=result.wait_minutes), 429),
        }[result.error]
    else:
        status = 200
    idle = session.pop("signed_out_idle", False)
    body = render_page("staff/login.html", error=error, username=username, idle=idle,
                       next=request.values.get("next", ""))
    return body, status


@bp.post("/keepalive")
def keepalive():
    """「続ける」 in the idle warning, and typing on a page: a real request, so it counts as activity.
    The answer's X-Staff-Session-Seconds says how long the session now has. Any signed-in account
    (every staff page warns, the seal review's included); signed out: to the sign-in page."""
    if g.get("user") is None:
        return redirect(url_for("staff.login"))
    return "", 204


@bp.post("/logout")
def logout():
    if g.get("user"):
        end_all_sessions(get_db(), g.user["id"])  # a copied cookie stops working too
    end_session()
    flash(_("サインアウトしました。"))
    return redirect(url_for("staff.login"), 303)


def _allowed_sites() -> list[dict]:
    return active_sites(get_db())


@bp.post("/site")
@role_required("supporter")
def choose_site():
    site = request.form.get("site_id", "")
    if not is_number(site) or int(site) not in {s["id"] for s in _allowed_sites()}:
        abort(400)
    switch_site(int(site))
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.get("/")
@role_required("supporter")
def home():
    db = get_db()
    site_id = current_site_id()
    sites = _allowed_sites()
    requests = waiting_requests(db, site_id)
    version = queue_version(requests)
    if is_htmx() and request.args.get("v") == version:
        return "", 204  # unchanged: nothing is swapped, focus stays where it is
    return render_page("staff/home.html", "help_queue", requests=requests, queue_version=version,
                       recent=recent_consultations(db, site_id, 10),
                       site_items=[(str(s["id"]), s["name"]) for s in sites],
                       site_id=site_id, catalog=get_catalog(), vocab=vocabulary)


def queue_version(requests: list[dict]) -> str:
    """A fingerprint of what the help queue shows, so that a poll can answer "unchanged"."""
    shown = [(r["id"], r["status"], r["claimed_by"], r["waiting_minutes"], r.get("step")) for r in requests]
    return hashlib.sha1(repr(shown).encode()).hexdigest()[:12]


@bp.get("/help")
@role_required("supporter")
def help_queue():
    """Polled by the tablets every few seconds (htmx); a plain request gets the whole page."""
    if not is_htmx():
        return redirect(url_for("staff.home"))
    return home()


def _help_action(request_id: int, action) -> object:
    try:
        action(get_db(), request_id, g.user, current_site_id())
    except NotFound:
        abort(404)
    if is_htmx():
        return home()
    return redirect(url_for("staff.home"), 303)


@bp.post("/help/<id:request_id>/claim")
@role_required("supporter")
def claim_help(request_id: int):
    def act(db, rid, user, site):
        if not claim(db, rid, user, site):
            flash(_("ほかの職員がすでに対応しています。"))
    return _help_action(request_id, act)


@bp.post("/help/<id:request_id>/resolve")
@role_required("supporter")
def resolve_help(request_id: int):
    return _help_action(request_id, resolve)


# --- handoff follow-up ------------------------------------------------------------------------------

@bp.get("/handoffs")
@role_required("supporter")
def handoff_list():
    site = request.args.get("site", "")
    site_id = int(site) if is_number(site) else None
    sites = _allowed_sites()
    return render_page("staff/handoffs.html", rows=handoffs.open_handoffs(get_db(), site_id), catalog=get_catalog(),
                       site_items=[("", _("すべての拠点"))] + [(str(s["id"]), s["name"]) for s in sites],
                       site=site, typed=request.args.get("code", ""), not_found=request.args.get("missing") == "1")


@bp.post("/handoffs/find")
@role_required("supporter")
def find_handoff():
    typed = request.form.get("code", "")[:40]
    record = handoffs.find_handoff(get_db(), typed)
    if record is None:
        return redirect(url_for("staff.handoff_list", code=typed, missing=1), 303)
    return redirect(url_for("staff.handoff_detail", code=record["code"]), 303)


def _handoff_or_404(code: str) -> dict:
    record = handoffs.get_handoff(get_db(), code)
    if record is None:
        abort(404)
    return record


@bp.get("/handoffs/<code>")
@role_required("supporter")
def handoff_detail(code: str):
    record = _handoff_or_404(code)
    return _render_handoff(record)


def _render_handoff(record: dict, error: str | None = None, note: str = "", status: int = 200,
                    warning: str | None = None):
    db = get_db()
    catalog = get_catalog()
    proc = catalog.procedures.get(record["procedure_id"])
    channel = proc.channel(record["channel_id"]) if proc and record["channel_id"] else None
    site = get_site(db, record["site_id"]) if record["site_id"] else None
    device = get_device(db, record["device_id"]) if record["device_id"] else None
    return render_page("staff/handoff.html", handoff=record, procedure=proc, channel=channel,
                       notes=handoffs.notes(db, record["id"]), site_name=site["name"] if site else None,
                       activity=handoffs.kiosk_activity(db, record["session_ref"]), catalog=catalog,
                       device_name=device["name"] if device else None, error=error, warning=warning, note=note,
                       statuses=HANDOFF_STATUS_LABELS), status


HANDOFF_STATUS_LABELS = {"open": _l("未対応"), "contacted": _l("連絡済み"), "resolved": _l("解決"),
                         "expired": _l("期限切れ")}


@bp.post("/handoffs/<code>/note")
@role_required("supporter")
def handoff_note(code: str):
    record = _handoff_or_404(code)
    note = request.form.get("note", "").strip()
    error, warning = check_note(note, confirmed=request.form.get("confirm_note") == "1")
    if not note:
        error = _("メモを入れてください。")
    if error or warning:
        return _render_handoff(record, error, note, 400, warning=None if error else warning)
    handoffs.add_note(get_db(), record, g.user["id"], note)
    flash(_("メモを追加しました。"))
    return redirect(url_for("staff.handoff_detail", code=code), 303)


@bp.post("/handoffs/<code>/status")
@role_required("supporter")
def handoff_status(code: str):
    record = _handoff_or_404(code)
    status = request.form.get("status", "")
    if status not in handoffs.STATUSES:
        abort(400)
    handoffs.set_status(get_db(), record, g.user["id"], status)
    flash(_("状態を「%(status)s」にしました。", status=HANDOFF_STATUS_LABELS[status]))
    return redirect(url_for("staff.handoff_detail", code=code), 303)


# --- the consultation log -----------------------------------------------------------------------

def _consultation_form(formdata=None, data: dict | None = None) -> ConsultationForm:
    """The form with today's choices: the sites in use, the general topics and the catalog's procedures."""
    topics = list(vocabulary.GENERAL_TOPICS.items()) + [
        (procedure_id, procedure.title) for procedure_id, procedure in get_catalog().procedures.items()]
    return ConsultationForm(formdata, sites=[(s["id"], s["name"]) for s in _allowed_sites()], topics=topics,
                            timezone=current_app.config["TIMEZONE"], data=data)


def _render_form(form: ConsultationForm, status: int = 200, **extra):
    # A form shown again (an error to fix) keeps its token: it is still the same record.
    token = _form_token() or secrets.token_urlsafe(16)
    return render_page("staff/consultation_form.html", form=form, errors=form.first_errors, form_token=token,
                       warnings=form.warnings, catalog=get_catalog(), vocab=vocabulary, **extra), status


_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _form_token() -> str | None:
    """The posted form's one-off token (see kiosk.staff.auth.remember_saved), if it has a sound one."""
    token = request.form.get("form_token", "")
    return token if _FORM_TOKEN.fullmatch(token) else None


def _already_saved():
    """The same form posted again (a second tap, a resubmit, a restored draft): no second record."""
    record_id = saved_record(_form_token())
    if record_id is None:
        return None
    flash(_("この記録はもう保存されています（番号 %(id)s）。", id=record_id))
    return redirect(url_for("staff.home"), 303)


def _defaults(help_request: dict | None = None) -> dict:
    site_id = current_site_id()
    site = next((s for s in _allowed_sites() if s["id"] == site_id), None)
    values = {"site_id": str(site_id or ""), "started_at": local_now(current_app.config["TIMEZONE"])
              .strftime("%Y-%m-%dT%H:%M"), "channel": "outreach" if site and site["kind"] == "event" else "counter",
              "language": "ja", "topics": []}
    if help_request:
        values.update(channel="kiosk", device_used="kiosk")
        if help_request["procedure_id"]:
            values["topics"] = [help_request["procedure_id"]]
        # The sheet the calling resident made at the kiosk links this record to that session.
        linked = handoffs.latest_session_handoff(get_db(), help_request["session_ref"])
        if linked:
            values["handoff_code"] = linked["display_code"]
    return values


@bp.route("/consultations/new", methods=["GET", "POST"])
@role_required("supporter")
def new_consultation():
    db = get_db()
    help_request = None
    help_id = request.values.get("help", "")
    if help_id:
        if not is_number(help_id):
            abort(404)
        try:
            help_request = get_request(db, int(help_id), current_site_id())
        except NotFound:
            abort(404)
    if request.method == "GET":
        values = _defaults(help_request)
        linked = handoffs.find_handoff(db, request.args.get("handoff", "")) if request.args.get("handoff") else None
        if linked:
            values.update(handoff_code=linked["display_code"], topics=[linked["procedure_id"]])
        return _render_form(_consultation_form(data=values), mode="new", help_request=help_request)
    if (done := _already_saved()) is not None:
        return done
    form = _consultation_form(request.form)
    parsed = form.parse()
    if not parsed.ok:  # a warning to confirm is not an error: 200
        return _render_form(form, 400 if parsed.errors else 200, mode="new", help_request=help_request)
    consultation_id = record_consultation(db, g.user["id"], parsed, help_request["id"] if help_request else None)
    remember_saved(_form_token(), consultation_id)
    if help_request:
        resolve(db, help_request["id"], g.user, current_site_id())
    flash(_("相談を記録しました（番号 %(id)s）。", id=consultation_id))
    return redirect(url_for("staff.home"), 303)


def _editable(consultation_id: int) -> dict:
    """Supporters edit their own records; coordinators and admins any."""
    row = get_consultation(get_db(), consultation_id)
    if row is None:
        abort(404)
    if not has_role(g.user, "coordinator") and row["staff_id"] != g.user["id"]:
        abort(403)
    return row


@bp.route("/consultations/<id:consultation_id>/edit", methods=["GET", "POST"])
@role_required("supporter")
def edit_consultation(consultation_id: int):
    row = _editable(consultation_id)
    if request.method == "GET":
        data = record_as_form_data(row, current_app.config["TIMEZONE"])
        return _render_form(_consultation_form(data=data), mode="edit", record=row)
    if (done := _already_saved()) is not None:
        return done
    form = _consultation_form(request.form)
    parsed = form.parse()
    if not parsed.ok:
        return _render_form(form, 400 if parsed.errors else 200, mode="edit", record=row)
    update_consultation(get_db(), consultation_id, g.user["id"], parsed)
    remember_saved(_form_token(), consultation_id)
    flash(_("記録を直しました（番号 %(id)s）。", id=consultation_id))
    return redirect(url_for("staff.consultations"), 303)


@bp.post("/consultations/<id:consultation_id>/delete")
@role_required("supporter")
def delete_consultation(consultation_id: int):
    _editable(consultation_id)
    store.delete_consultation(get_db(), consultation_id, g.user["id"])
    flash(_("記録を削除しました（番号 %(id)s）。", id=consultation_id))
    return redirect(url_for("staff.consultations"), 303)


@bp.get("/consultations")
@role_required("supporter")
def consultations():
    rows = recent_consultations(get_db(), current_site_id(), 100)
    return render_page("staff/consultations.html", rows=rows, catalog=get_catalog(), vocab=vocabulary,
                       timezone=current_app.config["TIMEZONE"])
