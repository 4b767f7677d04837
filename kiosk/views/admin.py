"""Administrators: sites, devices (with enrollment QR codes), staff accounts, the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from kiosk.admin.devices import create_enrollment_token
from kiosk.audit import audit
from kiosk.db import connect, get_db, now_iso, transaction
from kiosk.staff.accounts import (
    ROLES,
    AccountError,
    create_user,
    generate_password,
    get_user,
    set_disabled,
    set_password,
)
from kiosk.staff.auth import role_required
from kiosk.staff.personal_data import is_number
from kiosk.stats.exports import excel_safe
from kiosk.web.htmx import render_page

bp = Blueprint("admin", __name__, url_prefix="/admin")

SITE_KINDS = {"branch": _l("支所・出張所"), "event": _l("出張相談会")}
DEVICE_KINDS = {"kiosk": _l("キオスク"), "tablet": _l("タブレット")}
ROLE_LABELS = {"supporter": _l("デジタル活用支援員"), "coordinator": _l("統計担当"), "admin": _l("管理者")}
AUDIT_PAGE = 100


@bp.before_request
@role_required("admin")
def require_admin():
    return None


def svg_qr(data: str, label: str) -> Markup:
    """An inline SVG QR code (served by the app, no image request)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1))


@bp.get("/")
def index():
    db = get_db()
    counts = {name: db.table(name).count for name in ("sites", "devices", "users", "audit_log")}
    return render_page("admin/index.html", counts=counts)


# --- sites ------------------------------------------------------------------------------------------

def _site_form(form) -> tuple[dict, dict]:
    values = {k: (form.get(k) or "").strip() for k in ("name", "kind", "venue", "starts_on", "ends_on")}
    errors = {}
    if not values["name"] or len(values["name"]) > 100:
        errors["name"] = _("拠点名を100文字以内で入れてください。")
    if values["kind"] not in SITE_KINDS:
        errors["kind"] = _("種類を選んでください。")
    if len(values["venue"]) > 200:
        errors["venue"] = _("会場は200文字以内で入れてください。")
    dates = {}
    for name in ("starts_on", "ends_on"):
        if values[name]:
            try:
                dates[name] = dt.date.fromisoformat(values[name])
            except ValueError:
                errors[name] = _("日付を選んでください。")
    if values["kind"] == "event" and not errors and not dates.get("starts_on"):
        errors["starts_on"] = _("出張相談会は開始日を入れてください。")
    if len(dates) == 2 and dates["ends_on"] < dates["starts_on"]:
        errors["ends_on"] = _("終了日が開始日より前です。")
    return values, errors


@bp.route("/sites", methods=["GET", "POST"])
def sites():
    db = get_db()
    values, errors = {"kind": "branch"}, {}
    if request.method == "POST":
        values, errors = _site_form(request.form)
        if not errors:
            record = {k: v or None for k, v in values.items()}
            with transaction(db):
                site_id = db.table("sites").insert({**record, "created_at": now_iso()}).last_pk
                audit(db, g.user["id"], "create", "site", site_id, None, record)
            flash(_("拠点「%(name)s」を登録しました。", name=values["name"]))
            return redirect(url_for("admin.sites"), 303)
    rows = list(db.query("select * from sites order by archived_at is not null, id"))
    return render_page("admin/sites.html", rows=rows, form=values, errors=errors, kinds=SITE_KINDS), \
        400 if errors else 200


@bp.route("/sites/<id:site_id>", methods=["GET", "POST"])
def site(site_id: int):
    db = get_db()
    rows = list(db.query("select * from sites where id = ?", [site_id]))
    if not rows:
        abort(404)
    before = rows[0]
    values, errors = {k: before[k] or "" for k in ("name", "kind", "venue", "starts_on", "ends_on")}, {}
    if request.method == "POST":
        values, errors = _site_form(request.form)
        if not errors:
            record = {k: v or None for k, v in values.items()}
            archived = request.form.get("archived") == "1"
            record["archived_at"] = (before["archived_at"] or now_iso()) if archived else None
            with transaction(db):
                db.table("sites").update(site_id, record)
                audit(db, g.user["id"], "update", "site", site_id, {k: before[k] for k in record}, record)
            flash(_("拠点「%(name)s」を更新しました。", name=values["name"]))
            return redirect(url_for("admin.sites"), 303)
    return render_page("admin/site.html", site=before, form=values, errors=errors, kinds=SITE_KINDS), \
        400 if errors else 200


