"""Handoffs through the test client: the kiosk's print and phone buttons, the public page,
staff follow-up."""

from __future__ import annotations

import pytest

from kiosk.db import connect
from tests.fixtures import query_rows, soup, text_of

HX = {"HX-Request": "true"}


rows = query_rows


class Kiosk:
    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.token = soup(self.client.get("/")).select_one('meta[name="csrf-token"]')["content"]
        assert self.post("/start", lang="ja").status_code == 303

    def post(self, path, **data):
        return self.client.post(path, data={"csrf_token": self.token, **data})

    def handoff(self, action="print", procedure="residence-certificate", channel="convenience-store") -> str:
        self.post("/chat/procedure", procedure=procedure)
        response = self.post("/handoff", procedure=procedure, channel=channel, action=action)
        assert response.status_code == 303
        return response.headers["Location"]


@pytest.fixture
def kiosk(staff_app):
    return Kiosk(staff_app)


def test_print_without_a_printer_keeps_the_handoff_and_offers_the_qr(kiosk):
    location = kiosk.handoff("print")
    assert "result=no-printer" in location
    page = soup(kiosk.client.get(location))
    assert text_of(page.select_one("h1")) == "印刷できませんでした"
    assert "印刷機が設定されていません" in text_of(page.select_one(".k-notice--warning[role=alert]"))
    assert page.select_one(".k-qr-figure svg[role=img]")
    [record] = rows(kiosk.app, "select * from handoffs")
    assert record["procedure_id"] == "residence-certificate" and record["status"] == "open"
    assert text_of(page.select_one(".k-handoff-code")).replace("-", "") == record["code"]
    events = [r["event"] for r in rows(kiosk.app, "select event, detail from kiosk_events")]
    assert "handoff_created" in events and "print_failed" in events
    # no personal data: every column is about the procedure, the kiosk or the time
    assert set(record) == {"id", "code", "session_ref", "procedure_id", "channel_id", "readiness", "site_id",
                           "device_id", "locale", "created_at", "expires_at", "status", "updated_at"}


def test_continue_on_a_phone_and_download_the_pdf(kiosk):
    location = kiosk.handoff("phone")
    page = soup(kiosk.client.get(location))
    assert text_of(page.select_one("h1")) == "スマホで続ける"
    code = location.split("/handoff/")[1]
    for layout in ("a4", "80mm"):
        response = kiosk.client.get(f"/handoff/{code}.pdf?layout={layout}")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert kiosk.client.get(f"/handoff/{code}.pdf?layout=b5").status_code == 404


def test_a_handoff_page_is_only_shown_in_its_own_session(kiosk, staff_app):
    location = kiosk.handoff("phone")
    other = Kiosk(staff_app)
    assert other.client.get(location).status_code == 404
    kiosk.post("/reset")
    assert kiosk.client.get(location).status_code in (302, 404)


def test_bad_handoff_requests(kiosk):
    assert kiosk.post("/handoff", procedure="nope", channel="x", action="print").status_code == 400
    assert kiosk.post("/handoff", procedure="residence-certificate", channel="x", action="fax").status_code == 400


def test_public_page_by_code_however_typed(kiosk, staff_app):
    code = kiosk.handoff("phone").split("/handoff/")[1]
    phone = staff_app.test_client()
    typed = f"{code[:3]}-{code[3:6]}-{code[6:]}".lower()
    page = soup(phone.get(f"/h/{typed}"))
    assert text_of(page.select_one("h1")) == "住民票の写しの交付"
    assert page.select(".k-step-list li") and page.select_one('a[href="https://www.lg-waps.go.jp/"]')


def test_unknown_malformed_and_expired_codes_get_the_same_page(kiosk, staff_app):
    code = kiosk.handoff("phone").split("/handoff/")[1]
    db = connect(staff_app.config["DATABASE"])
    db.execute("update handoffs set expires_at = '2020-01-01T00:00:00+00:00'")
    db.conn.commit()
    db.conn.close()
    phone = staff_app.test_client()
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    bodies = set()
    for typed in (code, wrong_check, "ZZZZZZZZZ", "not a code", "%00", "A" * 300):
        response = phone.get(f"/h/{typed}")
        assert response.status_code == 404, typed
        bodies.add(text_of(soup(response).select_one("main")))
    assert len(bodies) == 1


def test_public_lookups_are_rate_limited(staff_app):
    staff_app.config["HANDOFF_LOOKUPS_PER_10_MINUTES"] = 5
    phone = staff_app.test_client()
    statuses = [phone.get("/h/ABCDEFGHJ").status_code for _ in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]
    assert "しばらく待ってから" in text_of(soup(phone.get("/h/ABCDEFGHJ")).select_one("h1"))


