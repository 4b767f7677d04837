"""The seal-review ledger (押印見直し台帳): CSV import and the public seal-free list.

Columns are documented in content/README.md. A bad row is reported with its line number and
skipped; the good rows land. Re-importing upserts by a stable key and never duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from kiosk.assistant.text import is_kana, to_katakana
from kiosk.audit import audit
from kiosk.catalog.ledger_index import analyse_cell
from kiosk.db import now_iso, transaction
from kiosk.review.statuses import (
    CSV_LABEL,
    KEPT,
    STATUS_CSV,
    STATUS_FOR_PUBLIC_RESULT,
    public_result,
    status_from_result,
)

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
    # The review workflow (kiosk/review/): 状況 replaces 見直し結果 where both are given.
    "状況": "status",
    "存続理由": "keep_reason",
    "改正する例規": "rules_to_amend",
    "例規改正日": "rules_amended_on",
    "廃止日": "abolished_on",
}
# Cells every row must fill; 状況 or (in older ledgers) 見直し結果 too, see missing_columns.
REQUIRED_COLUMNS = ("手続名", "所管課", "オンライン化")
REVIEW_RESULTS = {"廃止": "abolished", "存続": "kept", "不要": "never-required"}
ONLINE_STATES = {"済": "online", "未": "offline", "予定": "planned"}
MAX_LENGTH = {"name": 200, "department": 100, "legal_basis": 300, "seal_kind": 50,
              "note": 1000, "ward_number": 50, "procedure_id": 80, "keep_reason": 300, "rules_to_amend": 200}
# Fields compared to tell an unchanged row from an updated one. A file updates only the fields of
# the columns it has (and those derived from them), so an older ledger leaves 存続理由 and 例規 alone.
DATA_FIELDS = ("ward_number", "name", "department", "legal_basis", "seal_kind", "review_result",
               "reviewed_on", "online", "note", "procedure_id", "status", "keep_reason", "rules_to_amend",
               "rules_amended_on", "abolished_on")


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


# Limits on the file as a whole: a real ledger of thousands of procedures is a few MB, about ten
# columns, and no cell longer than MAX_LENGTH allows; anything far past that is refused whole.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 200
MAX_CELL_CHARACTERS = 10_000


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise LedgerFileError(f"the file is {size / 1024 / 1024:.1f} MB; a ledger may be at most "
                              f"{MAX_FILE_BYTES // 1024 // 1024} MB")


def check_no_nul(text: str) -> None:
    """A NUL byte means a binary or damaged file, and would be stored inside a name."""
    position = text.find("\x00")
    if position >= 0:
        raise LedgerFileError(f"line {text.count(chr(10), 0, position) + 1}: contains a NUL byte")


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then CP932 as Japanese Excel saves it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LedgerFileError("the file is UTF-16 (Excel's \"Unicode text\"); "
                              "save it as CSV UTF-8 (コンマ区切り) or CSV (コンマ区切り)")
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


def search_text(row: dict, analyses: dict | None = None) -> str:
    """What the seal-free list searches: the text, folded, and the katakana reading of the
    procedure's name (so that じゅうみんひょう finds 住民票). ``analyses``: the import's cache of
    analysed cells, which the assistant's search index then reuses."""
    parts = (row.get("name"), row.get("department"), row.get("legal_basis"), row.get("note"))
    text = normalise(" ".join(p for p in parts if p)).casefold()
    reading = analyse_cell(row.get("name") or "", analyses).reading
    return f"{text} {reading}" if reading else text


def _parse_date(value: str, column: str = "見直し日") -> str:
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", value)
    if not match:
        raise ValueError(f"{column} {value!r} is not a date (YYYY-MM-DD or YYYY/MM/DD)")
    try:
        return dt.date(*map(int, match.groups())).isoformat()
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a real date") from None


_STATUS_BY_LABEL = {normalise(label): status for label, status in STATUS_CSV.items()}  # cells are NFKC
_DATE_COLUMNS = {"reviewed_on": "見直し日", "abolished_on": "廃止日", "rules_amended_on": "例規改正日"}


