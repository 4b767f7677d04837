"""The 「ただいま混み合っています」 page (every worker slot taken) in Chromium: WCAG 2.2 AA (axe), 44 px
touch targets, in Japanese and English, from a real waitress server; 「もう一度試す」 then gets the
sheet once a slot is free."""

from __future__ import annotations

import threading
import time

from waitress.server import create_server

from kiosk import create_app
from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets
from tests.conftest import make_config


def test_the_busy_page_is_accessible_and_try_again_works(tmp_path, browser, axe):
    app = create_app(make_config(tmp_path, WORKER_PROCESSES=0, WORKER_QUEUE_LIMIT=1))
    pool = app.extensions["kiosk_workers"]
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    context = browser.new_context(locale="ja-JP", viewport={"width": 1080, "height": 1920}, has_touch=True)
    release = threading.Event()
    holder = threading.Thread(target=pool.run, args=(release.wait, 30))  # a long sheet being laid out
    try:
        page = context.new_page()
        page.goto(base + "/")
        page.get_by_role("button", name="はじめる").click()
        page.wait_for_url("**/chat")
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        page.request.post(base + "/chat/procedure", form={"csrf_token": token, "procedure": "residence-certificate"})
        made = page.request.post(base + "/handoff", max_redirects=0, form={
            "csrf_token": token, "procedure": "residence-certificate", "channel": "convenience-store",
            "action": "phone"})
        sheet = made.headers["location"] + ".pdf?layout=a4"
        holder.start()
        deadline = time.monotonic() + 5
        while pool.accepted < 1 and time.monotonic() < deadline:
            time.sleep(0.01)

        response = page.goto(base + sheet)
        assert response.status == 503 and response.headers["retry-after"] == "3"
        assert page.locator("h1").inner_text() == "ただいま混み合っています"
        assert_no_axe_violations(axe, page)
        assert_touch_targets(page)

        page.request.post(base + "/language", form={"csrf_token": token, "lang": "en"}, max_redirects=0)
        page.goto(base + sheet)
        assert page.locator("h1").inner_text() == "Busy right now"
        assert_no_axe_violations(axe, page)
        assert_touch_targets(page)

        release.set()
        holder.join()
        retry = page.get_by_role("link", name="Try again")
        assert retry.get_attribute("href") == sheet
        again = page.request.get(base + sheet)
        assert again.status == 200 and again.body().startswith(b"%PDF")
    finally:
        release.set()
        context.close()
        server.close()
        thread.join(timeout=5)
