"""Typed settings: KIOSK_* values parsed and checked, one clear line per bad value, defaults as documented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.settings import (
    FALSE_SPELLINGS,
    PROJECT_ROOT,
    TRUE_SPELLINGS,
    Settings,
    SettingsError,
    accepted_range,
    load_settings,
)
from tests.conftest import CONTENT, ROOT, make_config


@pytest.fixture
def environ(monkeypatch):
    """The process environment without the developer's own KIOSK_* variables."""
    for name in [name for name in os.environ if name.startswith("KIOSK_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def _documented_rows() -> dict[str, dict[str, str]]:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = {}
    for name, variable, kind, default in re.findall(r"^\| `(\w+)` \| `(\w+)` \| ([^|]+) \| ([^|]+) \|", text, re.M):
        assert variable == f"KIOSK_{name}"
        rows[name] = {"type": kind.strip(), "default": default.strip()}
    return rows


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("true", True), ("yes", True), ("on", True), ("TRUE", True), ("Yes", True), (" on ", True),
    ("0", False), ("false", False), ("no", False), ("off", False), ("False", False), ("OFF", False),
])
def test_boolean_spellings(raw, expected):
    assert load_settings({"KIOSK_SECURE_COOKIES": raw}).SECURE_COOKIES is expected


def test_an_unset_or_empty_variable_leaves_the_default():
    assert load_settings({}) == Settings()
    assert load_settings({"KIOSK_PORT": "", "KIOSK_SECURE_COOKIES": ""}) == Settings()


def test_values_are_parsed_to_their_types():
    settings = load_settings({"KIOSK_PORT": "8080", "KIOSK_STAFF_IDLE_MINUTES": "7.5", "KIOSK_HOST": "0.0.0.0",
                              "KIOSK_PUBLIC_BASE_URL": "https://tetsuzuki.example-ward.lg.jp/",
                              "KIOSK_TIMEZONE": "UTC", "KIOSK_DEFAULT_LOCALE": "ja@easy"})
    assert (settings.PORT, settings.STAFF_IDLE_MINUTES, settings.HOST) == (8080, 7.5, "0.0.0.0")
    assert (settings.TIMEZONE, settings.DEFAULT_LOCALE) == ("UTC", "ja@easy")


@pytest.mark.parametrize(("variable", "raw", "message"), [
    ("KIOSK_PORT", "abc", "KIOSK_PORT: 'abc' is not a valid integer"),
    ("KIOSK_PORT", "0", "KIOSK_PORT: '0' is out of range (expected 1 to 65535)"),
    ("KIOSK_PORT", "65536", "KIOSK_PORT: '65536' is out of range (expected 1 to 65535)"),
    ("KIOSK_THREADS", "0", "KIOSK_THREADS: '0' is out of range (expected at least 1)"),
    ("KIOSK_THREADS", "2.5", "KIOSK_THREADS: '2.5' is not a valid integer"),
    ("KIOSK_SECURE_COOKIES", "maybe",
     "KIOSK_SECURE_COOKIES: 'maybe' is not a boolean (expected 1/0, true/false, yes/no or on/off, in any case)"),
    ("KIOSK_SECURE_COOKIES", "2", "KIOSK_SECURE_COOKIES: '2' is not a boolean"),
    ("KIOSK_STAFF_IDLE_MINUTES", "0", "KIOSK_STAFF_IDLE_MINUTES: '0' is out of range (expected more than 0)"),
    ("KIOSK_IDLE_SECONDS", "0", "KIOSK_IDLE_SECONDS: '0' is out of range (expected at least 1)"),
    ("KIOSK_IDLE_WARNING_SECONDS", "soon", "KIOSK_IDLE_WARNING_SECONDS: 'soon' is not a valid number"),
    ("KIOSK_IDLE_SECONDS", "inf", "KIOSK_IDLE_SECONDS: 'inf' is not a finite number"),
    ("KIOSK_HANDOFF_DAYS", "0", "KIOSK_HANDOFF_DAYS: '0' is out of range (expected at least 1)"),
    ("KIOSK_TARGET_SATISFIED_SHARE", "85", "KIOSK_TARGET_SATISFIED_SHARE: '85' is out of range (expected 0 to 1)"),
    ("KIOSK_TIMEZONE", "Asia/Tokio", "KIOSK_TIMEZONE: 'Asia/Tokio' is not a time zone name"),
    ("KIOSK_TIMEZONE", "Asia", "KIOSK_TIMEZONE: 'Asia' is not a time zone name"),
    ("KIOSK_DEFAULT_LOCALE", "fr", "KIOSK_DEFAULT_LOCALE: 'fr' is not a shipped locale (expected one of ja, ja@easy,"),
    ("KIOSK_PUBLIC_BASE_URL", "tetsuzuki.example-ward.lg.jp",
     "KIOSK_PUBLIC_BASE_URL: 'tetsuzuki.example-ward.lg.jp' is not an http(s) address"),
    ("KIOSK_PUBLIC_BASE_URL", "ftp://example.jp", "KIOSK_PUBLIC_BASE_URL: 'ftp://example.jp' is not an http(s)"),
])
def test_a_bad_value_is_one_line_naming_the_variable_the_value_and_what_is_expected(variable, raw, message):
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: raw})
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_every_bad_value_is_reported_at_once_in_field_order():
    with pytest.raises(SettingsError) as raised:
        load_settings({"KIOSK_SECURE_COOKIES": "maybe", "KIOSK_PORT": "abc", "KIOSK_THREADS": "8"})
    assert [problem.split(":")[0] for problem in raised.value.problems] == ["KIOSK_PORT", "KIOSK_SECURE_COOKIES"]
    assert str(raised.value) == "\n".join(raised.value.problems)


