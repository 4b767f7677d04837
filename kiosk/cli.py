"""The `kiosk` command: every operation of the app, as a Flask CLI group.

Each command is documented in docs/cli.md (tests/cli/test_cli_docs.py fails otherwise).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException

from kiosk.catalog import ContentError, get_catalog, get_search_index, reload_catalog
from kiosk.catalog.ledger import LedgerFileError, import_ledger_file
from kiosk.consultations import vocabulary
from kiosk.db import connect
from kiosk.instance import init_command
from kiosk.migrations import db_cli, migrate
from kiosk.settings import SettingsError, load_settings
from kiosk.storage import StorageError


class SettingsUsageError(NoAppException):
    """A KIOSK_* variable with a bad value: one ``Error: …`` line per problem and exit code 2, like a bad
    option. A NoAppException so that FlaskGroup's ``--help`` shows the message instead of a traceback."""

    def __init__(self, error: SettingsError) -> None:
        super().__init__(str(error))
        self.problems = error.problems

    def show(self, file=None) -> None:
        for problem in self.problems:
            click.echo(f"Error: {problem}", file=file, err=file is None)


def _create_cli_app() -> Flask:
    from kiosk import create_app

    try:
        return create_app(cli=True)
    except SettingsError as error:
        raise SettingsUsageError(error) from None


@click.group("ledger", help="The seal-review ledger (押印見直し台帳).")
def ledger_cli() -> None:
    pass


