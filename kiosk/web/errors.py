"""Error pages: a plain message in the reader's language, never a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("画面の有効期限が切れました。もう一度操作してください。")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            403: _("このページを使う権限がありません。"),
            404: _("お探しのページは見つかりませんでした。"),
            405: _("この操作はできません。"),
            413: _("ファイルが大きすぎます。"),
        }
        message = messages.get(error.code or 500, _("うまく処理できませんでした。もう一度お試しください。"))
        return render_template("error.html", status=error.code, message=message), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        message = _("システムでエラーが起きました。職員にお声がけください。")
        return render_template("error.html", status=500, message=message), 500
