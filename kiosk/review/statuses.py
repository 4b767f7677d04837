"""The review statuses of a ledger row, how older ledgers' 見直し結果 map onto them, and what a
status means for residents (the one place that decides whether a seal is still needed)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# In the order a procedure goes through the review; the CSV column 状況 uses the Japanese labels.
STATUS_CSV = {
    "未着手": "not-started",
    "検討中": "reviewing",
    "廃止決定": "decided",
    "廃止済": "abolished",
    "存続（法令）": "kept-law",
    "存続（実印・印鑑証明）": "kept-registered-seal",
    "対象外": "not-applicable",
}
STATUSES = tuple(STATUS_CSV.values())
STATUS_LABELS = {
    "not-started": _l("未着手"),
    "reviewing": _l("検討中"),
    "decided": _l("廃止決定"),
    "abolished": _l("廃止済"),
    "kept-law": _l("存続（法令）"),
    "kept-registered-seal": _l("存続（実印・印鑑証明）"),
    "not-applicable": _l("対象外"),
}
CSV_LABEL = {status: label for label, status in STATUS_CSV.items()}

WAITING = ("not-started", "reviewing", "decided")  # still to be done by the task force
KEPT = ("kept-law", "kept-registered-seal")  # a reason (the law or rule cited) is required
# The KSI counts the ward's own seal-requiring procedures: every row except 対象外.
OUT_OF_SCOPE = ("not-applicable",)

# Older ledgers' 見直し結果 (imported as review_result) and the status each one means.
STATUS_FROM_RESULT = {"abolished": "abolished", "never-required": "not-applicable", "kept": "kept-law"}


def status_from_result(review_result: str, seal_kind: str | None) -> str:
    """An old row's status: 廃止 → 廃止済, 不要 → 対象外, 存続 → 存続（実印・印鑑証明） when the
    seal is a 実印, else 存続（法令）."""
    if review_result == "kept" and seal_kind and "実印" in seal_kind:
        return "kept-registered-seal"
    return STATUS_FROM_RESULT[review_result]


def public_result(status: str | None) -> str:
    """What residents are told (the seal-free list, the kiosk's answers): "abolished" only once
    the abolition took effect (廃止済), "never-required" for 対象外, else "kept" (a seal is still
    asked for, 廃止決定 included: the 例規 is not amended yet)."""
    if status == "abolished":
        return "abolished"
    if status == "not-applicable":
        return "never-required"
    return "kept"


SEAL_FREE_STATUSES = ("abolished", "not-applicable")
# The seal-free list's filter values (kept from before statuses) and the status each one means.
STATUS_FOR_PUBLIC_RESULT = {"abolished": "abolished", "never-required": "not-applicable"}