def _review_status(values: dict) -> str:
    if values.get("status"):
        if values["status"] not in _STATUS_BY_LABEL:
            raise ValueError(f"状況 {values['status']!r} must be one of {', '.join(STATUS_CSV)}")
        return _STATUS_BY_LABEL[values["status"]]
    result = values.get("review_result", "")
    if not result:
        raise ValueError("状況 is empty" if "status" in values else "見直し結果 is empty")
    if result not in REVIEW_RESULTS:
        raise ValueError(f"見直し結果 {result!r} must be one of {', '.join(REVIEW_RESULTS)}")
    return status_from_result(REVIEW_RESULTS[result], values.get("seal_kind"))


def map_review_columns(values: dict) -> None:
    """状況 (or an older ledger's 見直し結果) to the status, the public result derived from it, and
    the review's dates; raises ValueError naming the column."""
    from_status_column = bool(values.get("status"))
    status = values["status"] = _review_status(values)
    values["review_result"] = public_result(status)
    for name, column in _DATE_COLUMNS.items():
        if values.get(name):
            values[name] = _parse_date(values[name], column)
    if status == "abolished":
        values["abolished_on"] = values.get("abolished_on") or values.get("reviewed_on") or ""
        if not values["abolished_on"]:
            raise ValueError("廃止日 is empty (required when 状況 is 廃止済; 見直し日 is used when 廃止日 is empty)"
                             if from_status_column else "見直し日 is empty (required when 見直し結果 is 廃止)")
    elif values.get("abolished_on") and status != "decided":
        raise ValueError(f"廃止日 is given but 状況 is {CSV_LABEL[status]} (only 廃止決定 or 廃止済 have one)")
    elif status != "decided":
        values["abolished_on"] = ""  # no longer abolished: the date set before goes
    if status in KEPT and "keep_reason" in values and not values["keep_reason"]:
        values["keep_reason"] = values.get("legal_basis") or ""
        if not values["keep_reason"] and from_status_column:
            raise ValueError(f"存続理由 is empty (required when 状況 is {CSV_LABEL[status]}: the law or rule "
                             f"that requires the seal; 根拠規定 is used when 存続理由 is empty)")


def missing_columns(header: list[str]) -> list[str]:
    """The required columns the header lacks, in the order of the older ledger (見直し結果 third),
    counting 状況 as standing for 見直し結果."""
    required = ["手続名", "所管課", "見直し結果", "オンライン化"]
    return [c for c in required if c not in header and not (c == "見直し結果" and "状況" in header)]


def stable_key(row: dict) -> str:
    if row.get("ward_number"):
        return "no:" + row["ward_number"]
    digest = hashlib.sha1(f"{row['name']}\x1f{row['department']}".encode()).hexdigest()[:16]
    return "nd:" + digest


def parse_row(raw: dict[str, str | None], procedure_ids: Iterable[str] | None, analyses: dict | None = None) -> dict:
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
    online = values["online"]
    if online not in ONLINE_STATES:
        raise ValueError(f"オンライン化 {online!r} must be one of {', '.join(ONLINE_STATES)}")
    values["online"] = ONLINE_STATES[online]
    map_review_columns(values)
    procedure_id = values.get("procedure_id")
    if procedure_id and procedure_ids is not None and procedure_id not in procedure_ids:
        raise ValueError(f"手続ID {procedure_id!r} is not a procedure in content/procedures")
    row = {name: (values.get(name) or None) for name in DATA_FIELDS if name in values}
    row["key"] = stable_key(row)
    row["search_text"] = search_text(row, analyses)
    return row


def _long_cell_column(text: str, line: int) -> tuple[int, int | None]:
    """The line and 0-based column of the first cell longer than MAX_CELL_CHARACTERS in the first
    record from ``line`` on (the csv module only says that some field is too large)."""
    offset = 0
    for _ in range(line - 1):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return line, None
    while text.startswith(("\n", "\r\n"), offset):  # blank lines the reader skipped
        offset, line = text.find("\n", offset) + 1, line + 1
    column, length, quoted, index = 0, 0, False, offset
    while index < len(text):
        char = text[index]
        if quoted and char == '"' and text.startswith('"', index + 1):
            index += 1  # a doubled quote is one character of the cell
        elif char == '"':
            quoted = not quoted
            char = ""
        elif not quoted and char == ",":
            column, length, char = column + 1, 0, ""
        elif not quoted and char in "\r\n":
            return line, None
        length += len(char)
        if length > MAX_CELL_CHARACTERS:
            return line, column
        index += 1
    return line, None


