"""The seal-review ledger import: encodings, bad rows, idempotent re-import."""

from __future__ import annotations

import io

import pytest

from kiosk.catalog.ledger import LedgerFileError, LedgerFilters, find_seal_free, import_ledger
from kiosk.db import connect
from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
from kiosk.migrations import migrate
from tests.conftest import SAMPLE_LEDGER

HEADER = "管理番号,手続名,所管課,根拠規定,押印の種類,見直し結果,見直し日,オンライン化,備考,手続ID\n"


@pytest.fixture
def ledger_db(tmp_path):
    db = connect(str(tmp_path / "ledger.db"))
    migrate(db)
    yield db
    db.conn.close()


def rows_in(db) -> list[dict]:
    return list(db.query("select * from ledger_entries order by key"))


def synthetic_csv(rows: int, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    write_ledger_csv(synthetic_ledger_rows(rows, seed=7), out)
    return out.getvalue().encode(encoding)


def test_sample_ledger_imports_cleanly(ledger_db):
    report = import_ledger(ledger_db, SAMPLE_LEDGER.read_bytes(), procedure_ids=None)
    assert report.problems == []
    assert 190 <= report.inserted <= 210
    linked = [r["procedure_id"] for r in rows_in(ledger_db) if r["procedure_id"]]
    assert len(set(linked)) >= 30


def test_reimport_changes_nothing(ledger_db):
    data = synthetic_csv(5000)
    first = import_ledger(ledger_db, data)
    before = rows_in(ledger_db)
    second = import_ledger(ledger_db, data)
    assert (first.inserted, first.problems) == (5000, [])
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 5000)
    assert rows_in(ledger_db) == before


def test_reimport_updates_in_place(ledger_db):
    import_ledger(ledger_db, (HEADER + "A-1,犬の登録,生活衛生課,狂犬病予防法,認印,廃止,2021-04-01,未,,\n").encode())
    changed = "A-1,犬の登録,生活衛生課,狂犬病予防法,認印,廃止,2021-04-01,済,電子申請可,\n"
    report = import_ledger(ledger_db, (HEADER + changed).encode())
    assert (report.inserted, report.updated) == (0, 1)
    [row] = rows_in(ledger_db)
    assert (row["online"], row["note"]) == ("online", "電子申請可")


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_cp932_and_bom_files_import_the_same_rows_as_utf8(tmp_path, encoding):
    databases = []
    for enc in ("utf-8", encoding):
        db = connect(str(tmp_path / f"{enc}.db"))
        migrate(db)
        report = import_ledger(db, synthetic_csv(300, enc))
        assert report.problems == []
        databases.append([{k: v for k, v in r.items() if k not in ("imported_at", "updated_at")}
                          for r in rows_in(db)])
        db.conn.close()
    assert databases[0] == databases[1]
    assert len(databases[0]) == 300


