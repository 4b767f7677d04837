"""No staff work lost at the idle sign-out, in real Chromium against a real waitress server with a
12-second STAFF_IDLE_MINUTES: the warning with 「続ける」, the draft kept (encrypted) on the tablet
through the sign-out, restored after signing in again, and saved exactly once."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from kiosk.db import connect
from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets, serve, sign_in
from tests.conftest import PASSWORD, add_sites_and_staff

IDLE_SECONDS = 12  # STAFF_IDLE_MINUTES=0.2: the warning comes 6 s before the end
NOTE = "カードの暗証番号を窓口で再設定する予定"
SIGN_IN_AGAIN = re.compile(r"/staff/login\?next=/staff/consultations/new")
THE_FORM = re.compile(r"/staff/consultations/new\??$")
CHOICES = [("相談内容", "暗証番号"), ("所要時間（分）", "15"), ("年代", "85歳〜"), ("来所", "2回目以上"),
           ("使った端末", "使っていない"), ("結果", "窓口へ案内")]


@pytest.fixture(scope="module")
def idle_staff_server(tmp_path_factory):
    url, server, thread = serve(tmp_path_factory.mktemp("staff-idle"), STAFF_IDLE_MINUTES=IDLE_SECONDS / 60)
    db = connect(url.app.config["DATABASE"])
    add_sites_and_staff(db)
    db.conn.close()
    yield url
    server.close()
    thread.join(timeout=5)


def records(server, note: str) -> int:
    return server.rows("select count(*) as n from consultations where note = ?", [note])[0]["n"]


def open_form(page, server, username: str = "supporter") -> None:
    sign_in(page, server, username)
    page.wait_for_url("**/staff/")
    page.goto(server + "/staff/consultations/new")


def fill_consultation(page, note: str) -> None:
    for group, choice in CHOICES:
        page.get_by_role("group", name=group, exact=False).get_by_label(choice, exact=True).click()
    page.get_by_label("メモ").fill(note)


def sign_in_here(page, username: str = "supporter") -> None:
    """On the sign-in page the tablet was sent to (its `next` leads back to the form)."""
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()


def stored_drafts(page) -> list[str]:
    return page.evaluate("""() => Object.keys(sessionStorage).filter(k => k.startsWith('kiosk-staff-draft:'))
                               .map(k => sessionStorage.getItem(k))""")


def expect_restored(page, note: str) -> None:
    expect(page.locator("[data-staff-draft-restored]")).to_contain_text("入力途中の記録を戻しました")
    expect(page.get_by_label("メモ")).to_have_value(note)
    for group, choice in CHOICES:
        expect(page.get_by_role("group", name=group, exact=False).get_by_label(choice, exact=True)).to_be_checked()


def test_a_supporter_idles_past_the_limit_signs_in_again_and_the_record_is_saved_once(idle_staff_server, tablet,
                                                                                        axe):
    page, note = tablet, NOTE + "（1）"
    open_form(page, idle_staff_server)
    fill_consultation(page, note)
    dialog = page.locator("#staff-idle-dialog")
    expect(dialog).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(dialog).to_contain_text("サインアウトします")
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)
    [draft] = stored_drafts(page)
    assert note not in draft and "暗証番号" not in draft and '"iv"' in draft  # encrypted on the tablet
    # Let it run out: the tablet goes to the sign-in page, which says nothing was lost.
    page.wait_for_url(SIGN_IN_AGAIN, timeout=IDLE_SECONDS * 1000)
    expect(page.locator(".k-notice--warning")).to_contain_text("しばらく操作がなかったため")
    expect(page.locator("[data-staff-draft-kept]")).to_be_visible()
    assert page.locator("text=" + note).count() == 0 and records(idle_staff_server, note) == 0
    sign_in_here(page)
    page.wait_for_url(THE_FORM)
    expect_restored(page, note)
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/staff/")
    expect(page.locator(".k-flash")).to_contain_text("相談を記録しました")
    assert records(idle_staff_server, note) == 1
    assert stored_drafts(page) == []  # saved: the tablet keeps nothing
    page.go_back()  # the form again, fresh: nothing filled in from the history, nothing restored
    expect(page.get_by_label("メモ")).to_have_value("")
    expect(page.locator("[data-staff-draft-restored]")).to_be_empty()
    assert records(idle_staff_server, note) == 1


def test_continue_keeps_the_session_alive(idle_staff_server, tablet):
    page, note = tablet, NOTE + "（2）"
    open_form(page, idle_staff_server)
    loaded = time.monotonic()
    fill_consultation(page, note)
    dialog = page.locator("#staff-idle-dialog")
    expect(dialog).to_be_visible(timeout=IDLE_SECONDS * 1000)
    page.get_by_role("button", name="続ける").click()
    expect(dialog).to_be_hidden()
    # Past the end the session would have had without 「続ける」: the warning is back, not the sign-in.
    expect(dialog).to_be_visible(timeout=IDLE_SECONDS * 1000)
    time.sleep(max(0.0, IDLE_SECONDS + 2 - (time.monotonic() - loaded)))
    assert "/staff/consultations/new" in page.url
    page.get_by_role("button", name="続ける").click()
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/staff/")
    expect(page.locator(".k-flash")).to_contain_text("相談を記録しました")
    assert records(idle_staff_server, note) == 1


def test_a_save_sent_after_the_timeout_loses_nothing_and_a_double_tap_saves_once(idle_staff_server, tablet):
    page, note = tablet, NOTE + "（3）"
    page.clock.install()
    open_form(page, idle_staff_server)
    fill_consultation(page, note)
    # The tablet sleeps (its timers stop) while the session runs out on the server; then 「保存する」.
    page.clock.pause_at(time.time() + 1)
    time.sleep(IDLE_SECONDS + 1.5)
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url(SIGN_IN_AGAIN)
    assert records(idle_staff_server, note) == 0
    expect(page.locator("[data-staff-draft-kept]")).to_be_visible()
    page.clock.resume()
    sign_in_here(page)
    page.wait_for_url(THE_FORM)
    expect_restored(page, note)
    # Two taps 30 ms apart: the first is on its way when the second comes.
    page.evaluate("""() => { const save = [...document.querySelectorAll('button[type=submit]')]
                               .find(b => b.textContent.trim() === '保存する');
                             save.click(); setTimeout(() => save.click(), 30); }""")
    page.wait_for_url("**/staff/")
    page.reload()  # a resubmit from the history is a GET of the home page, nothing more
    assert records(idle_staff_server, note) == 1


def test_a_draft_never_holds_a_mynumber_and_another_person_cannot_read_it(idle_staff_server, tablet):
    page = tablet
    open_form(page, idle_staff_server)
    page.get_by_label("メモ").fill("番号 ４５６７ ８９０１ ２３４６ を確認した")  # a valid check digit
    page.reload()  # the draft comes back, without the number
    expect(page.get_by_label("メモ")).to_have_value("番号  を確認した")
    page.get_by_role("button", name="サインアウト").click()
    expect(page.locator(".k-flash")).to_contain_text("サインアウトしました")
    assert stored_drafts(page) == []  # signing out drops it
    open_form(page, idle_staff_server)
    page.get_by_label("メモ").fill("supporter の下書き")
    page.goto(idle_staff_server + "/staff/")
    page.evaluate("() => fetch('/staff/logout', {method: 'POST', headers: {'X-CSRFToken': "
                  "document.querySelector('meta[name=csrf-token]').content}})")  # signed out elsewhere
    assert len(stored_drafts(page)) == 1
    open_form(page, idle_staff_server, "supporter2")
    expect(page.get_by_label("メモ")).to_have_value("")  # someone else's draft stays closed
    expect(page.locator("[data-staff-draft-restored]")).to_be_empty()
