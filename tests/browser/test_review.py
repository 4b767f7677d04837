"""The seal review in real Chromium against a real waitress server: a department's reviewer
changes ten statuses, the ward's progress and KSI follow, the public seal-free list shows the
abolished ones; anonymous users and supporters are kept out; axe finds nothing on any page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kiosk.catalog.ledger import import_ledger
from kiosk.db import connect
from kiosk.staff.accounts import create_user, set_department
from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets, serve, sign_in
from tests.conftest import PASSWORD, add_sites_and_staff

DEPARTMENT = "道路課"
# Twelve procedures of 道路課 still waiting: the reviewer abolishes ten of them.
WAITING_ROWS = "".join(f"T-{n:02d},テスト用道路手続{n:02d},{DEPARTMENT},サンプル区道路管理規則,認印,未,"
                       f"{'未着手' if n % 2 else '検討中'}\n" for n in range(1, 13))


@pytest.fixture(scope="module")
def review_server(tmp_path_factory):
    url, server, thread = serve(tmp_path_factory.mktemp("review"))
    db = connect(url.app.config["DATABASE"])
    add_sites_and_staff(db)
    import_ledger(db, ("管理番号,手続名,所管課,根拠規定,押印の種類,オンライン化,状況\n" + WAITING_ROWS).encode())
    set_department(db, create_user(db, "road-reviewer", "reviewer", PASSWORD, "道路課 見直し担当", None), DEPARTMENT)
    db.conn.close()
    yield url
    server.close()
    thread.join(timeout=5)


def ward_numbers(server) -> dict:
    return server.rows("select count(*) n, sum(status = 'abolished') abolished, sum(status = 'not-applicable') out "
                       "from ledger_entries")[0]


def share_text(numbers: dict) -> str:
    return f"{numbers['abolished'] / (numbers['n'] - numbers['out']) * 100:.1f}%"


def test_anonymous_users_and_supporters_cannot_open_the_review(review_server, page):
    response = page.request.get(review_server + "/review/", max_redirects=0)
    assert response.status == 302 and "/staff/login" in response.headers["location"]
    page.goto(review_server + "/review/departments/" + DEPARTMENT)
    assert "/staff/login" in page.url
    sign_in(page, review_server, "supporter")
    page.wait_for_url("**/staff/")
    assert page.get_by_role("link", name="押印見直しの進捗").count() == 0
    response = page.goto(review_server + "/review/")
    assert response.status == 403


def test_a_reviewer_changes_ten_statuses_and_the_ward_and_seal_free_list_follow(review_server, tablet, axe):
    page = tablet
    before = ward_numbers(review_server)
    sign_in(page, review_server, "road-reviewer")
    page.wait_for_url("**/review/")
    expect(page.locator('[data-ksi="share"]')).to_contain_text(share_text(before))
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)

    page.get_by_role("link", name="担当の所管課").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{DEPARTMENT} の押印見直し")
    page.get_by_label("状況", exact=True).first.select_option("reviewing")  # the filter form comes first
    page.get_by_label("手続名でさがす").fill("テスト用道路手続")
    page.get_by_role("button", name="表示する").click()
    page.wait_for_url(re.compile(r"status=reviewing"))
    page.get_by_label("状況", exact=True).first.select_option("")
    page.get_by_role("button", name="表示する").click()
    page.wait_for_url(re.compile(r"status=&"))
    cards = page.locator("li.k-card", has_text="テスト用道路手続")
    expect(cards).to_have_count(12)
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)

    for n in range(1, 11):
        card = page.locator("li.k-card", has=page.get_by_role("heading", name=f"テスト用道路手続{n:02d}"))
        card.get_by_label("状況", exact=True).select_option(label="廃止済")  # tap 1–2: the status
        card.get_by_role("button", name="保存する").click()  # tap 3: save
        expect(card.get_by_role("status")).to_have_text("保存しました。")
    assert_no_axe_violations(axe, page)  # with ten 「保存しました」 messages on the page
    abolished = review_server.rows("select ward_number from ledger_entries where department = ? "
                                   "and status = 'abolished' and ward_number like 'T-%' order by 1", [DEPARTMENT])
    assert [r["ward_number"] for r in abolished] == [f"T-{n:02d}" for n in range(1, 11)]
    audit = review_server.rows("select count(*) n from audit_log where action = 'update' and entity = 'ledger_entry'")
    assert audit[0]["n"] == 10

    after = ward_numbers(review_server)
    assert after["abolished"] == before["abolished"] + 10
    page.get_by_role("link", name="押印見直しの進捗").click()
    expect(page.locator('[data-ksi="share"]')).to_contain_text(share_text(after))
    assert share_text(after) != share_text(before)
    row = page.locator("#departments tbody tr", has=page.get_by_role("rowheader", name=DEPARTMENT))
    department_total = review_server.rows("select count(*) n, sum(status = 'abolished') a from ledger_entries "
                                          "where department = ?", [DEPARTMENT])[0]
    expect(row.locator("td").nth(1)).to_have_text(str(department_total["a"]))
    expect(row.locator("td").nth(2)).to_have_text("2")  # T-11 and T-12 still waiting

    public = page.context.new_page()
    public.goto(review_server + "/seal-free?q=テスト用道路手続")
    names = public.locator("table.k-table tbody tr td:first-child")
    expect(names).to_have_count(10)
    assert sorted(names.all_inner_texts()) == [f"テスト用道路手続{n:02d}" for n in range(1, 11)]
    assert_no_axe_violations(axe, public)
    public.close()


def test_every_review_page_is_accessible_including_a_refused_update(review_server, page, axe):
    sign_in(page, review_server, "road-reviewer")
    page.wait_for_url("**/review/")
    for path in ("/review/waiting", f"/review/waiting?department={DEPARTMENT}&status=not-started", "/review/rules",
                 "/review/departments/戸籍住民課"):
        page.goto(review_server + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_axe_violations(axe, page)
        assert_touch_targets(page)
    page.goto(review_server + f"/review/departments/{DEPARTMENT}?q=テスト用道路手続12")
    card = page.locator("li.k-card", has=page.get_by_role("heading", name="テスト用道路手続12"))
    card.get_by_label("状況", exact=True).select_option(label="存続（法令）")
    card.get_by_role("button", name="保存する").click()
    error = card.locator(".k-field__error")
    expect(error).to_contain_text("押印を残す理由")
    expect(card.get_by_label("存続理由（根拠となる法令・規則）")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(axe, page)
    card.get_by_label("存続理由（根拠となる法令・規則）").fill("道路法施行規則")
    card.get_by_role("button", name="保存する").click()
    expect(card.get_by_role("status")).to_have_text("保存しました。")
    assert review_server.rows("select status, keep_reason from ledger_entries where ward_number = 'T-12'")[0] == {
        "status": "kept-law", "keep_reason": "道路法施行規則"}
