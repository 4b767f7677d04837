"""The shape of a procedure file, a categories file and the needs vocabulary.

Field by field documentation lives in content/README.md; keep the two in step
(tests/unit/test_content_docs.py fails when a field is undocumented).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/[^\s]*)?$")


def _check_url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError("not a well-formed http(s) URL")
    return value


def _check_date(value: str | dt.date) -> dt.date:
    # The loader keeps dates as text so that a bad date is reported here, with its key path.
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real date") from None


Url = Annotated[str, AfterValidator(_check_url)]
Date = Annotated[str | dt.date, AfterValidator(_check_date)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Fields shown to residents in their language: extracted into the Babel catalogs
    # (kiosk/catalog/translate.py) and looked up there when a page is rendered.
    translatable: ClassVar[tuple[str, ...]] = ()


class SealStatus(StrEnum):
    REQUIRED = "required"
    NOT_REQUIRED = "not-required"
    ABOLISHED = "abolished"
    OPTIONAL = "optional"


class ChannelKind(StrEnum):
    ONLINE = "online"
    CONVENIENCE_STORE = "convenience-store"
    COUNTER = "counter"
    MAIL = "mail"


class Audience(StrEnum):
    RESIDENTS = "residents"
    BUSINESSES = "businesses"


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class BlockReason(StrEnum):
    """Why a resident cannot take the online path; shared with the readiness check and the
    consultation log so the ward can count *why* people fail."""

    NO_CARD = "no-card"
    CARD_EXPIRED = "card-expired"
    CERTIFICATE_EXPIRED = "certificate-expired"
    PIN_UNKNOWN = "pin-unknown"
    PIN_LOCKED = "pin-locked"
    SIGNATURE_PIN_UNKNOWN = "signature-pin-unknown"
    NO_SMARTPHONE = "no-smartphone"
    DOCUMENTS_MISSING = "documents-missing"
    NOT_ELIGIBLE_ONLINE = "not-eligible-online"
    UNDER_15 = "under-15"  # コンビニ交付 is for card holders aged 15 and over


class Seal(Strict):
    translatable: ClassVar[tuple[str, ...]] = ('seal_type', 'note')

    status: SealStatus
    abolished_on: Date | None = None
    seal_type: ShortText | None = None
    note: Text | None = None


class Step(Strict):
    translatable: ClassVar[tuple[str, ...]] = ('title', 'body')

    title: ShortText
    body: Text


class Channel(Strict):
    translatable: ClassVar[tuple[str, ...]] = ('title', 'summary', 'fee', 'hours', 'office', 'duration')

    id: Id
    kind: ChannelKind
    title: ShortText
    summary: Text | None = None
    needs: list[Id] = Field(default_factory=list)
    fee: ShortText | None = None
    hours: ShortText | None = None
    office: ShortText | None = None
    duration: ShortText | None = None
    url: Url | None = None
    steps: list[Step] = Field(min_length=1)


class AnswerOption(Strict):
    answer: Answer
    next: Id | None = None
    channel: Id | None = None
    reason: BlockReason | None = None


class Question(Strict):
    translatable: ClassVar[tuple[str, ...]] = ('text', 'hint')

    id: Id
    text: ShortText
    hint: Text | None = None
    answers: list[AnswerOption] = Field(min_length=2)


class Procedure(Strict):
    translatable: ClassVar[tuple[str, ...]] = ('title', 'summary', 'office', 'contact')

    id: Id
    title: ShortText
    reading: ShortText
    category: Id
    audience: Audience = Audience.RESIDENTS
    summary: Text
    keywords: list[ShortText] = Field(min_length=1)
    seal: Seal
    channels: list[Channel] = Field(min_length=1)
    questions: list[Question] = Field(default_factory=list)
    office: ShortText | None = None
    contact: ShortText | None = None
    source_url: Url
    reviewed_on: Date

    def channel(self, channel_id: str) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)


class Category(Strict):
    translatable: ClassVar[tuple[str, ...]] = ('title', 'description')

    id: Id
    title: ShortText
    reading: ShortText
    description: Text | None = None


class Need(Strict):
    translatable: ClassVar[tuple[str, ...]] = ('label', 'hint')

    id: Id
    label: ShortText
    hint: Text | None = None


class LifeEvent(Strict):
    """Something that happened to a resident (a death in the family, a birth, a move) and the
    procedures it involves, offered together as a checklist (content/life_events.yaml)."""

    translatable: ClassVar[tuple[str, ...]] = ('title', 'description')

    id: Id
    title: ShortText
    reading: ShortText
    description: Text | None = None
    keywords: list[ShortText] = Field(min_length=1)
    procedures: list[Id] = Field(min_length=1)


class OtherAuthority(Strict):
    """A matter residents bring to the ward that another authority handles (passports, driving
    licences, pension payments): the assistant says who, and never starts a guide for it
    (content/other_authorities.yaml)."""

    translatable: ClassVar[tuple[str, ...]] = ('title', 'authority', 'note')

    id: Id
    title: ShortText
    authority: ShortText
    note: Text | None = None
    keywords: list[ShortText] = Field(min_length=1)