def _long_cell_error(line: int, column: int | None, header: list[str]) -> LedgerFileError:
    if column is None:
        where = "a cell"
    elif column < len(header):
        where = f"the cell in column {column + 1} ({header[column]})"
    else:
        where = f"the cell in column {column + 1}"
    return LedgerFileError(f"line {line}: {where} is longer than {MAX_CELL_CHARACTERS:,} characters")


def _records(reader: csv.DictReader, text: str, header: list[str]) -> Iterator[tuple[int, dict]]:
    """(first line, row) for each CSV record; a record the csv module cannot read stops the file."""
    line = reader.line_num
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # most often: a field larger than csv.field_size_limit()
            if "field larger than field limit" in str(exc):
                raise _long_cell_error(*_long_cell_column(text, line + 1), header) from None
            raise LedgerFileError(f"line {line + 1}: not readable as CSV ({exc})") from None
        start, line = line + 1, reader.line_num  # a quoted cell may span lines
        for index, name in enumerate(header):
            if len(raw.get(name) or "") > MAX_CELL_CHARACTERS:
                raise _long_cell_error(start, index, header)
        yield start, raw


def _read_header(reader: csv.DictReader, text: str) -> list[str]:
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _long_cell_error(*_long_cell_column(text, 1), []) from None
        raise LedgerFileError(f"line 1: not readable as CSV ({exc})") from None
    if len(fieldnames) > MAX_COLUMNS:  # before anything that looks at every pair of columns
        raise LedgerFileError(f"line 1: the header has {len(fieldnames):,} columns; "
                              f"a ledger may have at most {MAX_COLUMNS}")
    for index, name in enumerate(fieldnames):
        if len(name or "") > MAX_CELL_CHARACTERS:
            raise _long_cell_error(1, index, [])
    return [normalise(h or "") for h in fieldnames]


def read_rows(text: str, procedure_ids: Iterable[str] | None, report: ImportReport,
              analyses: dict | None = None) -> Iterator[dict]:
    check_no_nul(text)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = _read_header(reader, text)
    if not header:
        raise LedgerFileError("the file is empty")
    reader.fieldnames = header
    missing = missing_columns(header)
    if missing:
        raise LedgerFileError(f"line 1: missing column(s) {', '.join(missing)}; "
                              f"the header has {', '.join(header)}"
                              + ("; 状況 may stand for 見直し結果" if "見直し結果" in missing else ""))
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise LedgerFileError(f"line 1: column(s) appear twice: {', '.join(duplicated)}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        report.warnings.append(f"line 1: unknown column(s) ignored: {', '.join(unknown)}")
    ids = set(procedure_ids) if procedure_ids is not None else None
    seen: dict[str, int] = {}
    for start, raw in _records(reader, text, header):
        if not any((v or "").strip() for k, v in raw.items() if k is not None) and None not in raw:
            continue  # blank lines are not rows
        report.rows_read += 1
        try:
            row = parse_row(raw, ids, analyses)
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
                  procedure_ids: Iterable[str] | None = None, *, user_id: int | None = None) -> ImportReport:
    """Upsert the file's rows by their stable key; each inserted or changed row is written to the
    audit log by ``user_id`` (None: the command line)."""
    report = ImportReport()
    check_file_size(len(data))
    text, report.encoding = decode(data)
    analyses: dict = {}  # each distinct name and department analysed once, for both searches
    rows = list(read_rows(text, procedure_ids, report, analyses))
    existing = {r["key"]: r for r in db.query(
        f"select key, {', '.join(DATA_FIELDS)} from ledger_entries")}
    stamp = now_iso()
    inserts, updates = [], []
    for row in rows:
        before = existing.get(row["key"])
        if before is None:
            report.inserted += 1
            inserts.append(row)
        elif any(before[f] != row[f] for f in DATA_FIELDS if f in row):
            report.updated += 1
            updates.append((before, row))
        else:
            report.unchanged += 1
    with transaction(db):  # the rows and their audit entries land together, or not at all
        _write_rows(db, inserts, updates, stamp, user_id)
        if inserts or updates:  # the assistant's search is kept in step, in the same transaction
            generation = uuid.uuid4().hex
            _index_for_search(db, inserts + [{**before, **row} for before, row in updates], generation, analyses)
            db.table("settings").upsert({"name": "ledger_generation", "value": generation,
                                         "updated_at": stamp}, pk="name")
    logging.getLogger(__name__).info(
        "ledger imported (%s, by %s): %d rows read; %d added, %d updated, %d unchanged, %d skipped",
        report.encoding, f"user {user_id}" if user_id else "the command line", report.rows_read,
        report.inserted, report.updated, report.unchanged, len(report.problems))
    return report


