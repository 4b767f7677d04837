"""Quality of understanding: the query sets in tests/queries/ through the one search the kiosk uses.
Prints, per set (the language typed; out_of_scope mixes them): n, top-1 (confident and right),
top-3 (a right answer among the first three the kiosk would show), confident-but-wrong, the
out-of-scope questions that started a guide, and the language-switch offers; with --failures every
query that was not confidently right, with what came back. docs/benchmarks.md keeps the figures.

    .venv/bin/python bench/assistant_quality.py [--failures] [--set ko --set ne] [--rows 5000] [--by-tag]

A real instance: a temporary SQLite file, the real content, the sample seal-review ledger plus
--rows synthetic rows (a ward's ledger competes with the guides, as on a real kiosk).
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import temporary_instance

from kiosk import create_app
from kiosk.catalog import base_catalog
from kiosk.catalog.ledger import import_ledger
from kiosk.db import connect
from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
from kiosk.i18n.locales import LOCALE_CODES, LOCALES
from kiosk.migrations import migrate
from tests.queries.sets import EVENT, FOLDER, LANGUAGE_SETS, NEIGHBOUR, Query, load_sets


@dataclass
class Answer:
    """What the kiosk does with one typed text, in the query sets' terms."""
    confident: str | None  # what it starts: a procedure id, event:<name>, neighbour:<authority>, ledger:<key>
    offered: list[str] = field(default_factory=list)  # in order, the confident answer first (top-3 reads it)
    language_offer: str | None = None  # the screen language it offers to switch to


# --- the adapter: the only place that knows the engine's entry point ------------------------------

def ask(text: str, screen: str) -> Answer:
    return ask_through_understand(text, screen)  # the engine's one search function: change this line only


def ask_through_chat(text: str, screen: str) -> Answer:
    """The engine before issue 12 (commit 347a5b1), for its baseline: the chat turn as /chat/say ran
    it (conversation.say with the main index and, on a non-Japanese screen, the translated index);
    top-3 reads the main ranking when confident."""
    from kiosk.assistant import conversation
    from kiosk.catalog import get_search_index, get_translated_index, localized_catalog

    japanese = next(loc for loc in LOCALES if loc.code == screen).japanese
    translated = None if japanese else get_translated_index(screen)
    turn = conversation.say(conversation.new_state(screen), localized_catalog(screen), get_search_index(), text,
                            translated)
    confident, offered = None, []
    for entry in turn.entries:
        if entry.get("kind") == "found":
            confident = entry["id"]
        elif entry.get("kind") == "ledger":
            confident = f"ledger:{entry['key']}"
        elif entry.get("kind") == "unsure":
            offered = [c["id"] for c in entry["candidates"]]
    if confident:
        offered = [confident] + [m.id for m in get_search_index().search(text).matches if m.id != confident]
    return Answer(confident, offered)


def ask_through_understand(text: str, screen: str) -> Answer:
    """kiosk.assistant.understanding.understand: the one search of the kiosk chat and `kiosk ask`."""
    from kiosk.assistant.understanding import understand

    understanding = understand(text, screen)
    if understanding.action not in ("procedure", "event", "elsewhere", "ledger", "candidates", "nothing"):
        raise SystemExit(f"unknown action {understanding.action!r}: update ask_through_understand")

    def named(match) -> str:  # the query sets' names: event:<id>, neighbour:<id>, ledger:<key>, procedure id
        return {"event": EVENT, "elsewhere": NEIGHBOUR}.get(match.kind, "") + match.id

    if understanding.action in ("procedure", "event", "elsewhere", "ledger"):
        confident = named(understanding.best)
        offered = [confident] + [named(m) for m in understanding.matches if named(m) != confident]
    elif understanding.action == "candidates":
        confident, offered = None, [named(m) for m in understanding.candidates]
    else:  # nothing: the kiosk shows no candidate
        confident, offered = None, []
    return Answer(confident, offered, understanding.offer_language)


# --- scoring ----------------------------------------------------------------------------------------

@dataclass
class Outcome:
    query: Query
    answer: Answer
    ms: float

    @property
    def right(self) -> bool:
        """Top-1: the kiosk is confident and right; for out-of-scope, it starts nothing."""
        if self.query.kind == "out-of-scope":
            return self.answer.confident is None
        return self.answer.confident in self.query.acceptable

    @property
    def in_top3(self) -> bool:
        if self.query.kind == "out-of-scope":
            return self.right
        return self.right or any(a in self.answer.offered[:3] for a in self.query.acceptable)

    @property
    def confident_wrong(self) -> bool:
        return self.answer.confident is not None and self.answer.confident not in self.query.acceptable

    @property
    def started_outside(self) -> bool:
        """An out-of-scope or neighbour question that started a guide, a checklist or a ledger answer."""
        return (self.query.outside and self.confident_wrong
                and not (self.answer.confident or "").startswith(NEIGHBOUR))

    @property
    def other_screen(self) -> bool:
        """Typed on a screen in another language (やさしい日本語 is Japanese)."""
        return self.query.set_name in LANGUAGE_SETS and self.query.screen.split("@")[0] != self.query.set_name

    def describe(self) -> str:
        want = " or ".join(self.query.acceptable)
        got = f"confident {self.answer.confident}" if self.answer.confident else "not sure"
        shown = ", ".join(self.answer.offered[:3]) or "nothing"
        offer = f"; offers {self.answer.language_offer}" if self.answer.language_offer else ""
        return (f"{self.query.where}  [{self.query.screen}] {self.query.text}\n"
                f"    want {want}; got {got}; shows {shown}{offer}")


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    —"


