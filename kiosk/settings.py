"""Settings: one typed model (``Settings``) with every setting's type, range and default.

Values come from ``KIOSK_<NAME>`` environment variables (an empty one means the default), then from
the mapping given to create_app() (tests; the same names without the prefix). A value the app cannot
run with raises SettingsError, one line per bad value naming where it came from, the value and what
is expected. Every setting is documented in docs/configuration.md (tests/unit/test_docs.py and
tests/unit/test_settings.py fail when one is not, or when a documented default drifts).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

PACKAGE_DIR = Path(__file__).resolve().parent
# A checkout (or an editable install) keeps content/ and translations/ beside the package; a wheel
# carries copies of them inside it, in kiosk/defaults/ (setup.py puts them there).
IN_CHECKOUT = not (PACKAGE_DIR / "defaults").is_dir()
PROJECT_ROOT = PACKAGE_DIR.parent if IN_CHECKOUT else PACKAGE_DIR / "defaults"
ENVIRONMENT_PREFIX = "KIOSK_"

TRUE_SPELLINGS = ("1", "true", "yes", "on")
FALSE_SPELLINGS = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """Settings the app cannot run with. The message has one line per problem, e.g.
    ``KIOSK_PORT: 'abc' is not a valid integer``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _path_as_string(value: object) -> object:
    # Paths stay strings in app.config: Flask-Babel splits a string of translation folders on ";".
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _parse_boolean(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # the 0/1 that SECURE_COOKIES used to be
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_SPELLINGS:
            return True
        if word in FALSE_SPELLINGS:
            return False
    raise ValueError("is not a boolean (expected 1/0, true/false, yes/no or on/off, in any case)")


def _check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Asia"
        raise ValueError("is not a time zone name (expected an IANA name such as Asia/Tokyo)") from None
    # The statistics count by month with one fixed offset: refuse a zone with two here, so that every
    # command (not only the server) says so before it starts.
    from kiosk.stats.periods import StatisticsTimezoneError, statistics_utc_offset

    try:
        statistics_utc_offset(name)
    except StatisticsTimezoneError as error:
        raise ValueError(str(error).split(f"{name!r} ", 1)[-1]) from None
    return name


def _check_locale(code: str) -> str:
    # Imported here, not at the top: settings must not pull in the i18n package (and with it
    # Flask-Babel) just to be imported, and i18n may one day want to read settings.
    from kiosk.i18n.locales import LOCALE_CODES

    if code not in LOCALE_CODES:
        raise ValueError(f"is not a shipped locale (expected one of {', '.join(LOCALE_CODES)})")
    return code


def _check_base_url(url: str) -> str:
    if not url:
        return url
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment
            or any(character.isspace() for character in url)):
        raise ValueError("is not an http(s) address (expected empty, or e.g. https://tetsuzuki.example-ward.lg.jp)")
    return url


PathString = Annotated[str, BeforeValidator(_path_as_string)]
Boolean = Annotated[bool, BeforeValidator(_parse_boolean)]
TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
LocaleCode = Annotated[str, AfterValidator(_check_locale)]
BaseUrl = Annotated[str, AfterValidator(_check_base_url)]


def _check_iso_date(value: str) -> str:
    if value:
        import datetime as dt

        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("expected a date as YYYY-MM-DD, or empty") from None
    return value


IsoDate = Annotated[str, AfterValidator(_check_iso_date)]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


def _one_of(choices: tuple[str, ...]):
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"is not one of {', '.join(choices)}")
        return value
    return check


LogLevel = Annotated[str, BeforeValidator(_upper), AfterValidator(_one_of(LOG_LEVELS))]
LogFormat = Annotated[str, BeforeValidator(_lower), AfterValidator(_one_of(LOG_FORMATS))]


