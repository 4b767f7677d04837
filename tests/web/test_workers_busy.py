"""Over the worker limit: a clear 503 "busy, try again" page for a sheet's PDF, a saved handoff
that says why it was not printed, and the read-aloud audio's 503; all work again once a slot is free."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from kiosk.workers import WorkerPool
from tests.fixtures import soup, text_of
from tests.web.test_handoffs import Kiosk


@contextmanager
def every_worker_slot_taken(app, slots: int = 2):
    """The app's pool swapped for a small one whose every slot holds a job that waits, as long
    sheets or texts would; the real pool is back afterwards."""
    real = app.extensions["kiosk_workers"]
    pool = app.extensions["kiosk_workers"] = WorkerPool(processes=0, queue_limit=slots)
    release = threading.Event()
    holders = [threading.Thread(target=pool.run, args=(release.wait, 10)) for _ in range(slots)]
    for holder in holders:
        holder.start()
    deadline = time.monotonic() + 5
    while pool.accepted < slots and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield pool
    finally:
        release.set()
        for holder in holders:
            holder.join()
        app.extensions["kiosk_workers"] = real


def test_a_sheet_over_the_worker_limit_gets_a_busy_page_and_then_its_pdf(staff_app, caplog):
    kiosk = Kiosk(staff_app)
    code = kiosk.handoff("phone").split("/handoff/")[1]
    url = f"/handoff/{code}.pdf?layout=a4"
    with every_worker_slot_taken(staff_app):
        response = kiosk.client.get(url)
        page = soup(response)
    assert response.status_code == 503 and response.headers["Retry-After"] == "3"
    assert response.mimetype == "text/html"
    [refusal] = [record for record in caplog.records if record.getMessage().startswith("workers busy")]
    assert "kiosk.handoff_pdf" in refusal.getMessage() and code not in caplog.text  # no handoff code logged
    if "X-Request-ID" in response.headers:  # the id a resident can quote, as on every error page
        assert response.headers["X-Request-ID"] in text_of(page.select_one("#request-id"))
    assert text_of(page.select_one("h1")) == "ただいま混み合っています"
    assert "もう一度お試しください" in text_of(page.select_one(".k-lead"))
    [retry] = [link for link in page.select("a.k-button") if text_of(link) == "もう一度試す"]
    assert retry["href"] == url
    again = kiosk.client.get(retry["href"])
    assert again.status_code == 200 and again.data.startswith(b"%PDF")


def test_the_busy_page_is_in_the_residents_language(staff_app):
    kiosk = Kiosk(staff_app)
    code = kiosk.handoff("phone").split("/handoff/")[1]
    kiosk.post("/language", lang="en")
    with every_worker_slot_taken(staff_app):
        response = kiosk.client.get(f"/handoff/{code}.pdf")
    assert response.status_code == 503
    heading = text_of(soup(response).select_one("h1"))
    assert heading and heading != "ただいま混み合っています"


def test_printing_while_busy_keeps_the_handoff_and_says_to_try_again(staff_app):
    kiosk = Kiosk(staff_app)
    with every_worker_slot_taken(staff_app):
        location = kiosk.handoff("print")
    assert "result=busy" in location
    page = soup(kiosk.client.get(location))
    assert text_of(page.select_one("h1")) == "印刷できませんでした"
    assert "混み合って" in text_of(page.select_one(".k-notice--warning[role=alert]"))
    assert page.select_one(".k-handoff-code")
