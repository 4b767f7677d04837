"""Demo data for `make run` and synthetic data for tests and benchmarks."""

from __future__ import annotations

import csv
import io
import os
import random
import time
from pathlib import Path

import click
from flask import current_app

from kiosk.admin.devices import create_enrollment_token
from kiosk.catalog import ContentError, get_catalog
from kiosk.catalog.ledger import COLUMNS, import_ledger_file
from kiosk.db import connect, now_iso, transaction
from kiosk.demo.synthetic import generate, window
from kiosk.migrations import migrate
from kiosk.staff.accounts import create_user, find_user, generate_password, set_department

DEMO_SITES = (
    {"name": "サンプル区 北出張所", "kind": "branch", "venue": "サンプル区北町1-2-3（サンプル）"},
    {"name": "みどり地域センター 出張相談会", "kind": "event",
     "venue": "みどり地域センター 2階 集会室（サンプル）",
     "starts_on": "2026-12-01", "ends_on": "2027-03-31"},
)
DEMO_USERS = (
    ("admin", "admin", "管理者（デモ）"),
    ("coordinator", "coordinator", "統計担当（デモ）"),
    ("supporter", "supporter", "デジタル活用支援員（デモ）"),
    ("reviewer", "reviewer", "戸籍住民課 押印見直し担当（デモ）"),
)
DEMO_REVIEWER_DEPARTMENT = "戸籍住民課"  # a department of content/ledger-sample.csv


def load_demo(db, instance_path: str, ledger_csv: Path, procedure_ids,
              base_url: str = "http://127.0.0.1:8000") -> list[str]:
    """Idempotent: creates what is missing and says what it did."""
    said = []
    if not db.table("sites").count:
        with transaction(db):
            for site in DEMO_SITES:
                db.table("sites").insert({**site, "created_at": now_iso()})
        said.append(f"created {len(DEMO_SITES)} demo sites")
    first_site = next(db.query("select id from sites order by id limit 1"))["id"]
    if not db.table("devices").count:
        with transaction(db):
            db.table("devices").insert({"name": "北出張所 キオスク1", "kind": "kiosk",
                                        "site_id": first_site, "created_at": now_iso()})
        said.append("created the demo kiosk device")
    credentials = Path(instance_path) / "demo-accounts.txt"
    created = []
    for username, role, display in DEMO_USERS:
        if find_user(db, username) is None:
            password = generate_password()
            user_id = create_user(db, username, role, password, display, first_site)
            if role == "reviewer":
                set_department(db, user_id, DEMO_REVIEWER_DEPARTMENT)
            created.append(f"{username}\t{role}\t{password}")
    if created:
        # Kept so that `make run` can show them again; delete it once passwords are changed.
        with open(credentials, "a", encoding="utf-8") as out:
            out.write("\n".join(created) + "\n")
        os.chmod(credentials, 0o600)
    if db.table("ledger_entries").count == 0:
        report = import_ledger_file(db, ledger_csv, procedure_ids)
        said.append(f"imported the sample ledger: {report.imported} rows")
    unenrolled = list(db.query("select id, name from devices where kind = 'kiosk' and enrolled_at is null "
                               "and revoked_at is null order by id limit 1"))
    if unenrolled:
        token = create_enrollment_token(db, unenrolled[0]["id"])
        said.append(f"to bind a kiosk browser to 「{unenrolled[0]['name']}」, open once on it: "
                    f"{base_url.rstrip('/')}/enroll/{token}")
    if credentials.exists():
        said.append(f"demo staff accounts (initial passwords, from {credentials}):")
        said += ["  " + line.replace("\t", "  ") for line in credentials.read_text().splitlines()]
    return said


