"""The tablet's consultation form as a WTForms form: every problem named by field in the form's own
words, what was typed kept for showing again, no 個人番号 ever accepted in a note, and a ParsedForm
of what the store writes.

A plain ``wtforms.Form`` fed with ``request.form``: Flask-WTF's CSRFProtect already checks every
POST, so the form carries no second CSRF field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import StopValidation

from kiosk.consultations.vocabulary import (
    ACCESSIBILITY,
    AGE_BANDS,
    CHANNELS,
    DEVICES,
    LANGUAGES,
    MAX_MINUTES,
    MAX_TOPICS,
    MINUTE_PICKS,
    NOTE_LIMIT,
    ONLINE_OUTCOMES,
    OUTCOMES,
    REASONS,
    VISITS,
)
from kiosk.handoff import codes as handoff_codes
from kiosk.staff.personal_data import contains_mynumber, find_email_addresses, find_phone_numbers, is_number


@dataclass
class ParsedForm:
    """What the store writes (values of the fields that passed, the topics), and each field's
    first error or warning. ``ok`` only when there are neither."""

    values: dict = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.warnings


# --- times ------------------------------------------------------------------------------------------

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def local_now(timezone: str) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(timezone)).replace(second=0, microsecond=0, tzinfo=None)


def to_local_input(iso_utc: str, timezone: str) -> str:
    moment = dt.datetime.fromisoformat(iso_utc).astimezone(ZoneInfo(timezone))
    return moment.strftime(LOCAL_INPUT_FORMAT)


def from_local_input(text: str, timezone: str) -> dt.datetime | None:
    """The UTC moment of a wall-clock time typed at the site, or None if it is not one (or not
    between 2000 and 2100)."""
    try:
        local = dt.datetime.strptime(text, LOCAL_INPUT_FORMAT)
    except ValueError:
        return None
    if not 2000 <= local.year <= 2100:
        return None
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


# --- the note's rules: shared by the consultation form and the handoff notes --------------------------

NOTE_TOO_LONG = _l("メモは%(max)s文字までです。", max=NOTE_LIMIT)
MYNUMBER_REFUSED = _l("メモに個人番号（マイナンバー）と思われる12桁の番号があります。"
                      "個人番号はここに記録できません。番号を消してから保存してください。")
CONTACT_DETAILS_WARNING = _l("メモに電話番号かメールアドレスのようなものがあります。個人が特定できる情報は"
                             "書かないでください。必要な記録なら、メモの下の確認にチェックを入れて保存してください。")


def _stripped(field) -> str:
    return (field.data or "").strip()


class WithinLength:
    """At most ``limit`` characters once the surrounding white space is gone."""

    def __init__(self, limit: int, message):
        self.limit, self.message = limit, message

    def __call__(self, form, field) -> None:
        if len(_stripped(field)) > self.limit:
            raise StopValidation(str(self.message))


class NoMyNumber:
    """Refuses text holding a 12-digit number whose 個人番号 check digit is valid, however it was typed
    (any digit form, marks, invisible characters, any separators: kiosk.staff.personal_data). Such a
    number is never stored, confirmed or not."""

    def __init__(self, message=MYNUMBER_REFUSED):
        self.message = message

    def __call__(self, form, field) -> None:
        if contains_mynumber(field.data):
            raise StopValidation(str(self.message))


class ConfirmContactDetails:
    """Not an error but a warning (on a WarningsField): text with something like a phone number or an
    e-mail address is kept only once the writer ticks the ``confirm_field`` checkbox."""

    def __init__(self, confirm_field: str, message=CONTACT_DETAILS_WARNING):
        self.confirm_field, self.message = confirm_field, message

    def __call__(self, form, field) -> None:
        text = field.data or ""
        if (find_phone_numbers(text) or find_email_addresses(text)) and not form[self.confirm_field].data:
            field.warnings.append(str(self.message))


# In this order: too long, then a 個人番号 (refused), then contact details (warned).
NOTE_VALIDATORS = [WithinLength(NOTE_LIMIT, NOTE_TOO_LONG), NoMyNumber(), ConfirmContactDetails("confirm_note")]


# --- fields ---------------------------------------------------------------------------------------------

class _Codes:
    def codes(self) -> set[str]:
        return {choice.value for choice in self.choices or ()}

    def items(self) -> list[tuple[str, object]]:
        """(code, label) pairs, as the design-system macros take them."""
        return [(choice.value, choice.label) for choice in self.choices or ()]


class CodeField(_Codes, SelectField):
    """One code of a code list, kept as the string that was sent (so it can be shown again). Which codes
    are allowed is checked by the validators, in the form's own words rather than WTForms' "Not a
    valid choice"."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=str, validate_choice=False, default="", **kwargs)


