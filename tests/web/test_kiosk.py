"""The kiosk through the Flask test client: every turn as a full page and as an htmx request."""

from __future__ import annotations

import datetime as dt

from kiosk.admin.devices import create_enrollment_token
from kiosk.db import connect
from tests.fixtures import query_rows, soup, text_of

rows = query_rows


def test_start_screen_offers_start_and_languages(client):
    page = soup(client.get("/"))
    assert text_of(page.select_one("h1")) == "画面にさわってください"
    start = page.select_one('form[action="/start"] button[type=submit]')
    assert text_of(start) == "はじめる" and "k-button--hero" in start["class"]
    languages = page.select('.k-attract__languages button[name="lang"]')
    assert [(b["value"], b["lang"], text_of(b)) for b in languages] == [
        ("ja", "ja", "日本語"), ("ja@easy", "ja", "やさしい にほんご"), ("en", "en", "English"),
        ("zh_Hans", "zh-Hans", "简体中文"), ("ko", "ko", "한국어"), ("vi", "vi", "Tiếng Việt"),
        ("ne", "ne", "नेपाली"), ("tl", "tl", "Tagalog"), ("pt_BR", "pt-BR", "Português (Brasil)")]


def test_start_creates_a_server_side_session_and_records_events(kiosk):
    response = kiosk.start("en")
    cookie = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("kiosk_session=") and "HttpOnly" in c for c in cookie)
    [session] = rows(kiosk.app, "select * from kiosk_sessions")
    assert session["device_id"] is None and session["site_id"] is None  # unassigned kiosk works
    events = rows(kiosk.app, "select event, detail from kiosk_events order by id")
    assert events == [{"event": "session_started", "detail": None}, {"event": "language_chosen", "detail": "en"}]
    page = soup(kiosk.get("/chat"))
    assert page.html["lang"] == "en"
    assert text_of(page.select_one("#thread .k-bubble")) .startswith("Guide: Hello.")


def test_chat_without_a_session_goes_back_to_the_start(client):
    response = client.get("/chat")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_full_page_turns_redirect_and_render_the_thread(kiosk):
    kiosk.start()
    response = kiosk.post("/chat/category", {"category": "certificates"})
    assert response.status_code == 303 and response.headers["Location"] == "/chat#latest"
    page = soup(kiosk.get("/chat"))
    bubbles = page.select("#thread .k-bubble")
    assert [b["class"][1] for b in bubbles] == ["k-bubble--assistant", "k-bubble--resident", "k-bubble--assistant"]
    assert bubbles[-1]["id"] == "latest"
    choices = [text_of(b) for b in page.select('#replies form[action="/chat/procedure"] button')]
    assert "住民票の写しの交付" in choices and "印鑑登録証明書の交付" in choices


