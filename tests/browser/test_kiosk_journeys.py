"""Issue 13's kiosk items, walked in real Chromium on a kiosk enrolled to a site: the sheet preview
stays in the kiosk, one honest handoff code per guide, the readiness questions, a forgotten PIN,
the seal question, a claimed call, outside addresses as QR codes, and sizes at 1080 x 1920 and
320 px."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from kiosk.admin.devices import create_enrollment_token
from kiosk.db import connect, now_iso
from tests.browser.conftest import assert_main_actions_large, assert_no_axe_violations, assert_touch_targets, sign_in

NORTH_SITE = 1  # 北出張所 (tests.conftest.add_sites_and_staff); "supporter" works there


@pytest.fixture
def enrolled_kiosk(staff_server, browser):
    """A 1080 x 1920 touch kiosk, enrolled (through its enrollment page) to 北出張所."""
    db = connect(staff_server.app.config["DATABASE"])
    try:
        device = db.table("devices").insert({"name": "北 キオスク 13", "kind": "kiosk", "site_id": NORTH_SITE,
                                             "created_at": now_iso()}).last_pk
        token = create_enrollment_token(db, device)
    finally:
        db.conn.close()
    context = browser.new_context(locale="ja-JP", viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = context.new_page()
    page.goto(f"{staff_server}/enroll/{token}")
    page.get_by_role("button", name="登録する").click()
    expect(page.locator(".k-notice--success")).to_contain_text("登録しました")
    page.device_id = device
    yield page
    context.close()


def begin(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.wait_for_function("window.htmx !== undefined")


def bubbles(page, count: int) -> None:
    expect(page.locator("#thread .k-bubble")).to_have_count(count)


def choose_residence_certificate(page) -> None:
    page.get_by_role("button", name="証明書", exact=True).click()
    page.get_by_role("button", name="住民票の写しの交付").click()
    bubbles(page, 6)


def outside_links(page, base: str) -> list[str]:
    """Links that would leave the kiosk: to another site, or to a PDF."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    own = urlsplit(base).netloc
    return [h for h in hrefs if urlsplit(h).netloc != own or urlsplit(h).path.endswith(".pdf")]


