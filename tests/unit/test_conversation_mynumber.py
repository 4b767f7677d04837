"""The chat never keeps a 個人番号 the resident types: not in the thread, not in what is searched."""

from __future__ import annotations

import json

import pytest

from kiosk.assistant import conversation as c
from kiosk.assistant.search import build_index
from kiosk.assistant.understanding import understand_with
from kiosk.catalog.loader import load_catalog
from kiosk.staff.personal_data import find_mynumbers
from tests.conftest import CONTENT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


@pytest.fixture(scope="module")
def index(catalog):
    return build_index(catalog.procedures.values())


class RecordingIndex:
    """The real search (the one the kiosk calls), remembering what it was asked."""

    def __init__(self, index):
        self.index, self.asked = index, []

    def __call__(self, text):
        self.asked.append(text)
        return understand_with(self.index, None, text, "ja")


@pytest.mark.parametrize("typed", [
    "住民票 1234 5678 9018", "1234-5678-9018 住民票", "住民票 一二三四五六七八九〇一八",
    "住民票 1234    5678    9018",  # far apart until the spaces are folded
    "住民票 123456  123456789018  789018",  # what is left after one is taken out makes another
])
def test_the_number_is_taken_out_and_the_rest_searched(catalog, index, typed):
    state, searched = c.new_state("ja"), RecordingIndex(index)
    turn = c.say(state, catalog, searched, typed)
    kinds = [entry["kind"] for entry in turn.entries]
    assert kinds[:3] == ["typed", "mynumber_withheld", "found"]
    assert turn.entries[0]["text"] == "住民票"
    assert searched.asked == ["住民票"]
    assert not find_mynumbers(json.dumps(state, ensure_ascii=False))
    assert turn.events and all(event.detail is None for event in turn.events)


def test_only_the_number_says_so_and_changes_nothing_else(catalog, index):
    state = c.new_state("ja")
    c.choose_category(state, catalog, "certificates")
    before = {k: v for k, v in state.items() if k != "thread"}
    searched = RecordingIndex(index)
    turn = c.say(state, catalog, searched, " 1 2 3 4 5 6 7 8 9 0 1 8 ")
    assert [entry["kind"] for entry in turn.entries] == ["mynumber_withheld"] and turn.events == []
    assert searched.asked == []
    assert {k: v for k, v in state.items() if k != "thread"} == before


def test_a_number_with_a_wrong_check_digit_and_a_date_are_kept(catalog, index):
    state = c.new_state("ja")
    turn = c.say(state, catalog, RecordingIndex(index), "住民票 1234 5678 9017 2026-12-03 10:30")
    assert turn.entries[0]["text"] == "住民票 1234 5678 9017 2026-12-03 10:30"
    assert "mynumber_withheld" not in [entry["kind"] for entry in turn.entries]


def test_empty_text_is_still_refused(catalog, index):
    with pytest.raises(c.InvalidTurn):
        c.say(c.new_state("ja"), catalog, RecordingIndex(index), "   ")
