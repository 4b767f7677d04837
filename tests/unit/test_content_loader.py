"""Content validation: every problem names the file, the key path and what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kiosk.catalog.loader import ContentError, load_catalog
from tests.conftest import CONTENT

PRODUCT_IDS = """residence-certificate seal-certificate seal-registration family-register-certificate
family-register-supplement tax-certificate tax-payment-certificate moving-out moving-in moving-within
birth-registration marriage-registration death-registration mynumber-card-application
mynumber-card-pin-reset e-certificate-renewal mynumber-health-insurance public-benefit-account
mynaportal-login pregnancy-notification child-allowance nursery-enrollment child-medical-certificate
health-insurance-join health-insurance-leave pension-exemption long-term-care-certification
resident-tax-return tax-direct-debit bulky-waste dog-registration facility-booking
invoice-seal-omission e-contract bid-qualification""".split()


def problems_for(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalog(root)
    return [str(p) for p in caught.value.problems]


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_content_is_valid_and_complete():
    catalog = load_catalog(CONTENT)
    assert sorted(catalog.procedures) == sorted(PRODUCT_IDS)
    assert len(PRODUCT_IDS) == 35


def test_every_procedure_names_a_source_and_a_review_date():
    catalog = load_catalog(CONTENT)
    for proc in catalog.procedures.values():
        assert proc.source_url.startswith("https://"), proc.id
        assert proc.reviewed_on.year >= 2025, proc.id


def test_sample_ward_details_are_marked_as_sample():
    catalog = load_catalog(CONTENT)
    for proc in catalog.procedures.values():
        for channel in proc.channels:
            for value in (channel.fee, channel.office):
                if value and re.search(r"\d+円|区役所|出張所", value):
                    assert "サンプル" in value, f"{proc.id} {channel.id}: {value}"
        if proc.contact and re.search(r"\d{2,4}-\d{2,4}-\d{4}", proc.contact):
            assert "サンプル" in proc.contact, proc.id


def test_missing_field_reports_file_and_key_path(content_copy):
    path = content_copy / "procedures" / "bulky-waste.yaml"
    edit(path, lambda d: d["channels"][1]["steps"][0].pop("title"))
    found = problems_for(content_copy)
    assert any(p.endswith("procedures/bulky-waste.yaml: channels[1].steps[0].title: missing")
               for p in found), found


def test_unknown_key_is_an_error(content_copy):
    path = content_copy / "procedures" / "moving-in.yaml"
    edit(path, lambda d: d["seal"].update(notes="typo for note"))
    assert any("moving-in.yaml: seal.notes: unknown key" in p for p in problems_for(content_copy))


def test_bad_date_and_bad_url_are_reported(content_copy):
    path = content_copy / "procedures" / "residence-certificate.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"reviewed_on: \S+", "reviewed_on: 2026-02-30", text)
    text = text.replace("source_url: https://", "source_url: htps://")
    path.write_text(text, encoding="utf-8")
    found = problems_for(content_copy)
    assert any("residence-certificate.yaml: reviewed_on: '2026-02-30' is not a real date" in p for p in found), found
    assert any("residence-certificate.yaml: source_url: not a well-formed http(s) URL" in p for p in found), found


def test_yes_and_no_unquoted_stay_answers(content_copy):
    path = content_copy / "procedures" / "residence-certificate.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('answer: "yes"', "answer: yes").replace('answer: "no"', "answer: no")
    path.write_text(text, encoding="utf-8")
    catalog = load_catalog(content_copy)
    answers = [a.answer for a in catalog.procedures["residence-certificate"].questions[0].answers]
    assert answers == ["yes", "no", "unknown"]


def test_question_tree_rules(content_copy):
    path = content_copy / "procedures" / "residence-certificate.yaml"

    def break_tree(data):
        first, second = data["questions"][0], data["questions"][1]
        second["answers"][0] = {"answer": "yes", "next": first["id"]}  # a cycle
        second["answers"] = [a for a in second["answers"] if a["answer"] != "unknown"]
        first["answers"][1] = {"answer": "no", "channel": "fax"}
        data["questions"].append({"id": "orphan", "text": "誰も来ない質問",
                                  "answers": [{"answer": "yes", "channel": "counter"},
                                              {"answer": "unknown", "channel": "counter"}]})

    edit(path, break_tree)
    found = [p.split("residence-certificate.yaml: ")[1] for p in problems_for(content_copy)
             if "residence-certificate.yaml" in p]
    assert "questions[0].answers[1].channel: unknown channel 'fax'" in found
    assert "questions[1].answers: must offer the answer 'unknown' (わからない)" in found
    assert any(p.startswith("questions[1]: question tree has a cycle") for p in found), found
    orphan = "]: question 'orphan' cannot be reached from the first question"
    assert any(p.startswith("questions[") and p.endswith(orphan) for p in found), found


def test_seal_rules(content_copy):
    path = content_copy / "procedures" / "residence-certificate.yaml"
    edit(path, lambda d: d["seal"].update(status="required", abolished_on="2021-04-01"))
    found = problems_for(content_copy)
    assert any("seal.abolished_on: only allowed when status is abolished" in p for p in found)
    assert any("seal.seal_type: missing" in p for p in found)


def test_references_to_unknown_category_and_need(content_copy):
    path = content_copy / "procedures" / "dog-registration.yaml"

    def change(data):
        data["category"] = "pets"
        data["channels"][0]["needs"] = ["a-dog-photo"]

    edit(path, change)
    found = problems_for(content_copy)
    assert any("dog-registration.yaml: category: unknown category 'pets'" in p for p in found)
    assert any("dog-registration.yaml: channels[0].needs[0]: unknown need 'a-dog-photo'" in p for p in found)


def test_id_must_match_file_and_be_unique(content_copy):
    source = content_copy / "procedures" / "moving-in.yaml"
    text = source.read_text(encoding="utf-8")
    (content_copy / "procedures" / "moving-in-copy.yaml").write_text(text, encoding="utf-8")
    (content_copy / "procedures" / "moving-in.yml").write_text(text, encoding="utf-8")
    found = problems_for(content_copy)
    assert any("moving-in-copy.yaml: id: 'moving-in' must match the file name 'moving-in-copy'" in p for p in found)
    assert any("moving-in.yml: id: duplicate id 'moving-in'" in p for p in found), found


def test_yaml_syntax_error_names_line(content_copy):
    path = content_copy / "procedures" / "bulky-waste.yaml"
    path.write_text("id: bulky-waste\ntitle: [unclosed\n", encoding="utf-8")
    found = problems_for(content_copy)
    assert any(re.search(r"bulky-waste.yaml: line \d+, column \d+: YAML syntax error", p) for p in found), found


def test_wrong_type_is_reported(content_copy):
    edit(content_copy / "procedures" / "mynaportal-login.yaml", lambda d: d.update(keywords="マイナポータル"))
    found = problems_for(content_copy)
    assert any("mynaportal-login.yaml: keywords: must be a list (got str)" in p for p in found), found


def test_online_channel_needs_a_url(content_copy):
    def change(data):
        online = next(c for c in data["channels"] if c["kind"] == "online")
        online.pop("url")

    edit(content_copy / "procedures" / "mynaportal-login.yaml", change)
    found = problems_for(content_copy)
    assert any(re.search(r"mynaportal-login.yaml: channels\[\d\]\.url: missing \(required for an online channel\)", p)
               for p in found), found


def test_the_readiness_needs_must_exist(content_copy):
    path = content_copy / "needs.yaml"
    edit(path, lambda d: d.update(needs=[n for n in d["needs"] if n["id"] != "signature-pin"]))
    found = problems_for(content_copy)
    assert any("needs.yaml: needs: the readiness check needs the id 'signature-pin'" in p for p in found)


def test_every_problem_is_collected_not_just_the_first(content_copy):
    for name in ("bulky-waste", "moving-in"):
        edit(content_copy / "procedures" / f"{name}.yaml", lambda d: d.pop("summary"))
    found = problems_for(content_copy)
    assert any("bulky-waste.yaml: summary: missing" in p for p in found)
    assert any("moving-in.yaml: summary: missing" in p for p in found)
