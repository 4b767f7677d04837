"""The KPI dashboard: counts from the monthly rollup and the kiosk events, shaped as the ward plan's
KPIs against their targets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlite_utils

from kiosk.consultations import vocabulary
from kiosk.stats.periods import Period, fiscal_year, fiscal_year_of_month


def targets_from(config) -> dict:
    """The KPI targets from the app's settings (TARGET_*)."""
    return {"consultations_per_year": config["TARGET_CONSULTATIONS_PER_YEAR"],
            "satisfied_share": config["TARGET_SATISFIED_SHARE"], "sites": config["TARGET_SITES"]}


def staff_names(db: sqlite_utils.Database) -> dict[str, str]:
    """Display names by user id (as text, the rollup's value for the staff dimension)."""
    return {str(r["id"]): r["display_name"] for r in db.query("select id, display_name from users")}


@dataclass
class Filters:
    period: Period
    site_id: int | None = None
    channel: str | None = None


@dataclass
class Dashboard:
    filters: Filters
    total: int = 0
    minutes: int = 0
    by: dict[str, dict[str, int]] = field(default_factory=dict)
    by_month: list[tuple[str, int]] = field(default_factory=list)
    by_site: list[tuple[str, int]] = field(default_factory=list)
    satisfaction_sum: int = 0
    satisfaction_n: int = 0
    funnel: list[tuple[str, int]] = field(default_factory=list)
    handoffs: int = 0
    handoffs_followed: int = 0
    kpis: dict = field(default_factory=dict)


def _where(filters: Filters, alias: str = "") -> tuple[str, list]:
    p = f"{alias}." if alias else ""
    clauses = [f"{p}month between ? and ?"]
    params: list = [filters.period.first_month, filters.period.last_month]
    if filters.site_id is not None:
        clauses.append(f"{p}site_id = ?")
        params.append(filters.site_id)
    if filters.channel:
        clauses.append(f"{p}channel = ?")
        params.append(filters.channel)
    return " and ".join(clauses), params


def fiscal_years_with_data(db: sqlite_utils.Database, today: dt.date) -> list[int]:
    """The fiscal years to offer, newest first: from the first with consultations in the rollup to
    the current one (or a later one that already has some)."""
    first, last = db.execute("select min(month), max(month) from consultation_stats where consultations > 0"
                             ).fetchone()
    current = fiscal_year(today)
    if not first:
        return [current]
    return list(range(max(current, fiscal_year_of_month(last)), fiscal_year_of_month(first) - 1, -1))


FUNNEL = ("session_started", "procedure_chosen", "channel_recommended", "finished", "printed", "staff_called",
          "timed_out")


def build_dashboard(db: sqlite_utils.Database, filters: Filters, targets: dict, today: dt.date, *,
                    timezone: str) -> Dashboard:
    """The figures of ``filters``' period; ``today`` and ``timezone`` (the TIMEZONE setting) are the ward's."""
    result = Dashboard(filters)
    start_utc, end_utc = filters.period.utc_bounds(timezone)
    where, params = _where(filters)
    for row in db.query(f"select dimension, value, sum(consultations) n, sum(minutes) minutes, "
                        f"sum(satisfaction_sum) s, sum(satisfaction_n) sn from consultation_stats "
                        f"where {where} group by dimension, value", params):
        if row["n"] == 0:
            continue
        result.by.setdefault(row["dimension"], {})[row["value"]] = row["n"]
        if row["dimension"] == "all":
            result.total, result.minutes = row["n"], row["minutes"]
            result.satisfaction_sum, result.satisfaction_n = row["s"], row["sn"]
    months = {r["month"]: r["n"] for r in db.query(
        f"select month, sum(consultations) n from consultation_stats where {where} and dimension = 'all' "
        f"group by month", params)}
    result.by_month = [(month, months.get(month, 0)) for month in filters.period.months]
    result.by_site = [(r["name"] or str(r["site_id"]), r["n"]) for r in db.query(
        f"select s.site_id, sites.name, sum(s.consultations) n from consultation_stats s "
        f"left join sites on sites.id = s.site_id where {_where(filters, 's')[0]} and s.dimension = 'all' "
        f"group by s.site_id having n > 0 order by n desc", params)]

    event_where = ["occurred_at >= ?", "occurred_at < ?"]
    event_params: list = [start_utc, end_utc]
    if filters.site_id is not None:
        event_where.append("site_id = ?")
        event_params.append(filters.site_id)
    counts = {r["event"]: r["n"] for r in db.query(
        f"select event, count(distinct session_ref) n from kiosk_events where {' and '.join(event_where)} "
        f"and event in ({', '.join('?' * len(FUNNEL))}) group by event", event_params + list(FUNNEL))}
    result.funnel = [(event, counts.get(event, 0)) for event in FUNNEL]

    handoff_where = ["created_at >= ?", "created_at < ?"]
    handoff_params: list = [start_utc, end_utc]
    if filters.site_id is not None:
        handoff_where.append("site_id = ?")
        handoff_params.append(filters.site_id)
    row = next(db.query(f"select count(*) n, sum(status != 'open') followed from handoffs "
                        f"where {' and '.join(handoff_where)}", handoff_params))
    result.handoffs, result.handoffs_followed = row["n"], row["followed"] or 0
    result.kpis = compute_kpis(result, targets, today)
    return result


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def compute_kpis(d: Dashboard, targets: dict, today: dt.date) -> dict:
    """The ward's KPIs from the aggregates (``today``: the ward's). See docs/statistics.md for the definitions."""
    ages = d.by.get("age_band", {})
    known_age = sum(n for band, n in ages.items() if band != "unknown")
    aged_65 = sum(ages.get(band, 0) for band in vocabulary.AGE_65_PLUS)
    outcomes = d.by.get("outcome", {})
    online = sum(outcomes.get(o, 0) for o in vocabulary.ONLINE_OUTCOMES)
    completions = online + outcomes.get("handed-off", 0) + outcomes.get("referred-counter", 0)
    satisfaction = d.by.get("satisfaction", {})
    satisfied = satisfaction.get("4", 0) + satisfaction.get("5", 0)
    annual_target = targets["consultations_per_year"]
    period = d.filters.period
    target = annual_target * len(period.months) / 12
    # Pace: the share of the period's months that have begun by today (the ward's).
    this_month = today.strftime("%Y-%m")
    elapsed = sum(1 for month in period.months if month <= this_month)
    remaining = len(period.months) - elapsed
    needed = max(0, target - d.total)
    return {
        "consultations": d.total,
        "consultations_target": round(target),
        "consultations_share_of_target": _share(d.total, round(target)),
        "consultations_needed_per_month": (needed / remaining) if remaining else None,
        "aged_65_plus_share": _share(aged_65, known_age),
        "online_completion_rate": _share(online, d.total),
        "digital_take_up": _share(online, completions),
        "satisfied_share": _share(satisfied, d.satisfaction_n),
        "satisfaction_target": targets["satisfied_share"],
        "average_satisfaction": (d.satisfaction_sum / d.satisfaction_n) if d.satisfaction_n else None,
        "first_visits": d.by.get("first_visit", {}).get("1", 0),
        "repeat_visits": d.by.get("first_visit", {}).get("0", 0),
        "handoffs": d.handoffs,
        "handoffs_followed_up_share": _share(d.handoffs_followed, d.handoffs),
        "sites_with_consultations": len(d.by_site),
        "sites_target": targets["sites"],
        "average_minutes": (d.minutes / d.total) if d.total else None,
    }
