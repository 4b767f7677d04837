"""The statistics dashboard and exports, checked against independent SQL counts on the raw rows."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from kiosk import create_app
from kiosk.consultations.form import ParsedForm
from kiosk.consultations.store import record_consultation
from kiosk.db import connect
from kiosk.stats.periods import fiscal_year_of_month
from tests.conftest import StaffClient, add_sites_and_staff, make_config
from tests.fixtures import query_rows, soup, text_of
from tests.web.test_staff import TYPICAL, form_defaults

rows = query_rows


@pytest.fixture
def logged(staff_client, staff_app):
    """A dozen consultations by two supporters at two sites, one edited and one soft-deleted."""
    first, second = staff_client("supporter"), staff_client("supporter2")
    variants = [
        {"age_band": "75-84", "outcome": "completed-online"},
        {"age_band": "65-74", "outcome": "completed-online-assisted", "satisfaction": "5"},
        {"age_band": "40s", "outcome": "referred-counter", "reason": "pin-locked", "satisfaction": "3"},
        {"age_band": "85-plus", "outcome": "not-resolved", "reason": "no-card",
         "topics": ["pin", "residence-certificate"]},
        {"age_band": "unknown", "outcome": "handed-off", "satisfaction": "4"},
        {"age_band": "75-84", "outcome": "completed-online", "channel": "outreach"},
    ]
    for client, site in ((first, "1"), (second, "2")):
        defaults = form_defaults(client)
        for variant in variants:
            assert client.post("/staff/consultations/new", {**TYPICAL, **defaults, "site_id": site, **variant}
                               ).status_code == 303
    ids = [r["id"] for r in rows(staff_app, "select id from consultations order by id")]
    edit = {**TYPICAL, **form_defaults(first), "age_band": "30s", "outcome": "not-resolved", "reason": "no-card"}
    assert first.post(f"/staff/consultations/{ids[0]}/edit", edit).status_code == 303
    assert first.post(f"/staff/consultations/{ids[1]}/delete").status_code == 303
    return staff_client("coordinator")


def sql_count(app, where: str = "1=1", params=()) -> int:
    return rows(app, f"select count(*) n from consultations where deleted_at is null and {where}", params)[0]["n"]


def kpi(page, label: str) -> str:
    for item in page.select(".k-kpi"):
        if text_of(item.select_one("dt")) == label:
            return text_of(item.select_one("dd"))
    raise AssertionError(label)


def test_dashboard_numbers_match_the_raw_rows(logged, staff_app):
    page = soup(logged.get("/stats/"))
    total = sql_count(staff_app)
    assert total == 11
    assert kpi(page, "相談件数").startswith(f"{total} ")
    aged = sql_count(staff_app, "age_band in ('65-74', '75-84', '85-plus')")
    known = sql_count(staff_app, "age_band != 'unknown'")
    assert kpi(page, "65歳以上の割合") == f"{aged / known * 100:.1f}%"
    online = sql_count(staff_app, "outcome in ('completed-online', 'completed-online-assisted')")
    assert kpi(page, "オンライン完了率") == f"{online / total * 100:.1f}%"
    completions = sql_count(staff_app, "outcome in ('completed-online', 'completed-online-assisted', "
                                       "'handed-off', 'referred-counter')")
    assert kpi(page, "デジタル化率（職員入力を含む）") == f"{online / completions * 100:.1f}%"
    asked = sql_count(staff_app, "satisfaction is not null")
    satisfied = sql_count(staff_app, "satisfaction >= 4")
    assert kpi(page, "満足と答えた割合").startswith(f"{satisfied / asked * 100:.1f}%")
    # the age chart's table, row by row, against GROUP BY on the raw rows
    expected = {r["age_band"]: r["n"] for r in rows(staff_app, "select age_band, count(*) n from consultations "
                                                              "where deleted_at is null group by age_band")}
    table = page.select_one("#c-age-title").find_parent("figure").select_one("table")
    shown = {text_of(tr.select_one("th")): int(text_of(tr.select_one("td"))) for tr in table.select("tbody tr")}
    assert shown["30代"] == expected.get("30s", 0) == 1
    assert shown["75〜84歳"] == expected["75-84"]
    assert sum(shown.values()) == total


def test_filters_by_site_and_channel(logged, staff_app):
    page = soup(logged.get("/stats/?site=2&channel=outreach"))
    assert kpi(page, "相談件数").startswith(f"{sql_count(staff_app, 'site_id = 2 and channel = ?', ['outreach'])} ")


def test_consultations_csv_round_trips_with_bom(logged, staff_app):
    response = logged.get("/stats/export/consultations.csv?codes=1")
    assert 'filename="consultations-codes-' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(table) == sql_count(staff_app)
    raw = {r["id"]: r for r in rows(staff_app, "select * from consultations where deleted_at is null")}
    for row in table:
        original = raw[int(row["id"])]
        assert row["age_band"] == original["age_band"] and row["outcome"] == original["outcome"]
    assert any(row["topics"] == "pin;residence-certificate" for row in table)
    cp932 = logged.get("/stats/export/consultations.csv?encoding=cp932").get_data().decode("cp932")
    assert "サンプル" in cp932 or "北出張所" in cp932
    exports = rows(staff_app, "select entity from audit_log where action = 'export'")
    assert [e["entity"] for e in exports] == ["consultations-codes.csv", "consultations.csv"]


def test_consultations_csv_reads_in_japanese(logged, staff_app):
    """The default file is for an office worker: Japanese headers and labels, no codes."""
    body = logged.get("/stats/export/consultations.csv").get_data()
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, lines = table[0], table[1:]
    assert header[:8] == ["番号", "開始時刻", "拠点番号", "拠点", "職員番号", "相談の方法", "所要時間（分）",
                          "相談内容"]
    assert "started_at" not in header and "outcome" not in header and len(header) == 21
    by_id = {int(line[0]): dict(zip(header, line, strict=True)) for line in lines}
    raw = {r["id"]: r for r in rows(staff_app, "select * from consultations where deleted_at is null")}
    assert set(by_id) == set(raw)
    ages = {"30s": "30代", "40s": "40代", "65-74": "65〜74歳", "75-84": "75〜84歳", "85-plus": "85歳〜",
            "unknown": "不明"}
    outcomes = {"completed-online": "オンラインで完了", "referred-counter": "窓口へ案内",
                "not-resolved": "解決しなかった", "handed-off": "案内シートを渡した",
                "completed-online-assisted": "オンラインで完了（職員が入力）"}
    for cid, line in by_id.items():
        assert line["年代"] == ages[raw[cid]["age_band"]]
        assert line["結果"] == outcomes[raw[cid]["outcome"]]
        assert line["後日のフォロー"] in ("はい", "いいえ")
    reasons = {line["オンラインで完了しなかった理由"] for line in by_id.values()}
    assert {"カードがない", "暗証番号のロック"} <= reasons
    assert any(line["相談内容"] == "暗証番号、住民票の写しの交付" for line in by_id.values())
    everything = body.decode("utf-8-sig")
    for code in ("completed-online", "65-74", "75-84", "no-card", "pin;"):
        assert code not in everything, code
    assert all(len(line["登録日時"]) == len("2026-12-03 10:30") for line in by_id.values())


def test_xlsx_has_the_same_numbers(logged, staff_app):
    response = logged.get("/stats/export/statistics.xlsx?codes=1")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    ages = {row[0]: row[2] for row in book["age_band"].iter_rows(min_row=2, values_only=True)}
    assert ages["75-84"] == sql_count(staff_app, "age_band = '75-84'")
    kpis = {row[0]: (row[1] if len(row) > 1 else None) for row in book["kpis"].iter_rows(min_row=2, values_only=True)}
    assert kpis["consultations"] == sql_count(staff_app)
    book.close()


def test_xlsx_reads_in_japanese_with_percentages(logged, staff_app):
    book = load_workbook(io.BytesIO(logged.get("/stats/export/statistics.xlsx").get_data()))
    assert book.sheetnames[:4] == ["月別の相談件数", "拠点別", "キオスクの利用の流れ", "年代別"]
    assert "主な指標（KPI）" in book.sheetnames and "kpis" not in book.sheetnames
    ages = book["年代別"]
    assert [cell.value for cell in ages[1]] == ["コード", "年代", "件数"]
    by_label = {row[1]: row[2] for row in ages.iter_rows(min_row=2, values_only=True)}
    assert by_label["75〜84歳"] == sql_count(staff_app, "age_band = '75-84'")
    months = [row[0] for row in book["月別の相談件数"].iter_rows(min_row=2, values_only=True)]
    assert months and all(month.endswith("月") and "年" in month for month in months)
    kpis = {row[1].value: row[2] for row in book["主な指標（KPI）"].iter_rows(min_row=2)}
    assert kpis["相談件数"].value == sql_count(staff_app)
    online = sql_count(staff_app, "outcome in ('completed-online', 'completed-online-assisted')")
    rate = kpis["オンライン完了率"]
    assert rate.value == pytest.approx(online / sql_count(staff_app)) and rate.number_format == "0.0%"
    assert kpis["相談件数"].number_format == "General"
    funnel = [row[1] for row in book["キオスクの利用の流れ"].iter_rows(min_row=2, values_only=True)]
    assert "職員を呼んだ" in funnel and "staff_called" not in funnel


def test_table_csv_reads_in_japanese_with_percentages(logged, staff_app):
    body = logged.get("/stats/export/table/kpis.csv").get_data().decode("utf-8-sig")
    table = {line[1]: line[2] for line in list(csv.reader(io.StringIO(body)))[1:]}
    online = sql_count(staff_app, "outcome in ('completed-online', 'completed-online-assisted')")
    assert table["オンライン完了率"] == f"{online / sql_count(staff_app) * 100:.1f}%"
    assert table["相談件数"] == str(sql_count(staff_app))
    codes = logged.get("/stats/export/table/kpis.csv?codes=1").get_data().decode("utf-8-sig")
    raw = {line[0]: line[1] for line in list(csv.reader(io.StringIO(codes)))[1:]}
    assert float(raw["online_completion_rate"]) == pytest.approx(online / sql_count(staff_app))


def test_dashboard_links_every_download_in_words(logged):
    page = soup(logged.get("/stats/?period=month&month=2026-11&codes=1&encoding=x"))
    links = {text_of(a): a["href"] for a in page.select("#export-title ~ ul a")}
    assert links["統計報告 PDF（この期間の月次報告用）"].startswith("/stats/report.pdf?")
    assert "month=2026-11" in links["統計報告 PDF（この期間の月次報告用）"]
    assert "集計表 CSV: 主な指標（KPI）" in links and "集計表 CSV: 月別の相談件数" in links
    assert not any(name in label for label in links for name in ("by-month", "kpis", "age_band", "funnel"))
    assert "codes=1" in links["相談記録 CSV（コード）"] and "codes" not in links["相談記録 CSV（Excel用 UTF-8）"]
    assert logged.get(links["統計報告 PDF（この期間の月次報告用）"]).data.startswith(b"%PDF")


def test_statistics_refuse_supporters_and_anonymous(staff_client, staff_app):
    supporter = staff_client("supporter")
    anonymous = staff_app.test_client()
    for path in ("/stats/", "/stats/export/consultations.csv", "/stats/export/statistics.xlsx",
                 "/stats/export/table/kpis.csv"):
        assert supporter.get(path).status_code == 403, path
        assert anonymous.get(path).status_code == 302, path
    assert rows(staff_app, "select count(*) n from audit_log where action = 'export'")[0]["n"] == 0


def test_unreadable_periods_fall_back_to_the_fiscal_year(logged):
    import datetime as dt

    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)).date()
    year = today.year if today.month >= 4 else today.year - 1
    for query in ("?period=month&month=banana", "?period=quarter&quarter=2026-Q9", "?period=zzz", "?site=abc"):
        response = logged.get("/stats/" + query)
        assert response.status_code == 200, query
        period = [text_of(p) for p in soup(response).select("p.k-body") if text_of(p).startswith("期間")]
        assert period == [f"期間: {year}-04 〜 {year + 1}-03"], query


def test_quarters_and_months(logged):
    page = soup(logged.get("/stats/?period=quarter&quarter=2026-Q4"))
    assert any(text_of(p) == "期間: 2027-01 〜 2027-03" for p in page.select("p.k-body"))
    page = soup(logged.get("/stats/?period=month&month=2026-11"))
    assert any(text_of(p) == "期間: 2026-11 〜 2026-11" for p in page.select("p.k-body"))


def test_monthly_report_pdf(logged, staff_app, tmp_path):
    import subprocess

    response = logged.get("/stats/report.pdf?period=month&month=" + _this_month())
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "BIZ-UDGothic" in fonts and " yes " in fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "統計報告" in text and "65歳以上の割合" in text
    assert f"{sql_count(staff_app):,}" in text
    # It reads as a report: labels, not codes; shares as percentages, not raw fractions.
    assert "75〜84歳" in text and "オンラインで完了" in text
    for code in ("75-84", "completed-online", "no-card", "aged_65_plus_share"):
        assert code not in text, code
    assert not re.search(r"\b0\.\d{4,}", text) and re.search(r"\d+\.\d%", text)


def _this_month() -> str:
    import datetime as dt

    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)).strftime("%Y-%m")


def test_the_report_for_one_site_names_it(logged, tmp_path):
    import subprocess

    response = logged.get("/stats/report.pdf?site=1")
    assert response.status_code == 200
    path = tmp_path / "site-report.pdf"
    path.write_bytes(response.data)
    assert "北出張所" in subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


# 2026-03-31T20:00Z is 1 April 05:00 in Tokyo, 01:30 in Kolkata (+05:30) and still 31 March in UTC.
@pytest.mark.parametrize(("timezone", "started_at", "month", "shown"), [
    ("Asia/Tokyo", "2026-03-31T20:00:00+00:00", "2026-04", "2026-04-01 05:00"),
    ("UTC", "2026-03-31T20:00:00+00:00", "2026-03", "2026-03-31 20:00"),
    ("Asia/Kolkata", "2026-03-31T20:00:00+00:00", "2026-04", "2026-04-01 01:30"),
    ("Asia/Kolkata", "2026-03-31T18:29:00+00:00", "2026-03", "2026-03-31 23:59"),
])
def test_a_consultation_counts_in_the_month_of_the_ward_time_zone(tmp_path, timezone, started_at, month, shown):
    app = create_app(make_config(tmp_path, TIMEZONE=timezone))
    db = connect(app.config["DATABASE"])
    add_sites_and_staff(db)
    values = {"site_id": 1, "started_at": started_at, "minutes": 15, "channel": "counter", "age_band": "75-84",
              "first_visit": 1, "language": "ja", "device_used": "android", "outcome": "completed-online",
              "follow_up": 0}
    record_consultation(db, 1, ParsedForm(values=values, topics=["pin"]))
    db.conn.close()
    coordinator = StaffClient(app)
    assert coordinator.login("coordinator").status_code == 303
    other = "2026-03" if month == "2026-04" else "2026-04"

    assert rows(app, "select month from consultation_stats where dimension = 'all' and consultations > 0") == [
        {"month": month}]
    assert kpi(soup(coordinator.get(f"/stats/?period=month&month={month}")), "相談件数").startswith("1 ")
    assert kpi(soup(coordinator.get(f"/stats/?period=month&month={other}")), "相談件数").startswith("0 ")
    year = fiscal_year_of_month(month)
    page = soup(coordinator.get(f"/stats/?period=fy&fy={year}"))
    assert kpi(page, "相談件数").startswith("1 ")
    assert str(year) in [option["value"] for option in page.select("select[name=fy] option")]

    def exported(which: str) -> list[dict]:
        body = coordinator.get(f"/stats/export/consultations.csv?codes=1&period=month&month={which}").get_data()
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))

    assert [row["started_at"] for row in exported(month)] == [shown]
    assert exported(other) == []
