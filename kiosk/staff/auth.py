"""Signing staff in and out, and checking roles on every staff and admin route.

Sessions end after STAFF_IDLE_MINUTES without a request: tablets are shared. The page is told how
long its session has left (``X-Staff-Session-Seconds`` on every response, a data attribute on the
page) so that it can warn before the sign-out, and a form's draft can be kept on the tablet with a
key only the signed-in person's pages are given (``draft_key``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time

import click
from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from kiosk.audit import audit
from kiosk.db import connect, get_db, transaction
from kiosk.migrations import migrate
from kiosk.staff.accounts import (
    REVIEWER,
    ROLES,
    AccountError,
    create_user,
    find_user,
    generate_password,
    get_user,
    has_role,
    set_department,
    set_disabled,
    set_password,
)
from kiosk.staff.personal_data import contains_mynumber


def load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    idle_limit = current_app.config["STAFF_IDLE_MINUTES"] * 60
    if time.time() - session.get("seen_at", 0) > idle_limit:
        session.pop("user_id", None)
        session["signed_out_idle"] = True
        return
    user = get_user(get_db(), user_id)
    if user is None or user["disabled_at"] or user["session_version"] != session.get("version", 0):
        session.pop("user_id", None)
        return
    g.user = user
    # A poll, or the offline app keeping its pages and syncing, is not someone at the tablet.
    if request.endpoint not in BACKGROUND_ENDPOINTS and not request.headers.get(OFFLINE_KEEPING_HEADER):
        session["seen_at"] = time.time()


# Requests a page makes by itself (the help queue's polling, the offline app's key and sync): they
# do not count as activity.
BACKGROUND_ENDPOINTS = {"staff.help_queue", "staff_offline.session_info", "staff_offline.precache",
                        "staff_offline.sync"}
# Sent by the staff tablets' service worker with the pages it keeps for offline use (staff-sw.js).
OFFLINE_KEEPING_HEADER = "X-Staff-Offline-Keep"


def start_session(user: dict) -> None:
    """A fresh session for the signed-in user (nothing carried over from before sign-in, except the
    forms this same person saved before an idle sign-out: a draft of one is not saved twice)."""
    lang = session.get("lang")
    saved = session.get(SAVED_FORMS_KEY)
    session.clear()
    if lang:
        session["lang"] = lang
    if saved and saved.get("user") == user["id"]:
        session[SAVED_FORMS_KEY] = saved
    session["user_id"] = user["id"]
    session["version"] = user["session_version"]
    session["site_id"] = user["site_id"]
    session["seen_at"] = time.time()


def end_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def return_path() -> str | None:
    """Where sign-in leads back to: this page, or for a form that posts to its own page (the
    consultation form), that page, whose draft the tablet has kept. Not a POST-only action."""
    rule_methods = request.url_rule.methods if request.url_rule else set()
    if request.method == "GET" or "GET" in rule_methods:
        return request.full_path
    return None


def role_required(role: str):
    """Anonymous: to the sign-in page. Signed in without the role: 403."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                login = url_for("staff.login", next=return_path())
                if request.headers.get("HX-Request") == "true":  # load the sign-in page, not into a fragment
                    response = current_app.response_class(status=204)
                    response.headers["HX-Redirect"] = login
                    return response
                return redirect(login)
            if not has_role(g.user, role):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


# --- the idle sign-out, as the page sees it --------------------------------------------------------

def idle_limit_seconds() -> float:
    return current_app.config["STAFF_IDLE_MINUTES"] * 60


def session_seconds_left() -> int:
    """Whole seconds before this session ends unless a request comes (rounded down: the page
    never thinks it has longer than the server gives it)."""
    left = idle_limit_seconds() - (time.time() - session.get("seen_at", 0))
    return max(int(left), 0)


def idle_warning_seconds() -> int:
    """The warning comes 2 minutes before the sign-out; with a short limit, a quarter of it but at
    least 20 s (WCAG 2.2.1), and never more than half of it (test limits of a few seconds)."""
    limit = idle_limit_seconds()
    return max(int(min(120, max(20, limit / 4), limit / 2)), 1)


# --- drafts kept on the tablet --------------------------------------------------------------------
# The key is derived, not stored: the same person gets it back after an idle sign-out, another
# person gets another key, and an explicit sign-out (which bumps session_version) makes every old
# draft unreadable even if the page could not delete it.

def _derived(purpose: str, user: dict) -> bytes:
    message = f"{purpose}\0{user['id']}\0{user['session_version']}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()


def draft_key(user: dict) -> str:
    """A 256-bit AES-GCM key (base64url) for this person's drafts on the tablet."""
    return base64.urlsafe_b64encode(_derived("staff-draft-key", user)).decode().rstrip("=")


def draft_owner(user: dict) -> str:
    """A name for this person's drafts in the tablet's storage that says nothing about the key."""
    return _derived("staff-draft-owner", user).hex()[:16]


# --- forms already saved in this session ----------------------------------------------------------
# Each form carries a one-off token; the session remembers the last few saved ones, so a second
# tap, a resubmit or a restored draft of a saved form does not make a second record.

SAVED_FORMS_KEY = "saved_forms"
SAVED_FORMS_KEPT = 20


def saved_record(token: str | None) -> int | None:
    saved = session.get(SAVED_FORMS_KEY) or {}
    if not token or saved.get("user") != (g.user["id"] if g.get("user") else None):
        return None
    return dict(saved.get("tokens", [])).get(token)