# Synthetic ledger: plausible ward procedures, made from parts.
_DEPARTMENTS = {
    "戸籍住民課": ["住民票", "戸籍", "印鑑登録", "転入", "転出", "住居表示"],
    "課税課": ["住民税", "軽自動車税", "課税証明", "特別徴収", "寄附金控除"],
    "納税課": ["納税証明", "口座振替", "分割納付", "還付金", "督促"],
    "国保年金課": ["国民健康保険", "高額療養費", "国民年金", "出産育児一時金", "葬祭費"],
    "介護保険課": ["要介護認定", "介護保険料", "福祉用具購入費", "住宅改修費", "負担限度額"],
    "子ども家庭支援課": ["児童手当", "児童扶養手当", "子ども医療証", "ひとり親家庭", "養育支援"],
    "保育課": ["保育園入園", "学童クラブ", "一時保育", "保育料", "病児保育"],
    "障害者福祉課": ["障害者手帳", "補装具", "日常生活用具", "移動支援", "手当"],
    "清掃事務所": ["粗大ごみ", "事業系ごみ", "資源回収", "ふれあい収集", "臨時ごみ"],
    "環境課": ["省エネ機器助成", "騒音届出", "緑化助成", "太陽光発電助成", "環境報告"],
    "道路課": ["道路占用", "道路使用承認", "掘削", "私道整備助成", "街路灯"],
    "建築課": ["建築確認", "耐震診断助成", "ブロック塀撤去助成", "空き家相談", "狭あい道路"],
    "地域振興課": ["町会・自治会", "地域活動助成", "集会室利用", "区民まつり", "商店街助成"],
    "契約課": ["入札参加", "契約締結", "請求書", "見積書", "検査調書"],
    "健康推進課": ["健康診査", "がん検診", "予防接種", "特定保健指導", "歯科健診"],
}
_FORMS = ["申請書", "届出書", "変更届", "廃止届", "交付申請書", "請求書", "承認申請書", "報告書",
          "再交付申請書", "辞退届", "委任状", "同意書"]
_BASES = ["サンプル区規則第{n}号", "サンプル区要綱第{n}号", "地方自治法施行規則", "住民基本台帳法",
          "地方税法", "国民健康保険法", "介護保険法", "児童手当法", "道路法", "建築基準法"]
_RESULTS = [("廃止", 80), ("存続", 5), ("不要", 15)]
_ONLINE = [("未", 45), ("予定", 25), ("済", 30)]
# A ward part of the way through its review (the new columns, with --review-columns).
_STATUSES = [("未着手", 10), ("検討中", 10), ("廃止決定", 10), ("廃止済", 55), ("存続（法令）", 4),
             ("存続（実印・印鑑証明）", 2), ("対象外", 9)]
_RESULT_OF_STATUS = {"廃止済": "廃止", "存続（法令）": "存続", "存続（実印・印鑑証明）": "存続", "対象外": "不要"}
_KEEP_REASONS = {"存続（法令）": ["戸籍法施行規則", "地方税法施行規則", "建築基準法施行規則", "道路法施行規則"],
                 "存続（実印・印鑑証明）": ["実印と印鑑登録証明書で本人の意思を確かめる必要がある"]}


def _review_columns(rng: random.Random, topic: str) -> dict:
    status = rng.choices([s for s, _ in _STATUSES], [w for _, w in _STATUSES])[0]
    day = f"202{rng.choice([4, 5, 5, 6])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    rules = f"サンプル区{topic}事務取扱規則" if status in ("廃止決定", "廃止済") and rng.random() < 0.7 else ""
    return {
        "見直し結果": _RESULT_OF_STATUS.get(status, ""),
        "見直し日": day if status not in ("未着手", "検討中") else "",
        "状況": status,
        "存続理由": rng.choice(_KEEP_REASONS[status]) if status in _KEEP_REASONS else "",
        "改正する例規": rules,
        "例規改正日": day if rules and status == "廃止済" and rng.random() < 0.8 else "",
        "廃止日": day if status == "廃止済" else "",
    }


def synthetic_ledger_rows(rows: int, seed: int = 2021, procedure_ids=(), review_columns: bool = False) -> list[dict]:
    """Plausible ledger rows; ``review_columns`` adds 状況 and the review's columns (and fills
    見直し結果 and 見直し日 to match)."""
    rng = random.Random(seed)
    combos = [(d, t, f) for d, topics in _DEPARTMENTS.items() for t in topics for f in _FORMS]
    rng.shuffle(combos)
    out = []
    ids = list(procedure_ids)
    for i in range(rows):
        department, topic, form = combos[i % len(combos)]
        series = i // len(combos)
        name = f"{topic}{form}" + (f"（様式{series + 1}）" if series else "")
        result = rng.choices([r for r, _ in _RESULTS], [w for _, w in _RESULTS])[0]
        date = f"202{rng.choice([1, 1, 1, 2])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        out.append({
            "管理番号": f"S-{i + 1:06d}",
            "手続名": name,
            "所管課": department,
            "根拠規定": rng.choice(_BASES).format(n=rng.randint(1, 80)),
            "押印の種類": rng.choice(["認印", "認印", "実印", "代表者印", "職印"]),
            "見直し結果": result,
            "見直し日": date if result == "廃止" or rng.random() < 0.5 else "",
            "オンライン化": rng.choices([o for o, _ in _ONLINE], [w for _, w in _ONLINE])[0],
            "備考": rng.choice(["", "", "署名に代替", "電子申請可", "様式改正済み", "押印欄削除"]),
            "手続ID": ids[i] if i < len(ids) else "",
        })
        if review_columns:
            out[-1].update(_review_columns(rng, topic))
    return out


