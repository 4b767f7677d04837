"""Signing staff in and out, and checking roles on every staff and admin route.

Sessions end after STAFF_IDLE_MINUTES without a request: tablets are shared.
"""

from __future__ import annotations

import functools
import time

import click
from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from kiosk.db import connect, get_db
from kiosk.migrations import migrate
from kiosk.staff.accounts import (
    ROLES,
    AccountError,
    create_user,
    find_user,
    generate_password,
    get_user,
    has_role,
    set_disabled,
    set_password,
)


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
    if request.endpoint not in BACKGROUND_ENDPOINTS:  # a poll is not someone at the tablet
        session["seen_at"] = time.time()


# Requests a page makes by itself (the help queue's polling): they do not count as activity.
BACKGROUND_ENDPOINTS = {"staff.help_queue"}


def start_session(user: dict) -> None:
    """A fresh session for the signed-in user (nothing carried over from before sign-in)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session["user_id"] = user["id"]
    session["version"] = user["session_version"]
    session["site_id"] = user["site_id"]
    session["seen_at"] = time.time()


def end_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def role_required(role: str):
    """Anonymous: to the sign-in page. Signed in without the role: 403."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                login = url_for("staff.login", next=request.full_path if request.method == "GET" else None)
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


def current_site_id() -> int | None:
    return session.get("site_id") or (g.user["site_id"] if g.get("user") else None)


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
def user_add(username: str, role: str, display_name: str, site_id: int | None) -> None:
    password = generate_password()
    try:
        create_user(_db(), username, role, password, display_name, site_id)
    except AccountError as exc:
        click.echo(f"Not created: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Created {username} ({role}). Initial password: {password}")


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


def init_app(app: Flask) -> None:
    app.before_request(load_user)
    app.cli.add_command(user_cli)

    @app.context_processor
    def user_context() -> dict:
        return {"current_user": g.get("user"), "has_role": has_role}
