"""The out-of-order page and the staff's storage-problem page in Chromium: WCAG 2.2 AA (axe) and
44 px touch targets, on a real read-only disk behind a real waitress server; then the same server
serves the start screen again once the disk is writable."""

from __future__ import annotations

import threading

from playwright.sync_api import expect
from waitress.server import create_server

from kiosk import create_app
from kiosk.db import connect
from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets
from tests.conftest import PASSWORD, add_sites_and_staff, make_config
from tests.disks import remount, small_disk


def test_out_of_order_and_staff_problem_pages_are_accessible(tmp_path, browser, axe):
    with small_disk(tmp_path / "disk") as disk:
        app = create_app(make_config(tmp_path, DATABASE=str(disk / "kiosk.db")))
        db = connect(app.config["DATABASE"])
        add_sites_and_staff(db)
        db.conn.close()
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.effective_port}"
        kiosk = browser.new_context(locale="ja-JP", viewport={"width": 1080, "height": 1920}, has_touch=True)
        tablet = browser.new_context(locale="ja-JP", viewport={"width": 800, "height": 1280}, has_touch=True)
        try:
            staff_page = tablet.new_page()
            staff_page.goto(base + "/staff/login")  # opened while all was well
            page = kiosk.new_page()
            page.goto(base + "/")
            page.get_by_role("button", name="はじめる").click()
            page.wait_for_url("**/chat")
            page.wait_for_function("window.htmx !== undefined")
            remount(disk, "ro")
            try:
                # An htmx tap cannot be saved: the page reloads into the out-of-order page.
                page.get_by_role("button", name="証明書").click()
                expect(page.locator("h1")).to_have_text("ただいま、ご利用いただけません")
                assert page.url == base + "/chat"
                assert_no_axe_violations(axe, page)

                response = page.goto(base + "/?lang=en")
                assert response.status == 503
                assert page.locator("h1").inner_text() == "Not available at the moment"
                assert_no_axe_violations(axe, page)
                assert_touch_targets(page)

                staff_page.get_by_label("ユーザー名").fill("supporter")
                staff_page.get_by_label("パスワード").fill(PASSWORD)
                staff_page.get_by_role("button", name="サインイン").click()
                assert staff_page.locator("h1").inner_text() == "データベースが読み取り専用になっています"
                assert staff_page.locator("#storage-problem").inner_text().startswith("read_only: ")
                assert_no_axe_violations(axe, staff_page)
                assert_touch_targets(staff_page)
            finally:
                remount(disk, "rw")
            page.get_by_role("link", name="Back to the start").click()
            assert page.locator("h1").inner_text() != "Not available at the moment"
            assert page.url == base + "/"
        finally:
            kiosk.close()
            tablet.close()
            server.close()
            thread.join(timeout=5)
