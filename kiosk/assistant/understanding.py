"""The one search: what a resident's typed words mean, for the kiosk's chat, `kiosk ask` and any
API alike. ``understand(text, screen_locale)`` takes what the kiosk has (the words, the screen's
language) and returns what the kiosk will do:

- ``procedure``: start that guide (confident);
- ``event``: show a life event's checklist (confident);
- ``elsewhere``: say which other authority handles it (passport, driving licence, pension);
- ``ledger``: show a seal-review ledger entry (confident, no guide);
- ``candidates``: at most three close matches, and the offer to call staff;
- ``nothing``: no match at all.

Steps: detect the language typed (language.py) whatever the screen shows; search the Japanese
index with the text and with its script foldings (simplified Chinese → Japanese kanji, romaji →
kana); search the index of the typed language (translated content and the translators' search
words); keep each item's best score; decide with the thresholds below, tuned on the query sets
in tests/queries/ with bench/assistant_quality.py (never on single examples).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from kiosk.assistant.language import LATIN_TYPED_LOCALES, detect_language
from kiosk.assistant.scripts import romaji_to_kana, simplified_to_japanese
from kiosk.assistant.search import Match, SearchIndex

# Confident: the best match scores at least this and leads the next by CONFIDENT_MARGIN.
CONFIDENT_SCORE = 0.35
CONFIDENT_MARGIN = 0.1
# Another authority's matter is answered as such from this score on and this far ahead; an
# authority's match never starts a guide (it is never a candidate either).
ELSEWHERE_SCORE = 0.4
ELSEWHERE_MARGIN = 0.3
# Candidates: at most three that score at least this.
MAX_CANDIDATES = 3
CANDIDATE_SCORE = 0.2
# The other Latin-script languages' words count a little less than the detected language's.
OTHER_LANGUAGE_FACTOR = 0.7
LATIN_TEXT = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]{3}")
# Kinds a resident can pick from the candidates.
PICKABLE = ("procedure", "event", "ledger")


@dataclass(frozen=True)
class Understanding:
    text: str
    screen_locale: str
    language: str  # the locale code of the language typed
    action: str  # procedure | event | elsewhere | ledger | candidates | nothing
    matches: list[Match] = field(default_factory=list)  # best first, every kind

    @property
    def confident(self) -> bool:
        return self.action in ("procedure", "event", "ledger")

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def candidates(self) -> list[Match]:
        """What the kiosk shows: the one it starts, or the close matches to pick from."""
        if self.action == "nothing":
            return []
        if self.action != "candidates":
            return [self.matches[0]] if self.matches else []
        return [m for m in self.matches if m.kind in PICKABLE and m.score >= CANDIDATE_SCORE][:MAX_CANDIDATES]

    @property
    def offer_language(self) -> str | None:
        """The language to offer switching the screen to, when the resident typed another."""
        same = self.language.split("@")[0] == self.screen_locale.split("@")[0]
        return None if same else self.language

    def as_json(self) -> dict:
        shown = self.candidates if self.action == "candidates" else self.matches[:1]
        return {"query": self.text, "screen_language": self.screen_locale, "language": self.language,
                "action": self.action, "confident": self.confident,
                "id": self.best.id if self.best and self.action != "candidates" else None,
                "candidates": [{"id": m.id, "kind": m.kind, "title": m.title, "score": round(m.score, 3)}
                               for m in shown],
                "matches": [{"id": m.id, "kind": m.kind, "score": round(m.score, 3)} for m in self.matches[:5]]}


def japanese_variants(text: str, language: str) -> list[str]:
    """The text as the Japanese index should also read it."""
    variants = [text]
    if language == "zh_Hans":
        variants.append(simplified_to_japanese(text))
    kana = romaji_to_kana(text)
    if kana:
        variants.append(kana)
    return list(dict.fromkeys(variants))


def _merge(result_lists: list[list[Match]], events: dict[str, tuple[str, ...]]) -> list[Match]:
    """Each item's best score over every search. A life event of a single procedure is that
    procedure: its guide answers better than a checklist of one."""
    best: dict[tuple[str, str], Match] = {}
    for matches in result_lists:
        for match in matches:
            if match.kind == "event" and len(events.get(match.id, ())) == 1:
                match = Match(events[match.id][0], match.title, "procedure", match.score)
            key = (match.kind, match.id)
            if key not in best or match.score > best[key].score:
                best[key] = match
    return sorted(best.values(), key=lambda m: (-m.score, m.kind, m.id))


def _related(best: Match, other: Match, events: dict[str, tuple[str, ...]]) -> bool:
    """A life event and one of its procedures do not compete: either answer serves."""
    if best.kind == "event" and other.kind == "procedure":
        return other.id in events.get(best.id, ())
    if best.kind == "procedure" and other.kind == "event":
        return best.id in events.get(other.id, ())
    return False


def decide(matches: list[Match], events: dict[str, tuple[str, ...]] | None = None) -> str:
    """The action for ranked ``matches``; ``events``: life event id → its procedure ids."""
    events = events or {}
    if not matches:
        return "nothing"
    best = matches[0]
    runner_up = max((m.score for m in matches[1:] if not _related(best, m, events)), default=0.0)
    if best.kind == "elsewhere" and best.score >= ELSEWHERE_SCORE and best.score - runner_up >= ELSEWHERE_MARGIN:
        return "elsewhere"
    if best.kind != "elsewhere" and best.score >= CONFIDENT_SCORE and best.score - runner_up >= CONFIDENT_MARGIN:
        return best.kind
    return "candidates" if any(m.score >= CANDIDATE_SCORE and m.kind in PICKABLE for m in matches) else "nothing"


def understand_with(japanese: SearchIndex, own_language, text: str, screen_locale: str,
                    language: str | None = None, events: dict[str, tuple[str, ...]] | None = None,
                    other_languages: list | None = None) -> Understanding:
    """``understand`` on given indexes (``own_language``: a TranslatedIndex, or None;
    ``other_languages``: TranslatedIndexes searched at OTHER_LANGUAGE_FACTOR; ``events``: life
    event id → its procedure ids)."""
    text = " ".join(text.split())[:200]
    events = events or {}
    language = language or detect_language(text, screen_locale)
    found = [japanese.search(variant).matches for variant in japanese_variants(text, language)]
    if own_language is not None:
        found.append(own_language.search(text))
    for index in other_languages or ():
        found.append([dataclasses.replace(m, score=m.score * OTHER_LANGUAGE_FACTOR) for m in index.search(text)])
    matches = _merge(found, events)
    return Understanding(text, screen_locale, language, decide(matches, events), matches)


def understand(text: str, screen_locale: str) -> Understanding:
    """What the kiosk does with ``text`` typed on a screen in ``screen_locale`` (in an app context)."""
    from kiosk.catalog import base_catalog, get_search_index, get_translated_index

    language = detect_language(" ".join(text.split()), screen_locale)
    own = None if language.startswith("ja") else get_translated_index(language)
    others = []
    if LATIN_TEXT.search(text):  # a detector's guess between Latin-script languages can be wrong
        others = [get_translated_index(code) for code in LATIN_TYPED_LOCALES if code != language]
    events = {e.id: tuple(e.procedures) for e in base_catalog().life_events.values()}
    return understand_with(get_search_index(), own, text, screen_locale, language, events, others)
