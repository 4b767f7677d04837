"""The guided conversation as pure functions over its state."""

from __future__ import annotations

import pytest

from kiosk.assistant import conversation as c
from kiosk.catalog.loader import load_catalog
from tests.conftest import CONTENT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


def kinds(turn) -> list[tuple[str, str]]:
    return [(e["who"], e["kind"]) for e in turn.entries]


def events(turn) -> list[tuple]:
    return [(e.name, e.procedure_id, e.channel_id, e.detail) for e in turn.events]


def test_new_state_greets_and_shows_the_menu():
    state = c.new_state("ja")
    assert state["thread"] == [{"who": "assistant", "kind": "greeting"}]
    assert state["mode"] == "menu" and len(state["ref"]) == 16


def test_residence_certificate_to_the_convenience_store(catalog):
    state = c.new_state("ja")
    turn = c.choose_category(state, catalog, "certificates")
    assert kinds(turn) == [("resident", "category"), ("assistant", "category")]
    turn = c.choose_procedure(state, catalog, "residence-certificate")
    assert kinds(turn) == [("resident", "procedure"), ("assistant", "procedure"), ("assistant", "question")]
    assert events(turn) == [("procedure_chosen", "residence-certificate", None, None)]
    assert state["question_id"] == "has-card"
    for _ in range(3):  # the card, its validity, the certificate's validity
        c.answer_question(state, catalog, "yes")
    turn = c.answer_question(state, catalog, "yes")  # the PIN
    # The tree settled everything but the age: コンビニ交付 is for card holders aged 15 and over.
    assert state["mode"] == "readiness" and state["readiness_item"] == "age-15"
    turn = c.answer_readiness(state, catalog, "yes")
    assert state["mode"] == "recommendation" and state["channel_id"] == "convenience-store"
    recommendation = turn.entries[-1]
    assert recommendation["kind"] == "recommendation" and recommendation["blocked"] is None
    assert recommendation["answers"] == [{"question": q, "answer": "yes"}
                                         for q in ("has-card", "card-valid", "certificate-valid", "knows-pin")]
    assert events(turn) == [("channel_recommended", "residence-certificate", "convenience-store", None)]


def test_an_expired_card_or_certificate_goes_to_the_counter_with_its_reason_and_remedy(catalog):
    for answers, reason, remedy in ((["yes", "no"], "card-expired", "mynumber-card-application"),
                                    (["yes", "yes", "no"], "certificate-expired", "e-certificate-renewal")):
        state = c.new_state("ja")
        c.choose_procedure(state, catalog, "residence-certificate")
        for answer in answers:
            turn = c.answer_question(state, catalog, answer)
        assert state["mode"] == "recommendation" and state["channel_id"] == "counter"
        assert ("readiness_failed", "residence-certificate", None, reason) in events(turn)
        assert turn.entries[-1]["remedy"] == remedy


def test_under_15_cannot_use_the_convenience_store(catalog):
    state = c.new_state("ja")
    c.choose_procedure(state, catalog, "residence-certificate")
    for _ in range(4):
        c.answer_question(state, catalog, "yes")
    turn = c.answer_readiness(state, catalog, "no")
    assert ("readiness_failed", "residence-certificate", "convenience-store", "under-15") in events(turn)
    assert state["channel_id"] == "counter"
    assert turn.entries[-1]["blocked"]["item"] == "age-15"


def test_a_forgotten_pin_offers_the_pin_reset_first(catalog):
    state = c.new_state("ja")
    c.choose_procedure(state, catalog, "mynaportal-login")
    c.answer_question(state, catalog, "yes")
    turn = c.answer_question(state, catalog, "no")
    assert turn.entries[-1]["kind"] == "recommendation"
    assert turn.entries[-1]["remedy"] == "mynumber-card-pin-reset"


def test_the_expired_card_and_certificate_reasons_are_reachable_in_the_question_trees(catalog):
    """Walk every tree from its first question: both reasons are recorded by some answer."""
    reached = set()
    for proc in catalog.procedures.values():
        questions = {q.id: q for q in proc.questions}
        todo, seen = [proc.questions[0].id] if proc.questions else [], set()
        while todo:
            question = questions[todo.pop()]
            if question.id in seen:
                continue
            seen.add(question.id)
            for option in question.answers:
                if option.reason:
                    reached.add(option.reason.value)
                if option.next:
                    todo.append(option.next)
    assert {"card-expired", "certificate-expired"} <= reached