def test_staff_follow_up(kiosk, staff_client, staff_app):
    code = kiosk.handoff("print").split("/handoff/")[1].split("?")[0]
    staff = staff_client("supporter")
    listing = soup(staff.get("/staff/handoffs"))
    assert code[:3] in text_of(listing.select_one(".k-table"))
    missing = staff.post("/staff/handoffs/find", {"code": "ZZZ-ZZZ-ZZZ"})
    assert "missing=1" in missing.headers["Location"]
    assert "見つかりません" in text_of(soup(staff.get(missing.headers["Location"])))
    found = staff.post("/staff/handoffs/find", {"code": f" {code[:3]} {code[3:6]} {code[6:]} ".lower()})
    assert found.headers["Location"] == f"/staff/handoffs/{code}"
    detail = soup(staff.get(found.headers["Location"]))
    assert "住民票の写しの交付" in text_of(detail)
    activity = [text_of(li) for li in detail.select(".k-activity li")]
    assert any("手続きを選んだ" in line for line in activity) and any("印刷できなかった" in line for line in activity)
    refused = staff.post(f"/staff/handoffs/{code}/note", {"note": "番号 123456789018"})
    assert refused.status_code == 400 and "個人番号" in text_of(soup(refused))
    assert staff.post(f"/staff/handoffs/{code}/note", {"note": "電話で連絡済み"}).status_code == 303
    assert staff.post(f"/staff/handoffs/{code}/status", {"status": "resolved"}).status_code == 303
    assert staff.post(f"/staff/handoffs/{code}/status", {"status": "lost"}).status_code == 400
    assert rows(staff_app, "select status from handoffs") == [{"status": "resolved"}]
    assert rows(staff_app, "select note from handoff_notes") == [{"note": "電話で連絡済み"}]
    assert code[:3] not in text_of(soup(staff.get("/staff/handoffs")))  # resolved ones leave the list
    form = soup(staff.get(f"/staff/consultations/new?handoff={code}"))
    assert form.select_one("#f-handoff_code")["value"].replace("-", "") == code
    assert form.select_one('input[name="topics"][value="residence-certificate"]').has_attr("checked")


def test_follow_up_pages_need_staff(staff_app):
    client = staff_app.test_client()
    assert client.get("/staff/handoffs").status_code == 302
    assert client.get("/staff/handoffs/ABCDEFGHJ").status_code == 302


def test_printing_a_sheet_through_a_real_cups_server(staff_app, tmp_path, monkeypatch):
    """A private cupsd with a file-backed PDF queue: the kiosk prints, the job's output is found;
    with CUPS stopped, the kiosk says so and the handoff is still saved."""
    import subprocess

    from kiosk.admin.devices import create_enrollment_token
    from tests.cups_server import DEBIAN_PACKAGES, PrivateCups, cups_available

    assert cups_available(), f"needs the Debian packages {DEBIAN_PACKAGES} (make test installs them)"
    output = tmp_path / "printed.pdf"
    with PrivateCups() as cups:
        cups.add_pdf_queue("kioskq", output)
        monkeypatch.setenv("CUPS_SERVER", cups.socket)
        db = connect(staff_app.config["DATABASE"])
        device = db.table("devices").insert({"name": "北 キオスク", "kind": "kiosk", "site_id": 1,
                                             "printer_queue": "kioskq", "paper": "80mm",
                                             "created_at": "2026-01-01"}).last_pk
        token = create_enrollment_token(db, device)
        db.conn.commit()
        db.conn.close()
        kiosk = Kiosk(staff_app)
        kiosk.post(f"/enroll/{token}")
        kiosk.post("/start", lang="ja")
        location = kiosk.handoff("print")
        assert "result=printed" in location, location
        assert text_of(soup(kiosk.client.get(location)).select_one("h1")) == "案内シートを印刷しました"
        assert cups.wait_for_output(output).startswith(b"%PDF")
        text = subprocess.run(["pdftotext", str(output), "-"], capture_output=True, text=True).stdout
        assert "住民票の写しの交付" in text
        [record] = rows(staff_app, "select code, site_id, device_id from handoffs")
        assert (record["site_id"], record["device_id"]) == (1, device)

        cups.stop()
        location = kiosk.handoff("print")
        assert "result=no-cups" in location, location
        page = soup(kiosk.client.get(location))
        assert text_of(page.select_one("h1")) == "印刷できませんでした"
        assert "印刷の仕組みが動いていません" in text_of(page.select_one(".k-notice--warning"))
        assert page.select_one(".k-qr-figure svg")
        # The same guide keeps its one code: the second print is of the saved handoff, not a new one.
        assert [r["code"] for r in rows(staff_app, "select code from handoffs")] == [record["code"]]
