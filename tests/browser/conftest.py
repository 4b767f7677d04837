"""Browser tests: Debian's Chromium driven by Playwright against a real waitress server.

`playwright install` cannot download browsers here, so Playwright launches the system Chromium
(KIOSK_TEST_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright
from waitress.server import create_server

from kiosk import create_app
from kiosk.catalog import get_catalog
from kiosk.catalog.ledger import import_ledger_file
from kiosk.db import connect
from tests.conftest import SAMPLE_LEDGER, make_config

CHROMIUM = os.environ.get("KIOSK_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# axe-core rule tags for WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class LiveServer(str):
    """The server's base URL, with the app behind it (for looking into its database)."""

    app = None

    def rows(self, sql: str, params=()) -> list[dict]:
        db = connect(self.app.config["DATABASE"])
        try:
            return list(db.query(sql, params))
        finally:
            db.conn.close()


def serve(tmp, **config):
    """A real waitress server on a free localhost port, with the sample ledger loaded."""
    app = create_app(make_config(tmp, **config))
    db = connect(app.config["DATABASE"])
    with app.app_context():
        import_ledger_file(db, SAMPLE_LEDGER, get_catalog().procedures)
    db.conn.close()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.effective_port}")
    url.app = app
    return url, server, thread


# Every text the browser tests type (recorded by the patched fill/type methods below): the server log
# must hold none of them.
TYPED_TEXTS: list[str] = []


def _recording(method, value_position: int):
    def typing(*args, **kwargs):
        if len(args) > value_position and isinstance(args[value_position], str):
            TYPED_TEXTS.append(args[value_position])
        return method(*args, **kwargs)
    return typing


@pytest.fixture(scope="session", autouse=True)
def record_typed_texts():
    from playwright.sync_api import Keyboard, Locator, Page

    patched = [(Locator, "fill", 1), (Locator, "type", 1), (Locator, "press_sequentially", 1),
               (Page, "fill", 2), (Page, "type", 2), (Keyboard, "type", 1), (Keyboard, "insert_text", 1)]
    originals = [(cls, name, getattr(cls, name)) for cls, name, _ in patched]
    for cls, name, position in patched:
        setattr(cls, name, _recording(getattr(cls, name), position))
    yield TYPED_TEXTS
    for cls, name, method in originals:
        setattr(cls, name, method)


@pytest.fixture(scope="session")
def server_log(tmp_path_factory):
    """The live servers' log as the app writes it (kiosk.logs' format), in a file of its own."""
    import logging

    from kiosk.logs import TextFormatter, add_request_ids

    path = tmp_path_factory.mktemp("log") / "server.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(TextFormatter())
    add_request_ids(handler)
    # What the servers' own threads log (the rest of the suite runs in the main thread meanwhile).
    handler.addFilter(lambda record: record.threadName.startswith("waitress"))
    logging.getLogger().addHandler(handler)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, server_log, record_typed_texts):
    url, server, thread = serve(tmp_path_factory.mktemp("live"))
    yield url
    server.close()
    thread.join(timeout=5)
    # After every browser test: access lines with request ids, and none of what the tests typed or
    # the handoff codes and notes they made.
    from tests.browser.server_log import assert_log_keeps_nothing_typed

    assert_log_keeps_nothing_typed(server_log, url, record_typed_texts)


@pytest.fixture(scope="module")
def short_idle_server(tmp_path_factory):
    """Idle warning after 2 s, wiped 3 s later: for watching the timeout happen."""
    url, server, thread = serve(tmp_path_factory.mktemp("idle"), IDLE_SECONDS=2, IDLE_WARNING_SECONDS=3)
    yield url
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def kiosk_page(browser):
    """A 21.5-inch portrait kiosk screen (1080 x 1920), touch enabled."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    return Axe()


def assert_no_axe_violations(axe: Axe, page) -> None:
    # The page as it settles, not mid-reflow: loaded, with its own fonts in (they change how
    # lines wrap and so how close the small language links stand).
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in violations)
    assert violations == [], f"{page.url}\n{report}"


TARGET_SIZE_SCRIPT = """
(minimum) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[role=button], [tabindex]:not([tabindex="-1"])';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;  // not rendered
    if (rect.width < minimum || rect.height < minimum) {
      const label = (el.textContent || el.name || '').trim().slice(0, 30);
      small.push(`${el.tagName.toLowerCase()} "${label}" ${Math.round(rect.width)}x${Math.round(rect.height)}`);
    }
  }
  return small;
}
"""


def assert_touch_targets(page, minimum: int = 44) -> None:
    small = page.evaluate(TARGET_SIZE_SCRIPT, minimum)
    assert small == [], f"{page.url}: interactive elements smaller than {minimum}x{minimum}: {small}"


# The kiosk's main actions: quick replies, large buttons, keys, and the always-there controls.
MAIN_ACTIONS = ".k-chip--reply, .k-button--xl, .k-button--hero, .k-key, .k-ask__send, .k-controls .k-button"


def assert_main_actions_large(page, minimum: int = 80) -> None:
    """The product's ≈ 80 px (≈ 20 mm) for the kiosk's main actions."""
    heights = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
             .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
             .map(el => [el.textContent.trim().slice(0, 20), el.getBoundingClientRect().height])""",
        MAIN_ACTIONS)
    assert heights, f"{page.url}: no main actions found"
    small = [(text, round(height)) for text, height in heights if height < minimum]
    assert small == [], f"{page.url}: main actions lower than {minimum}px: {small}"


@pytest.fixture(scope="session")
def staff_server(live_server):
    """The live server with two sites and one account per role (password tests.conftest.PASSWORD)."""
    from tests.conftest import add_sites_and_staff

    db = connect(live_server.app.config["DATABASE"])
    if not db.table("users").count:
        add_sites_and_staff(db)
    db.conn.close()
    return live_server


@pytest.fixture
def tablet(browser):
    """A 10-inch tablet in portrait, touch enabled."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 800, "height": 1280}, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base: str, username: str, password: str | None = None) -> None:
    from tests.conftest import PASSWORD

    page.goto(base + "/staff/login")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password or PASSWORD)
    page.get_by_role("button", name="サインイン").click()
