"""/procedures.json and /seal-free.json (kiosk/open_data.py): what they hold, what they refuse, and
docs/api.md naming exactly their fields."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

API_DOC = ROOT / "docs" / "api.md"


def documented_fields(marker: str) -> set[str]:
    text = API_DOC.read_text(encoding="utf-8")
    table = text.split(f"<!-- {marker} fields -->", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", table, re.M))


def field_paths(value, prefix: str = "") -> set[str]:
    paths = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path} | field_paths(inner, path)
    elif isinstance(value, list):
        for item in value:
            paths |= field_paths(item, prefix + "[]")
    return paths


def test_procedures_json_lists_every_guide_with_its_seal_and_channels(client):
    response = client.get("/procedures.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "住民票" in response.get_data(as_text=True)  # text, not \u escapes
    document = response.get_json()
    ids = [proc["id"] for proc in document["procedures"]]
    assert "residence-certificate" in ids and len(ids) == len(set(ids)) >= 35
    residence = next(proc for proc in document["procedures"] if proc["id"] == "residence-certificate")
    assert residence["title"] == "住民票の写しの交付"
    assert residence["seal"]["status"] in ("abolished", "not-required", "optional", "required")
    assert residence["channels"] and all(channel["steps"] for channel in residence["channels"])
    assert residence["url"].endswith("/procedures/residence-certificate?lang=ja")
    assert document["language"] == "ja" and document["api_version"] == 1


def test_procedures_json_in_english_and_a_bad_language_refused(client):
    english = client.get("/procedures.json?lang=en").get_json()
    residence = next(proc for proc in english["procedures"] if proc["id"] == "residence-certificate")
    assert english["language"] == "en" and residence["title"] != "住民票の写しの交付"
    refused = client.get("/procedures.json?lang=fr")
    assert refused.status_code == 400
    assert "lang" in refused.get_json()["problems"]


def test_seal_free_json_filters_and_pages_like_the_list(ledger_app):
    client = ledger_app.test_client()
    everything = client.get("/seal-free.json?per_page=1000").get_json()
    assert everything["total"] == len(everything["entries"]) > 0
    assert {entry["review_result"] for entry in everything["entries"]} <= {"abolished", "never-required"}
    # the DX task force's own columns stay inside
    assert not {"note", "keep_reason", "rules_to_amend", "status", "search_text"} & set(everything["entries"][0])
    abolished = client.get("/seal-free.json?result=abolished&per_page=1000").get_json()
    assert 0 < abolished["total"] < everything["total"]
    assert {entry["review_result"] for entry in abolished["entries"]} == {"abolished"}
    first, second = (client.get(f"/seal-free.json?per_page=3&page={n}").get_json() for n in (1, 2))
    assert first["pages"] == -(-everything["total"] // 3)
    assert [e["key"] for e in first["entries"] + second["entries"]] == [e["key"] for e in everything["entries"][:6]]
    department = everything["entries"][0]["department"]
    by_department = client.get("/seal-free.json", query_string={"department": department, "per_page": 1000})
    assert {entry["department"] for entry in by_department.get_json()["entries"]} == {department}


@pytest.mark.parametrize(("query", "parameter"), [
    ("per_page=0", "per_page"), ("per_page=abc", "per_page"), ("page=0", "page"), ("result=kept", "result"),
    ("online=maybe", "online"), ("department=存在しない課", "department"), ("sort=name", "sort"),
    ("q=" + "あ" * 101, "q"),
])
def test_seal_free_json_refuses_what_it_cannot_answer_naming_the_parameter(ledger_app, query, parameter):
    response = ledger_app.test_client().get(f"/seal-free.json?{query}")
    assert response.status_code == 400
    document = response.get_json()
    assert document["error"] == "bad_parameters" and list(document["problems"]) == [parameter]


def test_docs_api_names_exactly_the_fields_of_both_answers(ledger_app):
    client = ledger_app.test_client()
    procedures = client.get("/procedures.json").get_json()
    seal_free = client.get("/seal-free.json?per_page=1000").get_json()
    assert field_paths(procedures) == documented_fields("procedures.json")
    assert field_paths(seal_free) == documented_fields("seal-free.json")


def test_every_json_route_is_documented(app):
    text = API_DOC.read_text(encoding="utf-8")
    routes = sorted(rule.rule for rule in app.url_map.iter_rules() if rule.rule.endswith(".json")
                    and rule.endpoint.startswith("public."))
    assert routes == ["/procedures.json", "/seal-free.json"]
    for route in routes:
        assert f"## `GET {route}`" in text, route
