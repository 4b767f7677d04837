"""The seal-review ledger (押印見直し台帳): CSV import and the public seal-free list.

Columns are documented in content/README.md. A bad row is reported with its line number and
skipped; the good rows land. Re-importing upserts by a stable key and never duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from kiosk.assistant.text import is_kana, shared_analyzer, to_katakana
from kiosk.db import now_iso, transaction

COLUMNS = {
    "管理番号": "ward_number",
    "手続名": "name",
    "所管課": "department",
    "根拠規定": "legal_basis",
    "押印の種類": "seal_kind",
    "見直し結果": "review_result",
    "見直し日": "reviewed_on",
    "オンライン化": "online",
    "備考": "note",
    "手続ID": "procedure_id",
}
REQUIRED_COLUMNS = ("手続名", "所管課", "見直し結果", "オンライン化")
REVIEW_RESULTS = {"廃止": "abolished", "存続": "kept", "不要": "never-required"}
ONLINE_STATES = {"済": "online", "未": "offline", "予定": "planned"}
MAX_LENGTH = {"name": 200, "department": 100, "legal_basis": 300, "seal_kind": 50,
              "note": 1000, "ward_number": 50, "procedure_id": 80}
# Fields compared to tell an unchanged row from an updated one.
DATA_FIELDS = ("ward_number", "name", "department", "legal_basis", "seal_kind", "review_result",
               "reviewed_on", "online", "note", "procedure_id")


@dataclass
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    encoding: str = ""
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged


class LedgerFileError(Exception):
    """The file as a whole cannot be read (encoding, missing columns): nothing was imported."""


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then CP932 as Japanese Excel saves it."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8 (BOM)"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "CP932 (Shift_JIS)"
    except UnicodeDecodeError as exc:
        raise LedgerFileError(
            f"the file is neither UTF-8 nor CP932 (Shift_JIS): undecodable byte at offset {exc.start}"
        ) from None


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits, half-width kana) and trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def search_text(row: dict) -> str:
    """What the seal-free list searches: the text, folded, and the katakana reading of the
    procedure's name (so that じゅうみんひょう finds 住民票)."""
    parts = (row.get("name"), row.get("department"), row.get("legal_basis"), row.get("note"))
    text = normalise(" ".join(p for p in parts if p)).casefold()
    reading = shared_analyzer().analyze(row.get("name") or "").reading
    return f"{text} {reading}" if reading else text


def _parse_date(value: str) -> str:
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", value)
    if not match:
        raise ValueError(f"見直し日 {value!r} is not a date (YYYY-MM-DD or YYYY/MM/DD)")
    try:
        return dt.date(*map(int, match.groups())).isoformat()
    except ValueError:
        raise ValueError(f"見直し日 {value!r} is not a real date") from None


def stable_key(row: dict) -> str:
    if row.get("ward_number"):
        return "no:" + row["ward_number"]
    digest = hashlib.sha1(f"{row['name']}\x1f{row['department']}".encode()).hexdigest()[:16]
    return "nd:" + digest