def test_create_app_config_is_checked_like_the_environment_and_other_keys_pass_through(environ, tmp_path):
    with pytest.raises(SettingsError, match=r"^PORT: 0 is out of range \(expected 1 to 65535\)$"):
        create_app(make_config(tmp_path, PORT=0))
    with pytest.raises(SettingsError, match=r"^SECURE_COOKIES: 'sometimes' is not a boolean"):
        create_app(make_config(tmp_path, SECURE_COOKIES="sometimes"))
    assert not (tmp_path / "instance").exists()  # refused before anything was made
    app = create_app(make_config(tmp_path, IDLE_SECONDS=2, SECURE_COOKIES=1, WTF_CSRF_ENABLED=False,
                                 CONTENT_DIR=Path(CONTENT)), cli=True)
    assert app.config["IDLE_SECONDS"] == 2.0 and app.config["SECURE_COOKIES"] is True
    assert app.config["CONTENT_DIR"] == str(CONTENT)  # a Path is kept as the string the code expects
    assert app.config["TESTING"] is True and app.config["WTF_CSRF_ENABLED"] is False


def test_create_app_config_overrides_the_environment(environ, tmp_path):
    environ.setenv("KIOSK_LEDGER_PAGE_SIZE", "10")
    environ.setenv("KIOSK_HANDOFF_DAYS", "30")
    app = create_app(make_config(tmp_path, HANDOFF_DAYS=7), cli=True)
    assert (app.config["LEDGER_PAGE_SIZE"], app.config["HANDOFF_DAYS"]) == (10, 7)


@pytest.mark.parametrize(("raw", "secure"), [("true", True), ("yes", True), ("1", True), ("0", False),
                                             ("false", False)])
def test_secure_cookies_marks_the_session_cookie_secure(environ, tmp_path, raw, secure):
    environ.setenv("KIOSK_SECURE_COOKIES", raw)
    app = create_app(make_config(tmp_path))
    assert app.config["SECURE_COOKIES"] is secure and app.config["SESSION_COOKIE_SECURE"] is secure
    response = app.test_client().get("/staff/login")  # the form's CSRF token goes into the session
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert ("; Secure" in cookie) is secure


def test_empty_paths_and_secret_are_derived_from_the_instance_folder(environ, tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "CONTENT_DIR": str(CONTENT), "TESTING": True}, cli=True)
    assert app.config["DATABASE"] == str(instance / "kiosk.db")
    assert app.config["SPEECH_CACHE_DIR"] == str(instance / "speech")
    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text().strip()


def test_the_documented_table_lists_exactly_the_settings():
    assert sorted(_documented_rows()) == sorted(Settings.model_fields)


# Defaults that create_app() derives from the instance folder: empty in the model.
DERIVED_DEFAULTS = {"DATABASE": "`<instance>/kiosk.db`", "SECRET_KEY": "generated once into `<instance>/secret_key`",
                    "SPEECH_CACHE_DIR": "`<instance>/speech`"}


def test_every_default_is_the_documented_one():
    rows = _documented_rows()
    for name, field in Settings.model_fields.items():
        default, documented = field.default, rows[name]["default"]
        if name in DERIVED_DEFAULTS:
            assert (default, documented) == ("", DERIVED_DEFAULTS[name]), name
        elif isinstance(default, bool):
            assert documented.strip("`") in (TRUE_SPELLINGS if default else FALSE_SPELLINGS), name
        elif isinstance(default, int | float):
            assert float(documented.strip("`")) == default, name
        elif default == "":
            assert documented == "empty", name
        elif default.startswith(str(PROJECT_ROOT)):
            assert documented == f"`{Path(default).relative_to(PROJECT_ROOT)}/` in the checkout", name
        else:
            assert documented == f"`{default}`", name


def test_every_documented_type_and_range_is_the_model_one():
    kinds = {int: "integer", float: "number", bool: "boolean"}
    for name, row in _documented_rows().items():
        field = Settings.model_fields[name]
        if field.annotation in kinds:
            assert row["type"].startswith(kinds[field.annotation]), name
        bounds = accepted_range(name)
        assert row["type"].endswith(bounds), (name, bounds)