@ledger_cli.command("import", help="Import FILE.csv (UTF-8 with or without BOM, or CP932). "
                                   "Bad rows are listed by line and skipped; the rest land.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def ledger_import_command(file: str) -> None:
    db = connect(current_app.config["DATABASE"])
    migrate(db)
    try:
        procedure_ids = get_catalog().procedures
    except ContentError:
        click.echo("warning: content has problems; 手続ID values are not checked", err=True)
        procedure_ids = None
    try:
        report = import_ledger_file(db, file, procedure_ids)
    except LedgerFileError as exc:
        click.echo(f"{file}: {exc}", err=True)
        click.echo("Nothing was imported.", err=True)
        raise SystemExit(1) from None
    for warning in report.warnings:
        click.echo(f"{file}: {warning}", err=True)
    for problem in report.problems:
        click.echo(f"{file}: {problem}", err=True)
    click.echo(f"{file} ({report.encoding}): {report.rows_read} rows read; "
               f"{report.inserted} added, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.problems)} skipped.")
    if report.problems:
        raise SystemExit(2)


@click.command("serve", help="Serve the app with waitress (KIOSK_HOST, KIOSK_PORT). "
                             "SIGHUP reloads the content.")
@click.option("--host", default=None, help="Default: KIOSK_HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default: KIOSK_PORT or 8000.")
def serve_command(host: str | None, port: int | None) -> None:
    from waitress import serve

    from kiosk import create_app

    try:
        app = create_app()
    except SettingsError as error:
        raise SettingsUsageError(error) from None
    except ContentError as exc:
        click.echo(str(exc), err=True)
        click.echo("The kiosk did not start: fix the content (kiosk content check).", err=True)
        raise SystemExit(1) from None
    except StorageError as error:
        click.echo(f"Error: the kiosk did not start. {error}", err=True)
        raise SystemExit(1) from None
    host = host or app.config["HOST"]
    port = port or app.config["PORT"]

    if hasattr(signal, "SIGHUP"):  # not on Windows; `kiosk content reload` works everywhere
        def on_hangup(signum, frame):
            try:
                reload_catalog(app)
            except ContentError as exc:
                print(f"Reload refused, still serving the previous content:\n{exc}", file=sys.stderr)
        signal.signal(signal.SIGHUP, on_hangup)

    click.echo(f"Serving 手続きサポート kiosk on http://{host}:{port}/ "
               f"(database {app.config['DATABASE']}, content {Path(app.config['CONTENT_DIR'])})")
    try:
        serve(app, host=host, port=port, threads=app.config["THREADS"], ident="kiosk")
    except OSError as exc:  # most often: the port is taken by another server
        click.echo(f"Cannot serve on {host}:{port}: {exc.strerror}. Is the kiosk already running? "
                   f"Choose another port with KIOSK_PORT.", err=True)
        raise SystemExit(1) from None


@click.command("ask", help="Ask the assistant as a resident would type, through the kiosk's own search. "
                           "With no QUERY, reads one query per line from standard input.")
@click.option("--lang", default="ja", show_default=True, help="The screen's language, as on the kiosk.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query, one per line: what the "
                                                     "kiosk would do (action, id or candidates in order).")
@click.argument("query", required=False)
def ask_command(lang: str, as_json: bool, query: str | None) -> None:
    from kiosk.assistant.understanding import understand
    from kiosk.i18n.locales import LOCALE_CODES

    if lang not in LOCALE_CODES:
        raise click.BadParameter(f"one of {', '.join(LOCALE_CODES)}", param_hint="--lang")
    migrate(connect(current_app.config["DATABASE"]))  # the index reads the ledger table
    try:
        get_search_index()
    except ContentError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    from kiosk.catalog import localized_catalog

    titles = {pid: proc.title for pid, proc in localized_catalog(lang).procedures.items()}
    queries = [query] if query is not None else (line.rstrip("\n") for line in sys.stdin)
    for text in queries:
        if not text.strip():
            continue
        understanding = understand(text.strip()[:200], lang)  # as the kiosk's input field allows
        if as_json:
            click.echo(json.dumps(understanding.as_json(), ensure_ascii=False))
            continue
        click.echo(f"{understanding.text}: {understanding.action} (typed in {understanding.language})")
        for match in understanding.matches[:5]:
            click.echo(f"  {match.score:5.2f}  {match.kind:9} {match.id}  {titles.get(match.id, match.title)}")


@click.group("device", help="Kiosks and tablets: list them, make enrollment links.")
def device_cli() -> None:
    pass


@device_cli.command("list", help="Every device with its site and whether it is enrolled.")
def device_list_command() -> None:
    from kiosk.admin.devices import list_devices

    db = connect(current_app.config["DATABASE"])
    migrate(db)
    rows = sorted(list_devices(db), key=lambda row: row["id"])
    for row in rows:
        state = "revoked" if row["revoked_at"] else "enrolled" if row["enrolled_at"] else "not enrolled"
        click.echo(f"{row['id']}\t{row['kind']}\t{row['name']}\t{row['site_name'] or '-'}\t{state}")
    if not rows:
        click.echo("No devices.")


@device_cli.command("enroll-link", help="A one-time link to open on the device to bind it to its site.")
@click.argument("device_id", type=int)
@click.option("--base-url", default=None, help="Default: http://KIOSK_HOST:KIOSK_PORT")
def device_enroll_link_command(device_id: int, base_url: str | None) -> None:
    from kiosk.admin.devices import create_enrollment_token, get_device

    db = connect(current_app.config["DATABASE"])
    migrate(db)
    device = get_device(db, device_id)
    if device is None or device["revoked_at"]:
        click.echo(f"No active device with id {device_id} (see `kiosk device list`).", err=True)
        raise SystemExit(1)
    token = create_enrollment_token(db, device_id)
    base_url = (base_url or f"http://{current_app.config['HOST']}:{current_app.config['PORT']}").rstrip("/")
    click.echo(f"{base_url}/enroll/{token}")


def export_datasette_command(folder: str) -> None:
    from kiosk.audit import audit
    from kiosk.db import transaction
    from kiosk.i18n.locales import using_locale
    from kiosk.stats.datasette import LOOKUPS, DatasetteExportError, export_datasette
    from kiosk.stats.rollup import sync_rollup_to_timezone

    db = connect(current_app.config["DATABASE"])
    migrate(db)
    sync_rollup_to_timezone(db, current_app.config["TIMEZONE"])  # as the server does at start
    # The labels as the dashboard shows them, in Japanese (Babel needs a request).
    with current_app.test_request_context(), using_locale("ja"):
        labels = {table: {code: str(label) for code, label in getattr(vocabulary, name).items()}
                  for table, (name, _) in LOOKUPS.items()}
        topics = {code: str(label) for code, label in vocabulary.GENERAL_TOPICS.items()}
        try:
            topics.update({pid: proc.title for pid, proc in get_catalog().procedures.items()})
        except ContentError:
            click.echo("warning: content has problems; procedure topics have no labels", err=True)
    try:
        counts = export_datasette(db, folder, labels, topics)
        with transaction(db):
            audit(db, None, "export", "cli:datasette", None, None, {"tables": counts})
    except DatasetteExportError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    finally:
        db.conn.close()
    click.echo(f"Wrote {folder}: {counts.get('consultations', 0)} consultations in {len(counts)} tables, "
               f"with metadata.json; open it with `datasette {folder}`")


@db_cli.command("restore", help="Replace the live database with the backup PATH, after checking it (integrity, "
                                "a kiosk database, not from a newer version). The current one is kept beside itself.")
@click.argument("path", type=click.Path())
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-keep", "no_keep", is_flag=True, help="Do not keep a copy of the current database first.")
def restore_command(path: str, yes: bool, no_keep: bool) -> None:
    import os

    import sqlite_utils

    from kiosk.db import RestoreError, restore, transaction
    from kiosk.migrations import HISTORY_TABLE, LEGACY_HISTORY_TABLE, migrations
    from kiosk.stats.rollup import sync_rollup_to_timezone

    live = current_app.config["DATABASE"]
    if not yes:
        click.confirm(f"Replace {live} with {path}?", abort=True, err=True)
    known = {m.name for m in migrations.pending(sqlite_utils.Database(memory=True))}  # every step
    try:
        result = restore(path, live, history_tables=(HISTORY_TABLE, LEGACY_HISTORY_TABLE), known_steps=known,
                         keep_previous=not no_keep)
    except RestoreError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    db = connect(live)
    try:
        applied = migrate(db)  # an older backup gets the steps added since
        sync_rollup_to_timezone(db, current_app.config["TIMEZONE"])
        with transaction(db):  # running servers rebuild their search index from the restored ledger
            db.execute("insert into settings (name, value, updated_at) values ('ledger_generation', ?, "
                       "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')) on conflict(name) do update set "
                       "value = excluded.value, updated_at = excluded.updated_at", [os.urandom(16).hex()])
    finally:
        db.conn.close()
    if result.previous:
        click.echo(f"Kept the previous database as {result.previous}")
    click.echo(f"Restored {result.source} into {live} ({result.size:,} bytes, integrity {result.integrity}"
               + (f"; applied {len(applied)} migration(s)" if applied else "") + ")")
    click.echo("Restart the kiosk service so that every server starts from the restored data.")


def register_commands(app: Flask) -> None:
    from kiosk.demo.load import demo_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(ask_command)
    app.cli.add_command(device_cli)
    app.cli.add_command(export_command)
    app.cli.add_command(demo_cli)


class KioskGroup(FlaskGroup):
    """The FlaskGroup, checking the settings before any command runs. FlaskGroup builds the app while
    looking the command up, and reports a failure there as "No such command"; checked first, a bad
    KIOSK_* value is reported as itself. ``--help`` and ``--version`` still work (they exit earlier)."""

    def invoke(self, ctx: click.Context):
        try:
            load_settings()
        except SettingsError as error:
            raise SettingsUsageError(error) from None
        return super().invoke(ctx)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from kiosk import __version__

    click.echo(f"kiosk {__version__}")
    ctx.exit()


main = KioskGroup(
    name="kiosk",
    create_app=_create_cli_app,
    add_default_commands=False,
    add_version_option=False,  # Flask's prints Python's, Flask's and Werkzeug's versions, not ours
    load_dotenv=False,
    params=[click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
                         help="Show the version and exit.")],
    help="手続きサポート kiosk: content, ledger, database, demo data and the server.",
)
main.add_command(serve_command)
main.add_command(init_command)


