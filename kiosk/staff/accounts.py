"""Staff accounts: creation, sign-in with throttling, roles. Passwords are hashed with scrypt
(werkzeug's default); a locked account or a noisy address waits before it may try again."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.db import now_iso, transaction
from kiosk.staff.personal_data import contains_mynumber, fields_with_mynumbers

log = logging.getLogger(__name__)

# The staff ladder: each role can do what the ones before it can.
STAFF_ROLES = ("supporter", "coordinator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(STAFF_ROLES)}
# Beside the ladder: a department's seal-review reviewer sees /review/ only (no consultations,
# no handoffs) and updates the ledger rows of its own department (users.department).
REVIEWER = "reviewer"
ROLES = (*STAFF_ROLES, REVIEWER)
# Checked against when the username is unknown, so that both cases take the same time.
_DUMMY_HASH = generate_password_hash("not a password")


def generate_password() -> str:
    # Readable aloud and typeable on a tablet: no 0/O or 1/l/I.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


class AccountError(ValueError):
    pass


def validate_new_password(password: str) -> None:
    if len(password) < 10:
        raise AccountError("the password must be at least 10 characters")
    if len(password) > 200:
        raise AccountError("the password must be at most 200 characters")


def create_user(db: sqlite_utils.Database, username: str, role: str, password: str,
                display_name: str = "", site_id: int | None = None) -> int:
    username = username.strip()
    refused = fields_with_mynumbers({"username": username, "display_name": display_name})
    if refused:  # the field's name only: the number goes nowhere, not even into the message
        raise AccountError(f"the {refused[0].replace('_', ' ')} holds what looks like a 個人番号 (My Number), "
                           "which is never stored")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}", username):
        raise AccountError("the username must be 1–50 letters, digits, '.', '_' or '-' (starting with a letter "
                           "or digit)")
    if find_user(db, username) is not None:
        raise AccountError(f"the username {username!r} is taken")
    validate_new_password(password)
    table = db.table("users")
    with transaction(db):
        table.insert({"username": username, "display_name": display_name or username,
                      "role": role, "password_hash": generate_password_hash(password),
                      "site_id": site_id, "created_at": now_iso(), "failed_logins": 0})
    return table.last_pk


def find_user(db: sqlite_utils.Database, username: str) -> dict | None:
    rows = list(db.query("select * from users where username = ?", [username]))
    return rows[0] if rows else None


def get_user(db: sqlite_utils.Database, user_id: int) -> dict | None:
    rows = list(db.query("select * from users where id = ?", [user_id]))
    return rows[0] if rows else None


def set_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    """A new password also ends every session of the account."""
    validate_new_password(password)
    with transaction(db):
        db.table("users").update(user_id, {"password_hash": generate_password_hash(password),
                                           "failed_logins": 0, "locked_until": None})
        end_all_sessions(db, user_id)


def end_all_sessions(db: sqlite_utils.Database, user_id: int) -> None:
    """Sessions live in signed cookies; bumping the account's session version invalidates them all."""
    with transaction(db):
        db.execute("update users set session_version = session_version + 1 where id = ?", [user_id])


def set_disabled(db: sqlite_utils.Database, user_id: int, disabled: bool) -> None:
    with transaction(db):
        db.table("users").update(user_id, {"disabled_at": now_iso() if disabled else None})


def has_role(user: dict | None, role: str) -> bool:
    """On the ladder by rank; "reviewer" is held by reviewers and by coordinators and admins."""
    if not user:
        return False
    if role == REVIEWER:
        return user["role"] == REVIEWER or ROLE_RANK.get(user["role"], -1) >= ROLE_RANK["coordinator"]
    return ROLE_RANK.get(user["role"], -1) >= ROLE_RANK[role]


def set_department(db: sqlite_utils.Database, user_id: int, department: str | None) -> None:
    """The department (所管課, as the ledger names it) whose ledger rows a reviewer updates."""
    if contains_mynumber(department):
        raise AccountError("the department holds what looks like a 個人番号 (My Number), which is never stored")
    with transaction(db):
        db.table("users").update(user_id, {"department": (department or "").strip() or None})


@dataclass(frozen=True)
class Throttle:
    max_failures: int = 5  # per account, then it is locked
    lock_minutes: int = 15
    max_address_failures: int = 20  # per address within lock_minutes, then it waits


@dataclass(frozen=True)
class SignIn:
    user: dict | None
    error: str | None  # "invalid" | "locked" | "address" | "disabled"
    wait_minutes: int = 0


