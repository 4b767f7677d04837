"""The consultation form (WTForms): property-based tests (Hypothesis) and the field rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from kiosk import create_app
from kiosk.consultations import vocabulary
from kiosk.consultations.form import ConsultationForm, ParsedForm, check_note, record_as_form_data
from tests.conftest import make_config

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo
TOPICS = set(vocabulary.GENERAL_TOPICS) | {"residence-certificate", "moving-in"}
SITES = {1, 2}
SITE_CHOICES = [(1, "本庁舎"), (2, "北出張所")]
FIELDS = ["site_id", "started_at", "minutes", "minutes_other", "channel", "age_band", "visit", "language",
          "device_used", "outcome", "reason", "follow_up", "handoff_code", "satisfaction", "note", "topics",
          "accessibility", "confirm_note"]


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    app = create_app(make_config(tmp_path_factory.mktemp("form")))
    with app.test_request_context():
        yield


def consultation_form(formdata: MultiDict | None = None, **kwargs) -> ConsultationForm:
    return ConsultationForm(formdata, sites=SITE_CHOICES, topics=[(t, t) for t in sorted(TOPICS)],
                            timezone="Asia/Tokyo", now=NOW, **kwargs)


def parse(form: MultiDict) -> ParsedForm:
    return consultation_form(form).parse()


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
    ignored = parse(typical(outcome="completed-online", reason="bored"))  # not even checked
    assert ignored.ok and ignored.values["reason"] is None


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
    ({"started_at": "2025-11-01T12:00"}, "started_at"),  # more than a year ago
    ({"started_at": "1999-12-31T23:59"}, "started_at"),
    ({"minutes": "", "minutes_other": "0"}, "minutes"),
    ({"visit": "third"}, "visit"),
    ({"language": "klingon"}, "language"),
    ({"device_used": "pager"}, "device_used"),
    ({"outcome": ""}, "outcome"),
    ({"topics": [f"topic-{n}" for n in range(11)]}, "topics"),  # more than MAX_TOPICS
    ({"note": "090-1234-5678 ４５６７８９０１２３４６", "confirm_note": "1"}, "note"),  # confirming never lets one in
])
def test_each_bad_field_is_named(context, changes, field):
    parsed = parse(typical(**changes))
    assert field in parsed.errors and not parsed.ok


@pytest.mark.parametrize("changes,field,message", [
    ({"site_id": ""}, "site_id", "拠点を選んでください。"),
    ({"started_at": "yesterday"}, "started_at", "開始時刻を「年-月-日 時:分」で入れてください。"),
    ({"started_at": "2026-11-28T12:00"}, "started_at", "開始時刻が未来になっています。"),
    ({"started_at": "2025-11-01T12:00"}, "started_at", "開始時刻が1年以上前です。"),
    ({"minutes": "abc"}, "minutes", "所要時間を選ぶか、1〜480分で入れてください。"),
    ({"channel": ""}, "channel", "相談の方法を選んでください。"),
    ({"age_band": ""}, "age_band", "年代を選んでください。"),
    ({"visit": ""}, "visit", "はじめてか2回目以上かを選んでください。"),
    ({"language": ""}, "language", "言語を選んでください。"),
    ({"device_used": ""}, "device_used", "使った端末を選んでください。"),
    ({"outcome": ""}, "outcome", "結果を選んでください。"),
    ({"topics": []}, "topics", "相談内容を1つ以上選んでください。"),
    ({"topics": [f"topic-{n}" for n in range(11)]}, "topics", "相談内容は10個までです。"),
    ({"topics": ["not-a-topic"]}, "topics", "相談内容に選べない項目があります。"),
    ({"accessibility": ["telepathy"]}, "accessibility", "配慮に選べない項目があります。"),
    ({"reason": "bored"}, "reason", "理由に選べない項目があります。"),
    ({"handoff_code": "<script>"}, "handoff_code",
     "引継ぎコードがちがいます。シートのコード（例: K7Q-D3M-XAP）をお確かめください。"),
    ({"satisfaction": "0"}, "satisfaction", "満足度は1〜5から選んでください。"),
    ({"note": "x" * 1001}, "note", "メモは1000文字までです。"),
    ({"note": "123456789018"}, "note", "メモに個人番号（マイナンバー）と思われる12桁の番号があります。"
                                       "個人番号はここに記録できません。番号を消してから保存してください。"),
])
def test_each_field_has_one_message_in_its_own_words(context, changes, field, message):
    form = consultation_form(typical(**changes))
    parsed = form.parse()
    assert parsed.errors == {field: message}
    assert form[field].errors == [message]  # never WTForms' own "Not a valid choice" besides


def test_errors_are_listed_in_the_order_of_the_fields(context):
    parsed = parse(typical(note="x" * 1001, topics=[], site_id="", minutes="0", outcome="?"))
    assert list(parsed.errors) == ["site_id", "minutes", "outcome", "topics", "note"]


def test_what_was_sent_is_kept_for_showing_again(context):
    sent = typical(age_band="", minutes="", minutes_other=" 45 ", note=" メモ ", handoff_code="k7q", follow_up="1",
                   accessibility=["vision", "telepathy"], topics=["pin", "not-a-topic"])
    form = consultation_form(sent)
    assert not form.parse().ok
    assert (form.site_id.data, form.started_at.data, form.minutes_other.data, form.note.data) == (
        "1", "2026-11-27T11:30", " 45 ", " メモ ")
    assert form.topics.data == ["pin", "not-a-topic"] and form.accessibility.data == ["vision", "telepathy"]
    assert form.follow_up.data is True and form.handoff_code.data == "k7q" and form.age_band.data == ""


def test_only_the_box_s_own_value_ticks_a_checkbox(context):
    assert parse(typical(follow_up="1")).values["follow_up"] == 1
    for sent in ("0", "yes", "on", ""):
        assert parse(typical(follow_up=sent)).values["follow_up"] == 0
    assert "note" in parse(typical(note="090-1234-5678", confirm_note="yes")).warnings


def test_a_stored_record_shows_again_as_it_was_entered(context):
    parsed = parse(typical(minutes="", minutes_other="20", accessibility=["vision", "other"], satisfaction="4",
                           follow_up="1", note="メモ", visit="repeat"))
    assert parsed.ok, parsed.errors
    row = {**parsed.values, "id": 7, "staff_id": 1, "topics": parsed.topics}
    form = consultation_form(data=record_as_form_data(row, "Asia/Tokyo"))
    assert (form.minutes.data, form.minutes_other.data, form.visit.data, form.started_at.data) == (
        "", "20", "repeat", "2026-11-27T11:30")
    assert form.accessibility.data == ["other", "vision"] and form.follow_up.data is True
    assert consultation_form(as_posted(form)).parse().values == parsed.values


def as_posted(form: ConsultationForm) -> MultiDict:
    """What a browser sends back for a form shown with this data (a ticked box sends "1")."""
    posted = MultiDict()
    for field in form:
        data = field.data
        for value in data if isinstance(data, list) else ["1"] if data is True else [] if data is False else [data]:
            posted.add(field.name, value)
    return posted


def test_check_note_keeps_the_rules_of_the_consultation_note(context):
    assert check_note("", confirmed=False) == (None, None)
    assert check_note("x" * 1001, confirmed=True)[0] == "メモは1000文字までです。"
    error, warning = check_note("１２３４-５６７８-９０１８", confirmed=True)
    assert "個人番号はここに記録できません" in error and warning is None
    assert "電話番号かメールアドレス" in check_note("a@example.com", confirmed=False)[1]
    assert check_note("a@example.com", confirmed=True) == (None, None)


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
