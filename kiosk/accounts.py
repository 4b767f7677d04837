"""Staff accounts. Passwords are hashed with scrypt (werkzeug's default)."""

from __future__ import annotations

import secrets

import sqlite_utils
from werkzeug.security import generate_password_hash

from .db import now_iso

ROLES = ("supporter", "coordinator", "admin")


def generate_password() -> str:
    # Readable aloud and typeable on a tablet: no 0/O or 1/l/I.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def create_user(db: sqlite_utils.Database, username: str, role: str, password: str,
                display_name: str = "", site_id: int | None = None) -> int:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    table = db.table("users")
    with db.atomic():
        table.insert({"username": username, "display_name": display_name or username,
                      "role": role, "password_hash": generate_password_hash(password),
                      "site_id": site_id, "created_at": now_iso()})
    return table.last_pk


def find_user(db: sqlite_utils.Database, username: str) -> dict | None:
    rows = list(db.query("select * from users where username = ?", [username]))
    return rows[0] if rows else None
