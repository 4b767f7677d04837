"""The public seal-free list: filters, htmx partials, bad filter values."""

from __future__ import annotations

import pytest

from tests.fixtures import soup, text_of


@pytest.fixture
def client(ledger_app):
    return ledger_app.test_client()


def count_in(page) -> int:
    return int("".join(ch for ch in text_of(page.select_one(".k-result-count")) if ch.isdigit()))


def test_full_page_lists_seal_free_procedures(client, db):
    page = soup(client.get("/seal-free"))
    expected = next(db.query("select count(*) n from ledger_entries "
                             "where review_result in ('abolished', 'never-required')"))["n"]
    assert count_in(page) == expected
    rows = page.select(".k-table tbody tr")
    assert len(rows) == min(50, expected)
    assert page.select_one("form.k-filters[method=get][hx-get]")


def test_filters_narrow_the_list(client, db):
    department = next(db.query(
        "select department from ledger_entries where online = 'online' and review_result = 'abolished' "
        "group by department order by count(*) desc limit 1"))["department"]
    page = soup(client.get("/seal-free", query_string={"department": department, "online": "online",
                                                      "result": "abolished"}))
    expected = next(db.query("select count(*) n from ledger_entries where department = ? and online = 'online' "
                             "and review_result = 'abolished'", [department]))["n"]
    assert count_in(page) == expected
    assert all(text_of(r.select("td")[1]) == department for r in page.select(".k-table tbody tr"))


def test_search_matches_names(client):
    page = soup(client.get("/seal-free", query_string={"q": "住民票"}))
    names = [text_of(r.select_one("td")) for r in page.select(".k-table tbody tr")]
    assert names and any("住民票" in n for n in names)
    link = page.select_one('.k-table a[href="/procedures/residence-certificate"]')
    assert link is not None


def test_htmx_request_gets_only_the_results(client):
    response = client.get("/seal-free", query_string={"q": "住民票"}, headers={"HX-Request": "true"})
    page = soup(response)
    assert page.find("html") is None and page.find("form") is None
    assert page.select_one(".k-result-count") and page.select_one(".k-table")
    assert "HX-Request" in response.headers["Vary"]


def test_no_results_says_so(client):
    page = soup(client.get("/seal-free", query_string={"q": "存在しない手続きの名前"}))
    assert count_in(page) == 0
    assert "見つかりませんでした" in text_of(page.select_one(".k-notice"))


def test_unknown_filter_values_are_explained_not_500(client):
    response = client.get("/seal-free", query_string={"department": "宇宙課", "online": "maybe",
                                                     "result": "kept", "page": "abc"})
    assert response.status_code == 200
    page = soup(response)
    errors = [text_of(e) for e in page.select(".k-field__error")]
    assert len(errors) == 3
    assert page.select_one("#f-department")["aria-invalid"] == "true"


def test_pagination_links_keep_filters(client):
    page = soup(client.get("/seal-free", query_string={"online": "offline"}))
    next_link = page.select_one('.k-pagination a[rel="next"]')
    assert "online=offline" in next_link["href"] and "page=2" in next_link["href"]
    assert next_link["hx-get"] == next_link["href"]
    second = soup(client.get(next_link["href"]))
    assert "2 /" in text_of(second.select_one(".k-pagination__status"))
    # A page past the end shows the last page rather than an error.
    assert client.get("/seal-free?page=9999").status_code == 200


def test_kana_finds_kanji_names(client):
    kanji = soup(client.get("/seal-free", query_string={"q": "住民票"}))
    kana = soup(client.get("/seal-free", query_string={"q": "じゅうみんひょう"}))
    names = [text_of(r.select_one("td")) for r in kana.select(".k-table tbody tr")]
    assert names and all("住民票" in n for n in names)
    assert count_in(kana) >= 1 and count_in(kana) <= count_in(kanji)
