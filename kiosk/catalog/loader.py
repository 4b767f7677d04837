"""Load and validate the content folder.

Every problem is reported as ``file: key.path[0]: message`` so that content staff can find it
without reading Python. Loading collects every problem before giving up.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from kiosk.catalog.schema import Answer, Category, ChannelKind, LifeEvent, Need, OtherAuthority, Procedure, SealStatus

# Needs that the kiosk's My Number Card readiness check refers to by id.
READINESS_NEEDS = ("mynumber-card", "user-pin", "signature-pin", "nfc-smartphone")


class ContentLoader(yaml.SafeLoader):
    """YAML without the surprises: dates stay text (so a bad date gets a key path) and only
    ``true``/``false`` are booleans (``yes``/``no`` are answers in question trees)."""


ContentLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ContentLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_JA = r"\u3000-\u30ff\u3400-\u9fff\uff01-\uff60"
_FOLDED_BREAK = re.compile(rf"(?<=[{_JA}]) (?=[{_JA}])")


def _construct_text(loader: ContentLoader, node: yaml.ScalarNode) -> str:
    """A folded block (>-) turns each line break into a space; between two Japanese characters
    that space is an artefact of wrapping, not part of the text."""
    value = loader.construct_scalar(node)
    return _FOLDED_BREAK.sub("", value) if node.style == ">" else value


ContentLoader.add_constructor("tag:yaml.org,2002:str", _construct_text)


@dataclass(frozen=True)
class ContentProblem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class ContentError(Exception):
    """Raised when the content folder has problems; ``problems`` lists every one."""

    def __init__(self, problems: list[ContentProblem]):
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"{len(problems)} problem(s) in content:\n{lines}")


@dataclass
class Catalog:
    """The loaded, validated content. Replaced whole on reload, never mutated."""

    root: Path
    procedures: dict[str, Procedure]
    categories: dict[str, Category]
    needs: dict[str, Need]
    life_events: dict[str, LifeEvent] = field(default_factory=dict)
    other_authorities: dict[str, OtherAuthority] = field(default_factory=dict)
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def in_category(self, category_id: str) -> list[Procedure]:
        return [p for p in self.procedures.values() if p.category == category_id]

    @property
    def fingerprint(self) -> str:
        return f"{len(self.procedures)} procedures, loaded {self.loaded_at:%Y-%m-%dT%H:%M:%SZ}"


def _display_path(path: Path) -> str:
    """Relative to the working directory when inside it (content/procedures/x.yaml)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "enum":
        return f"must be one of: {error['ctx']['expected']} (got {error['input']!r})"
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} must be lower-case letters, digits and hyphens"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("string_type", "list_type", "model_type", "dict_type"):
        expected = {"string_type": "text", "list_type": "a list",
                    "model_type": "a mapping", "dict_type": "a mapping"}[kind]
        return f"must be {expected} (got {type(error['input']).__name__})"
    if kind == "too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"too long (at most {error['ctx']['max_length']} characters)"
    return error["msg"]


_UNION_TAGS = ("str", "date")


def _validate(model: type[BaseModel], data: object, file: str, base: tuple = ()):
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            # Unions add the member type to the location; it means nothing to content staff.
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
            problems.append(ContentProblem(file, format_loc(base + loc), _message(error)))
        return None, problems


def read_yaml(path: Path) -> tuple[object, list[ContentProblem]]:
    file = _display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [ContentProblem(file, "", f"not UTF-8 text (byte {exc.start})")]
    except OSError as exc:  # a folder named like a file, no permission, …
        return None, [ContentProblem(file, "", f"cannot be read: {exc.strerror or exc}")]
    nul = text.find("\x00")
    if nul >= 0:  # a binary or damaged file; YAML refuses it too, but with no line for a person
        return None, [ContentProblem(file, f"line {text.count(chr(10), 0, nul) + 1}", "contains a NUL byte")]
    try:
        return yaml.load(text, Loader=ContentLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [ContentProblem(file, where, f"YAML syntax error: {exc.problem}")]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters)
        line = text.count("\n", 0, exc.position) + 1
        return None, [ContentProblem(file, f"line {line}", f"contains the character U+{exc.character:04X}, "
                                                           "which YAML does not allow")]
    except yaml.YAMLError as exc:
        return None, [ContentProblem(file, "", f"YAML error: {exc}")]


