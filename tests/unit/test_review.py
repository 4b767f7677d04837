"""The seal review: the ledger's new columns on import (and the old ones mapped onto statuses),
the audit of every change, the progress numbers and the KSI, a reviewer's update, the exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import subprocess

import pytest

from kiosk.catalog.ledger import LedgerFilters, find_seal_free, import_ledger, ledger_entry
from kiosk.db import connect
from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
from kiosk.migrations import migrate
from kiosk.review.exports import LEDGER_HEADER, ledger_rows, progress_tables, render_progress_pdf
from kiosk.review.progress import build_progress, compute_ksi, months_between, ward_total
from kiosk.review.store import may_update, update_entry

OLD_HEADER = "管理番号,手続名,所管課,根拠規定,押印の種類,見直し結果,見直し日,オンライン化,備考,手続ID\n"
NEW_HEADER = OLD_HEADER.strip() + ",状況,存続理由,改正する例規,例規改正日,廃止日\n"
TODAY = dt.date(2026, 12, 3)


@pytest.fixture
def ledger_db(tmp_path):
    db = connect(str(tmp_path / "ledger.db"))
    migrate(db)
    yield db
    db.conn.close()


def as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO(newline="")
    write_ledger_csv(rows, out)
    return out.getvalue().encode("utf-8")


def all_rows(db) -> dict[str, dict]:
    return {r["key"]: r for r in db.query("select * from ledger_entries")}


def audit_entries(db, after_id: int = 0) -> list[dict]:
    return list(db.query("select * from audit_log where id > ? order by id", [after_id]))


def last_audit_id(db) -> int:
    return db.execute("select coalesce(max(id), 0) from audit_log").fetchone()[0]


# --- import --------------------------------------------------------------------------------------------

def test_5000_rows_then_the_same_file_with_100_changed_statuses_updates_exactly_those(ledger_db):
    rows = synthetic_ledger_rows(5000, seed=16, review_columns=True)
    first = import_ledger(ledger_db, as_csv(rows))
    assert (first.inserted, first.problems) == (5000, [])
    [added] = audit_entries(ledger_db)  # one entry for the new rows, by the command line (no user)
    assert (added["action"], added["entity"], added["user_id"]) == ("import", "ledger_entries", None)
    assert json.loads(added["after"])["inserted"] == 5000
    statuses = {r["status"] for r in all_rows(ledger_db).values()}
    assert statuses == {"not-started", "reviewing", "decided", "abolished", "kept-law", "kept-registered-seal",
                        "not-applicable"}
    before, mark = all_rows(ledger_db), last_audit_id(ledger_db)

    not_started = [i for i, row in enumerate(rows) if row["状況"] == "未着手"]
    chosen = random.Random(1).sample(not_started, 100)
    for i in chosen:
        rows[i] = {**rows[i], "状況": "検討中"}
    second = import_ledger(ledger_db, as_csv(rows))

    assert (second.updated, second.inserted, second.unchanged, second.problems) == (100, 0, 4900, [])
    after = all_rows(ledger_db)
    changed_keys = {key for key in after if {k: v for k, v in after[key].items() if k != "updated_at"}
                    != {k: v for k, v in before[key].items() if k != "updated_at"}}
    assert changed_keys == {"no:" + rows[i]["管理番号"] for i in chosen}
    for key in changed_keys:
        assert (before[key]["status"], after[key]["status"]) == ("not-started", "reviewing")
    entries = audit_entries(ledger_db, mark)
    assert len(entries) == 100
    assert {e["entity_id"] for e in entries} == changed_keys
    assert all((e["action"], e["entity"], e["user_id"]) == ("import", "ledger_entry", None) for e in entries)
    assert all((json.loads(e["before"]), json.loads(e["after"])) == ({"status": "not-started"}, {"status": "reviewing"})
               for e in entries)

    third = import_ledger(ledger_db, as_csv(rows))  # the same file again: nothing changes, nothing logged
    assert (third.updated, third.unchanged) == (0, 5000) and last_audit_id(ledger_db) == mark + 100


def test_old_columns_map_onto_statuses(ledger_db):
    text = OLD_HEADER + (
        "A-1,住民票の写しの交付,戸籍住民課,住民基本台帳法,認印,廃止,2021-04-01,未,,\n"
        "A-2,印鑑登録証明書の交付,戸籍住民課,サンプル区印鑑条例,実印,存続,2021-04-01,未,,\n"
        "A-3,道路占用許可申請,道路課,道路法施行規則,認印,存続,,未,,\n"
        "A-4,犬の登録,生活衛生課,,,不要,,済,,\n")
    report = import_ledger(ledger_db, text.encode())
    assert report.problems == []
    rows = {r["ward_number"]: r for r in all_rows(ledger_db).values()}
    assert {n: (r["status"], r["review_result"]) for n, r in rows.items()} == {
        "A-1": ("abolished", "abolished"), "A-2": ("kept-registered-seal", "kept"), "A-3": ("kept-law", "kept"),
        "A-4": ("not-applicable", "never-required")}
    assert rows["A-1"]["abolished_on"] == "2021-04-01"  # an old 廃止's 見直し日 is when it was abolished


def test_an_older_ledger_leaves_the_review_columns_it_lacks_alone(ledger_db):
    import_ledger(ledger_db, (NEW_HEADER + "B-1,道路占用許可申請,道路課,道路法施行規則,認印,,,未,,,"
                              "廃止決定,,サンプル区道路占用規則,,2027-04-01\n").encode())
    report = import_ledger(ledger_db, (OLD_HEADER + "B-1,道路占用許可申請,道路課,道路法施行規則,認印,存続,"
                                       "2021-04-01,未,,\n").encode())
    assert report.updated == 1
    row = next(iter(all_rows(ledger_db).values()))
    assert (row["status"], row["rules_to_amend"], row["keep_reason"]) == ("kept-law", "サンプル区道路占用規則", None)
    assert row["abolished_on"] is None  # no longer on the way to abolition: the planned date goes


@pytest.mark.parametrize(("cells", "message"), [
    ("廃止中,,,,", "状況 '廃止中' must be one of 未着手"),
    ("存続（法令）,,,,", "存続理由 is empty (required when 状況 is 存続（法令）"),
    ("検討中,,,,2026-01-01", "廃止日 is given but 状況 is 検討中"),
    ("廃止済,,,,2026-13-01", "廃止日 '2026-13-01' is not a real date"),
    ("廃止済,,,,", "廃止日 is empty (required when 状況 is 廃止済"),
    ("廃止決定,,規則,2026/02/30,", "例規改正日 '2026/02/30' is not a real date"),
])
def test_bad_review_cells_are_reported_by_line_and_column(ledger_db, cells, message):
    text = (NEW_HEADER + "C-1,犬の登録,生活衛生課,,認印,,,未,,," + cells
            + "\nC-2,粗大ごみ,清掃事務所,,,,,未,,,対象外,,,,\n")
    report = import_ledger(ledger_db, text.encode())
    assert [p.line for p in report.problems] == [2]
    assert message in report.problems[0].message, report.problems[0].message
    assert [r["ward_number"] for r in all_rows(ledger_db).values()] == ["C-2"]  # the good row landed


def test_kept_without_a_reason_falls_back_to_the_legal_basis(ledger_db):
    text = NEW_HEADER + "D-1,印鑑登録,戸籍住民課,サンプル区印鑑条例,実印,,2022-01-01,未,,,存続（実印・印鑑証明）,,,,\n"
    assert import_ledger(ledger_db, text.encode()).problems == []
    row = next(iter(all_rows(ledger_db).values()))
    assert (row["status"], row["keep_reason"]) == ("kept-registered-seal", "サンプル区印鑑条例")


# --- one source of truth ---------------------------------------------------------------------------------

def test_the_seal_free_list_and_the_kiosk_read_the_status(ledger_db):
    text = NEW_HEADER + ("E-1,道路占用許可申請,道路課,道路法施行規則,認印,,,未,,,廃止決定,,,,\n"
                         "E-2,犬の登録,生活衛生課,,,,,未,,,対象外,,,,\n")
    import_ledger(ledger_db, text.encode())
    listed = lambda: [e["ward_number"] for e in find_seal_free(ledger_db, LedgerFilters(), 50).entries]  # noqa: E731
    assert listed() == ["E-2"]  # 廃止決定 is not abolished yet: the 例規 is not amended
    key = next(k for k, r in all_rows(ledger_db).items() if r["ward_number"] == "E-1")
    assert ledger_entry(ledger_db, key)["review_result"] == "kept"
    reviewer = {"id": None, "role": "coordinator", "department": None}
    assert update_entry(ledger_db, reviewer, key, {"status": "abolished"}, TODAY).errors == {}
    assert sorted(listed()) == ["E-1", "E-2"]
    assert ledger_entry(ledger_db, key)["review_result"] == "abolished"
    abolished_only = find_seal_free(ledger_db, LedgerFilters(review_result="abolished"), 50).entries
    assert [e["ward_number"] for e in abolished_only] == ["E-1"]


# --- a reviewer's update ---------------------------------------------------------------------------------

@pytest.fixture
def one_row(ledger_db):
    row = "F-1,道路占用許可申請,道路課,道路法施行規則,認印,,,未,,,未着手,,,,\n"
    import_ledger(ledger_db, (NEW_HEADER + row).encode())
    return next(iter(all_rows(ledger_db)))


def test_an_update_checks_writes_and_audits(ledger_db, one_row):
    user = {"id": 7, "role": "reviewer", "department": "道路課"}
    mark = last_audit_id(ledger_db)
    refused = update_entry(ledger_db, user, one_row, {"status": "kept-law", "keep_reason": ""}, TODAY)
    assert set(refused.errors) == {"keep_reason"}
    assert all_rows(ledger_db)[one_row]["status"] == "not-started" and last_audit_id(ledger_db) == mark
    refused = update_entry(ledger_db, user, one_row, {"status": "gone", "abolished_on": "3 April"}, TODAY)
    assert set(refused.errors) == {"status", "abolished_on"}

    done = update_entry(ledger_db, user, one_row, {"status": "abolished", "rules_to_amend": "サンプル区道路占用規則"},
                        TODAY)
    assert done.errors == {} and set(done.changed) == {"status", "abolished_on", "reviewed_on", "rules_to_amend"}
    row = all_rows(ledger_db)[one_row]
    assert (row["status"], row["review_result"], row["abolished_on"], row["reviewed_on"]) == (
        "abolished", "abolished", "2026-12-03", "2026-12-03")
    [entry] = audit_entries(ledger_db, mark)
    assert (entry["user_id"], entry["action"], entry["entity_id"]) == (7, "update", one_row)
    assert json.loads(entry["before"])["status"] == "not-started"
    assert json.loads(entry["after"])["status"] == "abolished"
    assert update_entry(ledger_db, user, one_row, {"status": "abolished"}, TODAY).changed == ()  # no-op, no entry
    assert last_audit_id(ledger_db) == mark + 1


def test_who_may_update():
    row = {"department": "道路課"}
    assert may_update({"role": "reviewer", "department": "道路課"}, row)
    assert not may_update({"role": "reviewer", "department": "保育課"}, row)
    assert not may_update({"role": "reviewer", "department": None}, row)
    assert not may_update({"role": "supporter", "department": "道路課"}, row)
    assert may_update({"role": "coordinator", "department": None}, row)
    assert may_update({"role": "admin", "department": None}, row)


# --- progress and the KSI --------------------------------------------------------------------------------

def test_progress_counts_and_the_ksi_against_a_direct_count(ledger_db):
    import_ledger(ledger_db, as_csv(synthetic_ledger_rows(3000, seed=5, review_columns=True)))
    progress = build_progress(ledger_db, target_share=0.95, deadline_setting="2027-11-30", today=TODAY)
    direct = dict(ledger_db.execute("select status, count(*) from ledger_entries group by status").fetchall())
    assert progress.ward.counts == {s: direct.get(s, 0) for s in progress.ward.counts}
    assert progress.ward.total == 3000
    ksi = progress.ksi
    assert ksi.in_scope == 3000 - direct["not-applicable"] and ksi.abolished == direct["abolished"]
    assert ksi.share == pytest.approx(direct["abolished"] / ksi.in_scope)
    assert ksi.months_left == 12  # December 2026 to November 2027, this month counted
    assert ksi.needed_per_month == pytest.approx(ksi.still_needed / 12)
    by_month = dict(ledger_db.execute("select substr(abolished_on, 1, 7), count(*) from ledger_entries "
                                      "where status = 'abolished' group by 1").fetchall())
    assert {m: n for m, n in progress.abolished_by_month if n} == by_month
    assert sum(d.total for d in progress.departments) == 3000
    pending = ledger_db.execute("select count(distinct rules_to_amend) from ledger_entries "
                                "where rules_to_amend is not null and rules_amended_on is null").fetchone()[0]
    assert progress.rules_pending == pending > 0


def test_the_ksi_target_and_pace():
    from kiosk.review.progress import DepartmentProgress

    ward = ward_total([DepartmentProgress("a", {"not-started": 5, "reviewing": 0, "decided": 3, "abolished": 180,
                                                "kept-law": 2, "kept-registered-seal": 0, "not-applicable": 10})])
    ksi = compute_ksi(ward, [("2026-10", 3), ("2026-11", 6), ("2026-12", 0), ("2026-08", 30)], 0.95,
                      dt.date(2027, 2, 28), TODAY)
    assert (ksi.in_scope, ksi.target_count, ksi.still_needed, ksi.months_left) == (190, 181, 1, 3)
    assert ksi.needed_per_month == pytest.approx(1 / 3) and ksi.recent_per_month == pytest.approx(3)
    passed = compute_ksi(ward, [], 0.95, dt.date(2026, 11, 30), TODAY)
    assert (passed.months_left, passed.needed_per_month) == (0, None)
    assert months_between(dt.date(2026, 12, 31), dt.date(2026, 12, 1)) == 0


def test_the_deadline_defaults_to_two_years_after_the_first_import(ledger_db):
    import_ledger(ledger_db, (NEW_HEADER + "G-1,犬の登録,生活衛生課,,,,,未,,,未着手,,,,\n").encode())
    ledger_db.execute("update ledger_entries set imported_at = '2026-04-01T00:00:00+00:00'")
    progress = build_progress(ledger_db, target_share=0.95, deadline_setting="", today=TODAY)
    assert progress.ksi.deadline == dt.date(2028, 4, 1)


# --- exports ---------------------------------------------------------------------------------------------

def test_the_csv_export_imports_back_unchanged(ledger_db, tmp_path):
    import_ledger(ledger_db, as_csv(synthetic_ledger_rows(500, seed=9, review_columns=True)))
    exported = io.StringIO(newline="")
    csv.writer(exported, lineterminator="\r\n").writerows([LEDGER_HEADER, *ledger_rows(ledger_db)])
    report = import_ledger(ledger_db, exported.getvalue().encode())
    assert (report.unchanged, report.updated, report.problems) == (500, 0, [])


def test_the_pdf_is_one_page_with_the_font_embedded(app, ledger_db, tmp_path):
    import_ledger(ledger_db, as_csv(synthetic_ledger_rows(5000, seed=9, review_columns=True)))
    with app.test_request_context("/review/report.pdf"):
        progress = build_progress(ledger_db, target_share=0.95, deadline_setting="", today=TODAY)
        pdf = render_progress_pdf(progress, TODAY)
        tables = progress_tables(ledger_db, progress)
    path = tmp_path / "progress.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "BIZ-UDGothic" in fonts and " yes " in fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "押印見直し 進捗報告" in text and "課税課" in text
    assert [name for name in tables] == ["区全体", "所管課別", "月別の廃止", "改正待ちの例規"]