def test_sheet_preview_stays_in_the_kiosk_and_one_honest_code_per_guide(staff_server, enrolled_kiosk, axe):
    page = enrolled_kiosk
    begin(page, staff_server)
    choose_residence_certificate(page)
    for count in (8, 10, 12, 15, 18):
        page.get_by_role("button", name="はい", exact=True).click()
        bubbles(page, count)
    page.get_by_role("link", name=re.compile("手順を見る")).click()
    page.get_by_role("button", name="スマホで続ける").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("スマホで続ける")
    # No public address in this set-up: the page says what the one QR code does, and how the code is used.
    expect(page.locator(".k-lead")).to_contain_text("オンライン申請のページを開くだけです")
    expect(page.locator("main")).to_contain_text("区役所に電話してこのコードを伝える")
    code = page.locator(".k-handoff-code").inner_text()
    assert outside_links(page, staff_server) == []
    assert_no_axe_violations(axe, page)

    page.get_by_role("link", name="シートを画面で見る").click()
    page.wait_for_url(re.compile(r"/handoff/[0-9A-Z]+/sheet$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("案内シートの見本")
    sheet = page.locator(".k-sheet")
    expect(sheet).to_contain_text(code)
    expect(sheet).to_contain_text("住民票の写しの交付")
    expect(sheet).to_contain_text("このコードの使い方")
    # The kiosk's own page: 職員を呼ぶ, 最初から and the idle timer are all there.
    expect(page.get_by_role("button", name="職員を呼ぶ")).to_be_visible()
    expect(page.get_by_role("button", name="最初から")).to_be_visible()
    assert float(page.locator("body").get_attribute("data-idle-seconds")) > 0
    assert outside_links(page, staff_server) == []
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)
    assert_main_actions_large(page)

    # Another tap on スマホで続ける (from the preview) shows the same code: no new one per tap.
    page.get_by_role("button", name="スマホで続ける").click()
    expect(page.locator(".k-handoff-code")).to_have_text(code)
    sessions = staff_server.rows(
        "select session_ref, count(*) as n from handoffs where device_id = ? group by session_ref", [page.device_id])
    assert [row["n"] for row in sessions] == [1]


def test_an_expired_card_routes_to_the_counter_and_offers_a_new_card(staff_server, enrolled_kiosk):
    page = enrolled_kiosk
    begin(page, staff_server)
    choose_residence_certificate(page)
    page.get_by_role("button", name="はい", exact=True).click()
    expect(page.locator("#latest")).to_contain_text("カードは有効期限内ですか？")
    page.get_by_role("button", name="いいえ", exact=True).click()
    expect(page.locator("#latest")).to_contain_text("おすすめは「区役所・出張所の窓口でとる」です。")
    expect(page.locator("#latest")).to_contain_text("まず「マイナンバーカードの交付申請」をおすすめします")
    events = staff_server.rows("select detail from kiosk_events where event = 'readiness_failed' and device_id = ?",
                               [page.device_id])
    assert events == [{"detail": "card-expired"}]
    page.locator("#replies").get_by_role("button", name="マイナンバーカードの交付申請").click()
    expect(page.locator("#thread")).to_contain_text("マイナンバーカードの交付申請")


def test_under_15_cannot_take_the_convenience_store_path(staff_server, enrolled_kiosk):
    page = enrolled_kiosk
    begin(page, staff_server)
    choose_residence_certificate(page)
    for count in (8, 10, 12, 15):
        page.get_by_role("button", name="はい", exact=True).click()
        bubbles(page, count)
    expect(page.locator("#latest")).to_contain_text("15歳以上ですか")
    expect(page.locator("#thread")).to_contain_text("コンビニで手続きする前に")
    page.get_by_role("button", name="いいえ", exact=True).click()
    expect(page.locator("#latest")).to_contain_text("15歳未満の方は、コンビニでの証明書の交付を利用できません。")
    expect(page.locator("#latest")).to_contain_text("おすすめは「区役所・出張所の窓口でとる」です。")
    events = staff_server.rows("select detail from kiosk_events where event = 'readiness_failed' and device_id = ?",
                               [page.device_id])
    assert events == [{"detail": "under-15"}]


def test_a_forgotten_pin_offers_the_pin_reset_first(staff_server, enrolled_kiosk):
    page = enrolled_kiosk
    begin(page, staff_server)
    page.get_by_role("button", name="マイナンバーカード", exact=True).click()
    page.get_by_role("button", name="マイナポータルの利用登録・ログイン").click()
    page.get_by_role("button", name="はい", exact=True).click()
    expect(page.locator("#latest")).to_contain_text("暗証番号")
    page.get_by_role("button", name="いいえ", exact=True).click()
    latest = page.locator("#latest")
    expect(latest).to_contain_text("まず「マイナンバーカードの暗証番号の再設定」をおすすめします")
    # The reset comes first in the bubble and as the first reply.
    text = latest.inner_text()
    assert text.index("暗証番号の再設定") < text.index("おすすめは")
    first_reply = page.locator("#replies button").first
    expect(first_reply).to_have_text("マイナンバーカードの暗証番号の再設定")
    first_reply.click()
    expect(page.locator("#thread")).to_contain_text("暗証番号の再設定")


def test_the_seal_question_alone_offers_the_seal_free_list(staff_server, enrolled_kiosk, axe):
    page = enrolled_kiosk
    begin(page, staff_server)
    page.get_by_label("ことばで入力する").fill("はんこはいりますか")
    page.get_by_role("button", name="送る", exact=True).click()
    latest = page.locator("#latest")
    expect(latest).to_contain_text("手続きによってちがいます")
    assert_no_axe_violations(axe, page)
    latest.get_by_role("link", name="はんこが不要な手続きの一覧を見る").click()
    page.wait_for_url("**/seal-free")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert outside_links(page, staff_server) == []


def test_a_claimed_call_tells_the_resident_staff_are_coming(staff_server, enrolled_kiosk, tablet):
    kiosk = enrolled_kiosk
    begin(kiosk, staff_server)
    choose_residence_certificate(kiosk)
    kiosk.get_by_role("button", name="いいえ", exact=True).click()  # no card: the counter
    kiosk.get_by_role("link", name=re.compile("手順を見る")).click()
    kiosk.get_by_role("link", name="次へ").click()
    kiosk.wait_for_url(re.compile(r"/guide/residence-certificate/counter/2$"))
    kiosk.get_by_role("button", name="スマホで続ける").click()
    code = kiosk.locator(".k-handoff-code").inner_text()
    kiosk.get_by_role("link", name="案内にもどる").click()
    kiosk.wait_for_url(re.compile(r"/chat"))
    kiosk.wait_for_function("window.htmx !== undefined")
    kiosk.get_by_role("button", name="職員を呼ぶ").click()
    expect(kiosk.locator("#help-status")).to_contain_text("職員を呼びました")

    staff = tablet
    sign_in(staff, staff_server, "supporter")
    staff.wait_for_url("**/staff/")
    card = staff.locator(".k-queue__item", has_text="北 キオスク 13")
    expect(card).to_be_visible(timeout=5000)
    # The card says where the resident was: the step they last saw.
    expect(card.locator(".k-queue__step")).to_contain_text("ステップ 2 / 3")
    card.get_by_role("button", name="対応する").click()
    expect(staff.locator(".k-queue__item--claimed", has_text="北 キオスク 13")).to_be_visible()
    expect(staff.locator("#help-queue > p[role=status]")).not_to_have_text("いま待っている人はいません。")

    # The kiosk learns it within a few seconds, without a tap.
    expect(kiosk.locator("#help-status")).to_contain_text("職員が向かっています", timeout=8000)

    # The consultation opened from the call carries the kiosk session's handoff code.
    staff.locator(".k-queue__item", has_text="北 キオスク 13").get_by_role("link", name="記録して完了").click()
    staff.wait_for_url(re.compile(r"/staff/consultations/new\?help=\d+"))
    expect(staff.get_by_label(re.compile("引継ぎコード"))).to_have_value(code)
    staff.goto(staff_server + "/staff/")
    staff.locator(".k-queue__item", has_text="北 キオスク 13").get_by_role("button", name="完了にする").click()
    expect(staff.locator(".k-queue__item", has_text="北 キオスク 13")).to_have_count(0)
    # Resolved: the kiosk stops saying anyone is coming.
    expect(kiosk.locator("#help-status")).not_to_contain_text("職員が向かっています", timeout=8000)


def test_an_unenrolled_kiosk_past_the_call_limit_does_not_say_staff_are_called(staff_server, kiosk_page):
    from kiosk.resident.help_requests import MAX_UNASSIGNED_CALLS

    db = connect(staff_server.app.config["DATABASE"])
    try:
        waiting = staff_server.rows("select count(*) as n from help_requests where site_id is null and "
                                    "status in ('open', 'claimed')")[0]["n"]
        filler = [db.table("help_requests").insert({"status": "open", "created_at": now_iso(),
                                                    "session_ref": f"filler-{n}"}).last_pk
                  for n in range(max(0, MAX_UNASSIGNED_CALLS - waiting))]
    finally:
        db.conn.close()
    try:
        page = kiosk_page
        begin(page, staff_server)
        before = staff_server.rows("select count(*) as n from help_requests")[0]["n"]
        page.get_by_role("button", name="職員を呼ぶ").click()
        status = page.locator("#help-status")
        expect(status).to_contain_text("いまは、この端末から職員を呼べません")
        expect(status).not_to_contain_text("職員をもう呼んでいます")
        assert staff_server.rows("select count(*) as n from help_requests")[0]["n"] == before
    finally:
        db = connect(staff_server.app.config["DATABASE"])
        with db.conn:
            for request_id in filler:
                db.execute("update help_requests set status = 'resolved', resolved_at = ? where id = ?",
                           [now_iso(), request_id])
        db.conn.close()


def test_no_kiosk_page_links_to_another_site_or_a_pdf(staff_server, enrolled_kiosk, axe):
    page = enrolled_kiosk
    begin(page, staff_server)
    from tests.unit.test_content_loader import PRODUCT_IDS

    paths = ["/", "/chat", "/procedures", "/seal-free", "/language?next=/chat",
             "/guide/residence-certificate/convenience-store/1", "/guide/residence-certificate/convenience-store/done"]
    paths += [f"/procedures/{pid}" for pid in PRODUCT_IDS]
    for path in paths:
        page.goto(staff_server + path)
        assert outside_links(page, staff_server) == [], path
    # The official page is there to take home, as a QR code and its address.
    page.goto(staff_server + "/guide/residence-certificate/convenience-store/1")
    take_home = page.locator(".k-take-home")
    expect(take_home.locator("svg[role=img]")).to_be_visible()
    expect(take_home).to_contain_text("https://www.lg-waps.go.jp/")
    assert_no_axe_violations(axe, page)


def test_main_actions_are_80px_and_the_keyboard_spans_the_screen(staff_server, enrolled_kiosk):
    page = enrolled_kiosk
    begin(page, staff_server)
    page.get_by_role("button", name="画面のキーボードを出す").click()
    assert_main_actions_large(page, 80)
    for name in ("送る", "職員を呼ぶ", "最初から"):
        assert page.get_by_role("button", name=name, exact=True).bounding_box()["height"] >= 80, name
    keys = page.locator(".k-keyboard__layout--kana .k-key:not(.k-key--blank)")
    assert min(box["height"] for box in (keys.nth(i).bounding_box() for i in range(keys.count()))) >= 80
    grid = page.locator(".k-keyboard__grid").bounding_box()
    main = page.locator(".k-ask").bounding_box()
    assert grid["width"] >= 0.9 * main["width"], (grid, main)  # not half the screen
    page.get_by_role("button", name="証明書", exact=True).click()
    bubbles(page, 3)
    assert_main_actions_large(page, 80)
    legend = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.k-textsize__legend')).fontSize)")
    assert legend >= 18


def test_furigana_keeps_words_whole_and_readings_readable(staff_server, enrolled_kiosk, axe):
    page = enrolled_kiosk
    begin(page, staff_server)
    page.get_by_role("button", name="ふりがな").click()
    page.wait_for_url("**/chat")
    call = page.locator(".k-controls button", has_text="職員")
    expect(call.locator("ruby").first).to_be_visible()
    # The label is one flex item: no gap opens between 職員, を, 呼 and ぶ.
    assert call.evaluate("b => b.children.length") == 1
    pieces = call.evaluate("""b => { const span = b.firstElementChild; const rects = [];
        for (const node of span.childNodes) { const r = document.createRange(); r.selectNodeContents(node);
          for (const rect of r.getClientRects()) rects.push([rect.left, rect.right]); }
        return rects; }""")
    bases = sorted(pieces)
    gaps = [b[0] - a[1] for a, b in zip(bases, bases[1:], strict=False) if b[0] > a[1]]
    assert max(gaps, default=0) < 4, gaps
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('rt')].map(r => parseFloat(getComputedStyle(r).fontSize)))")
    assert smallest >= 14
    assert_no_axe_violations(axe, page)


@pytest.mark.parametrize("path", ["/procedures", "/language?next=/", "/chat", "/procedures/moving-in",
                                  "/guide/residence-certificate/convenience-store/1"])
def test_nothing_scrolls_sideways_at_320px(staff_server, browser, path):
    context = browser.new_context(locale="ja-JP", viewport={"width": 320, "height": 640}, has_touch=True)
    page = context.new_page()
    begin(page, staff_server)
    page.goto(staff_server + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    assert_touch_targets(page)
    context.close()
