"""Support staff on a tablet, in real Chromium against a real waitress server."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets, sign_in


def test_sign_in_and_throttling(staff_server, tablet):
    page = tablet
    sign_in(page, staff_server, "supporter2", "not the password")
    expect(page.locator(".k-error-summary")).to_contain_text("ユーザー名かパスワードがちがいます")
    for _ in range(4):
        sign_in(page, staff_server, "supporter2", "not the password")
    expect(page.locator(".k-error-summary")).to_contain_text("ロックされています")
    sign_in(page, staff_server, "supporter2")  # even the right password waits now
    expect(page.locator(".k-error-summary")).to_contain_text("ロックされています")
    sign_in(page, staff_server, "supporter")
    page.wait_for_url("**/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("職員ホーム")
    page.get_by_role("button", name="サインアウト").click()
    expect(page.locator(".k-flash")).to_contain_text("サインアウトしました")


def test_a_typical_consultation_in_eight_taps_without_typing(staff_server, tablet):
    page = tablet
    sign_in(page, staff_server, "supporter")
    page.wait_for_url("**/staff/")
    before = staff_server.rows("select count(*) as n from consultations")[0]["n"]
    taps = 0

    def tap(locator):
        nonlocal taps
        locator.tap()
        taps += 1

    tap(page.get_by_role("link", name="相談を記録する"))
    page.wait_for_url("**/staff/consultations/new")
    for group, choice in [("相談内容", "マイナンバーカード"), ("所要時間（分）", "15"), ("年代", "75〜84歳"),
                          ("来所", "はじめて"), ("使った端末", "自分のスマホ（Android）"),
                          ("結果", "オンラインで完了（職員が入力）")]:
        tap(page.get_by_role("group", name=group, exact=False).get_by_label(choice, exact=True))
    tap(page.get_by_role("button", name="保存する"))
    page.wait_for_url("**/staff/")
    expect(page.locator(".k-flash")).to_contain_text("相談を記録しました")
    assert taps <= 8
    [row] = staff_server.rows("select * from consultations order by id desc limit 1")
    assert (row["minutes"], row["age_band"], row["device_used"], row["outcome"], row["first_visit"]) == (
        15, "75-84", "android", "completed-online-assisted", 1)
    assert staff_server.rows("select count(*) as n from consultations")[0]["n"] == before + 1


def test_a_mynumber_in_the_note_is_refused(staff_server, tablet, axe):
    page = tablet
    sign_in(page, staff_server, "supporter")
    page.wait_for_url("**/staff/")
    before = staff_server.rows("select count(*) as n from consultations")[0]["n"]
    page.goto(staff_server + "/staff/consultations/new")
    for group, choice in [("相談内容", "暗証番号"), ("所要時間（分）", "10"), ("年代", "65〜74歳"),
                          ("来所", "2回目以上"), ("使った端末", "使っていない"), ("結果", "窓口へ案内")]:
        page.get_by_role("group", name=group, exact=False).get_by_label(choice, exact=True).click()
    page.get_by_label("メモ").fill("ご本人の番号 ４５６７ ８９０１ ２３４６ を確認")  # check digit valid
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("#f-note-error")).to_contain_text("個人番号はここに記録できません")
    expect(page.locator(".k-error-summary")).to_be_visible()
    expect(page.get_by_role("group", name="年代").get_by_label("65〜74歳")).to_be_checked()  # nothing lost
    assert staff_server.rows("select count(*) as n from consultations")[0]["n"] == before
    assert_no_axe_violations(axe, page)


def test_help_queue_round_trip_within_five_seconds(staff_server, tablet, browser):
    staff = tablet
    sign_in(staff, staff_server, "coordinator")
    staff.wait_for_url("**/staff/")
    kiosk_context = browser.new_context(locale="ja-JP", viewport={"width": 1080, "height": 1920})
    kiosk = kiosk_context.new_page()
    kiosk.goto(staff_server + "/")
    kiosk.get_by_role("button", name="はじめる", exact=True).click()
    kiosk.wait_for_url("**/chat")
    kiosk.wait_for_function("window.htmx !== undefined")
    kiosk.get_by_role("button", name="引っ越し", exact=True).click()
    kiosk.get_by_role("button", name="転居届").click()
    expect(kiosk.locator("#thread")).to_contain_text("転居届")
    called = time.monotonic()
    kiosk.get_by_role("button", name="職員を呼ぶ").click()
    expect(kiosk.locator("#help-status")).to_contain_text("職員を呼びました")
    item = staff.locator(".k-queue__item", has_text="転居届")
    expect(item).to_be_visible(timeout=5000)
    assert time.monotonic() - called <= 5
    expect(item).to_contain_text("拠点未設定の端末")  # this kiosk is not enrolled: every tablet sees it
    item.get_by_role("button", name="対応する").click()
    expect(staff.locator(".k-queue__item--claimed", has_text="転居届")).to_contain_text("対応中")
    kiosk_context.close()


def test_roles_in_the_browser(staff_server, tablet):
    page = tablet
    page.goto(staff_server + "/admin/")
    page.wait_for_url("**/staff/login**")
    sign_in(page, staff_server, "supporter")
    page.wait_for_url("**/staff/")
    response = page.goto(staff_server + "/admin/users")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("このページを使う権限がありません。")
    assert page.get_by_role("link", name="管理").count() == 0
    response = page.goto(staff_server + "/staff/consultations")
    assert response.status == 200


def staff_and_admin_screens(page, base):
    page.goto(base + "/staff/login")
    yield "login"
    sign_in(page, base, "admin")
    page.wait_for_url("**/staff/")
    yield "home"
    page.goto(base + "/staff/consultations/new")
    yield "new consultation"
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".k-error-summary")).to_be_visible()
    yield "new consultation with errors"
    page.get_by_text("手続きから選ぶ").click()
    yield "procedure topics open"
    page.goto(base + "/staff/consultations")
    yield "consultations"
    first = page.locator(".k-table tbody a").first
    if first.count():
        first.click()
        yield "edit consultation"
    for path in ("/admin/", "/admin/sites", "/admin/sites/1", "/admin/devices", "/admin/users", "/admin/audit"):
        page.goto(base + path)
        yield path
    page.goto(base + "/admin/devices")
    page.get_by_label("端末名").fill("確認用タブレット")
    page.get_by_role("group", name="種類").get_by_label("タブレット", exact=True).click()
    page.get_by_label("拠点").select_option(label="北出張所")
    page.get_by_role("button", name="保存する").click()
    yield "device"
    page.get_by_role("button", name="登録リンクを発行する").click()
    expect(page.locator(".k-qr svg")).to_be_visible()
    yield "device with enrollment QR"


def test_every_staff_and_admin_page_is_accessible(staff_server, tablet, axe):
    for _screen in staff_and_admin_screens(tablet, staff_server):
        assert_no_axe_violations(axe, tablet)
        assert_touch_targets(tablet)


def test_landscape_tablet_layout(staff_server, browser, axe):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 800}, has_touch=True)
    page = context.new_page()
    sign_in(page, staff_server, "supporter")
    page.wait_for_url("**/staff/")
    page.goto(staff_server + "/staff/consultations/new")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert_no_axe_violations(axe, page)
    context.close()
