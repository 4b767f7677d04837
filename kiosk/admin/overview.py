"""The administration home page: how many of each record there are."""

from __future__ import annotations

import sqlite_utils

# The tables the home page counts, in the order it lists them.
COUNTED_TABLES = ("sites", "devices", "users", "audit_log")


def record_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {name: db.table(name).count for name in COUNTED_TABLES}