def _index_for_search(db: sqlite_utils.Database, rows: list[dict], generation: str, analyses: dict) -> None:
    """The changed rows into the assistant's search tables (kiosk/catalog/ledger_index.py); when
    those were not current before this import, all of them (the first import after an upgrade)."""
    from kiosk.catalog import ledger_index
    from kiosk.db import get_setting

    current = get_setting(db, ledger_index.GENERATION_SETTING) == (get_setting(db, "ledger_generation") or "")
    ledger_index.index_rows(db, rows if current else None, analyses)
    ledger_index.mark_current(db, generation)


def _write_rows(db: sqlite_utils.Database, inserts: list[dict], updates: list[tuple[dict, dict]], stamp: str,
                user_id: int | None) -> None:
    """Insert and update with the columns the file has (the others keep their values). Each
    changed row goes to the audit log with its fields before and after; new rows, which carry
    their own imported_at, get one entry for the whole import (a first import of 200,000 rows is
    not 200,000 entries)."""
    for row in inserts:
        columns = [*row, "imported_at", "updated_at"]
        db.execute(f"insert into ledger_entries ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
                   [*row.values(), stamp, stamp])
    if inserts:
        audit(db, user_id, "import", "ledger_entries", None, None,
              {"inserted": len(inserts), "imported_at": stamp})
    for before, row in updates:
        columns = [c for c in row if c != "key"]
        db.execute(f"update ledger_entries set {', '.join(f'{c} = ?' for c in columns)}, updated_at = ? "
                   f"where key = ?", [*(row[c] for c in columns), stamp, row["key"]])
        fields = [f for f in DATA_FIELDS if f in row and before[f] != row[f]]
        audit(db, user_id, "import", "ledger_entry", row["key"], {f: before[f] for f in fields},
              {f: row[f] for f in fields})


def import_ledger_file(db: sqlite_utils.Database, path: str | Path,
                       procedure_ids: Iterable[str] | None = None) -> ImportReport:
    path = Path(path)
    check_file_size(path.stat().st_size)  # before reading a huge file into memory
    return import_ledger(db, path.read_bytes(), procedure_ids)


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
    """Procedures that no longer need a seal (abolished, or never needed one), read from the review
    status: a reviewer's 廃止済 shows here from that moment."""
    where = ["status in ('abolished', 'not-applicable')"]
    params: list = []
    if filters.review_result in SEAL_FREE_RESULTS:
        where.append("status = ?")
        params.append(STATUS_FOR_PUBLIC_RESULT[filters.review_result])
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
    entries = [_with_public_result(row) for row in db.query(
        f"select * from ledger_entries where {clause} order by department, name, key "
        f"limit ? offset ?", [*params, page_size, (page - 1) * page_size])]
    return LedgerPage(entries, total, page, pages)


def _with_public_result(row: dict) -> dict:
    """review_result as residents are told it, from the status (the one source of truth)."""
    return {**row, "review_result": public_result(row["status"])}


def departments(db: sqlite_utils.Database) -> list[str]:
    return [r["department"] for r in db.query(
        "select distinct department from ledger_entries order by department")]


def ledger_count(db: sqlite_utils.Database) -> int:
    return db.table("ledger_entries").count


def ledger_entry(db: sqlite_utils.Database, key: str) -> dict | None:
    """One ledger row by its stable key (what the kiosk's chat keeps in the conversation)."""
    rows = list(db.query("select * from ledger_entries where key = ?", [key]))
    return _with_public_result(rows[0]) if rows else None