class CodeListField(_Codes, SelectMultipleField):
    """Any number of codes (checkboxes), as sent; checked by the validators like CodeField."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=str, validate_choice=False, default=list, **kwargs)


def _ticked(value) -> bool:
    return value is True or value == "1"


class CheckboxField(BooleanField):
    """Ticked only by the box's own value "1" (BooleanField would take "0" or "no" for a tick, and a
    stored 0 turned into "0" too)."""

    def process_data(self, value) -> None:
        self.data = _ticked(value)

    def process_formdata(self, valuelist) -> None:
        self.data = bool(valuelist) and _ticked(valuelist[0])


class WarningsField(TextAreaField):
    """Free text that may also carry warnings: things kept only once the writer confirms them."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default="", **kwargs)
        self.warnings: list[str] = []

    def validate(self, form, extra_validators=()) -> bool:
        self.warnings = []
        return super().validate(form, extra_validators)


def _choices(codes: dict) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in codes.items()]


# --- validators for the codes -------------------------------------------------------------------------

class InChoices:
    """The field's code is one of its choices (set per request for sites). With ``optional`` an empty
    value passes (it is stored as NULL)."""

    def __init__(self, message, optional: bool = False):
        self.message, self.optional = message, optional

    def __call__(self, form, field) -> None:
        if self.optional and not field.data:
            return
        if field.data not in field.codes():
            raise StopValidation(str(self.message))


class AllInChoices:
    def __init__(self, message):
        self.message = message

    def __call__(self, form, field) -> None:
        if not set(field.data) <= field.codes():
            raise StopValidation(str(self.message))


class CountBetween:
    """Between ``least`` and ``most`` different codes, each bound with its own message."""

    def __init__(self, *, least: int, too_few, most: int, too_many):
        self.least, self.too_few, self.most, self.too_many = least, too_few, most, too_many

    def __call__(self, form, field) -> None:
        if len(field.data) < self.least:
            raise StopValidation(str(self.too_few))
        if len(set(field.data)) > self.most:
            raise StopValidation(str(self.too_many))


def _ignored_after_an_online_outcome(form, field) -> None:
    """A reason is for what did not finish online: after an online outcome it is not even checked."""
    if form.outcome.data in ONLINE_OUTCOMES:
        raise StopValidation()


def _a_handoff_code_if_any(form, field) -> None:
    if _stripped(field) and handoff_codes.normalise(_stripped(field)) is None:
        raise StopValidation(str(_l("引継ぎコードがちがいます。シートのコード（例: K7Q-D3M-XAP）をお確かめください。")))


# --- the form -------------------------------------------------------------------------------------------

class ConsultationForm(Form):
    """The consultation form. Fields are declared in the order their errors are listed in the
    error summary. Every field's data is what was sent (or the record / the defaults shown), so a
    form with errors shows everything again; ``parse()`` gives what the store writes."""

    site_id = CodeField(validators=[InChoices(_l("拠点を選んでください。"))])
    started_at = StringField(default="")
    minutes = StringField(default="")  # a quick pick; minutes_other, when typed, wins
    minutes_other = StringField(default="")
    channel = CodeField(choices=_choices(CHANNELS), validators=[InChoices(_l("相談の方法を選んでください。"))])
    age_band = CodeField(choices=_choices(AGE_BANDS), validators=[InChoices(_l("年代を選んでください。"))])
    visit = CodeField(choices=_choices(VISITS), validators=[InChoices(_l("はじめてか2回目以上かを選んでください。"))])
    language = CodeField(choices=_choices(LANGUAGES), validators=[InChoices(_l("言語を選んでください。"))])
    device_used = CodeField(choices=_choices(DEVICES), validators=[InChoices(_l("使った端末を選んでください。"))])
    outcome = CodeField(choices=_choices(OUTCOMES), validators=[InChoices(_l("結果を選んでください。"))])
    topics = CodeListField(validators=[
        CountBetween(least=1, too_few=_l("相談内容を1つ以上選んでください。"),
                     most=MAX_TOPICS, too_many=_l("相談内容は%(max)s個までです。", max=MAX_TOPICS)),
        AllInChoices(_l("相談内容に選べない項目があります。"))])
    accessibility = CodeListField(choices=_choices(ACCESSIBILITY),
                                  validators=[AllInChoices(_l("配慮に選べない項目があります。"))])
    reason = CodeField(choices=_choices(REASONS), validators=[
        _ignored_after_an_online_outcome, InChoices(_l("理由に選べない項目があります。"), optional=True)])
    follow_up = CheckboxField()
    handoff_code = StringField(default="", validators=[_a_handoff_code_if_any])
    satisfaction = CodeField(choices=[SelectChoice(str(n)) for n in range(1, 6)],
                             validators=[InChoices(_l("満足度は1〜5から選んでください。"), optional=True)])
    note = WarningsField(validators=NOTE_VALIDATORS)
    confirm_note = CheckboxField()

    def __init__(self, formdata=None, *, sites: Iterable[tuple[int, str]], topics: Iterable[tuple[str, object]],
                 timezone: str, now: dt.datetime | None = None, data: dict | None = None):
        """``sites`` and ``topics`` are the (id, name) pairs this user may choose today: the sites in
        use, the general topics and the catalog's procedures. ``now`` (UTC) is for tests."""
        super().__init__(formdata, data=data)
        self.timezone = timezone
        self.now = now or dt.datetime.now(dt.UTC)
        self.site_id.choices = [SelectChoice(str(site_id), name) for site_id, name in sites]
        self.topics.choices = [SelectChoice(code, label) for code, label in topics]

    def validate_started_at(self, field) -> None:
        moment = from_local_input(field.data or "", self.timezone)
        if moment is None:
            raise StopValidation(str(_l("開始時刻を「年-月-日 時:分」で入れてください。")))
        if moment > self.now + dt.timedelta(minutes=10):
            raise StopValidation(str(_l("開始時刻が未来になっています。")))
        if moment < self.now - dt.timedelta(days=366):
            raise StopValidation(str(_l("開始時刻が1年以上前です。")))

    def typed_minutes(self) -> int | None:
        """The minutes typed in "other minutes", or else the pick; None unless 1 to MAX_MINUTES."""
        text = _stripped(self.minutes_other) or (self.minutes.data or "")
        return int(text) if is_number(text) and 1 <= int(text) <= MAX_MINUTES else None

    def validate_minutes(self, field) -> None:
        if self.typed_minutes() is None:
            raise StopValidation(str(_l("所要時間を選ぶか、1〜%(max)s分で入れてください。", max=MAX_MINUTES)))

    @property
    def first_errors(self) -> dict[str, str]:
        """Each field's first error, in field order (one message per field, for the error summary)."""
        return {name: field.errors[0] for name, field in self._fields.items() if field.errors}

    @property
    def warnings(self) -> dict[str, str]:
        return {name: field.warnings[0] for name, field in self._fields.items() if getattr(field, "warnings", None)}

    def parse(self) -> ParsedForm:
        """Validate; the values of every field that passed, as the store writes them."""
        self.validate()
        values: dict = {}
        for name, stored in _STORED.items():
            if not self[name].errors:
                values.update(stored(self))
        topics = [] if self.topics.errors else sorted(set(self.topics.data))
        return ParsedForm(values=values, topics=topics, errors=self.first_errors, warnings=self.warnings)