def _load_list(path: Path, model: type[BaseModel], key: str) -> tuple[dict, list[ContentProblem]]:
    file = _display_path(path)
    if not path.exists():
        return {}, [ContentProblem(file, "", "file is missing")]
    data, problems = read_yaml(path)
    if problems:
        return {}, problems
    if not isinstance(data, dict) or set(data) != {key}:
        return {}, [ContentProblem(file, "", f"must be a mapping with the single key {key!r}")]
    items: dict = {}
    for index, raw in enumerate(data[key] or []):
        item, item_problems = _validate(model, raw, file, (key, index))
        problems += item_problems
        if item is None:
            continue
        if item.id in items:
            problems.append(ContentProblem(file, f"{key}[{index}].id", f"duplicate id {item.id!r}"))
            continue
        items[item.id] = item
    return items, problems


def check_procedure(proc: Procedure, file: str, categories: dict, needs: dict) -> list[ContentProblem]:
    """The rules that span fields: references, seal details, the question tree."""
    problems: list[ContentProblem] = []

    def problem(path: str, message: str) -> None:
        problems.append(ContentProblem(file, path, message))

    if categories and proc.category not in categories:
        problem("category", f"unknown category {proc.category!r} (see content/categories.yaml)")
    if proc.reviewed_on > dt.date.today():
        problem("reviewed_on", "is in the future")

    seal = proc.seal
    if seal.status == SealStatus.ABOLISHED and seal.abolished_on is None:
        problem("seal.abolished_on", "missing (required when status is abolished)")
    if seal.status != SealStatus.ABOLISHED and seal.abolished_on is not None:
        problem("seal.abolished_on", "only allowed when status is abolished")
    if seal.status == SealStatus.REQUIRED and not seal.seal_type:
        problem("seal.seal_type", "missing (say which seal is required)")

    channel_ids: set[str] = set()
    for i, channel in enumerate(proc.channels):
        if channel.id in channel_ids:
            problem(f"channels[{i}].id", f"duplicate channel id {channel.id!r}")
        channel_ids.add(channel.id)
        if channel.kind == ChannelKind.ONLINE and not channel.url:
            problem(f"channels[{i}].url", "missing (required for an online channel)")
        for j, need in enumerate(channel.needs):
            if needs and need not in needs:
                problem(f"channels[{i}].needs[{j}]", f"unknown need {need!r} (see content/needs.yaml)")

    _check_questions(proc, channel_ids, problem)
    return problems


def _check_questions(proc: Procedure, channel_ids: set[str], problem) -> None:
    by_id: dict[str, int] = {}
    for i, question in enumerate(proc.questions):
        if question.id in by_id:
            problem(f"questions[{i}].id", f"duplicate question id {question.id!r}")
        by_id.setdefault(question.id, i)

    edges = {question.id: _check_answers(i, question, by_id, channel_ids, problem)
             for i, question in enumerate(proc.questions)}
    if proc.questions:
        _check_question_tree(proc.questions[0].id, edges, by_id, problem)


def _check_answers(i: int, question, by_id: dict[str, int], channel_ids: set[str], problem) -> list[str]:
    """Check one question's answers; return the question ids they lead to."""
    seen: set[Answer] = set()
    leads_to: list[str] = []
    for j, option in enumerate(question.answers):
        path = f"questions[{i}].answers[{j}]"
        if option.answer in seen:
            problem(f"{path}.answer", f"answer {option.answer.value!r} appears twice")
        seen.add(option.answer)
        if (option.next is None) == (option.channel is None):
            problem(path, "needs exactly one of next (a question id) or channel (a channel id)")
        elif option.next is not None:
            if option.next not in by_id:
                problem(f"{path}.next", f"unknown question {option.next!r}")
            else:
                leads_to.append(option.next)
        elif option.channel not in channel_ids:
            problem(f"{path}.channel", f"unknown channel {option.channel!r}")
    if Answer.UNKNOWN not in seen:
        problem(f"questions[{i}].answers", "must offer the answer 'unknown' (わからない)")
    return leads_to


