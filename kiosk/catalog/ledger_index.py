"""The seal-review ledger's part of the assistant's search, kept in the database.

A prefecture pooling its wards' ledgers has 200,000 rows: analysing every row with SudachiPy at
start-up took 40 s and 1.9 GB per process. Instead each row is analysed once, when it is imported
(``index_rows``, in the import's transaction; the name's analysis also gives the seal-free list's
reading, and repeated names and departments are analysed once per import), into three tables
every process shares:

- ``ledger_search_rows``: per row its name and its analysed fields (weight, lemmas, reading) as JSON;
- ``ledger_search_terms``: the postings, ``l:<lemma>`` and ``g:<reading bigram>`` → row key;
- ``ledger_search_counts``: how many rows each term is in (the IDF's document frequency).

A query reads the postings of its rarer terms only (a term in more than MAX_POSTINGS rows, such as
申請, is counted in the IDF but retrieves nothing by itself), scores at most MAX_CANDIDATES rows
with the same formulas as the in-memory search (kiosk/assistant/search.py), and so costs about the
same at 5,000 rows as at 200,000. The setting ``ledger_search_generation`` records which
``ledger_generation`` the tables were built from; a restored or older database is rebuilt once
(``ensure_current``, at start-up).
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
from collections.abc import Iterable

import sqlite_utils
from flask import current_app, has_app_context

from kiosk.assistant.text import Analysis, bigrams, shared_analyzer

log = logging.getLogger(__name__)

ROWS, TERMS, COUNTS = "ledger_search_rows", "ledger_search_terms", "ledger_search_counts"
GENERATION_SETTING = "ledger_search_generation"
LEDGER_NAME, LEDGER_DEPARTMENT = 2.7, 0.5  # as the procedures' fields in search.py weigh them
MAX_POSTINGS = 1000
MAX_CANDIDATES = 50


def _phrase_key(text: str) -> str:
    from kiosk.assistant.search import phrase_key

    return phrase_key(text)


def analyse_cell(text: str, analyses: dict[str, Analysis] | None = None) -> Analysis:
    """A ledger cell analysed as a document (words and their parts). ``analyses`` caches them for
    one import: a pooled ledger repeats its department names and many procedure names, and the
    import's search_text and its index use the same analysis of a name."""
    if analyses is None:
        return shared_analyzer().analyze(text, parts=True)
    found = analyses.get(text)
    if found is None:
        found = analyses[text] = shared_analyzer().analyze(text, parts=True)
    return found


def _analysed(row: dict, analyses: dict[str, Analysis] | None) -> list:
    return [[weight, sorted(analysis.lemmas), analysis.reading]
            for weight, analysis in ((LEDGER_NAME, analyse_cell(row["name"], analyses)),
                                     (LEDGER_DEPARTMENT, analyse_cell(row.get("department") or "", analyses)))]


def _terms(fields: list) -> set[str]:
    """The postings of a row, from its analysed fields (so a row's old terms need no analysis)."""
    terms: set[str] = set()
    for _, lemmas, reading in fields:
        terms |= {"l:" + lemma for lemma in lemmas}
        terms |= {"g:" + gram for gram in bigrams(reading)}
    return terms


def index_rows(db: sqlite_utils.Database, rows: Iterable[dict] | None = None,
               analyses: dict[str, Analysis] | None = None) -> int:
    """(Re)index ``rows`` (dicts with key, name, department and procedure_id; None: every row of
    the ledger, from scratch), inside the caller's transaction. Rows linked to a procedure are
    left out: the procedure's own guide answers better. The document frequencies change by what
    was removed and added, so a re-import of 100 rows costs 100 rows, not the whole ledger."""
    if analyses is None:
        analyses = {}
    if rows is None:
        for table in (ROWS, TERMS, COUNTS):
            db.execute(f"delete from {table}")
        rows = db.query("select key, name, department, procedure_id from ledger_entries")
        rows_before = False
    else:
        rows = list(rows)
        rows_before = db.execute(f"select exists (select 1 from {ROWS})").fetchone()[0]
    df_change: dict[str, int] = {}
    if rows_before:  # take out the changed rows' old postings
        keys = [row["key"] for row in rows]
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            old = db.execute(f"select key, fields from {ROWS} where key in ({', '.join('?' * len(chunk))})",
                             chunk).fetchall()
            postings = [(term, key) for key, fields in old for term in _terms(json.loads(fields))]
            for term, _ in postings:
                df_change[term] = df_change.get(term, 0) - 1
            db.conn.executemany(f"delete from {TERMS} where term = ? and key = ?", postings)
            db.conn.executemany(f"delete from {ROWS} where key = ?", [(key,) for key, _ in old])
    count = 0
    row_batch: list[tuple] = []
    term_batch: list[tuple[str, str]] = []
    for row in rows:
        if row.get("procedure_id"):
            continue
        fields = _analysed(row, analyses)
        row_batch.append((row["key"], row["name"], _phrase_key(row["name"]), json.dumps(fields, ensure_ascii=False)))
        for term in _terms(fields):
            term_batch.append((term, row["key"]))
            df_change[term] = df_change.get(term, 0) + 1
        count += 1
        if len(term_batch) > 200_000:
            _flush(db, row_batch, term_batch)
    _flush(db, row_batch, term_batch)
    db.conn.executemany(f"insert into {COUNTS} (term, df) values (?, ?) "
                        f"on conflict (term) do update set df = df + excluded.df",
                        sorted((term, change) for term, change in df_change.items() if change))
    db.execute(f"delete from {COUNTS} where df <= 0")
    return count


