"""Parsing the consultation form: property-based tests (Hypothesis) and the field rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from kiosk import create_app
from kiosk.consultations import vocabulary
from kiosk.consultations.form import ParsedForm, parse_consultation
from tests.conftest import make_config

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo
TOPICS = set(vocabulary.GENERAL_TOPICS) | {"residence-certificate", "moving-in"}
SITES = {1, 2}
FIELDS = ["site_id", "started_at", "minutes", "minutes_other", "channel", "age_band", "visit", "language",
          "device_used", "outcome", "reason", "follow_up", "handoff_code", "satisfaction", "note", "topics",
          "accessibility", "confirm_note"]


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    app = create_app(make_config(tmp_path_factory.mktemp("form")))
    with app.test_request_context():
        yield


def parse(form: MultiDict) -> ParsedForm:
    return parse_consultation(form, topics_allowed=TOPICS, sites_allowed=SITES, timezone="Asia/Tokyo", now=NOW)


def typical(**changes) -> MultiDict:
    values = {"site_id": "1", "started_at": "2026-11-27T11:30", "minutes": "15", "channel": "counter",
              "age_band": "75-84", "visit": "first", "language": "ja", "device_used": "android",
              "outcome": "referred-counter", "reason": "pin-locked", "topics": ["mynumber-card", "pin"]}
    values.update(changes)
    form = MultiDict()
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            form.add(key, item)
    return form


def test_a_typical_form(context):
    parsed = parse(typical())
    assert parsed.ok, parsed.errors
    assert parsed.values["started_at"] == "2026-11-27T02:30:00+00:00"  # Tokyo time stored as UTC
    assert parsed.values["minutes"] == 15 and parsed.values["first_visit"] == 1
    assert parsed.values["reason"] == "pin-locked" and parsed.topics == ["mynumber-card", "pin"]


def test_online_outcome_drops_a_reason(context):
    parsed = parse(typical(outcome="completed-online-assisted"))
    assert parsed.ok and parsed.values["reason"] is None


def test_other_minutes_override_the_picks(context):
    assert parse(typical(minutes_other="45")).values["minutes"] == 45
    assert "minutes" in parse(typical(minutes_other="999")).errors


@pytest.mark.parametrize("changes,field", [
    ({"site_id": "3"}, "site_id"),  # another site's id
    ({"site_id": "1 OR 1=1"}, "site_id"),
    ({"started_at": "2026-11-28T12:00"}, "started_at"),  # in the future
    ({"started_at": "yesterday"}, "started_at"),
    ({"minutes": "-5"}, "minutes"),
    ({"channel": "fax"}, "channel"),
    ({"age_band": "100"}, "age_band"),
    ({"topics": []}, "topics"),
    ({"topics": ["mynumber-card", "not-a-topic"]}, "topics"),
    ({"reason": "bored"}, "reason"),
    ({"satisfaction": "6"}, "satisfaction"),
    ({"handoff_code": "<script>"}, "handoff_code"),
    ({"note": "x" * 1001}, "note"),
    ({"note": "マイナンバーは１２３４ ５６７８ ９０１８です"}, "note"),
    ({"accessibility": ["telepathy"]}, "accessibility"),
])
def test_each_bad_field_is_named(context, changes, field):
    parsed = parse(typical(**changes))
    assert field in parsed.errors and not parsed.ok


def test_phone_number_in_the_note_warns_until_confirmed(context):
    parsed = parse(typical(note="折り返し 090-1234-5678"))
    assert parsed.errors == {} and "note" in parsed.warnings and not parsed.ok
    confirmed = parse(typical(note="折り返し 090-1234-5678", confirm_note="1"))
    assert confirmed.ok and confirmed.values["note"] == "折り返し 090-1234-5678"


def test_handoff_codes_are_normalised_and_checked(context):
    from kiosk.handoff.codes import check_character, display

    code = "K7QD3MXA" + check_character("K7QD3MXA")
    assert parse(typical(handoff_code=display(code).lower())).values["handoff_code"] == code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert "handoff_code" in parse(typical(handoff_code=wrong)).errors


text = st.text(max_size=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(FIELDS + ["unexpected"]), text), max_size=25))
def test_any_form_parses_without_raising(context, pairs):
    parsed = parse(MultiDict(pairs))
    if not parsed.errors:  # then everything the database needs is there and well-typed
        for key in ("site_id", "started_at", "minutes", "channel", "age_band", "outcome", "first_visit"):
            assert key in parsed.values
        assert parsed.values["site_id"] in SITES and 1 <= parsed.values["minutes"] <= vocabulary.MAX_MINUTES
        assert set(parsed.topics) <= TOPICS and parsed.topics
    for message in parsed.errors.values():
        assert isinstance(message, str) and message


valid_forms = st.fixed_dictionaries({
    "site_id": st.sampled_from(["1", "2"]),
    "minutes": st.sampled_from([str(m) for m in vocabulary.MINUTE_PICKS]),
    "channel": st.sampled_from(list(vocabulary.CHANNELS)),
    "age_band": st.sampled_from(list(vocabulary.AGE_BANDS)),
    "visit": st.sampled_from(list(vocabulary.VISITS)),
    "language": st.sampled_from(list(vocabulary.LANGUAGES)),
    "device_used": st.sampled_from(list(vocabulary.DEVICES)),
    "outcome": st.sampled_from(list(vocabulary.OUTCOMES)),
    "topics": st.lists(st.sampled_from(sorted(TOPICS)), min_size=1, max_size=5, unique=True),
    "satisfaction": st.sampled_from(["", "1", "3", "5"]),
    "note": st.text(alphabet="あいうえお漢字 ABC", max_size=50),
})


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(valid_forms)
def test_every_valid_form_is_accepted_as_entered(context, values):
    parsed = parse(typical(**values))
    assert parsed.ok, parsed.errors
    assert parsed.values["channel"] == values["channel"] and parsed.values["age_band"] == values["age_band"]
    assert parsed.topics == sorted(values["topics"])
    assert parsed.values["satisfaction"] == (int(values["satisfaction"]) if values["satisfaction"] else None)