def _check_question_tree(first: str, edges: dict[str, list[str]], by_id: dict[str, int], problem) -> None:
    """Depth-first search from the first question: cycles and unreachable questions."""
    state: dict[str, str] = {}

    def visit(node: str) -> None:
        state[node] = "open"
        for target in edges.get(node, []):
            if state.get(target) == "open":
                problem(f"questions[{by_id[node]}]", f"question tree has a cycle ({node} → {target})")
            elif target not in state:
                visit(target)
        state[node] = "done"

    visit(first)
    for qid, index in by_id.items():
        if qid not in state:
            problem(f"questions[{index}]", f"question {qid!r} cannot be reached from the first question")


def load_catalog(root: str | os.PathLike) -> Catalog:
    """Load and validate everything under ``root``; raise ContentError listing every problem."""
    root = Path(root).resolve()
    problems: list[ContentProblem] = []
    if not root.is_dir():
        raise ContentError([ContentProblem(_display_path(root), "", "content folder not found")])

    categories, found = _load_list(root / "categories.yaml", Category, "categories")
    problems += found
    needs, found = _load_list(root / "needs.yaml", Need, "needs")
    problems += found
    for need_id in READINESS_NEEDS:
        if needs and need_id not in needs:
            problems.append(ContentProblem(_display_path(root / "needs.yaml"), "needs",
                                           f"the readiness check needs the id {need_id!r}"))

    procedures: dict[str, Procedure] = {}
    files = sorted((root / "procedures").glob("*.y*ml"))
    if not files:
        problems.append(ContentProblem(_display_path(root / "procedures"), "", "no procedure files"))
    for path in files:
        file = _display_path(path)
        data, found = read_yaml(path)
        if found:
            problems += found
            continue
        if not isinstance(data, dict):
            problems.append(ContentProblem(file, "", "must be a mapping of keys to values"))
            continue
        proc, found = _validate(Procedure, data, file)
        problems += found
        if proc is None:
            continue
        if proc.id != path.stem:
            problems.append(ContentProblem(file, "id", f"{proc.id!r} must match the file name {path.stem!r}"))
            continue
        if proc.id in procedures:  # the same id as .yaml and .yml
            problems.append(ContentProblem(file, "id", f"duplicate id {proc.id!r}"))
            continue
        problems += check_procedure(proc, file, categories, needs)
        procedures[proc.id] = proc

    life_events, found = _load_optional_list(root / "life_events.yaml", LifeEvent, "life_events")
    problems += found
    problems += check_life_events(life_events, _display_path(root / "life_events.yaml"), procedures, files)
    other_authorities, found = _load_optional_list(root / "other_authorities.yaml", OtherAuthority,
                                                   "other_authorities")
    problems += found

    if problems:
        raise ContentError(problems)
    ordered = {c: None for c in categories}
    procs = sorted(procedures.values(), key=lambda p: (list(ordered).index(p.category), p.id))
    return Catalog(root, {p.id: p for p in procs}, categories, needs, life_events, other_authorities)


def _load_optional_list(path: Path, model: type[BaseModel], key: str) -> tuple[dict, list[ContentProblem]]:
    """Life events and other authorities are optional files: a ward may ship none."""
    return _load_list(path, model, key) if path.exists() else ({}, [])


def check_life_events(events: dict, file: str, procedures: dict, files: list[Path]) -> list[ContentProblem]:
    """Each event lists procedures that exist (a procedure file that failed to load is reported
    there, not again here)."""
    problems = []
    stems = {path.stem for path in files}
    for index, event in enumerate(events.values()):
        for j, procedure_id in enumerate(event.procedures):
            if procedure_id not in procedures and procedure_id not in stems:
                problems.append(ContentProblem(file, f"life_events[{index}].procedures[{j}]",
                                               f"unknown procedure {procedure_id!r} (see content/procedures)"))
    return problems