def test_a_seal_question_alone_is_marked_for_the_seal_free_list():
    assert c.asks_about_seal("はんこはいりますか")
    assert c.asks_about_seal("Do I need a Hanko?")
    assert not c.asks_about_seal("住民票")


def test_a_no_answer_records_why_the_resident_cannot_go_online(catalog):
    state = c.new_state("ja")
    c.choose_procedure(state, catalog, "residence-certificate")
    turn = c.answer_question(state, catalog, "no")
    assert state["channel_id"] == "counter"
    assert ("readiness_failed", "residence-certificate", None, "no-card") in events(turn)


def test_readiness_check_before_an_online_path(catalog):
    state = c.new_state("ja")
    c.choose_procedure(state, catalog, "public-benefit-account")
    for _ in range(3):
        turn = c.answer_question(state, catalog, "yes")
    # The tree settled card, PIN and smartphone; only the card's validity is left to ask.
    assert state["mode"] == "readiness" and state["readiness_item"] == "card-valid"
    assert kinds(turn)[-2:] == [("assistant", "readiness_intro"), ("assistant", "readiness")]
    turn = c.answer_readiness(state, catalog, "yes")
    assert state["readiness_item"] == "certificate-valid"  # the certificate expires before the card
    turn = c.answer_readiness(state, catalog, "yes")
    assert [e["kind"] for e in turn.entries][-2:] == ["readiness_ok", "recommendation"]
    assert state["channel_id"] == "online"


def test_failed_readiness_recommends_another_way_and_says_why(catalog):
    state = c.new_state("ja")
    c.choose_procedure(state, catalog, "public-benefit-account")
    for _ in range(3):
        c.answer_question(state, catalog, "yes")
    turn = c.answer_readiness(state, catalog, "unknown")
    recommendation = turn.entries[-1]
    assert recommendation["blocked"] == {"item": "card-valid", "need": "mynumber-card", "online_channel": "online"}
    assert state["channel_id"] != "online"
    assert catalog.procedures["public-benefit-account"].channel(state["channel_id"]).kind == "counter"
    assert ("readiness_failed", "public-benefit-account", "online", "card-expired") in events(turn)


def test_every_readiness_item_is_asked_when_the_tree_settled_nothing(catalog):
    proc = catalog.procedures["moving-out"]
    online = proc.channel("online")
    state = c.new_state("ja")
    state["procedure_id"] = proc.id
    turn = c.Turn()
    c._recommend(state, proc, online, turn)
    asked = [state["readiness_item"]]
    while state["mode"] == "readiness":
        c.answer_readiness(state, catalog, "yes")
        if state["mode"] == "readiness":
            asked.append(state["readiness_item"])
    assert asked == ["card-at-hand", "card-valid", "certificate-valid", "user-pin", "signature-pin", "nfc-smartphone"]
    assert state["channel_id"] == "online"


@pytest.mark.parametrize("action", [
    lambda s, cat: c.choose_category(s, cat, "nope"),
    lambda s, cat: c.choose_procedure(s, cat, "no-such-procedure"),
    lambda s, cat: c.answer_question(s, cat, "yes"),  # no question is waiting
    lambda s, cat: c.answer_readiness(s, cat, "yes"),
    lambda s, cat: c.choose_ledger_entry(s, "not-offered"),
])
def test_turns_that_do_not_fit_are_refused(catalog, action):
    state = c.new_state("ja")
    before = [dict(e) for e in state["thread"]]
    with pytest.raises(c.InvalidTurn):
        action(state, catalog)
    assert state["thread"] == before


def test_an_answer_outside_the_vocabulary_is_refused(catalog):
    state = c.new_state("ja")
    c.choose_procedure(state, catalog, "residence-certificate")
    with pytest.raises(c.InvalidTurn):
        c.answer_question(state, catalog, "maybe")
