"""The ledger's part of the search lives in the database: same answers as the in-memory index,
kept in step by each import, rebuilt once when it is not current."""

from __future__ import annotations

import pytest

from kiosk.assistant.search import build_index
from kiosk.catalog import base_catalog, get_search_index, reload_catalog
from kiosk.catalog.ledger import import_ledger
from kiosk.catalog.ledger_index import GENERATION_SETTING, ensure_current
from kiosk.db import get_setting, set_setting

QUERIES = ["道路占用許可", "犬の登録", "住民票", "じゅうみんひょう", "屋外広告物", "補助金の交付申請", "ラーメン"]


@pytest.mark.parametrize("query", QUERIES)
def test_the_database_index_answers_as_the_in_memory_one(ledger_app, db, query):
    with ledger_app.app_context():
        reload_catalog(ledger_app)  # as a server does when it sees the import's new generation
        catalog = base_catalog()
        entries = list(db.query("select key, name, department, procedure_id from ledger_entries"))
        in_memory = build_index(catalog.procedures.values(), entries, events=catalog.life_events.values(),
                                authorities=catalog.other_authorities.values()).search(query)
        stored = get_search_index().search(query)
    assert [m.id for m in stored.matches] == [m.id for m in in_memory.matches]
    assert [round(m.score, 6) for m in stored.matches] == [round(m.score, 6) for m in in_memory.matches]


def test_an_import_updates_the_index_in_its_transaction(ledger_app, db):
    csv = "手続名,所管課,見直し結果,見直し日,オンライン化\n屋形船の営業許可申請,観光課,廃止,2024-04-01,未\n".encode()
    import_ledger(db, csv)
    assert get_setting(db, GENERATION_SETTING) == get_setting(db, "ledger_generation")
    with ledger_app.app_context():
        reload_catalog(ledger_app)
        best = get_search_index().search("屋形船の営業許可").best
    assert best.kind == "ledger" and best.title == "屋形船の営業許可申請"


def test_a_database_not_indexed_yet_is_rebuilt_once(ledger_app, db):
    set_setting(db, GENERATION_SETTING, "an older ledger")
    db.execute("delete from ledger_search_rows")
    assert ensure_current(ledger_app.config["DATABASE"]) is True
    assert ensure_current(ledger_app.config["DATABASE"]) is False
    assert next(db.query("select count(*) as n from ledger_search_rows"))["n"] > 0


def _search_tables(db) -> dict[str, list[tuple]]:
    return {table: [tuple(r.values()) for r in db.query(f"select * from {table} order by 1, 2")]
            for table in ("ledger_search_rows", "ledger_search_terms", "ledger_search_counts")}


def test_a_reimport_with_changed_rows_leaves_the_tables_a_rebuild_would_make(ledger_app, db):
    """The import changes postings and document frequencies by what it removed and added; the
    result must be what indexing the whole ledger from scratch gives."""
    from kiosk.catalog.ledger_index import index_rows

    csv = ("管理番号,手続名,所管課,見直し結果,見直し日,オンライン化,手続ID\n"
           "X-1,屋形船の営業許可申請,観光課,廃止,2024-04-01,未,\n"
           "X-2,犬の鑑札再交付申請,生活衛生課,廃止,2024-04-01,未,\n"
           "X-3,公園占用許可申請,公園課,廃止,2024-04-01,未,\n").encode()
    import_ledger(db, csv, ["residence-certificate"])
    changed = ("管理番号,手続名,所管課,見直し結果,見直し日,オンライン化,手続ID\n"
               "X-1,屋形船の営業許可変更届,観光課,廃止,2024-04-01,未,\n"  # renamed: old terms go
               "X-2,犬の鑑札再交付申請,生活衛生課,廃止,2024-04-01,未,residence-certificate\n"  # now a guide
               "X-3,公園占用許可申請,公園課,廃止,2024-04-01,未,\n"
               "X-4,花火大会の出店申請,観光課,廃止,2024-04-01,未,\n").encode()
    report = import_ledger(db, changed, ["residence-certificate"])
    assert (report.inserted, report.updated, report.unchanged) == (1, 2, 1)
    after_import = _search_tables(db)
    assert "屋形船の営業許可変更届" in [row[1] for row in after_import["ledger_search_rows"]]
    assert "犬の鑑札再交付申請" not in [row[1] for row in after_import["ledger_search_rows"]]
    db.execute("begin")
    index_rows(db)  # from scratch
    db.execute("commit")
    assert _search_tables(db) == after_import
