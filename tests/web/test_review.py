"""/review/ through the Flask test client: who may open it, a reviewer's updates (full page and
htmx), refusals that keep what was typed, the seal-free list following, filters and downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from kiosk.catalog.ledger import import_ledger
from kiosk.staff.accounts import create_user, set_department
from tests.conftest import PASSWORD, StaffClient
from tests.fixtures import query_rows, soup, text_of

EXTRA = ("管理番号,手続名,所管課,根拠規定,押印の種類,オンライン化,状況,存続理由,改正する例規\n"
         "W-1,道路占用許可申請書,道路課,サンプル区道路占用規則,認印,未,未着手,,\n"
         "W-2,道路使用承認申請書,道路課,サンプル区道路管理規則,認印,未,検討中,,サンプル区道路管理規則\n"
         "W-3,掘削届,道路課,道路法施行規則,認印,未,存続（法令）,道路法施行規則,\n")


@pytest.fixture
def review_app(staff_app, db):
    import_ledger(db, EXTRA.encode())
    for username, department in (("road-reviewer", "道路課"), ("family-reviewer", "戸籍住民課")):
        set_department(db, create_user(db, username, "reviewer", PASSWORD, username, None), department)
    return staff_app


def signed_in(app, username: str) -> StaffClient:
    client = StaffClient(app)
    assert client.login(username).status_code == 303
    client.refresh_token("/review/")
    return client


def key_of(app, ward_number: str) -> str:
    return query_rows(app, "select key from ledger_entries where ward_number = ?", [ward_number])[0]["key"]


def test_anonymous_users_go_to_sign_in_and_supporters_are_refused(review_app):
    anonymous = review_app.test_client()
    for path in ("/review/", "/review/waiting", "/review/rules", "/review/departments/道路課",
                 "/review/export/ledger.csv", "/review/report.pdf"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], path
    supporter = StaffClient(review_app)
    supporter.login("supporter")
    assert supporter.get("/review/").status_code == 403
    assert supporter.get("/review/departments/道路課").status_code == 403
    assert supporter.post(f"/review/entries/{key_of(review_app, 'W-1')}", {"status": "abolished"}).status_code == 403
    assert query_rows(review_app, "select status from ledger_entries where ward_number = 'W-1'")[0]["status"] == \
        "not-started"


def test_a_reviewer_lands_on_the_review_and_cannot_open_consultations(review_app):
    client = StaffClient(review_app)
    response = client.login("road-reviewer")
    assert response.status_code == 303 and response.headers["Location"] == "/review/"
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/consultations").status_code == 403
    page = soup(client.get("/review/"))
    nav = [a["href"] for a in page.select(".k-staff-nav a")]
    assert "/staff/" not in nav and "/review/departments/%E9%81%93%E8%B7%AF%E8%AA%B2" in nav


@pytest.mark.parametrize("username", ["coordinator", "admin", "road-reviewer"])
def test_every_review_page_opens(review_app, username):
    client = signed_in(review_app, username)
    for path in ("/review/", "/review/waiting", "/review/rules", "/review/departments/道路課"):
        assert client.get(path).status_code == 200, path


def test_the_progress_page_counts_match_the_ledger(review_app):
    client = signed_in(review_app, "coordinator")
    page = soup(client.get("/review/"))
    rows = {text_of(tr.th): [text_of(td) for td in tr.select("td")] for tr in page.select("#departments tbody tr")}
    direct = query_rows(review_app, "select count(*) n, sum(status = 'abolished') a from ledger_entries "
                                    "where department = '道路課'")[0]
    assert rows["道路課"][0] == str(direct["n"]) and rows["道路課"][1] == str(direct["a"])
    total = query_rows(review_app, "select count(*) n, sum(status = 'abolished') a, "
                                   "sum(status = 'not-applicable') x from ledger_entries")[0]
    share = text_of(page.select_one('[data-ksi="share"]'))
    assert f"{total['a'] / (total['n'] - total['x']) * 100:.1f}%" in share
    assert page.select("figure.k-chart table")  # every chart has its table


def test_a_reviewer_updates_its_department_and_the_seal_free_list_follows(review_app):
    client = signed_in(review_app, "road-reviewer")
    key = key_of(review_app, "W-1")
    before = soup(client.get("/seal-free?q=道路占用許可申請書"))
    assert before.select("tbody tr") == []
    response = client.post(f"/review/entries/{key}", {"status": "abolished", "rules_to_amend": "サンプル区道路占用規則",
                                                      "back": "?status=not-started"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/review/departments/%E9%81%93%E8%B7%AF%E8%AA%B2?status=not-started"
    row = query_rows(review_app, "select * from ledger_entries where key = ?", [key])[0]
    assert (row["status"], row["review_result"], row["rules_to_amend"]) == ("abolished", "abolished",
                                                                            "サンプル区道路占用規則")
    audit = query_rows(review_app, "select * from audit_log where entity = 'ledger_entry' and action = 'update'")
    assert len(audit) == 1 and audit[0]["entity_id"] == key
    assert json.loads(audit[0]["after"])["status"] == "abolished"
    listed = soup(review_app.test_client().get("/seal-free?q=道路占用許可申請書"))
    assert [text_of(td) for td in listed.select("tbody tr td:first-child")] == ["道路占用許可申請書"]
    rules = soup(client.get("/review/rules"))
    assert "サンプル区道路占用規則" in [text_of(th) for th in rules.select("tbody th")]


def test_an_htmx_update_swaps_the_card(review_app):
    client = signed_in(review_app, "road-reviewer")
    key = key_of(review_app, "W-2")
    response = client.post(f"/review/entries/{key}", {"status": "decided"}, htmx=True)
    assert response.status_code == 200
    card = soup(response).select_one("li.k-card")
    assert card["id"] == "e-" + key.replace(":", "-") and "保存しました" in text_of(card)
    assert card.select_one("select option[selected]")["value"] == "decided"
    # The fields the form did not send keep their values.
    assert query_rows(review_app, "select rules_to_amend from ledger_entries where key = ?", [key])[0][
        "rules_to_amend"] == "サンプル区道路管理規則"


def test_a_refused_update_says_why_and_keeps_what_was_typed(review_app):
    client = signed_in(review_app, "road-reviewer")
    key = key_of(review_app, "W-1")
    response = client.post(f"/review/entries/{key}", {"status": "kept-law", "keep_reason": "",
                                                      "rules_to_amend": "サンプル区道路占用規則"})
    assert response.status_code == 400
    card = soup(response).select_one(f"#e-{key.replace(':', '-')}")
    error = card.select_one(".k-field__error")
    assert "押印を残す理由" in text_of(error)
    field = card.select_one(f"#e-{key.replace(':', '-')}-keep_reason")
    assert field["aria-invalid"] == "true" and error["id"] in field["aria-describedby"]
    assert card.select_one("select option[selected]")["value"] == "kept-law"
    assert card.select_one(f"#e-{key.replace(':', '-')}-rules_to_amend")["value"] == "サンプル区道路占用規則"
    htmx = client.post(f"/review/entries/{key}", {"status": "abolished", "abolished_on": "2026/99/99"}, htmx=True)
    assert htmx.status_code == 200 and "2026-04-01 の形" in text_of(soup(htmx))
    assert query_rows(review_app, "select status from ledger_entries where key = ?", [key])[0]["status"] == \
        "not-started"
    assert query_rows(review_app, "select count(*) n from audit_log where action = 'update'")[0]["n"] == 0


def test_a_reviewer_reads_but_cannot_update_another_department(review_app):
    client = signed_in(review_app, "family-reviewer")
    page = soup(client.get("/review/departments/道路課"))
    assert page.select("li.k-card") and not page.select("li.k-card form")
    assert client.post(f"/review/entries/{key_of(review_app, 'W-1')}", {"status": "abolished"}).status_code == 403
    assert soup(client.get("/review/departments/戸籍住民課")).select("li.k-card form")


def test_unknown_things_are_404_or_explained(review_app):
    client = signed_in(review_app, "coordinator")
    assert client.get("/review/departments/存在しない課").status_code == 404
    assert client.post("/review/entries/no:nothing", {"status": "abolished"}).status_code == 404
    page = soup(client.get("/review/waiting?department=存在しない課&status=abolished&page=x"))
    errors = [text_of(e) for e in page.select(".k-field__error")]
    assert any("所管課" in e for e in errors) and any("状況" in e for e in errors)
    filtered = soup(client.get("/review/waiting?department=道路課&status=reviewing"))
    assert [text_of(td) for td in filtered.select("tbody tr td:first-child")] == ["道路使用承認申請書 W-2"]


def test_downloads(review_app):
    client = signed_in(review_app, "coordinator")
    body = client.get("/review/export/ledger.csv").data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == query_rows(review_app, "select count(*) n from ledger_entries")[0]["n"]
    w3 = next(r for r in rows if r["管理番号"] == "W-3")
    assert (w3["状況"], w3["存続理由"], w3["見直し結果"]) == ("存続（法令）", "道路法施行規則", "存続")
    assert client.get("/review/export/ledger.csv?encoding=cp932").data.decode("cp932").startswith("管理番号")
    one = client.get("/review/export/ledger.csv?department=道路課").data.decode("utf-8-sig")
    assert {r["所管課"] for r in csv.DictReader(io.StringIO(one))} == {"道路課"}
    assert client.get("/review/export/ledger.csv?department=nowhere").status_code == 404
    book = load_workbook(io.BytesIO(client.get("/review/export/progress.xlsx").data), read_only=True)
    assert book.sheetnames == ["区全体", "所管課別", "月別の廃止", "改正待ちの例規"]
    pdf = client.get("/review/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    logged = {r["entity"] for r in query_rows(review_app, "select entity from audit_log where action = 'export'")}
    assert logged == {"review/ledger.csv", "review/progress.xlsx", "review/report.pdf"}


def test_a_formula_in_a_cell_stays_text_in_the_csv(review_app, db):
    import_ledger(db, ("管理番号,手続名,所管課,オンライン化,状況\nX-1,=HYPERLINK(\"x\"),道路課,未,未着手\n").encode())
    body = signed_in(review_app, "coordinator").get("/review/export/ledger.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_the_kiosk_answers_from_the_status_from_the_moment_it_is_saved(review_app, kiosk):
    def kiosk_answer() -> str:
        kiosk.start()
        page = soup(kiosk.post("/chat/say", {"text": "道路用地の寄附"}, htmx=True))
        buttons = [b for b in page.select("#replies button[name=key]") if "道路用地の寄附" in text_of(b)]
        if buttons:  # not confident: the resident picks the entry
            page = soup(kiosk.post("/chat/ledger", {"key": buttons[0]["value"]}, htmx=True))
        return text_of(page.select(".k-bubble")[-1])

    assert "押印存続" in kiosk_answer()
    client = signed_in(review_app, "coordinator")
    response = client.post(f"/review/entries/{key_of(review_app, 'R3-0135')}", {"status": "abolished"})
    assert response.status_code == 303
    answer = kiosk_answer()
    assert "道路用地の寄附" in answer and "押印廃止" in answer and "押印存続" not in answer
