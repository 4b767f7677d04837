"""Read the query sets (the format is in README.md beside this file). Shared by
bench/assistant_quality.py, which scores them, and tests/unit/test_query_sets.py, which checks
that they parse and name only things that exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
COLUMNS = ("query", "expected", "also", "screen", "tag")
# One file per language the resident types in; out_of_scope.tsv mixes them and names each screen.
LANGUAGE_SETS = ("ja", "en", "ko", "zh_Hans", "vi", "tl", "pt_BR", "ne")
OUT_OF_SCOPE_SET = "out_of_scope"
MINIMUM_SIZE = {"ja": 400, OUT_OF_SCOPE_SET: 40} | {name: 150 for name in LANGUAGE_SETS if name != "ja"}
OUT_OF_SCOPE = "out-of-scope"
# event:<id> names an entry of content/life_events.yaml, neighbour:<id> one of
# content/other_authorities.yaml (the test checks both against the loaded content).
EVENT, NEIGHBOUR = "event:", "neighbour:"


class QuerySetError(ValueError):
    """A line that cannot be read, named by file and line."""


@dataclass(frozen=True)
class Query:
    set_name: str  # the file's name without .tsv: the language typed, or out_of_scope
    line: int
    text: str
    expected: str
    also: str  # a second acceptable answer, or ""
    screen: str  # the screen language the resident is on
    tag: str  # what kind of query: name, casual, situation, typo, kana, romaji, voice, width…
    source: str = ""  # the file, as where() names it

    @property
    def acceptable(self) -> tuple[str, ...]:
        return (self.expected, self.also) if self.also else (self.expected,)

    @property
    def kind(self) -> str:
        return answer_kind(self.expected)

    @property
    def outside(self) -> bool:
        """Nothing in the ward's own guides is the right answer."""
        return self.kind in ("out-of-scope", "neighbour")

    @property
    def where(self) -> str:
        return f"{self.source or self.set_name + '.tsv'}:{self.line}"


def answer_kind(answer: str) -> str:
    """procedure, event, neighbour or out-of-scope."""
    if answer == OUT_OF_SCOPE:
        return "out-of-scope"
    if answer.startswith(EVENT):
        return "event"
    if answer.startswith(NEIGHBOUR):
        return "neighbour"
    return "procedure"


def read_set(path: Path, screens: tuple[str, ...] | None = None) -> list[Query]:
    """Every query of one file. Raises QuerySetError naming the file and line of the first bad
    line; ``screens`` (the shipped locale codes) checks the screen column."""
    set_name = path.stem
    source = _display(path)
    queries: list[Query] = []
    seen: dict[tuple[str, str], int] = {}
    header_seen = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}: line {number}"
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if not header_seen:
            if tuple(cells) != COLUMNS:
                raise QuerySetError(f"{where}: the header must be {' / '.join(COLUMNS)} (tab-separated)")
            header_seen = True
            continue
        if len(cells) != len(COLUMNS):
            raise QuerySetError(f"{where}: {len(cells)} tab-separated cells, expected {len(COLUMNS)}")
        text, expected, also, screen, tag = (cell.strip() for cell in cells)
        if not text or not expected:
            raise QuerySetError(f"{where}: the query and the expected answer may not be empty")
        screen = screen or (set_name if set_name in LANGUAGE_SETS else "")
        if not screen:
            raise QuerySetError(f"{where}: the screen column is required in {path.name}")
        if screens is not None and screen not in screens:
            raise QuerySetError(f"{where}: unknown screen {screen!r} (one of {', '.join(screens)})")
        if (text, screen) in seen:
            raise QuerySetError(f"{where}: the same query on the same screen as line {seen[text, screen]}")
        seen[text, screen] = number
        queries.append(Query(set_name, number, text, expected, also, screen, tag, source))
    if not header_seen:
        raise QuerySetError(f"{path.name}: no header line")
    return queries


def _display(path: Path) -> str:
    """The path from the checkout's root when it is inside it (tests/queries/ko.tsv)."""
    path = path.resolve()
    root = FOLDER.parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def load_sets(folder: Path = FOLDER, screens: tuple[str, ...] | None = None) -> dict[str, list[Query]]:
    """Every set in ``folder``, by name, languages first in LANGUAGE_SETS order."""
    order = {name: i for i, name in enumerate((*LANGUAGE_SETS, OUT_OF_SCOPE_SET))}
    paths = sorted(folder.glob("*.tsv"), key=lambda p: (order.get(p.stem, len(order)), p.stem))
    return {path.stem: read_set(path, screens) for path in paths}