# --- devices ----------------------------------------------------------------------------------------

PAPERS = {"a4": _l("A4"), "80mm": _l("80mm ロール紙")}


def _device_form(form, site_ids: set[int]) -> tuple[dict, dict]:
    values = {"name": (form.get("name") or "").strip(), "kind": form.get("kind", ""),
              "site_id": form.get("site_id", ""), "printer_queue": (form.get("printer_queue") or "").strip(),
              "paper": form.get("paper") or "a4"}
    errors = {}
    if values["printer_queue"] and not re.fullmatch(r"[A-Za-z0-9_.\-]{1,127}", values["printer_queue"]):
        errors["printer_queue"] = _("印刷キューの名前は英数字・「-」「_」「.」で入れてください（CUPSのキュー名）。")
    if values["paper"] not in PAPERS:
        errors["paper"] = _("用紙を選んでください。")
    if not values["name"] or len(values["name"]) > 100:
        errors["name"] = _("端末名を100文字以内で入れてください。")
    if values["kind"] not in DEVICE_KINDS:
        errors["kind"] = _("種類を選んでください。")
    if not is_number(values["site_id"]) or int(values["site_id"]) not in site_ids:
        errors["site_id"] = _("拠点を選んでください。")
    return values, errors


def _device_record(values: dict) -> dict:
    """A validated device form as the row to store."""
    return {"name": values["name"], "kind": values["kind"], "site_id": int(values["site_id"]),
            "printer_queue": values["printer_queue"] or None, "paper": values["paper"]}


def _device_values(row: dict) -> dict:
    """A stored device as the form's values."""
    return {"name": row["name"], "kind": row["kind"], "site_id": str(row["site_id"] or ""),
            "printer_queue": row["printer_queue"] or "", "paper": row["paper"] or "a4"}


def _active_sites(db) -> list[dict]:
    return list(db.query("select id, name from sites where archived_at is null order by id"))


@bp.route("/devices", methods=["GET", "POST"])
def devices():
    db = get_db()
    sites_list = _active_sites(db)
    values, errors = {"kind": "kiosk", "paper": "a4"}, {}
    if request.method == "POST":
        values, errors = _device_form(request.form, {s["id"] for s in sites_list})
        if not errors:
            record = _device_record(values)
            with transaction(db):
                device_id = db.table("devices").insert({**record, "created_at": now_iso()}).last_pk
                audit(db, g.user["id"], "create", "device", device_id, None, record)
            return redirect(url_for("admin.device", device_id=device_id), 303)
    rows = list(db.query("select devices.*, sites.name as site_name from devices left join sites "
                         "on sites.id = devices.site_id order by devices.revoked_at is not null, devices.id"))
    return render_page("admin/devices.html", rows=rows, sites=sites_list, form=values, errors=errors,
                       kinds=DEVICE_KINDS, papers=PAPERS), 400 if errors else 200


def _get_device(db, device_id: int) -> dict:
    rows = list(db.query("select devices.*, sites.name as site_name from devices "
                         "left join sites on sites.id = devices.site_id where devices.id = ?", [device_id]))
    if not rows:
        abort(404)
    return rows[0]


@bp.route("/devices/<id:device_id>", methods=["GET", "POST"])
def device(device_id: int):
    db = get_db()
    before = _get_device(db, device_id)
    sites_list = _active_sites(db)
    values, errors = _device_values(before), {}
    if request.method == "POST":
        values, errors = _device_form(request.form, {s["id"] for s in sites_list})
        if not errors:
            record = _device_record(values)
            with transaction(db):
                db.table("devices").update(device_id, record)
                audit(db, g.user["id"], "update", "device", device_id, {k: before[k] for k in record}, record)
            flash(_("端末「%(name)s」を更新しました。", name=values["name"]))
            return redirect(url_for("admin.device", device_id=device_id), 303)
    return render_page("admin/device.html", device=before, sites=sites_list, form=values, errors=errors,
                       kinds=DEVICE_KINDS, papers=PAPERS, link=None, qr=None), 400 if errors else 200


