"""The administrators' site and device forms (WTForms): each rule with the words staff see.

They are plain ``wtforms.Form``: the app's CSRFProtect already checks every POST against the
``csrf_token`` field the templates render, so a FlaskForm's second token is not wanted. The
templates draw the fields with the design-system macros, not with WTForms widgets.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, StringField, ValidationError
from wtforms.validators import AnyOf, Length, Optional, Regexp

from kiosk.admin.devices import DEVICE_FIELDS, DEVICE_KINDS, PAPERS, PRINTER_QUEUE
from kiosk.admin.sites import SITE_FIELDS, SITE_KINDS
from kiosk.staff.personal_data import MYNUMBER_REFUSED_IN_FIELD, contains_mynumber, is_number

CHOOSE_KIND = _l("種類を選んでください。")
CHOOSE_DATE = _l("日付を選んでください。")


def field_errors(form: Form) -> dict[str, str]:
    """The first message of each field that has one, in the form's order: what the macros show
    next to the field and the error summary lists."""
    return {field.name: str(field.errors[0]) for field in form if field.errors}


def _stripped(value) -> str:
    return "" if value is None else str(value).strip()


def _text(value) -> str:
    return "" if value is None else str(value)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _no_mynumber(form: Form, field) -> None:
    """A 個人番号 is never stored, in any field (kiosk.admin.sites and .devices refuse it too). First
    among a field's rules: the one message that must be read."""
    if contains_mynumber(field.data):
        raise ValidationError(MYNUMBER_REFUSED_IN_FIELD)


def _iso_date(form: Form, field) -> None:
    """Empty, or a date as the browser's date input sends it (YYYY-MM-DD)."""
    if field.data and _date(field.data) is None:
        raise ValidationError(CHOOSE_DATE)


class SiteForm(Form):
    name = StringField(filters=[_stripped], validators=[
        _no_mynumber, Length(min=1, max=100, message=_l("拠点名を100文字以内で入れてください。"))])
    kind = StringField(filters=[_stripped], validators=[AnyOf(list(SITE_KINDS), message=CHOOSE_KIND)])
    venue = StringField(filters=[_stripped],
                        validators=[_no_mynumber, Length(max=200, message=_l("会場は200文字以内で入れてください。"))])
    starts_on = StringField(filters=[_stripped], validators=[_iso_date])
    ends_on = StringField(filters=[_stripped], validators=[_iso_date])
    archived = BooleanField()  # the checkbox on an existing site's page

    def validate(self, extra_validators=None) -> bool:
        fields_valid = super().validate(extra_validators)
        # Asked for only once everything else is right, so that it is not the first of many messages.
        if fields_valid and self.kind.data == "event" and not self.starts_on.data:
            self.starts_on.errors.append(_l("出張相談会は開始日を入れてください。"))
        starts, ends = _date(self.starts_on.data), _date(self.ends_on.data)
        if starts and ends and ends < starts:
            self.ends_on.errors.append(_l("終了日が開始日より前です。"))
        return not self.errors

    def site_fields(self) -> dict:
        """The validated fields as kiosk.admin.sites stores them."""
        return {name: self[name].data for name in SITE_FIELDS}


class DeviceForm(Form):
    name = StringField(filters=[_stripped], validators=[
        _no_mynumber, Length(min=1, max=100, message=_l("端末名を100文字以内で入れてください。"))])
    kind = StringField(filters=[_text], validators=[AnyOf(list(DEVICE_KINDS), message=CHOOSE_KIND)])
    site_id = StringField(filters=[_text])  # checked against the sites in use: validate_site_id
    printer_queue = StringField(filters=[_stripped], validators=[Optional(), _no_mynumber, Regexp(
        PRINTER_QUEUE, matcher=re.fullmatch,
        message=_l("印刷キューの名前は英数字・「-」「_」「.」で入れてください（CUPSのキュー名）。"))])
    paper = StringField(filters=[_text, lambda value: value or "a4"],
                        validators=[AnyOf(list(PAPERS), message=_l("用紙を選んでください。"))])

    def __init__(self, formdata=None, *, site_ids: Iterable[int], **kwargs):
        super().__init__(formdata, **kwargs)
        self.site_ids = set(site_ids)

    def validate_site_id(self, field) -> None:
        if not is_number(field.data) or int(field.data) not in self.site_ids:
            raise ValidationError(_l("拠点を選んでください。"))

    def device_fields(self) -> dict:
        """The validated fields as kiosk.admin.devices stores them."""
        fields = {name: self[name].data for name in DEVICE_FIELDS}
        return fields | {"site_id": int(fields["site_id"]), "printer_queue": fields["printer_queue"] or None}