class Settings(BaseModel):
    """Every setting with its type, range and default; the meaning of each is in docs/configuration.md."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # Paths default relative to the project checkout; an empty one is derived by create_app().
    # Installed from a wheel: instance/ in the working directory, never inside site-packages.
    INSTANCE_PATH: PathString = str(PROJECT_ROOT / "instance") if IN_CHECKOUT else str(Path("instance").resolve())
    DATABASE: PathString = ""  # empty: <instance folder>/kiosk.db
    CONTENT_DIR: PathString = str(PROJECT_ROOT / "content")
    TRANSLATIONS_DIR: PathString = str(PROJECT_ROOT / "translations")
    SECRET_KEY: str = ""  # empty: generated once into <instance folder>/secret_key
    HOST: str = "127.0.0.1"
    PORT: int = Field(8000, ge=1, le=65535)
    THREADS: int = Field(16, ge=1)  # above WORKER_QUEUE_LIMIT: threads waiting on workers leave some to chat
    DEFAULT_LOCALE: LocaleCode = "ja"
    LEDGER_PAGE_SIZE: int = Field(50, ge=1)
    CONTENT_RELOAD_CHECK_SECONDS: float = Field(2.0, ge=0)  # 0: check on every request (tests)
    STAFF_IDLE_MINUTES: float = Field(15.0, gt=0)
    LOGIN_MAX_FAILURES: int = Field(5, ge=1)
    LOGIN_LOCK_MINUTES: int = Field(15, ge=1)
    LOGIN_MAX_ADDRESS_FAILURES: int = Field(20, ge=1)
    TIMEZONE: TimeZoneName = "Asia/Tokyo"
    PROXY_HOPS: int = Field(0, ge=0)
    SECURE_COOKIES: Boolean = False
    TARGET_CONSULTATIONS_PER_YEAR: int = Field(10000, ge=0)
    TARGET_SATISFIED_SHARE: float = Field(0.85, ge=0, le=1)
    TARGET_SITES: int = Field(20, ge=0)
    TARGET_SEALS_ABOLISHED_SHARE: float = Field(0.95, ge=0, le=1)
    SEAL_REVIEW_DEADLINE: IsoDate = ""  # empty: two years after the ledger's first import
    HANDOFF_DAYS: int = Field(90, ge=1)
    PUBLIC_BASE_URL: BaseUrl = ""
    HANDOFF_LOOKUPS_PER_10_MINUTES: int = Field(30, ge=1)
    # Whole seconds at least: the kiosk page gets them as integers, and 0 would wipe at once.
    IDLE_SECONDS: float = Field(120.0, ge=1)
    IDLE_WARNING_SECONDS: float = Field(30.0, ge=1)
    SESSION_PURGE_SECONDS: float = Field(60.0, ge=0)  # 0: abandoned sessions go only when a request comes
    SPEECH_CACHE_DIR: PathString = ""  # empty: <instance folder>/speech
    SPEECH_CACHE_MAX_MB: float = Field(512.0, ge=0)  # 0: no limit
    WORKER_PROCESSES: int = Field(2, ge=0)  # 0: sheets and speech in the request thread
    WORKER_QUEUE_LIMIT: int = Field(12, ge=1)
    LOG_LEVEL: LogLevel = "INFO"
    LOG_FORMAT: LogFormat = "text"


def load_settings(environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, object] | None = None) -> Settings:
    """The settings from ``KIOSK_*`` variables in ``environ`` (default: the process environment), then
    ``overrides`` (create_app's config). Keys of ``overrides`` that are not settings are ignored here."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    sources: dict[str, str] = {}  # setting → what to call it in an error: the variable or the key
    for name in Settings.model_fields:
        variable = ENVIRONMENT_PREFIX + name
        raw = environ.get(variable)
        if raw not in (None, ""):
            values[name], sources[name] = raw, variable
    for name, value in (overrides or {}).items():
        if name in Settings.model_fields:
            values[name], sources[name] = value, name
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = [_describe(error, sources) for error in exc.errors()]
        raise SettingsError(problems) from None  # the one line per problem says it all


_TYPE_PROBLEMS = {
    "int_parsing": "is not a valid integer",
    "int_type": "is not a valid integer",
    "int_from_float": "is not a whole number",
    "float_parsing": "is not a valid number",
    "float_type": "is not a valid number",
    "finite_number": "is not a finite number",
    "string_type": "is not text",
}
_RANGE_PROBLEMS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _describe(error: dict, sources: Mapping[str, str]) -> str:
    name = str(error["loc"][0]) if error["loc"] else ""
    kind = error["type"]
    if kind == "value_error":
        reason = str(error["ctx"]["error"])
    elif kind in _TYPE_PROBLEMS:
        reason = _TYPE_PROBLEMS[kind]
    elif kind in _RANGE_PROBLEMS:
        reason = f"is out of range (expected {accepted_range(name)})"
    else:  # nothing the fields above can produce today; pydantic's own words are still clear
        reason = f"is not valid: {error['msg']}"
    return f"{sources.get(name, name)}: {error['input']!r} {reason}"


def accepted_range(name: str) -> str:
    """A numeric setting's bounds in words ("1 to 65535", "at least 1", "more than 0"); "" if it has none."""
    bounds = {key: getattr(constraint, key) for constraint in Settings.model_fields[name].metadata
              for key in ("ge", "gt", "le", "lt") if getattr(constraint, key, None) is not None}
    if "ge" in bounds and "le" in bounds:
        return f"{bounds['ge']:g} to {bounds['le']:g}"
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    return " and ".join(f"{words[key]} {value:g}" for key, value in bounds.items())