def write_ledger_csv(rows: list[dict], out, encoding: str = "utf-8") -> None:
    """The rows' own columns (in the import's order), so that an older ledger stays one."""
    present = set(rows[0]) if rows else set(COLUMNS)
    writer = csv.DictWriter(out, fieldnames=[c for c in COLUMNS if c in present], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)


@click.group("demo", help="Demo and synthetic data.")
def demo_cli() -> None:
    pass


@demo_cli.command("load", help="Create demo sites, a kiosk device, staff accounts and the sample "
                               "ledger (only what is missing).")
def load_command() -> None:
    app = current_app
    db = connect(app.config["DATABASE"])
    migrate(db)
    ledger = Path(app.config["CONTENT_DIR"]) / "ledger-sample.csv"
    base_url = f"http://{app.config['HOST']}:{app.config['PORT']}"
    for line in load_demo(db, app.instance_path, ledger, get_catalog().procedures, base_url):
        click.echo(line)


@demo_cli.command("ledger", help="Write a synthetic seal-review ledger CSV.")
@click.option("--rows", type=click.IntRange(1, 1_000_000), default=5000, show_default=True)
@click.option("--seed", type=int, default=2021, show_default=True)
@click.option("--encoding", type=click.Choice(["utf-8", "utf-8-sig", "cp932"]), default="utf-8",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-",
              help="File to write (default: standard output).")
@click.option("--review-columns", is_flag=True, help="Add 状況 and the review's columns (存続理由, 改正する例規, "
                                                     "例規改正日, 廃止日).")
def ledger_command(rows: int, seed: int, encoding: str, output: str, review_columns: bool) -> None:
    buffer = io.StringIO(newline="")
    write_ledger_csv(synthetic_ledger_rows(rows, seed, get_catalog().procedures, review_columns), buffer)
    data = buffer.getvalue().encode(encoding)
    if output == "-":
        click.get_binary_stream("stdout").write(data)
    else:
        Path(output).write_bytes(data)
        click.echo(f"Wrote {rows} rows to {output} ({encoding})", err=True)


@demo_cli.command("generate", help="Add synthetic sites, staff, consultations, kiosk sessions and handoffs "
                                   "over the last fiscal years, for demos and benchmarks.")
@click.option("--consultations", type=click.IntRange(1, 5_000_000), required=True, help="How many consultations.")
@click.option("--years", type=click.IntRange(1, 20), required=True,
              help="Fiscal years (April to March) up to yesterday, the current one included.")
@click.option("--sites", type=click.IntRange(1, 200), required=True,
              help="Sites: mostly branch offices, about 30% outreach events.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same data.")
def generate_command(consultations: int, years: int, sites: int, seed: int) -> None:
    app = current_app
    try:
        catalog = get_catalog()
    except ContentError as exc:
        click.echo(str(exc), err=True)
        click.echo("Nothing generated: fix the content (kiosk content check).", err=True)
        raise SystemExit(1) from None
    db = connect(app.config["DATABASE"])
    migrate(db)
    timezone = app.config["TIMEZONE"]
    first, last = window(years, None, timezone)
    started = time.perf_counter()
    counts = generate(db, consultations, years, sites, seed, catalog=catalog, timezone=timezone)
    took = time.perf_counter() - started
    click.echo(f"Database: {app.config['DATABASE']}")
    click.echo(f"Added, for {first.isoformat()} to {last.isoformat()} (seed {seed}), in {took:.1f} s:")
    click.echo(f"  {counts['sites']} sites ({counts['branches']} branch office(s) with a kiosk each, "
               f"{counts['events']} outreach event(s))")
    click.echo(f"  {counts['users']} staff accounts (staff-NN per site, coord-NN; one random password, not shown: "
               f"set one with `kiosk user reset-password USERNAME`)")
    click.echo(f"  {counts['consultations']:,} consultations ({counts['deleted']:,} soft-deleted) "
               f"with {counts['topics']:,} topics")
    click.echo(f"  {counts['kiosk_sessions']:,} kiosk sessions ({counts['kiosk_events']:,} events), "
               f"{counts['help_requests']:,} help requests, {counts['handoffs']:,} handoffs")
