"""An outreach tablet with no network, in real Chromium (its service worker, IndexedDB and WebCrypto)
against a real waitress server: sign in, go offline, reload, open a guide, log 20 consultations (one
with a valid 個人番号, refused in the browser), sync when the network is back; resends, a lost
answer, a record changed after it and a replay of the same request twice at once store nothing
twice."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from kiosk.db import connect
from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets, serve, sign_in
from tests.conftest import add_sites_and_staff
from tests.mynumber_cases import CASES

CHOICES = [("相談内容", "暗証番号"), ("所要時間（分）", "15"), ("年代", "85歳〜"), ("来所", "2回目以上"),
           ("使った端末", "使っていない"), ("結果", "窓口へ案内")]
MYNUMBER_NOTE = "個人番号 1234 5678 9018 を確認"  # 123456789018 has a valid check digit

# Test-side only: change a queued record's content under the same id, as a tablet that edited a
# record after a send whose answer it never got would (the page itself locks a sent record).
CHANGE_ONE_RECORD = """
async () => {
  const entries = await KioskStaffOffline.entries();
  const entry = entries.find(e => e.status === "sending");
  const kept = JSON.parse(sessionStorage.getItem("kiosk-staff-offline-key"));
  const raw = Uint8Array.from(atob(kept.key.replace(/-/g, "+").replace(/_/g, "/") + "==="
    .slice((kept.key.length + 3) % 4)), c => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const b64 = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
  const aad = new TextEncoder().encode(entry.id);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: b64(entry.iv), additionalData: aad }, key,
    b64(entry.data));
  const content = JSON.parse(new TextDecoder().decode(plain));
  content.fields = content.fields.map(([name, value]) => [name, name === "minutes" ? "60" : value]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key,
    new TextEncoder().encode(JSON.stringify(content)));
  const text = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  await KioskStaffOffline.putEntry({ ...entry, iv: text(iv), data: text(sealed) });
  return entry.id;
}
"""
REPLAY_TWICE_AT_ONCE = """
async (body) => {
  const session = await (await fetch("/staff/offline/session.json")).json();
  const send = () => fetch("/staff/offline/sync", { method: "POST", body,
    headers: { "Content-Type": "application/json", "X-CSRFToken": session.csrf } }).then(r => r.json());
  const answers = await Promise.all([send(), send()]);
  return answers.map(a => a.results.map(r => r.status));
}
"""


@pytest.fixture(scope="module")
def offline_server(tmp_path_factory):
    url, server, thread = serve(tmp_path_factory.mktemp("offline-tablets"))
    db = connect(url.app.config["DATABASE"])
    add_sites_and_staff(db)
    db.conn.close()
    yield url
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def outreach_tablet(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 800, "height": 1280}, has_touch=True)
    yield context, context.new_page()
    context.close()


def stored(server) -> int:
    return server.rows("select count(*) as n from consultations where deleted_at is null")[0]["n"]


def fill_consultation(page, note: str) -> None:
    for group, choice in CHOICES:
        page.get_by_role("group", name=group, exact=False).get_by_label(choice, exact=True).click()
    page.get_by_label("メモ").fill(note)


def test_the_browser_guard_gives_the_servers_answer_on_every_shared_case(page, offline_server):
    page.goto(offline_server + "/staff/login")
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    wrong = page.evaluate("""(cases) => cases.filter(c =>
        JSON.stringify(KioskPersonalData.findMyNumbers(c.text)) !== JSON.stringify(c.found)
        || KioskPersonalData.removeMyNumbers(c.text) !== c.removed).map(c => c.text)""", cases)
    assert wrong == []


def test_an_outreach_event_without_a_network(outreach_tablet, offline_server, axe):
    context, page = outreach_tablet
    sign_in(page, offline_server, "supporter")
    page.wait_for_url("**/staff/")
    page.goto(offline_server + "/staff/offline/")
    page.wait_for_selector("body[data-offline-kept='1']", timeout=30_000)

    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("出張先で使う")
    expect(page.locator("[data-offline-network]")).to_contain_text("通信できません")
    expect(page.locator("main")).to_contain_text("時点の内容です")
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)

    page.get_by_role("link", name="手続きの案内").first.click()
    page.get_by_role("link", name="転出届", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("転出届")
    expect(page.locator("main")).to_contain_text("時点の内容です")
    assert_no_axe_violations(axe, page)
    page.goto(offline_server + "/staff/offline/seal-free")
    expect(page.locator("#seal-free-rows tr").first).to_be_visible()
    assert_no_axe_violations(axe, page)

    page.goto(offline_server + "/staff/offline/new")
    queued = 0
    for n in range(20):
        refused = n == 7
        fill_consultation(page, MYNUMBER_NOTE if refused else f"出張相談 {n}")
        page.get_by_role("button", name="保存する").click()
        if refused:  # the browser's guard: nothing is kept, the form says why
            expect(page.locator(".k-error-summary")).to_contain_text("メモに個人番号")
            assert_no_axe_violations(axe, page)
            page.reload()
            continue
        queued += 1
        expect(page.locator("[data-offline-result]")).to_contain_text(f"送信待ち: {queued}件")
    assert queued == 19 and stored(offline_server) == 0
    page.goto(offline_server + "/staff/offline/")
    expect(page.locator("[data-offline-record][data-status=waiting]")).to_have_count(19)
    assert MYNUMBER_NOTE not in page.evaluate("async () => JSON.stringify(await KioskStaffOffline.entries())")

    # The network comes back, but the first answer is lost on the way: the server has stored
    # the records, the tablet does not know it and keeps them, locked.
    requests = []

    def lose_the_answer(route):
        requests.append(route.request.post_data)
        route.fetch()
        route.abort()
    context.route("**/staff/offline/sync", lose_the_answer)
    context.set_offline(False)
    page.get_by_role("button", name="今すぐ送る").click()
    expect(page.locator("[data-offline-sync-result]")).to_contain_text("送れませんでした")
    assert requests and stored(offline_server) == 19
    expect(page.locator("[data-offline-record][data-status=sending]")).to_have_count(19)
    expect(page.locator("[data-offline-record] button")).to_have_count(0)  # locked: not removable

    changed_id = page.evaluate(CHANGE_ONE_RECORD)
    context.unroute("**/staff/offline/sync")
    page.get_by_role("button", name="今すぐ送る").click()
    expect(page.locator("[data-offline-sync-result]")).to_contain_text("18件を送りました")
    flagged = page.locator("[data-offline-record]")
    expect(flagged).to_have_count(1)
    expect(flagged).to_have_attribute("data-status", "conflict")
    expect(flagged).to_have_attribute("data-offline-record", changed_id)
    expect(flagged).to_contain_text("二重に記録しない")
    assert stored(offline_server) == 19
    assert offline_server.rows("select count(*) as n from consultations where minutes = 60")[0]["n"] == 0
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)

    for _ in range(2):  # again and again
        page.get_by_role("button", name="今すぐ送る").click()
        expect(page.locator("[data-offline-sync-result]")).to_contain_text("0件を送りました")
    assert page.evaluate(REPLAY_TWICE_AT_ONCE, requests[0]) == [["already-stored"] * 19] * 2
    assert stored(offline_server) == 19
    assert offline_server.rows("select count(*) as n from tablet_submissions")[0]["n"] == 19

    # Signing out leaves nothing behind: no queue, no kept pages, no key.
    page.get_by_role("button", name="サインアウト").click()
    page.wait_for_url("**/staff/login")
    page.wait_for_function("async () => (await caches.keys()).length === 0", timeout=15_000)
    left = page.evaluate("""async () => ({
        caches: await caches.keys(), key: sessionStorage.getItem("kiosk-staff-offline-key"),
        records: (await indexedDB.databases()).map(d => d.name) })""")
    assert left == {"caches": [], "key": None, "records": []}


@pytest.fixture(scope="module")
def idle_offline_server(tmp_path_factory):
    url, server, thread = serve(tmp_path_factory.mktemp("offline-idle"), STAFF_IDLE_MINUTES=0.2)  # 12 s
    db = connect(url.app.config["DATABASE"])
    add_sites_and_staff(db)
    db.conn.close()
    yield url
    server.close()
    thread.join(timeout=5)


def test_the_idle_sign_out_applies_offline_and_the_queue_survives_it(outreach_tablet, idle_offline_server):
    context, page = outreach_tablet
    server = idle_offline_server
    sign_in(page, server, "supporter")
    page.wait_for_url("**/staff/")
    page.goto(server + "/staff/offline/")
    page.wait_for_selector("body[data-offline-kept='1']", timeout=30_000)
    context.set_offline(True)
    page.goto(server + "/staff/offline/new")
    fill_consultation(page, "出張相談 待ちのあいだ")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("[data-offline-result]")).to_contain_text("送信待ち: 1件")

    # Nobody touches the tablet: the screen signs out by itself, offline, to the kept sign-in page.
    page.wait_for_url("**/staff/login**", timeout=40_000)
    expect(page.get_by_label("ユーザー名")).to_be_visible()
    kept = page.evaluate("""async () => ({ key: sessionStorage.getItem("kiosk-staff-offline-key"),
        queue: JSON.stringify(await KioskStaffOffline.entries()) })""")
    assert kept["key"] is None and kept["queue"].count('"data"') == 1 and "待ちのあいだ" not in kept["queue"]
    assert stored(server) == 0

    # Back at the office: the same person signs in, and the queue is sent.
    context.set_offline(False)
    page.wait_for_load_state()
    page.goto(server + "/staff/login?next=/staff/offline/")
    page.get_by_label("ユーザー名").fill("supporter")
    from tests.conftest import PASSWORD
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.wait_for_url("**/staff/offline/")
    # Sent by the first signed-in page (the sign-in page too, if the server's session had not yet ended).
    expect(page.locator("[data-offline-count]")).to_have_text("送信待ちの記録はありません。", timeout=20_000)
    assert server.rows("select note from consultations") == [{"note": "出張相談 待ちのあいだ"}]