def parse_row(raw: dict[str, str | None], procedure_ids: Iterable[str] | None) -> dict:
    """One CSV row to a database row; raises ValueError with the reason."""
    if None in raw:  # csv puts surplus cells under the key None
        raise ValueError(f"{len(raw[None])} more cell(s) than there are columns")
    values = {COLUMNS[k]: normalise(v or "") for k, v in raw.items() if k in COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not values.get(COLUMNS[column]):
            raise ValueError(f"{column} is empty")
    for name, limit in MAX_LENGTH.items():
        if len(values.get(name, "")) > limit:
            label = next(k for k, v in COLUMNS.items() if v == name)
            raise ValueError(f"{label} is longer than {limit} characters")
    result = values["review_result"]
    if result not in REVIEW_RESULTS:
        raise ValueError(f"見直し結果 {result!r} must be one of {', '.join(REVIEW_RESULTS)}")
    values["review_result"] = REVIEW_RESULTS[result]
    online = values["online"]
    if online not in ONLINE_STATES:
        raise ValueError(f"オンライン化 {online!r} must be one of {', '.join(ONLINE_STATES)}")
    values["online"] = ONLINE_STATES[online]
    if values.get("reviewed_on"):
        values["reviewed_on"] = _parse_date(values["reviewed_on"])
    elif values["review_result"] == "abolished":
        raise ValueError("見直し日 is empty (required when 見直し結果 is 廃止)")
    procedure_id = values.get("procedure_id")
    if procedure_id and procedure_ids is not None and procedure_id not in procedure_ids:
        raise ValueError(f"手続ID {procedure_id!r} is not a procedure in content/procedures")
    row = {name: (values.get(name) or None) for name in DATA_FIELDS}
    row["key"] = stable_key(row)
    row["search_text"] = search_text(row)
    return row


def read_rows(text: str, procedure_ids: Iterable[str] | None, report: ImportReport) -> Iterator[dict]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [normalise(h or "") for h in (reader.fieldnames or [])]
    if not header:
        raise LedgerFileError("the file is empty")
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise LedgerFileError(f"line 1: missing column(s) {', '.join(missing)}; "
                              f"the header has {', '.join(header)}")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise LedgerFileError(f"line 1: column(s) appear twice: {', '.join(duplicated)}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        report.warnings.append(f"line 1: unknown column(s) ignored: {', '.join(unknown)}")
    ids = set(procedure_ids) if procedure_ids is not None else None
    seen: dict[str, int] = {}
    line = reader.line_num
    for raw in reader:
        start, line = line + 1, reader.line_num  # a quoted cell may span lines
        if not any((v or "").strip() for k, v in raw.items() if k is not None) and None not in raw:
            continue  # blank lines are not rows
        report.rows_read += 1
        try:
            row = parse_row(raw, ids)
        except ValueError as exc:
            report.problems.append(RowProblem(start, str(exc)))
            continue
        if row["key"] in seen:
            report.problems.append(RowProblem(
                start, f"same procedure as line {seen[row['key']]} (管理番号, or 手続名 and 所管課)"))
            continue
        seen[row["key"]] = start
        yield row


def import_ledger(db: sqlite_utils.Database, data: bytes,
                  procedure_ids: Iterable[str] | None = None) -> ImportReport:
    report = ImportReport()
    text, report.encoding = decode(data)
    rows = list(read_rows(text, procedure_ids, report))
    table = db.table("ledger_entries")
    existing = {r["key"]: r for r in db.query(
        f"select key, {', '.join(DATA_FIELDS)} from ledger_entries")}
    stamp = now_iso()
    changed = []
    for row in rows:
        before = existing.get(row["key"])
        if before is None:
            report.inserted += 1
            changed.append({**row, "imported_at": stamp, "updated_at": stamp})
        elif any(before[f] != row[f] for f in DATA_FIELDS):
            report.updated += 1
            changed.append({**row, "updated_at": stamp})
        else:
            report.unchanged += 1
    with transaction(db):
        table.upsert_all(changed, pk="key", batch_size=1000, alter=False)
        if changed:  # running servers rebuild their search index
            db.table("settings").upsert({"name": "ledger_generation", "value": uuid.uuid4().hex,
                                         "updated_at": stamp}, pk="name")
    return report


def import_ledger_file(db: sqlite_utils.Database, path: str | Path,
                       procedure_ids: Iterable[str] | None = None) -> ImportReport:
    return import_ledger(db, Path(path).read_bytes(), procedure_ids)


# --- the public list -----------------------------------------------------------------------

@dataclass
class LedgerFilters:
    query: str = ""
    department: str = ""
    review_result: str = ""  # abolished / never-required / "" (both: the seal-free list)
    online: str = ""
    page: int = 1


@dataclass
class LedgerPage:
    entries: list[dict]
    total: int
    page: int
    pages: int


SEAL_FREE_RESULTS = ("abolished", "never-required")


def find_seal_free(db: sqlite_utils.Database, filters: LedgerFilters, page_size: int) -> LedgerPage:
    """Procedures that no longer need a seal (abolished, or never needed one)."""
    where = ["review_result in ('abolished', 'never-required')"]
    params: list = []
    if filters.review_result in SEAL_FREE_RESULTS:
        where.append("review_result = ?")
        params.append(filters.review_result)
    if filters.department:
        where.append("department = ?")
        params.append(filters.department)
    if filters.online in ONLINE_STATES.values():
        where.append("online = ?")
        params.append(filters.online)
    for term in normalise(filters.query).casefold().split():
        if is_kana(term):  # kana typed: also match the names' readings
            where.append("(instr(search_text, ?) > 0 or instr(search_text, ?) > 0)")
            params += [term, to_katakana(term).replace("・", "")]
        else:
            where.append("instr(search_text, ?) > 0")
            params.append(term)
    clause = " and ".join(where)
    total = next(db.query(f"select count(*) as n from ledger_entries where {clause}", params))["n"]
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    entries = list(db.query(
        f"select * from ledger_entries where {clause} order by department, name, key "
        f"limit ? offset ?", [*params, page_size, (page - 1) * page_size]))
    return LedgerPage(entries, total, page, pages)


def departments(db: sqlite_utils.Database) -> list[str]:
    return [r["department"] for r in db.query(
        "select distinct department from ledger_entries order by department")]


def ledger_count(db: sqlite_utils.Database) -> int:
    return db.table("ledger_entries").count


def ledger_entry(db: sqlite_utils.Database, key: str) -> dict | None:
    """One ledger row by its stable key (what the kiosk's chat keeps in the conversation)."""
    rows = list(db.query("select * from ledger_entries where key = ?", [key]))
    return rows[0] if rows else None
