"""The task force's numbers: counts by department and status, the KSI against its target with the
pace needed, abolitions per month, what is still waiting and the 例規 still to amend.

Everything is a GROUP BY over indexes of ledger_entries (department + status, status +
abolished_on, a partial index on the 例規 pending): a ledger of 200,000 rows answers in tens of
milliseconds (bench/review_progress.py).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import sqlite_utils

from kiosk.review.statuses import KEPT, OUT_OF_SCOPE, STATUSES, WAITING

# How long the ward's plan gives the task force when no deadline is set.
DEFAULT_REVIEW_YEARS = 2


@dataclass
class DepartmentProgress:
    department: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def in_scope(self) -> int:
        """The ward's own seal-requiring procedures: the KSI's denominator."""
        return self.total - sum(self.counts[s] for s in OUT_OF_SCOPE)

    @property
    def abolished(self) -> int:
        return self.counts["abolished"]

    @property
    def waiting(self) -> int:
        return sum(self.counts[s] for s in WAITING)

    @property
    def kept(self) -> int:
        return sum(self.counts[s] for s in KEPT)

    @property
    def reviewed(self) -> int:
        """Reviews completed: every row past 未着手 and 検討中."""
        return self.total - self.counts["not-started"] - self.counts["reviewing"]

    @property
    def abolished_share(self) -> float | None:
        return self.abolished / self.in_scope if self.in_scope else None


@dataclass
class Ksi:
    abolished: int
    in_scope: int
    share: float | None
    target_share: float
    target_count: int  # abolitions the target asks for
    still_needed: int
    deadline: dt.date | None
    months_left: int | None  # None: no deadline known; 0: the deadline has passed
    needed_per_month: float | None
    recent_per_month: float  # the last three months' average, to set beside the pace needed

    @property
    def met(self) -> bool:
        return self.still_needed == 0 and self.in_scope > 0


@dataclass
class Progress:
    ward: DepartmentProgress
    departments: list[DepartmentProgress]
    ksi: Ksi
    abolished_by_month: list[tuple[str, int]]  # (YYYY-MM, count), every month from the first to the last
    rules_pending: int  # distinct 例規 still to amend
    today: dt.date


def department_counts(db: sqlite_utils.Database, department: str | None = None) -> list[DepartmentProgress]:
    """Every department's (or one department's) count per status, by department name."""
    departments: dict[str, DepartmentProgress] = {}
    where, params = ("where department = ?", [department]) if department is not None else ("", [])
    for department, status, n in db.execute(
            f"select department, status, count(*) from ledger_entries {where} group by department, status "
            f"order by department", params):
        progress = departments.setdefault(department, DepartmentProgress(department))
        if status in progress.counts:
            progress.counts[status] += n
    return list(departments.values())


def ward_total(departments: list[DepartmentProgress]) -> DepartmentProgress:
    ward = DepartmentProgress("")
    for department in departments:
        for status, n in department.counts.items():
            ward.counts[status] += n
    return ward


def abolished_by_month(db: sqlite_utils.Database, department: str | None = None) -> list[tuple[str, int]]:
    """Abolitions (廃止済) per month of their 廃止日, with the months between filled with 0."""
    where, params = "status = 'abolished' and abolished_on is not null", []
    if department is not None:
        where = "department = ? and " + where  # the (department, status, abolished_on) index
        params.append(department)
    counts = dict(db.execute(f"select substr(abolished_on, 1, 7), count(*) from ledger_entries where {where} "
                             f"group by 1 order by 1", params).fetchall())
    if not counts:
        return []
    months, (year, month) = [], map(int, min(counts).split("-"))
    last = max(counts)
    while (key := f"{year:04d}-{month:02d}") <= last:
        months.append((key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def months_between(start: dt.date, end: dt.date) -> int:
    """Calendar months from ``start`` up to ``end``, the current month counted: 0 once it passed."""
    if end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def review_deadline(db: sqlite_utils.Database, configured: str) -> dt.date | None:
    """SEAL_REVIEW_DEADLINE, or two years after the ledger's first import."""
    if configured:
        return dt.date.fromisoformat(configured)
    first = db.execute("select min(imported_at) from ledger_entries").fetchone()[0]
    if not first:
        return None
    start = dt.date.fromisoformat(first[:10])
    try:
        return start.replace(year=start.year + DEFAULT_REVIEW_YEARS)
    except ValueError:  # 29 February
        return start.replace(year=start.year + DEFAULT_REVIEW_YEARS, day=28)


