"""Helpers shared by tests."""

from __future__ import annotations

from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    assert response.mimetype == "text/html", response.mimetype
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def query_rows(app, sql: str, params=()) -> list[dict]:
    """Rows from the app's database, through a connection of the test's own."""
    from kiosk.db import connect

    db = connect(app.config["DATABASE"])
    try:
        return list(db.query(sql, params))
    finally:
        db.conn.close()
