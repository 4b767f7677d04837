"""Facts in the shipped content that once gave residents wrong advice (issue 13): each check reads
the content files as the kiosk does and follows the question trees the way a resident would."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from kiosk.catalog import load_catalog
from kiosk.catalog.translate import content_strings, procedure_strings
from tests.conftest import CONTENT, ROOT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


def route(procedure, answers: dict[str, str]):
    """The channel the tree recommends when the resident gives ``answers`` (question id → answer);
    questions not named are answered ``yes``."""
    questions = {q.id: q for q in procedure.questions}
    current = procedure.questions[0]
    for _ in range(len(questions) + 1):
        given = answers.get(current.id, "yes")
        answer = next(a for a in current.answers if a.answer == given)
        if answer.channel:
            return procedure.channel(answer.channel)
        current = questions[answer.next]
    raise AssertionError("the tree does not end")


def texts(model) -> str:
    return "\n".join(text for _, text in content_strings(model))


def test_route_follows_the_answers(catalog):
    moving_in = catalog.procedures["moving-in"]
    assert route(moving_in, {"from-abroad": "no", "has-certificate": "yes"}).id == "counter"
    assert route(moving_in, {"from-abroad": "no", "has-certificate": "no"}).id == "counter-card"


def test_moving_in_from_abroad_has_its_own_channel(catalog):
    channel = route(catalog.procedures["moving-in"], {"from-abroad": "yes"})
    assert channel.kind == "counter" and "passport-residence-card" in channel.needs
    assert "moving-out-certificate" not in channel.needs
    assert "在留カード" in catalog.needs["passport-residence-card"].label


@pytest.mark.parametrize("pid", ["moving-in", "moving-out"])
def test_moving_states_both_deadlines_and_what_missing_them_costs(catalog, pid):
    text = texts(catalog.procedures[pid])
    sentence = next(s for s in re.split(r"(?<=。)", text) if "30日以内" in s)
    assert "14日以内" in sentence and "転出の予定日" in sentence
    assert "特例転入" in text and "失効" in text


def test_card_renewal_is_not_an_e_certificate_renewal(catalog):
    channel = route(catalog.procedures["e-certificate-renewal"], {"what-expires": "yes"})
    assert channel.id == "card-renewal" and "face-photo" in channel.needs
    assert "10回目の誕生日" in texts(channel) and "5回目の誕生日" in texts(channel)
    assert route(catalog.procedures["e-certificate-renewal"], {"what-expires": "no"}).id == "counter"


def test_a_lost_card_is_stopped_reported_and_reissued(catalog):
    channel = route(catalog.procedures["mynumber-card-application"], {"lost": "yes"})
    body = texts(channel)
    assert "0120-95-0178" in body and "受理番号" in body and "円" in (channel.fee or "")
    assert channel.kind == "counter"


def test_child_allowance_states_the_amounts_and_the_confirmation_form(catalog):
    procedure = catalog.procedures["child-allowance"]
    for amount in ("15,000円", "10,000円", "30,000円"):
        assert amount in procedure.summary
    for channel in procedure.channels:
        assert any("確認書" in step.title for step in channel.steps), channel.id


def test_a_locked_pin_is_not_said_to_need_the_counter_only(catalog):
    for pid, procedure in catalog.procedures.items():
        assert "区役所の窓口で再設定が必要になります" not in texts(procedure), pid
        for channel in procedure.channels:
            for step in channel.steps:
                if "ロックされ" in step.body and "利用者証明用" in step.body and "窓口" in step.body:
                    assert "署名用" in step.body and "コンビニ" in step.body, (pid, channel.id)


def test_seal_certificate_asks_whether_the_seal_is_registered_here(catalog):
    procedure = catalog.procedures["seal-certificate"]
    assert "この区" in procedure.questions[0].text and "印鑑登録" in procedure.questions[0].text
    channel = route(procedure, {procedure.questions[0].id: "no"})
    assert channel.id == "register-first" and "seal-to-register" in channel.needs


def test_no_card_for_health_insurance_is_not_sent_to_a_card_counter(catalog):
    procedure = catalog.procedures["mynumber-health-insurance"]
    channel = route(procedure, {"has-card": "no"})
    assert "mynumber-card" not in channel.needs and "資格確認書" in texts(channel)


def test_not_everyone_moving_in_joins_national_health_insurance(catalog):
    procedure = catalog.procedures["health-insurance-join"]
    assert "勤め先の健康保険に入っている人" in procedure.summary
    assert "国民健康保険" in procedure.questions[0].text


# A section of the ward (…課) is the sample ward's; 課税 is a word, not a section.
SECTION = re.compile(r"[\u4e00-\u9fff]{1,5}課(?!税)")


def test_ward_sections_are_marked_as_the_sample_wards(catalog):
    unmarked = [f"{pid}: {key}: {text[:40]}" for pid, procedure in catalog.procedures.items()
                for key, text in content_strings(procedure) if SECTION.search(text) and "サンプル区" not in text]
    assert unmarked == []


def test_the_section_check_can_fail():
    assert SECTION.search("届書を区役所の戸籍住民課あてに送ります。")
    assert not SECTION.search("「課税（非課税）証明書」を選ぶ")


def test_corrected_procedures_are_dated_and_sourced(catalog):
    for pid in ("moving-in", "moving-out", "e-certificate-renewal", "mynumber-card-application", "child-allowance",
                "seal-certificate", "mynumber-health-insurance", "health-insurance-join", "marriage-registration"):
        procedure = catalog.procedures[pid]
        assert str(procedure.reviewed_on) >= "2026-12-03", pid
        assert str(procedure.source_url).startswith("https://"), pid


@pytest.mark.parametrize("pid", ["family-register-certificate", "seal-certificate"])
def test_portuguese_has_every_string_of_the_certificates(catalog, pid):
    with open(ROOT / "translations" / "pt_BR" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        translated = {m.id for m in read_po(handle, locale="pt_BR") if m.id and m.string and not m.fuzzy
                      and not m.context}
    missing = [text for text in procedure_strings(catalog, pid) if text not in translated]
    assert missing == []