def _code(name: str) -> Callable[[ConsultationForm], dict]:
    return lambda form: {name: form[name].data}


# How each field that passed is stored (the column names of the consultations table).
_STORED: dict[str, Callable[[ConsultationForm], dict]] = {
    "site_id": lambda form: {"site_id": int(form.site_id.data)},
    "started_at": lambda form: {
        "started_at": from_local_input(form.started_at.data, form.timezone).isoformat(timespec="seconds")},
    "minutes": lambda form: {"minutes": form.typed_minutes()},
    "channel": _code("channel"),
    "age_band": _code("age_band"),
    "language": _code("language"),
    "device_used": _code("device_used"),
    "outcome": _code("outcome"),
    "visit": lambda form: {"first_visit": 1 if form.visit.data == "first" else 0},
    "accessibility": lambda form: {"accessibility": ",".join(sorted(set(form.accessibility.data))) or None},
    "reason": lambda form: {"reason": None if form.outcome.data in ONLINE_OUTCOMES else form.reason.data or None},
    "follow_up": lambda form: {"follow_up": 1 if form.follow_up.data else 0},
    "handoff_code": lambda form: {"handoff_code": handoff_codes.normalise(_stripped(form.handoff_code))
                                  if _stripped(form.handoff_code) else None},
    "satisfaction": lambda form: {"satisfaction": int(form.satisfaction.data) if form.satisfaction.data else None},
    "note": lambda form: {"note": _stripped(form.note) or None},
}


def record_as_form_data(row: dict, timezone: str) -> dict:
    """A stored consultation as the form shows it for correcting: local start time, "first" or
    "repeat", and minutes that are not a quick pick in "other minutes"."""
    data = {name: "" if value is None else str(value) for name, value in row.items()}
    data.update(topics=row["topics"], accessibility=row["accessibility"].split(",") if row["accessibility"] else [],
                started_at=to_local_input(row["started_at"], timezone),
                visit="first" if row["first_visit"] else "repeat")
    if row["minutes"] not in MINUTE_PICKS:
        data.update(minutes="", minutes_other=str(row["minutes"]))
    return data


# --- a note on its own (the handoff follow-up) ------------------------------------------------------------

class NoteForm(Form):
    note = WarningsField(validators=NOTE_VALIDATORS)
    confirm_note = CheckboxField()


def check_note(note: str, confirmed: bool) -> tuple[str | None, str | None]:
    """(error, warning) for a free-text note, by the consultation note's rules: a 個人番号 is refused
    outright; a phone number or an e-mail address needs the writer to confirm it is not personal data."""
    form = NoteForm(data={"note": note, "confirm_note": confirmed})
    form.validate()
    return next(iter(form.note.errors), None), next(iter(form.note.warnings), None)