def remember_saved(token: str | None, record_id: int) -> None:
    if not token:
        return
    saved = session.get(SAVED_FORMS_KEY) or {}
    tokens = saved.get("tokens", []) if saved.get("user") == g.user["id"] else []
    tokens = [pair for pair in tokens if pair[0] != token] + [[token, record_id]]
    session[SAVED_FORMS_KEY] = {"user": g.user["id"], "tokens": tokens[-SAVED_FORMS_KEPT:]}


def saved_tokens() -> list[str]:
    saved = session.get(SAVED_FORMS_KEY) or {}
    return [pair[0] for pair in saved.get("tokens", [])]


def current_site_id() -> int | None:
    """Where the signed-in supporter is working now: the site chosen on the staff home, else the
    account's home site. A work context (which help calls show, the form's defaults), not a limit on
    what the account may read: see docs/sites.md."""
    return session.get("site_id") or (g.user["site_id"] if g.get("user") else None)


def switch_site(site_id: int) -> None:
    """Work at another site from now on; the change is written to the audit log (who, from, to),
    which is what stands in for access control between sites (docs/sites.md)."""
    previous = current_site_id()
    session["site_id"] = site_id
    if previous != site_id:
        db = get_db()
        with transaction(db):
            audit(db, g.user["id"], "switch-site", "site", site_id, {"site_id": previous}, {"site_id": site_id})


# --- CLI ------------------------------------------------------------------------------------------

@click.group("user", help="Staff accounts: add, reset-password, disable, enable, list.")
def user_cli() -> None:
    pass


def _db():
    db = connect(current_app.config["DATABASE"])
    migrate(db)
    return db


@user_cli.command("add", help="Create an account; prints its initial password.")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", default="", help="Name shown to colleagues.")
@click.option("--site", "site_id", type=int, default=None, help="Home site id (see `kiosk device list`).")
@click.option("--department", default="", help="For --role reviewer: the 所管課 whose ledger rows the account "
                                               "updates, as the ledger names it.")
def user_add(username: str, role: str, display_name: str, site_id: int | None, department: str) -> None:
    if role == REVIEWER and not department.strip():
        click.echo("Not created: a reviewer needs --department (the 所管課 as the ledger names it).", err=True)
        raise SystemExit(1)
    if contains_mynumber(department):  # checked before the account exists, not after
        click.echo("Not created: the department holds what looks like a 個人番号 (My Number), which is never stored.",
                   err=True)
        raise SystemExit(1)
    password = generate_password()
    db = _db()
    try:
        user_id = create_user(db, username, role, password, display_name, site_id)
    except AccountError as exc:
        click.echo(f"Not created: {exc}", err=True)
        raise SystemExit(1) from None
    if department.strip():
        set_department(db, user_id, department)
    click.echo(f"Created {username} ({role}). Initial password: {password}")


@user_cli.command("set-department", help="Set the 所管課 a reviewer updates (empty: none).")
@click.argument("username")
@click.argument("department")
def user_set_department(username: str, department: str) -> None:
    db = _db()
    user = find_user(db, username)
    if user is None:
        click.echo(f"No user {username!r}.", err=True)
        raise SystemExit(1)
    try:
        set_department(db, user["id"], department)
    except AccountError as exc:
        click.echo(f"Not changed: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{username}: department {department.strip() or '(none)'}.")


@user_cli.command("reset-password", help="Set a new random password; prints it.")
@click.argument("username")
def user_reset_password(username: str) -> None:
    db = _db()
    user = find_user(db, username)
    if user is None:
        click.echo(f"No user {username!r}.", err=True)
        raise SystemExit(1)
    password = generate_password()
    set_password(db, user["id"], password)
    click.echo(f"New password for {username}: {password}")


@user_cli.command("disable", help="Stop an account from signing in (its records stay).")
@click.argument("username")
def user_disable(username: str) -> None:
    _set_disabled(username, True)


@user_cli.command("enable", help="Let a disabled account sign in again.")
@click.argument("username")
def user_enable(username: str) -> None:
    _set_disabled(username, False)


def _set_disabled(username: str, disabled: bool) -> None:
    db = _db()
    user = find_user(db, username)
    if user is None:
        click.echo(f"No user {username!r}.", err=True)
        raise SystemExit(1)
    set_disabled(db, user["id"], disabled)
    click.echo(f"{username} {'disabled' if disabled else 'enabled'}.")


@user_cli.command("list", help="Every account with its role, site and state.")
def user_list() -> None:
    rows = list(_db().query("select users.username, users.role, users.display_name, sites.name as site, "
                            "users.disabled_at, users.locked_until from users "
                            "left join sites on sites.id = users.site_id order by users.username"))
    for row in rows:
        state = "disabled" if row["disabled_at"] else "active"
        click.echo(f"{row['username']}\t{row['role']}\t{row['display_name']}\t{row['site'] or '-'}\t{state}")
    if not rows:
        click.echo("No accounts. Create the first admin with: kiosk user add NAME --role admin")


def tell_session_seconds(response):
    """Every answer to a signed-in page says how long its session has left (a poll included, which
    does not extend it), so the page's idle warning follows the server's clock."""
    if g.get("user") is not None:
        response.headers["X-Staff-Session-Seconds"] = str(session_seconds_left())
    return response


def init_app(app: Flask) -> None:
    app.before_request(load_user)
    app.after_request(tell_session_seconds)
    app.cli.add_command(user_cli)

    @app.context_processor
    def user_context() -> dict:
        return {"current_user": g.get("user"), "has_role": has_role, "staff_session_seconds": session_seconds_left,
                "staff_idle_warning_seconds": idle_warning_seconds, "staff_return_path": return_path,
                "staff_draft_key": draft_key, "staff_draft_owner": draft_owner, "staff_saved_forms": saved_tokens}
