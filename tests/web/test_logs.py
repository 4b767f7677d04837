"""The server log (kiosk/logs.py): one access line per request with its request id, the id on error
pages, nothing typed and no code or token; the events ward IT needs; level and JSON settings."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from kiosk import create_app
from kiosk.catalog import reload_catalog
from kiosk.handoff.printing import print_pdf
from kiosk.handoff.records import create_handoff
from kiosk.staff.accounts import Throttle, sign_in
from tests.conftest import PASSWORD, StaffClient, make_config
from tests.fixtures import soup

TEXT_LINE = re.compile(r"^\S+ INFO kiosk\.access \[([2-9A-Z]{8})\] (\S+) (\S+) (\d{3}) [\d.]+ms$")


class Captured:
    """The log as the app's own handler formats it, written to a string."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        kiosk_handler = next(h for h in logging.getLogger().handlers if getattr(h, "kiosk_handler", False))
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(kiosk_handler.formatter)
        for log_filter in kiosk_handler.filters:
            self.handler.addFilter(log_filter)
        logging.getLogger().addHandler(self.handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def access(self) -> list[tuple[str, ...]]:
        return [match.groups() for line in self.text.splitlines() if (match := TEXT_LINE.match(line))]

    def close(self) -> None:
        logging.getLogger().removeHandler(self.handler)


@pytest.fixture
def log():
    captured = None

    def start() -> Captured:
        nonlocal captured
        captured = Captured()
        return captured

    yield start
    if captured:
        captured.close()


def test_one_access_line_per_request_without_the_query_string(kiosk, log):
    captured = log()
    response = kiosk.get("/seal-free?q=住民票の相談&department=区民課")
    response.get_data()  # the line is written once the body is sent, as a server sends it
    kiosk.start().get_data()
    lines = captured.access()
    assert lines[0] == (response.headers["X-Request-ID"], "GET", "/seal-free", "200")
    assert lines[1][1:] == ("POST", "/start", "303")
    assert "住民票" not in captured.text and "%E4%BD%8F" not in captured.text  # nor percent-encoded


def test_typed_chat_text_never_reaches_the_log(kiosk, log):
    captured = log()
    kiosk.start().get_data()
    kiosk.post("/chat/say", {"text": "粗大ごみを出したい 田中です"}, htmx=True).get_data()
    assert ("POST", "/chat/say") in [line[1:3] for line in captured.access()]
    assert "田中" not in captured.text and "粗大ごみ" not in captured.text


def test_codes_and_tokens_in_paths_are_masked(staff_app, db, log):
    handoff = create_handoff(db, procedure_id="bulky-waste", channel_id=None, session_ref=None, readiness=None,
                             site_id=1, device_id=None, locale="ja", days=30)
    code = handoff["code"]
    staff = StaffClient(staff_app)
    staff.login("supporter")
    captured = log()
    client = staff_app.test_client()
    for response in (client.get(f"/h/{code}"), client.get(f"/h/{code[:3]}-{code[3:6]}-{code[6:]}?lang=en"),
                     client.get("/enroll/abcdefghijklmnop-secret-token"), staff.get(f"/staff/handoffs/{code}"),
                     staff.post(f"/staff/handoffs/{code}/note", {"note": "電話で確認した"})):
        response.get_data()
    paths = [line[2] for line in captured.access()]
    assert paths == ["/h/***", "/h/***", "/enroll/***", "/staff/handoffs/***", "/staff/handoffs/***/note"]
    for secret in (code, code[:3], "secret-token", "電話で確認"):
        assert secret not in captured.text


def test_error_pages_show_the_request_id_of_their_log_line(client, log, monkeypatch):
    captured = log()
    missing = client.get("/no-such-page")
    missing.get_data()
    request_id = missing.headers["X-Request-ID"]
    assert request_id in soup(missing).select_one("#request-id").get_text()
    assert (request_id, "GET", "/no-such-page", "404") in captured.access()

    from kiosk.views import public

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(public, "find_seal_free", broken)  # a bug in a view: a 500 with a traceback logged
    failed = client.get("/seal-free")
    failed.get_data()
    assert failed.status_code == 500
    request_id = failed.headers["X-Request-ID"]
    assert request_id in soup(failed).select_one("#request-id").get_text()
    assert f"ERROR kiosk [{request_id}] unhandled error" in captured.text  # the traceback carries the same id
    assert (request_id, "GET", "/seal-free", "500") in captured.access()


def test_a_proxys_request_id_is_kept_only_behind_a_proxy(tmp_path):
    offered = {"X-Request-ID": "proxy-1234.abc"}
    direct = create_app(make_config(tmp_path / "a")).test_client().get("/", headers=offered)
    assert direct.headers["X-Request-ID"] != "proxy-1234.abc"
    proxied = create_app(make_config(tmp_path / "b", PROXY_HOPS=1)).test_client()
    assert proxied.get("/", headers=offered).headers["X-Request-ID"] == "proxy-1234.abc"
    forged = proxied.get("/", headers={"X-Request-ID": "x Injected: <1> " + "a" * 80})
    assert re.fullmatch(r"[2-9A-Z]{8}", forged.headers["X-Request-ID"])


def test_json_lines_and_the_level_setting(tmp_path, log):
    app = create_app(make_config(tmp_path / "json", LOG_FORMAT="json"))
    captured = log()
    app.test_client().get("/patterns?secret=1").get_data()
    [entry] = [json.loads(line) for line in captured.text.splitlines() if '"kiosk.access"' in line]
    assert entry["method"] == "GET" and entry["path"] == "/patterns" and entry["status"] == 200
    assert re.fullmatch(r"[2-9A-Z]{8}", entry["request_id"]) and entry["level"] == "INFO"
    assert isinstance(entry["duration_ms"], float)
    captured.close()

    quiet = create_app(make_config(tmp_path / "quiet", LOG_LEVEL="warning"))
    captured = log()
    quiet.test_client().get("/patterns").get_data()
    assert "kiosk.access" not in captured.text


def test_sign_in_lockouts_are_logged_without_the_name_or_password(staff_app, db, log):
    captured = log()
    throttle = Throttle(max_failures=2, lock_minutes=15, max_address_failures=3)
    for _ in range(2):
        sign_in(db, "supporter", "wrong-guess-1", "192.0.2.7", "secret", throttle)
    assert re.search(r"WARNING kiosk\.staff\.accounts \[-\] sign-in locked: account \d+ after 2 wrong passwords, "
                     r"for 15 minutes", captured.text)
    for _ in range(2):  # the address's third failure, then its refusal
        sign_in(db, "coordinator", "wrong-guess-2", "192.0.2.7", "secret", throttle)
    assert "sign-in refused: address" in captured.text
    for secret in ("supporter", "coordinator", "wrong-guess", "192.0.2.7", PASSWORD):
        assert secret not in captured.text


def test_content_reloads_imports_and_print_failures_are_logged(ledger_app, db, log, tmp_path):
    from kiosk.catalog.ledger import import_ledger

    captured = log()
    reload_catalog(ledger_app)
    assert "INFO kiosk.catalog [-] content reloaded:" in captured.text
    import_ledger(db, "管理番号,手続名,所管課,根拠規定,押印の種類,見直し結果,見直し日,オンライン化\n".encode()
                  + "X-1,テスト手続,区民課,,認印,廃止,2024-04-01,済\n".encode())
    assert re.search(r"INFO kiosk\.catalog\.ledger \[-\] ledger imported \(UTF-8, by the command line\): "
                     r"1 rows read; 1 added", captured.text)
    result = print_pdf(b"%PDF-1.4", None)
    assert not result.ok
    assert "WARNING kiosk.handoff.printing [-] print failed on queue (none configured): no-printer" in captured.text