def compute_ksi(ward: DepartmentProgress, by_month: list[tuple[str, int]], target_share: float,
                deadline: dt.date | None, today: dt.date) -> Ksi:
    target_count = math.ceil(target_share * ward.in_scope - 1e-9)  # 95% of 200 is 190, not 191
    still_needed = max(0, target_count - ward.abolished)
    months_left = months_between(today, deadline) if deadline else None
    needed = (still_needed / months_left) if months_left else None
    recent_months = {f"{(today.year * 12 + today.month - 1 - back) // 12:04d}-"
                     f"{(today.year * 12 + today.month - 1 - back) % 12 + 1:02d}" for back in range(3)}
    recent = sum(n for month, n in by_month if month in recent_months) / 3
    return Ksi(ward.abolished, ward.in_scope, ward.abolished_share, target_share, target_count, still_needed,
               deadline, months_left, needed, recent)


def rules_pending_count(db: sqlite_utils.Database) -> int:
    return db.execute("select count(distinct rules_to_amend) from ledger_entries "
                      "where rules_to_amend is not null and rules_amended_on is null").fetchone()[0]


def build_progress(db: sqlite_utils.Database, *, target_share: float, deadline_setting: str,
                   today: dt.date) -> Progress:
    departments = department_counts(db)
    ward = ward_total(departments)
    by_month = abolished_by_month(db)
    ksi = compute_ksi(ward, by_month, target_share, review_deadline(db, deadline_setting), today)
    return Progress(ward, departments, ksi, by_month, rules_pending_count(db), today)


# --- lists -------------------------------------------------------------------------------------------

@dataclass
class EntryFilters:
    department: str = ""
    status: str = ""  # one of STATUSES; "" on the waiting list: every waiting status
    query: str = ""
    page: int = 1


@dataclass
class EntryPage:
    entries: list[dict]
    total: int
    page: int
    pages: int


def _entry_clause(filters: EntryFilters, statuses: tuple[str, ...]) -> tuple[str, list]:
    where, params = [], []
    if filters.status:
        where.append("status = ?")
        params.append(filters.status)
    else:
        where.append(f"status in ({', '.join('?' * len(statuses))})")
        params += list(statuses)
    if filters.department:
        where.append("department = ?")
        params.append(filters.department)
    for term in filters.query.casefold().split():
        where.append("instr(search_text, ?) > 0")
        params.append(term)
    return " and ".join(where), params


def find_entries(db: sqlite_utils.Database, filters: EntryFilters, page_size: int,
                 statuses: tuple[str, ...] = STATUSES) -> EntryPage:
    """Ledger rows with the given statuses (all, or the waiting ones), by department, name and key."""
    clause, params = _entry_clause(filters, statuses)
    total = db.execute(f"select count(*) from ledger_entries where {clause}", params).fetchone()[0]
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    entries = list(db.query(f"select * from ledger_entries where {clause} order by department, name, key "
                            f"limit ? offset ?", [*params, page_size, (page - 1) * page_size]))
    return EntryPage(entries, total, page, pages)


def rules_to_amend(db: sqlite_utils.Database) -> list[dict]:
    """Each 例規 still to amend, with how many procedures wait on it and their departments."""
    return list(db.query(
        "select rules_to_amend as rules, count(*) as procedures, "
        "group_concat(distinct department) as departments, "
        "sum(status = 'decided') as decided, sum(status = 'abolished') as abolished "
        "from ledger_entries where rules_to_amend is not null and rules_amended_on is null "
        "group by rules_to_amend order by count(*) desc, rules_to_amend"))


def has_department(db: sqlite_utils.Database, department: str) -> bool:
    return db.execute("select 1 from ledger_entries where department = ? limit 1", [department]).fetchone() is not None


def department_names(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute("select distinct department from ledger_entries order by department")]