def summary_row(name: str, outcomes: list[Outcome]) -> str:
    n = len(outcomes)
    right = sum(o.right for o in outcomes)
    top3 = sum(o.in_top3 for o in outcomes)
    wrong = sum(o.confident_wrong for o in outcomes)
    started = sum(o.started_outside for o in outcomes)
    elsewhere = [o for o in outcomes if o.other_screen]
    offered = sum(o.answer.language_offer == o.query.set_name for o in elsewhere)
    spurious = sum(o.answer.language_offer is not None and not o.other_screen
                   and o.query.set_name in LANGUAGE_SETS for o in outcomes)
    switch = f"{offered}/{len(elsewhere)}" if elsewhere else "—"
    return (f"{name:<14}{n:>5}  {percent(right, n)}  {percent(top3, n)}  {wrong:>10}  {started:>14}"
            f"  {switch:>9}  {spurious:>8}")


HEADER = (f"{'set':<14}{'n':>5}  {'top-1':>6}  {'top-3':>6}  {'conf-wrong':>10}  {'outside-start':>14}"
          f"  {'switch':>9}  {'spurious':>8}")


def report(outcomes: list[Outcome], failures: bool, by_tag: bool) -> None:
    by_set: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_set[outcome.query.set_name].append(outcome)
    print(HEADER)
    for name, group in by_set.items():
        print(summary_row(name, group))
    languages = [o for o in outcomes if o.query.set_name in LANGUAGE_SETS]
    print(summary_row("all languages", languages))
    elsewhere = [o for o in languages if o.other_screen]
    if elsewhere:
        print(summary_row("  other screen", elsewhere))
    print("top-1: confident and right (out-of-scope: nothing started); top-3: a right answer among the first three;")
    print("conf-wrong: confident in a wrong answer; outside-start: out-of-scope or neighbour questions that started")
    print("a guide, checklist or ledger answer (target 0); switch: offers of the typed language on another screen;")
    print("spurious: offers of a language other than the screen's when the resident typed in the screen's language.")
    if by_tag:
        tags: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            tags[outcome.query.tag or "(none)"].append(outcome)
        print()
        print(HEADER.replace("set ", "tag "))
        for tag, group in sorted(tags.items(), key=lambda item: -len(item[1])):
            print(summary_row(tag, group))
    if failures:
        print()
        for outcome in outcomes:
            if not outcome.right:
                print(outcome.describe())


def prepare_instance(rows: int) -> object:
    """A temporary instance with the sample ledger and ``rows`` synthetic rows; the app built after the
    import, so that every search sees them."""
    _, env = temporary_instance("kiosk-quality-")
    ids = base_catalog_ids()
    db = connect(env["KIOSK_DATABASE"])
    migrate(db)
    if rows:
        out = io.StringIO(newline="")
        write_ledger_csv(synthetic_ledger_rows(rows, procedure_ids=ids), out)
        import_ledger(db, out.getvalue().encode(), ids)
    import_ledger(db, (ROOT / "content" / "ledger-sample.csv").read_bytes(), ids)
    db.conn.close()
    return create_app()


def base_catalog_ids() -> list[str]:
    app = create_app()
    with app.app_context():
        return list(base_catalog().procedures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failures", action="store_true", help="list every query that was not confidently right")
    parser.add_argument("--set", dest="sets", action="append", help="only this set (repeatable): ja, ko, out_of_scope…")
    parser.add_argument("--rows", type=int, default=5000, help="synthetic ledger rows beside the sample ledger")
    parser.add_argument("--by-tag", action="store_true", help="also a table by kind of query (typo, romaji…)")
    parser.add_argument("--folder", type=Path, default=FOLDER,
                        help="another folder of sets in the same format (a held-out set, say)")
    args = parser.parse_args()

    sets = load_sets(args.folder, screens=LOCALE_CODES)
    unknown = set(args.sets or ()) - set(sets)
    if unknown:
        parser.error(f"unknown set {', '.join(sorted(unknown))}: one of {', '.join(sets)}")
    queries = [q for name, group in sets.items() if not args.sets or name in args.sets for q in group]

    app = prepare_instance(args.rows)
    outcomes = []
    with app.app_context():
        ask("住民票", "ja")  # first-call costs (dictionary, lazy indexes) out of the timings
        for query in queries:
            started = time.perf_counter()
            answer = ask(query.text, query.screen)
            outcomes.append(Outcome(query, answer, (time.perf_counter() - started) * 1000))

    print(f"machine: {platform.machine()}, Python {platform.python_version()}; engine: {ask_engine_name()}; "
          f"ledger: sample + {args.rows} synthetic rows; {len(queries)} queries, "
          f"median {statistics.median(o.ms for o in outcomes):.1f} ms each")
    report(outcomes, args.failures, args.by_tag)


def ask_engine_name() -> str:
    """Which adapter ask() calls, for the record."""
    code = ask.__code__
    return next((name for name in code.co_names if name.startswith("ask_through_")), "?")


if __name__ == "__main__":
    main()
