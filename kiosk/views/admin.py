"""Administrators: sites, devices (with enrollment QR codes), staff accounts, the audit log.

Each view reads the request, calls the data modules (kiosk.admin.sites, kiosk.admin.devices,
kiosk.staff.accounts, kiosk.audit) and renders; the forms are in kiosk.admin.forms."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kiosk.admin.devices import (
    DEVICE_KINDS,
    PAPERS,
    create_device,
    create_enrollment_token,
    get_device,
    list_devices,
    revoke_device,
    update_device,
)
from kiosk.admin.forms import DeviceForm, SiteForm, field_errors
from kiosk.admin.overview import record_counts
from kiosk.admin.sites import SITE_KINDS, active_sites, create_site, get_site, list_sites, update_site
from kiosk.audit import AUDIT_COLUMNS, audit, audit_page, audit_rows
from kiosk.db import connect, get_db, transaction
from kiosk.qr import qr_svg
from kiosk.spreadsheets import stream_csv
from kiosk.staff.accounts import (
    ROLES,
    AccountError,
    create_user,
    generate_password,
    get_user,
    list_users,
    set_disabled,
    set_password,
)
from kiosk.staff.auth import role_required
from kiosk.staff.personal_data import MYNUMBER_REFUSED_IN_FIELD, contains_mynumber, is_number
from kiosk.web.htmx import render_page

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {"supporter": _l("デジタル活用支援員"), "coordinator": _l("統計担当"), "admin": _l("管理者")}
AUDIT_PAGE = 100
# The enrollment QR code is shown on a screen (the CSS draws it 240 px square).
ENROLLMENT_QR_MODULE_PX = 4


@bp.before_request
@role_required("admin")
def require_admin():
    return None


@bp.get("/")
def index():
    return render_page("admin/index.html", counts=record_counts(get_db()))


# --- sites ------------------------------------------------------------------------------------------

@bp.route("/sites", methods=["GET", "POST"])
def sites():
    db = get_db()
    form = SiteForm(request.form) if request.method == "POST" else SiteForm(data={"kind": "branch"})
    if request.method == "POST" and form.validate():
        create_site(db, form.site_fields(), by_user=g.user["id"])
        flash(_("拠点「%(name)s」を登録しました。", name=form.name.data))
        return redirect(url_for("admin.sites"), 303)
    errors = field_errors(form)
    return render_page("admin/sites.html", rows=list_sites(db), form=form, errors=errors, kinds=SITE_KINDS), \
        400 if errors else 200


@bp.route("/sites/<id:site_id>", methods=["GET", "POST"])
def site(site_id: int):
    db = get_db()
    before = get_site(db, site_id)
    if before is None:
        abort(404)
    # On a form sent back with errors the checkbox shows what was sent, not what is stored.
    form = SiteForm(request.form) if request.method == "POST" else \
        SiteForm(data={**before, "archived": bool(before["archived_at"])})
    if request.method == "POST" and form.validate():
        update_site(db, site_id, form.site_fields(), archived=form.archived.data, by_user=g.user["id"])
        flash(_("拠点「%(name)s」を更新しました。", name=form.name.data))
        return redirect(url_for("admin.sites"), 303)
    errors = field_errors(form)
    return render_page("admin/site.html", site=before, form=form, errors=errors, kinds=SITE_KINDS), \
        400 if errors else 200


# --- devices ----------------------------------------------------------------------------------------

def _device_form(sites_in_use: list[dict], device: dict | None = None) -> DeviceForm:
    """The posted form, or the device's (or a new device's) values to start from."""
    site_ids = [s["id"] for s in sites_in_use]
    if request.method == "POST":
        return DeviceForm(request.form, site_ids=site_ids)
    return DeviceForm(data=device or {"kind": "kiosk", "paper": "a4"}, site_ids=site_ids)


def _device_page(device: dict, sites_in_use: list[dict], form: DeviceForm, link: str | None = None):
    errors = field_errors(form)
    qr = qr_svg(link, _("登録リンクのQRコード"), module_px=ENROLLMENT_QR_MODULE_PX) if link else None
    return render_page("admin/device.html", device=device, sites=sites_in_use, form=form, errors=errors,
                       kinds=DEVICE_KINDS, papers=PAPERS, link=link, qr=qr), 400 if errors else 200


@bp.route("/devices", methods=["GET", "POST"])
def devices():
    db = get_db()
    sites_in_use = active_sites(db)
    form = _device_form(sites_in_use)
    if request.method == "POST" and form.validate():
        device_id = create_device(db, form.device_fields(), by_user=g.user["id"])
        return redirect(url_for("admin.device", device_id=device_id), 303)
    errors = field_errors(form)
    return render_page("admin/devices.html", rows=list_devices(db), sites=sites_in_use, form=form, errors=errors,
                       kinds=DEVICE_KINDS, papers=PAPERS), 400 if errors else 200


def _existing_device(device_id: int) -> dict:
    device = get_device(get_db(), device_id)
    if device is None:
        abort(404)
    return device


@bp.route("/devices/<id:device_id>", methods=["GET", "POST"])
def device(device_id: int):
    db = get_db()
    before = _existing_device(device_id)
    sites_in_use = active_sites(db)
    form = _device_form(sites_in_use, before)
    if request.method == "POST" and form.validate():
        update_device(db, device_id, form.device_fields(), by_user=g.user["id"])
        flash(_("端末「%(name)s」を更新しました。", name=form.name.data))
        return redirect(url_for("admin.device", device_id=device_id), 303)
    return _device_page(before, sites_in_use, form)


@bp.post("/devices/<id:device_id>/enroll")
def enroll_device(device_id: int):
    db = get_db()
    device_row = _existing_device(device_id)
    if device_row["revoked_at"]:
        abort(409)
    token = create_enrollment_token(db, device_id, issued_by=g.user["id"])
    link = url_for("kiosk.enroll", token=token, _external=True)
    sites_in_use = active_sites(db)
    form = DeviceForm(data=device_row, site_ids=[s["id"] for s in sites_in_use])  # the stored values: nothing posted
    return _device_page(device_row, sites_in_use, form, link=link)


@bp.post("/devices/<id:device_id>/revoke", endpoint="revoke_device")
def revoke(device_id: int):
    device_row = _existing_device(device_id)
    revoke_device(get_db(), device_id, by_user=g.user["id"])
    flash(_("端末「%(name)s」の登録を取り消しました。", name=device_row["name"]))
    return redirect(url_for("admin.devices"), 303)


# --- users ------------------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
def users():
    db = get_db()
    sites_list = active_sites(db)
    values, errors, created = {"role": "supporter"}, {}, None
    if request.method == "POST":
        values = {k: (request.form.get(k) or "").strip() for k in ("username", "display_name", "role", "site_id")}
        if values["role"] not in ROLES:
            errors["role"] = _("役割を選んでください。")
        site_id = int(values["site_id"]) if is_number(values["site_id"]) else None
        if values["site_id"] and site_id not in {s["id"] for s in sites_list}:
            errors["site_id"] = _("拠点を選んでください。")
        if len(values["display_name"]) > 50:
            errors["display_name"] = _("表示名は50文字以内で入れてください。")
        for name in ("username", "display_name"):  # named here; kiosk.staff.accounts refuses it too
            if contains_mynumber(values[name]):
                errors[name] = str(MYNUMBER_REFUSED_IN_FIELD)  # rather than any other problem of the field
        if not errors:
            password = generate_password()
            try:
                with transaction(db):  # the account and its audit entry together, or neither
                    user_id = create_user(db, values["username"], values["role"], password, values["display_name"],
                                          site_id)
                    audit(db, g.user["id"], "create", "user", user_id, None,
                          {k: v for k, v in values.items() if k != "site_id"} | {"site_id": site_id})
            except AccountError:
                errors["username"] = _("ユーザー名は英数字と「.」「_」「-」の50文字以内で、"
                                       "ほかの人と重ならないものにしてください。")
            else:
                created = {"username": values["username"], "password": password}
                values = {"role": "supporter"}
    return _users_page(db, values, errors, created=created)


def _users_page(db, values: dict, errors: dict, created: dict | None = None, reset: dict | None = None):
    return render_page("admin/users.html", rows=list_users(db), sites=active_sites(db), form=values, errors=errors,
                       roles=ROLE_LABELS, created=created, reset=reset), 400 if errors else 200


@bp.post("/users/<id:user_id>/<action>")
def user_action(user_id: int, action: str):
    db = get_db()
    user = get_user(db, user_id)
    if user is None or action not in ("disable", "enable", "reset-password"):
        abort(404)
    if action == "disable" and user_id == g.user["id"]:
        flash(_("自分のアカウントは無効にできません。"))
        return redirect(url_for("admin.users"), 303)
    if action == "reset-password":
        # Shown in this response only: a flashed message would travel in the session cookie.
        password = generate_password()
        with transaction(db):
            set_password(db, user_id, password)
            audit(db, g.user["id"], "reset-password", "user", user_id)
        return _users_page(db, {"role": "supporter"}, {},
                           reset={"username": user["username"], "password": password})
    with transaction(db):
        set_disabled(db, user_id, action == "disable")
        audit(db, g.user["id"], action, "user", user_id)
    flash(_("%(user)s を無効にしました。", user=user["username"]) if action == "disable"
          else _("%(user)s を有効にしました。", user=user["username"]))
    return redirect(url_for("admin.users"), 303)


# --- the audit log ----------------------------------------------------------------------------------

@bp.get("/audit")
def audit_log():
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 1
    shown = audit_page(get_db(), page, AUDIT_PAGE)
    return render_page("admin/audit.html", rows=shown.entries, page=shown.page, pages=shown.pages,
                       total=shown.total)


@bp.get("/audit.csv")
def audit_csv():
    """The whole audit log as CSV for Excel (UTF-8 with BOM), streamed; the export is logged."""
    db = get_db()
    with transaction(db):
        audit(db, g.user["id"], "export", "audit_log", None)
    path = current_app.config["DATABASE"]

    def generate():
        stream_db = connect(path)  # the request's connection is closed before the body is streamed
        try:
            yield from stream_csv(audit_rows(stream_db), AUDIT_COLUMNS, "utf-8")
        finally:
            stream_db.conn.close()

    filename = f"audit-log-{dt.date.today():%Y%m%d}.csv"
    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
