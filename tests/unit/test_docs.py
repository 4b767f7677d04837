"""Docs that cannot drift: every setting, command and content field is documented."""

from __future__ import annotations

import re

import click
from pydantic import BaseModel

from kiosk.catalog.schema import Category, Need, Procedure
from kiosk.cli import main
from kiosk.consultations import vocabulary
from kiosk.settings import Settings
from tests.conftest import CONTENT, ROOT


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`KIOSK_{name}`" in text, name


def _commands(group: click.Group, prefix: str, ctx: click.Context):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}", ctx)
        else:
            yield f"{prefix} {name}"


def test_every_command_is_documented():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    with main.make_context("kiosk", [], resilient_parsing=True) as ctx:
        commands = sorted(_commands(main, "kiosk", ctx))
    assert "kiosk content check" in commands and "kiosk serve" in commands
    for command in commands:
        assert f"`{command}" in text, command


def _fields(model: type[BaseModel], prefix: str):
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path
        annotation = info.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        for candidate in inner:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                suffix = "[]." if getattr(annotation, "__origin__", None) is list else "."
                yield from _fields(candidate, path + suffix)


def test_every_content_field_is_documented():
    text = (CONTENT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", text, re.M))
    expected = set(_fields(Procedure, "")) | set(_fields(Category, "categories[].")) | set(
        _fields(Need, "needs[]."))
    assert expected - documented == set()


def test_every_consultation_code_is_documented():

    text = (ROOT / "docs" / "consultation-codes.md").read_text(encoding="utf-8")
    for codes in (vocabulary.CHANNELS, vocabulary.GENERAL_TOPICS, vocabulary.AGE_BANDS, vocabulary.LANGUAGES,
                  vocabulary.ACCESSIBILITY, vocabulary.DEVICES, vocabulary.OUTCOMES, vocabulary.REASONS):
        for code in codes:
            assert f"| `{code}` |" in text, code
