"""Every page: axe-core (WCAG 2.0/2.1/2.2 A and AA) reports nothing, and every interactive
element is at least 44 x 44 CSS px."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets
from tests.unit.test_content_loader import PRODUCT_IDS

PAGES = [
    "/", "/?lang=en", "/procedures", "/procedures?category=mynumber", "/seal-free",
    "/seal-free?page=2", "/seal-free?q=%E4%BD%8F%E6%B0%91%E7%A5%A8",
    "/seal-free?department=nowhere&online=maybe", "/seal-free?q=zzzzzz", "/patterns",
    "/no-such-page",
] + [f"/procedures/{pid}" for pid in PRODUCT_IDS]


@pytest.mark.parametrize("path", PAGES)
def test_page_is_accessible_and_touchable(live_server, page, axe, path):
    page.goto(live_server + path)
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)


@pytest.mark.parametrize("width,height", [(390, 844), (800, 1280)])
def test_small_screens_have_no_violations_either(live_server, browser, axe, width, height):
    context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": height})
    page = context.new_page()
    for path in ("/", "/seal-free", "/procedures/residence-certificate", "/patterns"):
        page.goto(live_server + path)
        assert_no_axe_violations(axe, page)
        assert_touch_targets(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    context.close()


def test_the_checks_themselves_catch_problems(page, axe):
    """Guard against a check that cannot fail: a deliberately broken page must fail both."""
    page.set_content('<html><body><img src="x.png"><button style="width:20px;height:20px">x</button>'
                     '<p style="color:#aaa">faint</p></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        assert_no_axe_violations(axe, page)
    with pytest.raises(AssertionError, match="20x20"):
        assert_touch_targets(page)