@bp.post("/devices/<id:device_id>/enroll")
def enroll_device(device_id: int):
    db = get_db()
    device_row = _get_device(db, device_id)
    if device_row["revoked_at"]:
        abort(409)
    token = create_enrollment_token(db, device_id)
    with transaction(db):
        audit(db, g.user["id"], "enrollment-link", "device", device_id)
    link = url_for("kiosk.enroll", token=token, _external=True)
    values = _device_values(device_row)
    return render_page("admin/device.html", device=device_row, sites=_active_sites(db), form=values, errors={},
                       kinds=DEVICE_KINDS, papers=PAPERS, link=link, qr=svg_qr(link, _("登録リンクのQRコード")))


@bp.post("/devices/<id:device_id>/revoke")
def revoke_device(device_id: int):
    db = get_db()
    device_row = _get_device(db, device_id)
    with transaction(db):
        db.table("devices").update(device_id, {"revoked_at": now_iso(), "token_hash": None,
                                               "enrollment_token_hash": None})
        audit(db, g.user["id"], "revoke", "device", device_id, {"revoked_at": device_row["revoked_at"]},
              {"revoked_at": "now"})
    flash(_("端末「%(name)s」の登録を取り消しました。", name=device_row["name"]))
    return redirect(url_for("admin.devices"), 303)


# --- users ------------------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
def users():
    db = get_db()
    sites_list = _active_sites(db)
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
        if not errors:
            password = generate_password()
            try:
                user_id = create_user(db, values["username"], values["role"], password, values["display_name"], site_id)
            except AccountError:
                errors["username"] = _("ユーザー名は英数字と「.」「_」「-」の50文字以内で、"
                                       "ほかの人と重ならないものにしてください。")
            else:
                with transaction(db):
                    audit(db, g.user["id"], "create", "user", user_id, None,
                          {k: v for k, v in values.items() if k != "site_id"} | {"site_id": site_id})
                created = {"username": values["username"], "password": password}
                values = {"role": "supporter"}
    return _users_page(db, values, errors, created=created)


def _users_page(db, values: dict, errors: dict, created: dict | None = None, reset: dict | None = None):
    rows = list(db.query("select users.*, sites.name as site_name from users "
                         "left join sites on sites.id = users.site_id order by users.username"))
    return render_page("admin/users.html", rows=rows, sites=_active_sites(db), form=values, errors=errors,
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

AUDIT_COLUMNS = ("id", "at", "username", "action", "entity", "entity_id", "before", "after")
AUDIT_QUERY = ("select audit_log.id, audit_log.at, users.username, audit_log.action, audit_log.entity, "
               "audit_log.entity_id, audit_log.before, audit_log.after from audit_log "
               "left join users on users.id = audit_log.user_id")


@bp.get("/audit")
def audit_log():
    db = get_db()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total = db.table("audit_log").count
    pages = max(1, -(-total // AUDIT_PAGE))
    page = min(page, pages)
    rows = list(db.query(f"{AUDIT_QUERY} order by audit_log.id desc limit ? offset ?",
                         [AUDIT_PAGE, (page - 1) * AUDIT_PAGE]))
    for row in rows:
        for key in ("before", "after"):
            row[key] = json.loads(row[key]) if row[key] else None
    return render_page("admin/audit.html", rows=rows, page=page, pages=pages, total=total)


@bp.get("/audit.csv")
def audit_csv():
    """The whole audit log as CSV for Excel (UTF-8 with BOM), streamed; the export is logged."""
    db = get_db()
    with transaction(db):
        audit(db, g.user["id"], "export", "audit_log", None)
    path = current_app.config["DATABASE"]

    def rows():
        # Its own connection: the request's is closed before the response is streamed.
        stream_db = connect(path)
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            buffer.write("\ufeff")
            writer.writerow(AUDIT_COLUMNS)
            cursor = stream_db.conn.execute(f"{AUDIT_QUERY} order by audit_log.id")
            while batch := cursor.fetchmany(500):
                writer.writerows([[excel_safe(cell) for cell in row] for row in batch])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()
        finally:
            stream_db.conn.close()

    filename = f"audit-log-{dt.date.today():%Y%m%d}.csv"
    return Response(rows(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
