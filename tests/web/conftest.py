"""Fixtures for the kiosk through the Flask test client."""

from __future__ import annotations

import pytest

from tests.fixtures import soup

HX = {"HX-Request": "true"}


@pytest.fixture
def kiosk(ledger_app):
    """A test client with a fresh kiosk session, and a helper to post with the CSRF token."""
    client = ledger_app.test_client()
    page = soup(client.get("/"))
    token = page.select_one('meta[name="csrf-token"]')["content"]

    class Kiosk:
        app = ledger_app

        def post(self, url, data=None, htmx=False, **kwargs):
            return client.post(url, data={"csrf_token": token, **(data or {})}, headers=HX if htmx else {}, **kwargs)

        def get(self, url, **kwargs):
            return client.get(url, **kwargs)

        def start(self, lang="ja"):
            response = self.post("/start", {"lang": lang})
            assert response.status_code == 303 and response.headers["Location"] == "/chat"
            return response

    return Kiosk()
