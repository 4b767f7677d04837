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
    c.answer_question(state, catalog, "yes")
    turn = c.answer_question(state, catalog, "yes")
    assert state["mode"] == "recommendation" and state["channel_id"] == "convenience-store"
    recommendation = turn.entries[-1]
    assert recommendation["kind"] == "recommendation" and recommendation["blocked"] is None
    assert recommendation["answers"] == [{"question": "has-card", "answer": "yes"},
                                         {"question": "knows-pin", "answer": "yes"}]
    assert events(turn) == [("channel_recommended", "residence-certificate", "convenience-store", None)]


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
    assert asked == ["card-at-hand", "card-valid", "user-pin", "signature-pin", "nfc-smartphone"]
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
