"""Find procedures (and seal-review ledger entries) for a resident's words.

Two signals, both from SudachiPy:
- lemmas of the content words, weighted by how rare they are (IDF) and by the field they are in
  (title and keywords count more than the summary);
- katakana readings compared as bigrams, so that kana input, half-width input and homophone
  misspellings (住民表) still reach the kanji title.
The score is between 0 and about 1.5; `confident` says whether the best match is strong and
clearly ahead. Built once per content load, never per request.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kiosk.assistant.text import Analysis, Analyzer, bigrams, fold, shared_analyzer, to_katakana

TITLE, KEYWORD, SUMMARY, LEDGER_NAME, LEDGER_DEPARTMENT = 3.0, 2.7, 1.0, 2.7, 0.5
MAX_WEIGHT = 3.0
LEMMA_WEIGHT, READING_WEIGHT = 0.6, 0.4
# A ledger row has no guide: when it scores like a procedure, the procedure is the better answer.
LEDGER_FACTOR = 0.85
# A match counts as confident above this score when it is also clearly ahead of the next one.
CONFIDENT_SCORE = 0.55
CONFIDENT_MARGIN = 0.12
# Candidates shown when not confident: at most three, and only ones that match at all.
MAX_CANDIDATES = 3
CANDIDATE_SCORE = 0.2


@dataclass
class Document:
    id: str  # procedure id, or "ledger:<key>"
    title: str
    kind: str  # "procedure" | "ledger" | "event" | "elsewhere"
    fields: list[tuple[float, Analysis]] = field(default_factory=list)
    exact: set[str] = field(default_factory=set)  # phrase_key() of the title and keywords


@dataclass(frozen=True)
class Match:
    id: str
    title: str
    kind: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    confident: bool
    matches: list[Match]

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    def as_json(self) -> dict:
        return {"query": self.query, "confident": self.confident,
                "matches": [{"id": m.id, "title": m.title, "score": round(m.score, 3)} for m in self.matches]}


class SearchIndex:
    """``ledger``: the seal-review ledger's rows, searched in the database
    (kiosk/catalog/ledger_index.py) rather than held here; their terms count in the IDF alike."""

    def __init__(self, documents: list[Document], analyzer: Analyzer, ledger=None):
        self.documents = documents
        self.analyzer = analyzer
        self.ledger = ledger
        # lemma → {document: [(field, weight), …]}
        self.lemma_postings: dict[str, dict[int, list[tuple[int, float]]]] = defaultdict(dict)
        self.bigram_postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.field_sizes: list[list[tuple[int, int]]] = []  # (lemmas, bigrams) per field
        self.field_weights: list[list[float]] = []
        self.exact: dict[str, set[int]] = defaultdict(set)
        # Titles and keywords of procedures, longest first, for "the query contains a keyword".
        self.phrases: list[tuple[str, int]] = []
        for doc_index, doc in enumerate(documents):
            sizes, weights = [], []
            for field_index, (weight, analysis) in enumerate(doc.fields):
                for lemma in analysis.lemmas:
                    self.lemma_postings[lemma].setdefault(doc_index, []).append((field_index, weight))
                grams = bigrams(analysis.reading)
                for gram in grams:
                    self.bigram_postings[gram].append((doc_index, field_index))
                sizes.append((len(analysis.lemmas), len(grams)))
                weights.append(weight)
            self.field_sizes.append(sizes)
            self.field_weights.append(weights)
            for phrase in doc.exact:
                self.exact[phrase].add(doc_index)
                if doc.kind != "ledger" and len(phrase) >= 2:
                    self.phrases.append((phrase, doc_index))
        self.phrases.sort(key=lambda item: -len(item[0]))
        self.size = len(documents)

    def idf(self, lemma: str) -> float:
        df = len(self.lemma_postings.get(lemma, ()))
        if self.ledger is not None:
            return math.log((self.size + self.ledger.size + 1) / (df + self.ledger.df("l:" + lemma) + 0.5))
        return math.log((self.size + 1) / (df + 0.5))

    def _ledger_matches(self, analysis: Analysis, typed: str, lemma_weight: float) -> list[Match]:
        from kiosk.catalog.ledger_index import score_fields

        matches = []
        for key, name, fields in self.ledger.candidates(analysis, typed):
            lemma_score, reading_score = score_fields(analysis, fields, self.idf, MAX_WEIGHT)
            score = lemma_weight * lemma_score + READING_WEIGHT * reading_score
            if phrase_key(name) == typed:
                score += 0.5
            if score > 0:
                matches.append(Match(f"ledger:{key}", name, "ledger", score * LEDGER_FACTOR))
        return matches

    def _lemma_scores(self, analysis: Analysis) -> dict[int, float]:
        """The share of the query's meaning (IDF-weighted) found in each document, raised when
        one field is mostly the query (a keyword 住民票 beats a keyword 住民票を移す)."""
        total_idf = sum(self.idf(lemma) for lemma in analysis.lemmas)
        if total_idf <= 0:
            return {}
        coverage: dict[int, float] = defaultdict(float)
        field_hits: dict[tuple[int, int], int] = defaultdict(int)
        for lemma in analysis.lemmas:
            share = self.idf(lemma) / total_idf
            for doc_index, fields in self.lemma_postings.get(lemma, {}).items():
                coverage[doc_index] += share * max(weight for _, weight in fields) / MAX_WEIGHT
                for field_index, _ in fields:
                    field_hits[doc_index, field_index] += 1
        focus: dict[int, float] = defaultdict(float)
        for (doc_index, field_index), hits in field_hits.items():
            field_lemmas = self.field_sizes[doc_index][field_index][0]
            weight = self.field_weights[doc_index][field_index] / MAX_WEIGHT
            focus[doc_index] = max(focus[doc_index], min(1.0, hits / max(field_lemmas, 1)) * weight)
        return {d: c * (0.7 + 0.3 * focus[d]) for d, c in coverage.items()}

    def _reading_scores(self, analysis: Analysis) -> dict[int, float]:
        """The share of the query's reading bigrams found in one field, for kana input and
        homophone misspellings. Short readings are weak evidence (テンキ is in テンキョ)."""
        query_grams = bigrams(analysis.reading)
        if len(query_grams) < 2:
            return {}
        strength = min(1.0, len(query_grams) / 4)
        hits: dict[tuple[int, int], int] = defaultdict(int)
        for gram in query_grams:
            for posting in self.bigram_postings.get(gram, ()):
                hits[posting] += 1
        best: dict[int, float] = defaultdict(float)
        for (doc_index, field_index), count in hits.items():
            containment = count / len(query_grams)
            if containment < 0.6:
                continue  # a few shared kana are noise, not a match
            focus = count / max(self.field_sizes[doc_index][field_index][1], 1)
            weight = self.field_weights[doc_index][field_index] / MAX_WEIGHT
            best[doc_index] = max(best[doc_index], containment * (0.5 + 0.5 * focus) * weight)
        return {d: strength * v for d, v in best.items()}

    def search(self, query: str, limit: int = 10) -> SearchResult:
        analysis = self.analyzer.analyze(query)
        scores: dict[int, float] = defaultdict(float)
        readings = self._reading_scores(analysis)
        # English words and one-kana readings (犬 → イヌ) give the reading signal nothing to
        # compare: then the lemmas alone decide, at full weight.
        lemma_weight = LEMMA_WEIGHT if len(bigrams(analysis.reading)) >= 2 else 1.0
        for doc_index, value in self._lemma_scores(analysis).items():
            scores[doc_index] += lemma_weight * value
        for doc_index, value in readings.items():
            scores[doc_index] += READING_WEIGHT * value
        # The resident typed exactly a title or keyword, or a sentence containing one.
        typed = phrase_key(query)
        for doc_index in self.exact.get(typed, ()):
            scores[doc_index] += 0.5
        contained = next((p for p in self.phrases if p[0] in typed and p[0] != typed), None)
        if contained:
            longest = len(contained[0])
            for phrase, doc_index in self.phrases:
                if len(phrase) < longest:
                    break
                if phrase in typed:
                    scores[doc_index] += 0.35
        for doc_index in scores:
            if self.documents[doc_index].kind == "ledger":
                scores[doc_index] *= LEDGER_FACTOR

        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        matches = [Match(self.documents[i].id, self.documents[i].title, self.documents[i].kind, s)
                   for i, s in ranked[:limit] if s > 0]
        if self.ledger is not None:
            matches = sorted(matches + self._ledger_matches(analysis, typed, lemma_weight),
                             key=lambda m: -m.score)[:limit]
        return SearchResult(query, is_confident(matches), matches)


def phrase_key(text: str) -> str:
    """Width, case and kana folded: いぬ, イヌ and ｲﾇ are the same phrase."""
    return to_katakana(fold(text)).replace(" ", "")


def is_confident(matches: list[Match]) -> bool:
    if not matches or matches[0].score < CONFIDENT_SCORE:
        return False
    if len(matches) == 1:
        return True
    return matches[0].score - matches[1].score >= CONFIDENT_MARGIN


def candidates(result: SearchResult) -> list[Match]:
    """What to offer when not confident: at most three that match at all."""
    return [m for m in result.matches if m.score >= CANDIDATE_SCORE][:MAX_CANDIDATES]


def _topic_documents(events: Iterable, authorities: Iterable, analyzer: Analyzer) -> list[Document]:
    """Life events (kind "event") and other authorities' matters (kind "elsewhere"), searched
    like procedures: a resident describes what happened, or asks for a passport."""
    documents = []
    for item, kind in [(e, "event") for e in events] + [(a, "elsewhere") for a in authorities]:
        doc = Document(item.id, item.title, kind)
        doc.fields.append((TITLE, analyzer.analyze(item.title, parts=True)))
        if getattr(item, "reading", None):
            doc.fields.append((TITLE, analyzer.analyze(item.reading, parts=True)))
        for keyword in item.keywords:
            doc.fields.append((KEYWORD, analyzer.analyze(keyword, parts=True)))
        extra = getattr(item, "description", None) or getattr(item, "authority", None)
        if extra:
            doc.fields.append((SUMMARY, analyzer.analyze(extra, parts=True)))
        doc.exact = {phrase_key(item.title)} | {phrase_key(k) for k in item.keywords}
        documents.append(doc)
    return documents


def build_index(procedures: Iterable, ledger_entries: Iterable[dict] = (),
                analyzer: Analyzer | None = None, events: Iterable = (), authorities: Iterable = (),
                ledger=None) -> SearchIndex:
    """``ledger_entries`` are indexed in memory (tests, small sets); ``ledger`` (a LedgerSearch)
    searches the ledger in the database instead."""
    analyzer = analyzer or shared_analyzer()
    documents: list[Document] = _topic_documents(events, authorities, analyzer)
    linked: set[str] = set()
    for proc in procedures:
        doc = Document(proc.id, proc.title, "procedure")
        doc.fields.append((TITLE, analyzer.analyze(proc.title, parts=True)))
        doc.fields.append((TITLE, analyzer.analyze(proc.reading, parts=True)))
        for keyword in proc.keywords:
            doc.fields.append((KEYWORD, analyzer.analyze(keyword, parts=True)))
        doc.fields.append((SUMMARY, analyzer.analyze(proc.summary, parts=True)))
        doc.exact = {phrase_key(proc.title), phrase_key(proc.reading)} | {phrase_key(k) for k in proc.keywords}
        documents.append(doc)
        linked.add(proc.id)
    for entry in ledger_entries:
        if entry.get("procedure_id") in linked:
            continue  # the procedure's own guide answers better than its ledger row
        doc = Document(f"ledger:{entry['key']}", entry["name"], "ledger")
        doc.fields.append((LEDGER_NAME, analyzer.analyze(entry["name"], parts=True)))
        doc.fields.append((LEDGER_DEPARTMENT, analyzer.analyze(entry["department"], parts=True)))
        doc.exact = {phrase_key(entry["name"])}
        documents.append(doc)
    return SearchIndex(documents, analyzer, ledger)