@click.command("export", help="Export statistics like the dashboard's downloads: consultations (CSV), "
                              "table NAME (CSV), xlsx, or report (PDF); or datasette PATH, a copy of the "
                              "statistics tables for Datasette. Written to the audit log.")
@click.argument("what", type=click.Choice(["consultations", "table", "xlsx", "report", "datasette"]))
@click.argument("name", required=False)
@click.option("--fy", "fiscal_year", default=None, help="Fiscal year (April–March), e.g. 2026. Default: this one.")
@click.option("--quarter", default=None, help="Fiscal quarter, e.g. 2026-Q3 (instead of --fy).")
@click.option("--month", default=None, help="Month, e.g. 2026-11 (instead of --fy).")
@click.option("--all", "everything", is_flag=True, help="Every consultation ever logged (consultations only).")
@click.option("--site", "site_id", type=int, default=None)
@click.option("--channel", default=None)
@click.option("--encoding", type=click.Choice(["utf-8", "cp932"]), default="utf-8", show_default=True)
@click.option("--codes", is_flag=True, help="Codes as stored and shares as fractions, for other systems "
                                             "(default: headers and values in Japanese, shares as percentages).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="The file to write (not for datasette).")
def export_command(what, name, fiscal_year, quarter, month, everything, site_id, channel, encoding, codes,
                   output) -> None:
    if what == "datasette":
        if not name or output:
            raise click.UsageError("kiosk export datasette PATH: give the folder to write as PATH, no --output")
        export_datasette_command(name)
        return
    if not output:
        raise click.UsageError("Missing option '--output' / '-o'.")

    from kiosk.audit import audit
    from kiosk.db import transaction
    from kiosk.spreadsheets import stream_csv
    from kiosk.stats.dashboard import Filters, build_dashboard, staff_names, targets_from
    from kiosk.stats.exports import (
        aggregate_tables,
        consultation_headers,
        consultation_rows,
        csv_text,
        readable_consultation_rows,
        readable_tables,
        write_xlsx,
    )
    from kiosk.stats.periods import Period, StatisticsTimezoneError, parse_period, ward_today
    from kiosk.stats.report import render_report_pdf
    from kiosk.stats.rollup import sync_rollup_to_timezone

    config = current_app.config
    timezone = config["TIMEZONE"]
    today = ward_today(timezone)
    kind, value = ("month", month) if month else ("quarter", quarter) if quarter else ("fy", fiscal_year or "")
    period = parse_period(kind, value, today)
    if everything:
        if what != "consultations":
            raise click.BadParameter("only with consultations", param_hint="--all")
        period = Period("all", "all", "1900-01", "2999-12", ())
    if channel and channel not in vocabulary.CHANNELS:
        raise click.BadParameter(f"one of {', '.join(vocabulary.CHANNELS)}", param_hint="--channel")
    filters = Filters(period, site_id, channel)
    db = connect(config["DATABASE"])
    migrate(db)
    try:
        sync_rollup_to_timezone(db, timezone)  # as the server does at start: the tables read the rollup
    except StatisticsTimezoneError as error:
        raise click.ClickException(str(error)) from None
    targets = targets_from(config)
    # Labels go through Babel, which works in a request: give the command one.
    with current_app.test_request_context(), open(output, "wb") as out:
        if what == "consultations":
            rows = consultation_rows(db, filters, timezone=timezone)
            if not codes:
                rows = readable_consultation_rows(rows, get_catalog(), timezone=timezone)
            for piece in stream_csv(rows, consultation_headers(codes), encoding):
                out.write(piece)
        else:
            data = build_dashboard(db, filters, targets, today, timezone=timezone)
            staff = staff_names(db)
            tables = aggregate_tables(data, staff, get_catalog())
            if what == "table":
                if name not in tables:
                    raise click.BadParameter(f"one of {', '.join(tables)}", param_hint="NAME")
                header, rows = tables[name] if codes else readable_tables({name: tables[name]}).popitem()[1]
                for piece in stream_csv(rows if codes else csv_text(rows), header, encoding):
                    out.write(piece)
            elif what == "xlsx":
                out.write(write_xlsx(tables if codes else readable_tables(tables)))
            else:
                out.write(render_report_pdf(data=data, tables=tables, vocab=vocabulary, site_name=None, today=today))
    with transaction(db):
        audit(db, None, "export", f"cli:{what}{':' + name if name else ''}", None, None,
              {"period": period.value, "site_id": site_id, "channel": channel})
    click.echo(f"Wrote {output} ({period.first_month} to {period.last_month})")
