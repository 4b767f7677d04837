"""Downloads of the ward's records and every page are never kept in a browser's or proxy's cache;
only the static assets are."""

from __future__ import annotations

import pytest

DOWNLOADS = {
    "coordinator": ["/stats/export/consultations.csv", "/stats/export/consultations.csv?encoding=cp932",
                    "/stats/export/table/kpis.csv", "/stats/export/statistics.xlsx", "/stats/report.pdf"],
    "admin": ["/admin/audit.csv"],
}


@pytest.mark.parametrize(("role", "path"), [(role, path) for role, paths in DOWNLOADS.items() for path in paths])
def test_every_download_is_no_store(staff_client, role, path):
    response = staff_client(role).get(path)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_and_redirects_are_no_store_and_static_assets_are_not(staff_client):
    client = staff_client("supporter")
    for path in ("/staff/", "/", "/staff/no-such-page"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert client.post("/staff/logout").headers["Cache-Control"] == "no-store"  # a redirect
    static = client.get("/static/css/kiosk.css")
    static.close()  # a file response
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")