def test_bad_rows_are_reported_by_line_and_the_rest_land(ledger_db):
    text = HEADER + "\n".join([
        "B-1,住民票の写しの交付,戸籍住民課,住民基本台帳法,認印,廃止,2021-04-01,済,,residence-certificate",
        "B-2,,戸籍住民課,,認印,廃止,2021-04-01,済,,",                       # line 3: no name
        "B-3,道路占用許可申請,道路課,道路法,認印,やめた,2021-04-01,未,,",     # line 4: bad result
        "B-4,犬の登録,生活衛生課,狂犬病予防法,認印,廃止,2021-13-01,未,,",     # line 5: bad date
        '"B-5","集会室の利用申請","地域振興課","規則","認印","廃止","2021/06/01","予定","備考に\n改行",""',
        "B-6,保育園の入園申込,保育課,児童福祉法,認印,廃止,,未,,",            # line 8: date missing
        "B-7,粗大ごみの申込,清掃事務所,条例,認印,廃止,2021-04-01,済,,no-such-procedure",
        "B-1,住民票の写しの交付,戸籍住民課,住民基本台帳法,認印,廃止,2021-04-01,済,,",  # line 10: duplicate
        "B-8,印鑑登録,戸籍住民課,印鑑条例,実印,存続,,未,,,extra",            # line 11: extra cell
        "B-9,犬の鑑札再交付,生活衛生課,狂犬病予防法,認印,不要,,オンライン,,",  # line 12
    ]) + "\n"
    report = import_ledger(ledger_db, text.encode(), procedure_ids={"residence-certificate"})
    found = {p.line: p.message for p in report.problems}
    assert found[3] == "手続名 is empty"
    assert found[4].startswith("見直し結果 'やめた' must be one of")
    assert found[5] == "見直し日 '2021-13-01' is not a real date"
    assert found[8] == "見直し日 is empty (required when 見直し結果 is 廃止)"
    assert found[9] == "手続ID 'no-such-procedure' is not a procedure in content/procedures"
    assert found[10] == "same procedure as line 2 (管理番号, or 手続名 and 所管課)"
    assert found[11] == "1 more cell(s) than there are columns"
    assert found[12].startswith("オンライン化 'オンライン' must be one of")
    assert len(report.problems) == 8
    assert {r["ward_number"] for r in rows_in(ledger_db)} == {"B-1", "B-5"}
    assert report.inserted == 2


def test_missing_columns_reject_the_file(ledger_db):
    with pytest.raises(LedgerFileError, match="missing column"):
        import_ledger(ledger_db, "手続名,所管課\n住民票,戸籍住民課\n".encode())
    assert rows_in(ledger_db) == []


def test_undecodable_file_is_rejected(ledger_db):
    with pytest.raises(LedgerFileError, match="neither UTF-8 nor CP932"):
        import_ledger(ledger_db, HEADER.encode() + b"\x81\x20\xff\xfe\n")


def test_unknown_columns_are_warned_about(ledger_db):
    text = HEADER.strip() + ",担当者\nC-1,犬の登録,生活衛生課,,認印,廃止,2021-04-01,未,,,山田\n"
    report = import_ledger(ledger_db, text.encode())
    assert report.warnings == ["line 1: unknown column(s) ignored: 担当者"]
    assert report.inserted == 1


def test_full_width_and_half_width_text_is_normalised(ledger_db):
    text = HEADER + "Ｄ－１,ｼﾞｭｳﾐﾝﾋｮｳ 交付,戸籍住民課,,認印,廃止,２０２１／０４／０１,済,,\n"
    report = import_ledger(ledger_db, text.encode())
    assert report.problems == []
    [row] = rows_in(ledger_db)
    assert row["name"] == "ジュウミンヒョウ 交付"
    assert row["reviewed_on"] == "2021-04-01"


def test_seal_free_list_filters(ledger_db):
    import_ledger(ledger_db, synthetic_csv(2000))
    everything = find_seal_free(ledger_db, LedgerFilters(), page_size=50)
    expected = next(ledger_db.query(
        "select count(*) n from ledger_entries where review_result != 'kept'"))["n"]
    assert everything.total == expected
    assert everything.pages == -(-expected // 50)
    online = find_seal_free(ledger_db, LedgerFilters(online="online", department="保育課"), 50)
    assert online.total > 0
    assert all(e["online"] == "online" and e["department"] == "保育課" for e in online.entries)
    query = find_seal_free(ledger_db, LedgerFilters(query="児童手当"), 1000)
    fields = ("name", "department", "legal_basis", "note")
    assert query.total > 0
    assert all(any("児童手当" in (e[f] or "") for f in fields) for e in query.entries)
    assert any("児童手当" in e["name"] for e in query.entries)
    import_ledger(ledger_db, (HEADER + "E-1,ゴミ集積所の設置届,清掃事務所,,認印,廃止,2021-04-01,未,,\n").encode())
    half_width = find_seal_free(ledger_db, LedgerFilters(query="ｺﾞﾐ集積所"), 50)
    assert [e["ward_number"] for e in half_width.entries] == ["E-1"]