def address_hash(address: str, secret: str) -> str:
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def _minutes_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() // 60) + 1)


@dataclass(frozen=True)
class _Attempt:
    """A guess counted before its password is checked (see _reserve_attempt)."""
    user: dict | None
    failure_id: int  # its row in login_failures, taken back if the password is right
    count: int  # the account's failed_logins with this guess included


def _reserve_attempt(db: sqlite_utils.Database, username: str, hashed: str, now: dt.datetime,
                     throttle: Throttle) -> _Attempt | SignIn:
    """Check the lock and count the guess in one write transaction, before the slow password check:
    parallel guesses then cannot all pass the check before any of them is counted, so no more than
    ``max_failures`` guesses per account (``max_address_failures`` per address) are ever checked."""
    window_start = (now - dt.timedelta(minutes=throttle.lock_minutes)).isoformat(timespec="seconds")
    with transaction(db):
        failures_here = next(db.query("select count(*) as n from login_failures where address_hash = ? and at >= ?",
                                      [hashed, window_start]))["n"]
        if failures_here >= throttle.max_address_failures:
            # The address's keyed hash, never the address or the name that was typed.
            log.warning("sign-in refused: address %s made %d failed sign-ins in %d minutes",
                        hashed[:12], failures_here, throttle.lock_minutes)
            return SignIn(None, "address", throttle.lock_minutes)
        user = find_user(db, username) if username else None
        if user and user["locked_until"]:
            locked_until = dt.datetime.fromisoformat(user["locked_until"])
            if locked_until > now:
                return SignIn(None, "locked", _minutes_until(locked_until, now))
        if user and user["failed_logins"] >= throttle.max_failures:
            # Guesses still being checked have used up the account's allowance: lock it now (a right
            # one among them unlocks it again).
            until = now + dt.timedelta(minutes=throttle.lock_minutes)
            db.execute("update users set failed_logins = 0, locked_until = ? where id = ?",
                       [until.isoformat(timespec="seconds"), user["id"]])
            _log_lock(user, throttle)
            return SignIn(None, "locked", throttle.lock_minutes)
        failure_id = db.table("login_failures").insert({"address_hash": hashed, "at": now_iso()}).last_pk
        db.execute("delete from login_failures where at < ?", [window_start])
        count = 0
        if user:
            count = db.execute("update users set failed_logins = failed_logins + 1 where id = ? "
                               "returning failed_logins", [user["id"]]).fetchone()[0]
    return _Attempt(user, failure_id, count)


def _log_lock(user: dict, throttle: Throttle) -> None:
    log.warning("sign-in locked: account %d after %d wrong passwords, for %d minutes",
                user["id"], throttle.max_failures, throttle.lock_minutes)


def sign_in(db: sqlite_utils.Database, username: str, password: str, address: str, secret: str,
            throttle: Throttle = Throttle()) -> SignIn:
    now = dt.datetime.now(dt.UTC)
    attempt = _reserve_attempt(db, (username or "").strip(), address_hash(address, secret), now, throttle)
    if isinstance(attempt, SignIn):
        return attempt
    user = attempt.user
    valid = check_password_hash(user["password_hash"] if user else _DUMMY_HASH, password or "")
    if user and valid:
        # The right password was not a failure: take the guess back.
        with transaction(db):
            db.execute("delete from login_failures where id = ?", [attempt.failure_id])
            if user["disabled_at"]:
                db.execute("update users set failed_logins = max(failed_logins - 1, 0) where id = ?", [user["id"]])
            else:
                db.table("users").update(user["id"], {"failed_logins": 0, "locked_until": None,
                                                      "last_login_at": now_iso()})
        return SignIn(None, "disabled") if user["disabled_at"] else SignIn(get_user(db, user["id"]), None)
    if user and attempt.count >= throttle.max_failures:
        until = now + dt.timedelta(minutes=throttle.lock_minutes)
        with transaction(db):
            db.execute("update users set failed_logins = 0, locked_until = ? where id = ?",
                       [until.isoformat(timespec="seconds"), user["id"]])
        _log_lock(user, throttle)
        return SignIn(None, "locked", throttle.lock_minutes)
    return SignIn(None, "invalid")


def list_users(db: sqlite_utils.Database) -> list[dict]:
    """Every account with its site's name, by username, for the administrators' list (no
    password hashes or sign-in counters)."""
    return list(db.query(
        "select users.id, users.username, users.display_name, users.role, users.site_id, users.disabled_at, "
        "sites.name as site_name from users left join sites on sites.id = users.site_id order by users.username"))
