"""A coordinator at the statistics dashboard, in real Chromium."""

from __future__ import annotations

import csv
import io
import subprocess

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets, sign_in


def test_coordinator_filters_and_downloads_the_csv(staff_server, browser, axe):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, staff_server, "coordinator")
    page.wait_for_url("**/staff/")
    page.get_by_role("link", name="統計").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("統計")
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)
    page.get_by_label("期間の種類", exact=True).select_option("fy")
    year = page.get_by_label("年度", exact=True).locator("option").first.get_attribute("value")
    page.get_by_label("年度", exact=True).select_option(year)
    page.get_by_label("拠点", exact=True).select_option(label="北出張所")
    page.get_by_role("button", name="表示する").click()
    expect(page.locator("p.k-body", has_text="期間:")).to_have_text(f"期間: {year}-04 〜 {int(year) + 1}-03")
    assert "site=1" in page.url
    assert_no_axe_violations(axe, page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="相談記録 CSV（Excel用 UTF-8）").click()
    body = download_info.value.path().read_bytes()
    assert body.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    expected = staff_server.rows(
        "select count(*) as n from consultations where deleted_at is null and site_id = 1 "
        "and strftime('%Y-%m', started_at, '+9 hours') between ? and ?", [f"{year}-04", f"{int(year) + 1}-03"])
    assert len(table) == expected[0]["n"]
    assert all(row["拠点番号"] == "1" and row["拠点"] == "北出張所" for row in table)
    # The monthly report is one click away, for the period and site shown.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="統計報告 PDF（この期間の月次報告用）").click()
    report = download_info.value.path()
    assert report.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(report), "-"], capture_output=True, text=True, check=True).stdout
    assert "統計報告" in text and "北出張所" in text and f"{year}-04" in text
    context.close()
