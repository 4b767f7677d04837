"""手続きサポート kiosk.

create_app() builds the application: config → database → i18n → content → blueprints → CLI.
Nothing happens at import time.
"""

from __future__ import annotations

import os
import secrets
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

try:
    __version__ = version("tetsuzuki-kiosk")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0.0.0+unknown"

csrf = CSRFProtect()


def _secret_key(instance_path: str) -> str:
    """A stable random key per installation, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Created readable by the owner only, from the first byte.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _start_session_purger(app: Flask) -> None:
    """Serving apps delete abandoned kiosk sessions on a timer (SESSION_PURGE_SECONDS; 0: off);
    stopped at exit so that a purge in progress finishes."""
    import atexit

    from kiosk.resident.sessions import SessionPurger, abandoned_after_seconds

    interval = app.config["SESSION_PURGE_SECONDS"]
    if interval:
        purger = SessionPurger(app.config["DATABASE"], interval, abandoned_after_seconds(app.config)).start()
        app.extensions["kiosk_session_purger"] = purger
        atexit.register(purger.stop)


def _prepare_database(path: str, timezone: str) -> None:
    """Migrate, then refuse to start on a database the kiosk cannot write: a read-only file still
    opens, and migrates when nothing is pending, and would then fail every resident's first tap."""
    import sqlite3

    from kiosk.db import connect
    from kiosk.migrations import migrate
    from kiosk.stats.rollup import sync_rollup_to_timezone
    from kiosk.storage import StorageError, check_storage, storage_problem

    try:
        connection = connect(path)
        try:
            migrate(connection)
            # The statistics count months in TIMEZONE; rebuilt only when its UTC offset changed.
            sync_rollup_to_timezone(connection, timezone)
        finally:
            connection.conn.close()
    except (sqlite3.Error, OSError) as exc:
        problem = storage_problem(exc, path)
        if problem is None:
            raise
        raise StorageError(problem) from None
    problem = check_storage(path)
    if problem is not None:
        raise StorageError(problem)


def create_app(config: dict | None = None, *, cli: bool = False) -> Flask:
    """Build the app. ``config`` overrides settings (tests); ``cli`` loads content leniently
    so that ``kiosk content check`` can report problems instead of refusing to start.

    Raises kiosk.settings.SettingsError, one line per bad value, when a KIOSK_* variable or a
    setting in ``config`` has a value the app cannot run with, and kiosk.storage.StorageError
    (one line) when the database cannot be written (read-only, full disk, locked)."""
    from kiosk import catalog, db
    from kiosk.i18n import locales as i18n
    from kiosk.settings import Settings, load_settings
    from kiosk.staff import auth

    # Known settings in ``config`` are validated like the environment's; other keys (TESTING,
    # WTF_CSRF_ENABLED, …) go to Flask as they are.
    settings = load_settings(overrides=config)
    app = Flask(__name__, instance_path=str(Path(settings.INSTANCE_PATH).resolve()),
                instance_relative_config=True)
    app.config.update(settings.model_dump())
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    if config:
        app.config.update({key: value for key, value in config.items() if key not in Settings.model_fields})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = str(Path(app.instance_path) / "kiosk.db")
    instance_content = Path(app.instance_path) / "content"
    if "CONTENT_DIR" not in settings.model_fields_set and instance_content.is_dir():
        app.config["CONTENT_DIR"] = str(instance_content)  # the ward's own copy, made by `kiosk init`
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    if not app.config["SPEECH_CACHE_DIR"]:
        app.config["SPEECH_CACHE_DIR"] = str(Path(app.instance_path) / "speech")
    app.config["VERSION"] = __version__
    app.config["SESSION_COOKIE_SECURE"] = app.config["SECURE_COOKIES"]
    if app.config["PROXY_HOPS"]:
        # Behind the ward's HTTPS proxy: take the client address and scheme from exactly that many
        # proxies (throttling and rate limits count residents, not the proxy; cookies are Secure).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from kiosk.logs import init_logging

    # Outermost: every request gets its id and its access line. Commands (cli) print their own
    # words: the log handler is the server's (warnings still reach standard error).
    init_logging(app, handler=not cli)

    db.init_app(app)
    if not cli:
        _prepare_database(app.config["DATABASE"], app.config["TIMEZONE"])
        _start_session_purger(app)
    i18n.init_app(app)
    catalog.init_app(app, strict=not cli)
    from kiosk import workers

    workers.init_app(app)  # sheets and speech in worker processes (started on first use)
    csrf.init_app(app)
    auth.init_app(app)

    from kiosk.views import admin, kiosk, public, review, staff, staff_offline, stats
    from kiosk.web.hooks import init_web
    from kiosk.web.urls import IdConverter

    app.url_map.converters["id"] = IdConverter  # before the blueprints' rules are added
    init_web(app)
    app.register_blueprint(kiosk.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(staff_offline.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(stats.bp)
    app.register_blueprint(review.bp)

    from kiosk.cli import register_commands

    register_commands(app)
    return app