def test_htmx_turn_returns_only_new_bubbles_and_replies(kiosk):
    kiosk.start()
    response = kiosk.post("/chat/category", {"category": "moving"}, htmx=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    page = soup(response)
    assert page.find("html") is None
    assert len(page.select(".k-bubble")) == 2
    replies = page.select_one('#replies[hx-swap-oob="true"]')
    assert {text_of(b) for b in replies.select("button[name=procedure]")} == {"転出届", "転入届", "転居届"}


def test_the_readiness_questions_then_the_convenience_store_steps(kiosk):
    kiosk.start()
    kiosk.post("/chat/category", {"category": "certificates"}, htmx=True)
    kiosk.post("/chat/procedure", {"procedure": "residence-certificate"}, htmx=True)
    for _ in range(4):  # card, card valid, certificate valid, PIN
        page = soup(kiosk.post("/chat/answer", {"answer": "yes"}, htmx=True))
    assert "コンビニで手続きする前に" in text_of(page) and "15歳以上" in text_of(page)
    page = soup(kiosk.post("/chat/readiness", {"answer": "yes"}, htmx=True))
    link = page.select_one('a.k-button--xl[href="/guide/residence-certificate/convenience-store/1"]')
    assert link is not None and "手順を見る" in text_of(link)
    step = soup(kiosk.get(link["href"]))
    assert text_of(step.select_one(".k-steps__count")) == "1 / 4"
    assert step.select_one('.k-steps [aria-current="step"]')
    assert "押印は不要です" in text_of(step.select_one(".k-seal"))
    events = [r["event"] for r in rows(kiosk.app, "select event from kiosk_events order by id")]
    assert events[-3:] == ["procedure_chosen", "channel_recommended", "step_reached"]


def test_step_pages_walk_to_the_end(kiosk):
    kiosk.start()
    base = "/guide/residence-certificate/counter"
    last = soup(kiosk.get(f"{base}/3"))
    assert text_of(last.select_one(".k-steps__count")) == "3 / 3"
    assert last.select_one(f'a[href="{base}/done"]')
    assert soup(kiosk.get(f"{base}/2")).select_one(f'a[href="{base}/3"]')
    done = soup(kiosk.get(f"{base}/done"))
    assert text_of(done.select_one("h1")) == "案内はここまでです"
    assert rows(kiosk.app, "select event from kiosk_events where event = 'finished'")
    for bad in (f"{base}/0", f"{base}/4", "/guide/residence-certificate/fax/1", "/guide/nope/counter/1"):
        assert kiosk.get(bad).status_code == 404, bad


def test_free_text_confident_leads_into_the_procedure(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/say", {"text": "じゅうみんひょう"}, htmx=True))
    texts = [text_of(b) for b in page.select(".k-bubble")]
    assert texts[0].endswith("じゅうみんひょう")
    assert "「住民票の写しの交付」のことですね。" in texts[1]
    assert "マイナンバーカードをお持ちですか？" in texts[-1]
    assert {text_of(b) for b in page.select("#replies button[name=answer]")} == {"はい", "いいえ", "わからない"}


def test_free_text_unsure_offers_at_most_three_and_staff(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/say", {"text": "引っ越します"}, htmx=True))
    assert "はっきりとはわかりませんでした" in text_of(page.select(".k-bubble")[-1])
    offered = page.select("#replies button[name=procedure]")
    assert 1 <= len(offered) <= 3
    assert {b["value"] for b in offered} == {"moving-in", "moving-out", "moving-within"}


def test_out_of_scope_says_so_and_states_nothing(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/say", {"text": "今日の天気"}, htmx=True))
    last = text_of(page.select(".k-bubble")[-1])
    assert "見つかりませんでした" in last and "職員" in last
    assert page.select("#replies button[name=procedure]") == []


def test_typed_text_is_not_in_the_events(kiosk):
    kiosk.start()
    kiosk.post("/chat/say", {"text": "住民票がほしい 山田太郎"}, htmx=True)
    for row in rows(kiosk.app, "select * from kiosk_events"):
        assert not any(isinstance(v, str) and ("山田" in v or "住民票" in v) for v in row.values()), row


def test_a_ledger_entry_without_a_guide_answers_the_seal_question(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/say", {"text": "道路占用許可"}, htmx=True))
    buttons = page.select("#replies button[name=key]")
    if buttons:  # not confident: the resident picks the entry
        page = soup(kiosk.post("/chat/ledger", {"key": buttons[0]["value"]}, htmx=True))
    answer = text_of(page.select(".k-bubble")[-1])
    assert "道路占用" in answer and "押印" in answer and "職員におたずねください" in answer


def test_readiness_check_then_a_fallback(kiosk):
    kiosk.start()
    kiosk.post("/chat/procedure", {"procedure": "public-benefit-account"}, htmx=True)
    for _ in range(3):
        page = soup(kiosk.post("/chat/answer", {"answer": "yes"}, htmx=True))
    assert "準備ができているか確認します" in text_of(page)
    assert page.select_one('#replies form[action="/chat/readiness"]')
    page = soup(kiosk.post("/chat/readiness", {"answer": "no"}, htmx=True))
    assert "有効期限が切れたカードは、オンラインでもコンビニでも使えません。" in text_of(page)
    reasons = rows(kiosk.app, "select detail from kiosk_events where event = 'readiness_failed'")
    assert reasons == [{"detail": "card-expired"}]
    # What to do first: a new card, one tap away.
    assert [text_of(b) for b in page.select('#replies button[name="procedure"]')] == ["マイナンバーカードの交付申請"]


def test_a_stale_or_forged_turn_is_refused_without_a_500(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/answer", {"answer": "yes"}, htmx=True))
    assert "いまは使えません" in text_of(page)
    response = kiosk.post("/chat/procedure", {"procedure": "<script>"})
    assert response.status_code == 303
    assert "いまは使えません" in text_of(soup(kiosk.get("/chat")).select_one("#help-status"))
    assert kiosk.post("/chat/say", {"text": "   "}).status_code == 303


def test_missing_csrf_token_is_a_400_with_a_message(ledger_app):
    client = ledger_app.test_client()
    response = client.post("/start", data={"lang": "ja"})
    assert response.status_code == 400
    assert "有効期限が切れました" in text_of(soup(response).select_one("h1"))


def test_call_staff_records_a_help_request(kiosk):
    kiosk.start()
    kiosk.post("/chat/procedure", {"procedure": "moving-in"}, htmx=True)
    response = kiosk.post("/help", htmx=True)
    assert "職員を呼びました" in text_of(soup(response))
    [request] = rows(kiosk.app, "select * from help_requests")
    assert request["procedure_id"] == "moving-in" and request["status"] == "open"
    assert request["created_at"]
    assert rows(kiosk.app, "select procedure_id from kiosk_events where event = 'staff_called'") == [
        {"procedure_id": "moving-in"}]
    plain = kiosk.post("/help", {"next": "/guide/moving-in/counter-card/1"})
    assert plain.status_code == 303 and plain.headers["Location"] == "/guide/moving-in/counter-card/1"
    assert kiosk.post("/help", {"next": "https://example.com/"}).headers["Location"] == "/chat"


def test_reset_wipes_the_session_and_clears_site_data(kiosk):
    kiosk.start()
    kiosk.post("/chat/say", {"text": "住民票"}, htmx=True)
    response = kiosk.post("/reset")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert any(c.startswith("kiosk_session=;") for c in response.headers.getlist("Set-Cookie"))
    assert rows(kiosk.app, "select * from kiosk_sessions") == []
    assert kiosk.get("/chat").status_code == 302
    assert [r["event"] for r in rows(kiosk.app, "select event from kiosk_events where event in "
                                     "('restarted', 'timed_out')")] == ["restarted"]


def test_timeout_is_recorded_as_such(kiosk):
    kiosk.start()
    kiosk.post("/reset", {"reason": "timeout"})
    assert rows(kiosk.app, "select event from kiosk_events where event = 'timed_out'")


def test_an_abandoned_session_expires_on_the_server(kiosk):
    kiosk.start()
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(timespec="seconds")
    db = connect(kiosk.app.config["DATABASE"])
    db.execute("update kiosk_sessions set updated_at = ?", [old])
    db.conn.commit()
    db.conn.close()
    assert kiosk.get("/chat").status_code == 302
    assert rows(kiosk.app, "select * from kiosk_sessions") == []


def test_text_size_is_kept_for_the_session(kiosk):
    kiosk.start()
    response = kiosk.post("/text-size", {"size": "3", "next": "/chat"})
    assert response.status_code == 303
    page = soup(kiosk.get("/chat"))
    assert "k-text-3" in page.html["class"]
    assert page.select_one('.k-textsize__button[value="3"]')["aria-pressed"] == "true"
    assert kiosk.post("/text-size", {"size": "9"}).status_code == 400
    assert kiosk.post("/text-size", {"size": "big"}).status_code == 400


def test_idle_timeout_settings_reach_the_page(kiosk):
    kiosk.start()
    page = soup(kiosk.get("/chat"))
    assert page.body["data-idle-seconds"] == "120" and page.body["data-idle-warning-seconds"] == "30"
    dialog = page.select_one("dialog#idle-dialog")
    assert "30" in text_of(dialog) and dialog.select_one("button[data-idle-continue]")
    assert page.select_one('form#timeout-form input[name="reason"][value="timeout"]')


def test_enrollment_binds_the_kiosk_to_its_site(kiosk):
    db = connect(kiosk.app.config["DATABASE"])
    site = db.table("sites").insert({"name": "北出張所", "kind": "branch", "created_at": "2026-01-01"}).last_pk
    device = db.table("devices").insert({"name": "キオスク1", "kind": "kiosk", "site_id": site,
                                         "created_at": "2026-01-01"}).last_pk
    token = create_enrollment_token(db, device)
    db.conn.commit()
    db.conn.close()
    preview = kiosk.get(f"/enroll/{token}")  # opening the link (or a link preview) only asks
    assert preview.status_code == 200 and "登録しますか" in text_of(soup(preview))
    assert not any(c.startswith("kiosk_device=") for c in preview.headers.getlist("Set-Cookie"))
    response = kiosk.post(f"/enroll/{token}")
    assert response.status_code == 200
    assert "キオスク1" in text_of(soup(response).select_one(".k-notice"))
    assert any(c.startswith("kiosk_device=") for c in response.headers.getlist("Set-Cookie"))
    assert kiosk.get(f"/enroll/{token}").status_code == 404  # one time only
    assert kiosk.post(f"/enroll/{token}").status_code == 404
    kiosk.start()
    kiosk.post("/help")
    [request] = rows(kiosk.app, "select site_id, device_id from help_requests")
    assert request == {"site_id": site, "device_id": device}
    assert {r["site_id"] for r in rows(kiosk.app, "select site_id from kiosk_events")} == {site}


def test_an_enrollment_link_expires(kiosk):
    db = connect(kiosk.app.config["DATABASE"])
    device = db.table("devices").insert({"name": "古いキオスク", "kind": "kiosk", "created_at": "2026-01-01"}).last_pk
    token = create_enrollment_token(db, device)
    db.execute("update devices set enrollment_expires_at = '2020-01-01T00:00:00+00:00'")
    db.conn.commit()
    db.conn.close()
    assert kiosk.get(f"/enroll/{token}").status_code == 404
    assert kiosk.post(f"/enroll/{token}").status_code == 404


def test_a_content_reload_does_not_break_a_running_conversation(tmp_path, content_copy):
    from click.testing import CliRunner

    from kiosk import create_app
    from kiosk.cli import main
    from tests.conftest import make_config

    app = create_app(make_config(tmp_path, CONTENT_DIR=str(content_copy), CONTENT_RELOAD_CHECK_SECONDS=0))
    client = app.test_client()
    token = soup(client.get("/")).select_one('meta[name="csrf-token"]')["content"]
    client.post("/start", data={"csrf_token": token, "lang": "ja"})
    client.post("/chat/category", data={"csrf_token": token, "category": "certificates"})
    client.post("/chat/procedure", data={"csrf_token": token, "procedure": "residence-certificate"})
    client.post("/chat/answer", data={"csrf_token": token, "answer": "yes"})
    (content_copy / "procedures" / "residence-certificate.yaml").unlink()
    events = content_copy / "life_events.yaml"  # a removed procedure leaves the life events' checklists too
    events.write_text(events.read_text(encoding="utf-8").replace("      - residence-certificate\n", ""),
                      encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["content", "reload"], env={"KIOSK_DATABASE": app.config["DATABASE"],
                                                            "KIOSK_CONTENT_DIR": str(content_copy),
                                                            "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.exit_code == 0, result.output
    page = soup(client.get("/chat"))
    assert "案内の内容が新しくなりました" in text_of(page.select(".k-bubble")[-1])
    assert page.select('#replies button[name="category"]')  # back at the menu
    assert client.post("/chat/answer", data={"csrf_token": token, "answer": "yes"}).status_code == 303


def test_a_double_tap_counts_once(kiosk):
    kiosk.start()
    kiosk.post("/chat/procedure", {"procedure": "residence-certificate", "turn": "0"}, htmx=True)
    first = soup(kiosk.post("/chat/answer", {"answer": "yes", "turn": "1"}, htmx=True))
    second = soup(kiosk.post("/chat/answer", {"answer": "yes", "turn": "1"}, htmx=True))
    assert "有効期限内ですか" in text_of(first.select(".k-bubble")[-1])  # the next question
    assert "いまは使えません" in text_of(second.select(".k-bubble")[-1])
    answers = [e for e in rows(kiosk.app, "select state from kiosk_sessions")[0]["state"].split('"kind": "answer"')]
    assert len(answers) == 2  # one answer bubble in the stored thread


def test_unsafe_next_targets_are_ignored(kiosk):
    kiosk.start()
    for target in ("//evil.example/", "/\t/evil.example", "https://evil.example/", "/\\evil.example"):
        response = kiosk.post("/text-size", {"size": "2", "next": target})
        assert response.headers["Location"] == "/chat", target


def test_help_cannot_be_flooded(kiosk, ledger_app):
    anonymous = ledger_app.test_client()
    token = soup(anonymous.get("/")).select_one('meta[name="csrf-token"]')["content"]
    response = anonymous.post("/help", data={"csrf_token": token})
    assert response.status_code == 303
    assert rows(kiosk.app, "select count(*) n from help_requests")[0]["n"] == 0
    kiosk.start()
    for _ in range(5):
        kiosk.post("/help", htmx=True)
    assert rows(kiosk.app, "select count(*) n from help_requests")[0]["n"] == 1


def test_the_call_status_says_when_a_supporter_claimed_it(kiosk):
    kiosk.start()
    assert text_of(soup(kiosk.get("/help/status", headers={"HX-Request": "true"}))) == ""
    kiosk.post("/help", htmx=True)
    waiting = soup(kiosk.get("/help/status", headers={"HX-Request": "true"}))
    assert "職員を呼びました" in text_of(waiting)
    poll = waiting.select_one("[data-help-poll]")
    assert poll["hx-get"] == "/help/status?was=open" and poll["hx-trigger"] == "every 3s"
    assert kiosk.get(poll["hx-get"], headers={"HX-Request": "true"}).status_code == 204  # unchanged
    db = connect(kiosk.app.config["DATABASE"])
    with db.conn:
        db.execute("update help_requests set status = 'claimed'")
    claimed = soup(kiosk.get(poll["hx-get"], headers={"HX-Request": "true"}))
    assert "職員が向かっています" in text_of(claimed)
    # Every kiosk screen shows it until the call is resolved.
    assert "職員が向かっています" in text_of(soup(kiosk.get("/chat")).select_one("#help-status"))
    with db.conn:
        db.execute("update help_requests set status = 'resolved'")
    db.conn.close()
    done = soup(kiosk.get("/help/status?was=claimed", headers={"HX-Request": "true"}))
    assert text_of(done) == "" and done.select_one("[data-help-poll]") is None  # and the polling stops


def test_past_the_unassigned_call_limit_no_one_is_told_staff_are_coming(kiosk):
    from kiosk.resident.help_requests import MAX_UNASSIGNED_CALLS

    db = connect(kiosk.app.config["DATABASE"])
    with db.conn:
        for n in range(MAX_UNASSIGNED_CALLS):
            db.table("help_requests").insert({"status": "open", "created_at": "2026-12-03T00:00:00+00:00",
                                              "session_ref": f"other-{n}"})
    db.conn.close()
    kiosk.start()
    page = soup(kiosk.post("/help", htmx=True))
    assert "この端末から職員を呼べません" in text_of(page) and "呼んでいます" not in text_of(page)
    assert page.select_one("[data-help-poll]") is None
    assert rows(kiosk.app, "select count(*) n from help_requests")[0]["n"] == MAX_UNASSIGNED_CALLS


def test_one_handoff_code_per_guide_and_a_sheet_preview_without_a_pdf(kiosk):
    kiosk.start()
    kiosk.post("/chat/procedure", {"procedure": "residence-certificate"}, htmx=True)
    first = kiosk.post("/handoff", {"procedure": "residence-certificate", "channel": "counter", "action": "phone"})
    again = kiosk.post("/handoff", {"procedure": "residence-certificate", "channel": "counter", "action": "phone"})
    assert first.headers["Location"] == again.headers["Location"]
    assert rows(kiosk.app, "select count(*) n from handoffs")[0]["n"] == 1
    page = soup(kiosk.get(first.headers["Location"]))
    assert not [a["href"] for a in page.select("a[href]") if ".pdf" in a["href"] or "://" in a["href"]]
    preview = page.select_one('a[href$="/sheet"]')
    sheet = soup(kiosk.get(preview["href"]))
    assert text_of(sheet.select_one("h1")) == "案内シートの見本"
    assert text_of(page.select_one(".k-handoff-code")) in text_of(sheet.select_one(".k-sheet"))
    assert sheet.select_one("#reset-form") and sheet.body.get("data-idle-seconds")