def _flush(db: sqlite_utils.Database, row_batch: list, term_batch: list) -> None:
    db.conn.executemany(f"insert or replace into {ROWS} (key, name, name_key, fields) values (?, ?, ?, ?)", row_batch)
    term_batch.sort()  # in the primary key's order: appends to the B-tree rather than inserts all over it
    db.conn.executemany(f"insert or ignore into {TERMS} (term, key) values (?, ?)", term_batch)
    row_batch.clear()
    term_batch.clear()


def mark_current(db: sqlite_utils.Database, generation: str | None) -> None:
    db.execute("insert into settings (name, value, updated_at) values (?, ?, strftime('%Y-%m-%dT%H:%M:%S+00:00', "
               "'now')) on conflict(name) do update set value = excluded.value, updated_at = excluded.updated_at",
               [GENERATION_SETTING, generation or ""])


def ensure_current(path: str) -> bool:
    """Rebuild the tables when they were not built from the ledger as it is now (a restored
    backup, a database from before this index). True when it rebuilt."""
    from kiosk.db import connect, get_setting, transaction

    db = connect(path)
    try:
        if get_setting(db, GENERATION_SETTING) == (get_setting(db, "ledger_generation") or ""):
            return False
        with transaction(db):
            generation = get_setting(db, "ledger_generation")
            if get_setting(db, GENERATION_SETTING) == (generation or ""):
                return False  # another process just did it
            count = index_rows(db)
            mark_current(db, generation)
        log.info("ledger search index rebuilt: %s rows", count)
        return True
    finally:
        db.conn.close()


class LedgerSearch:
    """Read side, one per process: document frequencies cached until the ledger changes (the
    catalog holder makes a new one then). It holds no connection of its own: inside the app it
    reads through the request's (closed with it), elsewhere through one opened per query, so that
    nothing keeps the database file open between requests (a disk that must be remounted, a file
    being restored)."""

    def __init__(self, path: str):
        self.path = path
        self._df: dict[str, int] = {}
        self._lock = threading.Lock()
        self.size = self._query("select count(*) from " + ROWS)[0][0]

    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        if has_app_context() and current_app.config.get("DATABASE") == self.path:
            from kiosk.db import get_db

            return get_db().conn.execute(sql, list(params)).fetchall()
        conn = sqlite3.connect(self.path, timeout=5)
        try:
            return conn.execute(sql, list(params)).fetchall()
        finally:
            conn.close()

    def df(self, term: str) -> int:
        with self._lock:
            cached = self._df.get(term)
        if cached is None:
            found = self._query(f"select df from {COUNTS} where term = ?", [term])
            cached = found[0][0] if found else 0
            with self._lock:
                if len(self._df) > 100_000:
                    self._df.clear()
                self._df[term] = cached
        return cached

    def candidates(self, analysis: Analysis, typed_key: str) -> list[tuple[str, str, list]]:
        """(key, name, fields) of the rows worth scoring: those holding the query's rarer terms
        (most of them first) and the row named exactly as typed."""
        terms = ["l:" + lemma for lemma in analysis.lemmas] + ["g:" + g for g in bigrams(analysis.reading)]
        rare = [t for t in terms if 0 < self.df(t) <= MAX_POSTINGS]
        keys: list[str] = [r[0] for r in self._query(f"select key from {ROWS} where name_key = ?", [typed_key])]
        if rare:
            marks = ", ".join("?" * len(rare))
            keys += [r[0] for r in self._query(
                f"select key from {TERMS} where term in ({marks}) group by key order by count(*) desc limit ?",
                [*rare, MAX_CANDIDATES])]
        keys = list(dict.fromkeys(keys))
        if not keys:
            return []
        marks = ", ".join("?" * len(keys))
        return [(key, name, json.loads(fields))
                for key, name, fields in self._query(f"select key, name, fields from {ROWS} where key in ({marks})",
                                                     keys)]


def score_fields(analysis: Analysis, fields: list, idf, max_weight: float) -> tuple[float, float]:
    """The in-memory search's two signals (search.py) for one row: (lemma score, reading score)."""
    total_idf = sum(idf(lemma) for lemma in analysis.lemmas)
    lemma_score = 0.0
    if total_idf > 0:
        coverage, focus = 0.0, 0.0
        for lemma in analysis.lemmas:
            weights = [weight for weight, lemmas, _ in fields if lemma in lemmas]
            if weights:
                coverage += idf(lemma) / total_idf * max(weights) / max_weight
        for weight, lemmas, _ in fields:
            hits = sum(1 for lemma in analysis.lemmas if lemma in lemmas)
            if hits:
                focus = max(focus, min(1.0, hits / max(len(lemmas), 1)) * weight / max_weight)
        lemma_score = coverage * (0.7 + 0.3 * focus)
    query_grams = bigrams(analysis.reading)
    reading_score = 0.0
    if len(query_grams) >= 2:
        strength = min(1.0, len(query_grams) / 4)
        for weight, _, reading in fields:
            grams = bigrams(reading)
            count = len(query_grams & grams)
            containment = count / len(query_grams)
            if containment < 0.6:
                continue
            focus = count / max(len(grams), 1)
            reading_score = max(reading_score, containment * (0.5 + 0.5 * focus) * weight / max_weight)
        reading_score *= strength
    return lemma_score, reading_score


def idf_from(df: int, size: int) -> float:
    return math.log((size + 1) / (df + 0.5))
