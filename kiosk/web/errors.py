"""Error pages: a plain message in the reader's language, never a traceback.

A database that cannot be used (a full disk, a read-only file or filesystem, a lock held past the
busy timeout) is not a bug: it gets 503 and words for each reader. Residents see a calm
out-of-order page, staff a page naming the problem, /healthz its JSON."""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from kiosk.storage import DISK_FULL, LOCKED, READ_ONLY, StorageProblem, StorageWatch, storage_problem

STAFF_BLUEPRINTS = {"staff", "admin", "stats", "review"}
RESIDENT_BLUEPRINTS = {"kiosk", "public"}
HEALTH_ENDPOINT = "public.healthz"

STAFF_HEADINGS = {
    DISK_FULL: _l("サーバーのディスクがいっぱいです"),
    READ_ONLY: _l("データベースが読み取り専用になっています"),
    LOCKED: _l("データベースが混み合っています"),
}
STAFF_ADVICE = {
    DISK_FULL: _l("データベースがあるディスクの空きを増やしてください。空きができれば、再起動しなくても元に戻ります。"),
    READ_ONLY: _l("データベースのファイルとフォルダーに書き込めるか（権限、読み取り専用のマウント）を確かめてください。"
                  "書き込めるようになれば、再起動しなくても元に戻ります。"),
    LOCKED: _l("ほかのプログラム（バックアップや取り込みなど）がデータベースを長く使っていないか確かめてください。"),
}


def storage_watch(app: Flask | None = None) -> StorageWatch:
    return (app or current_app).extensions["kiosk_storage"]


def health_failure(problem: StorageProblem) -> dict:
    """/healthz when the request could not even reach the view (a hook failed to read)."""
    return {"status": "error", "version": current_app.config["VERSION"],
            "database": {"ok": False, "error": problem.error}, "storage": problem.as_json()}


def storage_problem_response(problem: StorageProblem):
    if request.endpoint == HEALTH_ENDPOINT:
        response = jsonify(health_failure(problem))
    elif request.blueprint in STAFF_BLUEPRINTS:
        response = make_response(render_template(
            "storage_problem.html", problem=problem,
            heading=STAFF_HEADINGS.get(problem.code, _("データベースを読み書きできません")),
            consequence=(_("しばらく待ってからお試しください") if problem.transient else
                         _("いまの操作は保存されていません。直るまで、相談の記録は紙に控えてください。")),
            advice=STAFF_ADVICE.get(problem.code, _("サーバーのログと /healthz の内容を確かめてください。"))))
    else:
        response = make_response(render_template("out_of_order.html"))
    response.status_code = 503
    response.headers["Retry-After"] = "5" if problem.transient else "30"
    if request.headers.get("HX-Request") == "true" and not problem.transient and not _background_request():
        # htmx does not swap a 503: reload the page, which then shows the out-of-order page itself.
        # A lock passes by itself: the page's own "try again" message is the right answer there.
        response.headers["HX-Refresh"] = "true"
    return response


def _background_request() -> bool:
    """A poll the page makes by itself: reloading it would not be anyone's choice."""
    from kiosk.staff.auth import BACKGROUND_ENDPOINTS

    return request.endpoint in BACKGROUND_ENDPOINTS


def register_error_handlers(app: Flask) -> None:
    app.extensions["kiosk_storage"] = StorageWatch(app.config["DATABASE"])

    @app.before_request
    def out_of_order_while_storage_fails():
        """After a write failed, residents see the out-of-order page on every page until a probe
        write succeeds again; staff pages keep showing what they can still read."""
        if request.blueprint not in RESIDENT_BLUEPRINTS or request.endpoint == HEALTH_ENDPOINT:
            return None
        problem = storage_watch(app).current()
        return storage_problem_response(problem) if problem else None

    def handle_storage_failure(error: Exception, problem: StorageProblem):
        if problem.transient:
            app.logger.warning("storage problem: %s", problem.summary())
        else:
            news = storage_watch(app).record(problem)
            # The traceback once per problem, not once per request of an outage.
            app.logger.error("storage problem: %s", problem.summary(), exc_info=error if news else None)
        return storage_problem_response(problem)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("画面の有効期限が切れました。もう一度操作してください。")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        original = getattr(error, "original_exception", None)  # raised after the view (an after_request hook)
        problem = storage_problem(original, app.config["DATABASE"]) if original is not None else None
        if problem is not None:
            return handle_storage_failure(original, problem)
        messages = {
            403: _("このページを使う権限がありません。"),
            404: _("お探しのページは見つかりませんでした。"),
            405: _("この操作はできません。"),
            413: _("ファイルが大きすぎます。"),
        }
        message = messages.get(error.code or 500, _("うまく処理できませんでした。もう一度お試しください。"))
        return render_template("error.html", status=error.code, message=message), error.code

    @app.errorhandler(sqlite3.Error)
    @app.errorhandler(OSError)
    def database_or_file_error(error: Exception):
        problem = storage_problem(error, app.config["DATABASE"])
        if problem is None:
            return unexpected_error(error)
        return handle_storage_failure(error, problem)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error", exc_info=error)
        message = _("システムでエラーが起きました。職員にお声がけください。")
        return render_template("error.html", status=500, message=message), 500
