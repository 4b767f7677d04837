"""The resident's kiosk: the start screen, the chat, the guide's steps, and the always-there
controls (text size, 「最初から」, 「職員を呼ぶ」).

Every turn is a POST form: htmx sends it and gets only the new bubbles (and the new quick
replies, out of band); without htmx the same form redirects to the whole chat page.
"""

from __future__ import annotations

import copy
import hmac
import re
import time

from flask import Blueprint, abort, current_app, flash, g, redirect, request, send_file, session, url_for
from flask_babel import gettext as _

from kiosk.admin.devices import device_for_enrollment, device_for_secret, enroll_device, printer_settings
from kiosk.assistant import conversation
from kiosk.assistant.conversation import InvalidTurn, Turn
from kiosk.assistant.understanding import understand
from kiosk.catalog import get_catalog
from kiosk.catalog.ledger import ledger_entry
from kiosk.db import get_db
from kiosk.handoff import printing
from kiosk.handoff import records as handoffs
from kiosk.handoff.sheet import LAYOUTS, application_url, handoff_sheet_context, render_handoff_pdf
from kiosk.i18n.locales import LOCALE_CODES, current_locale
from kiosk.qr import qr_svg
from kiosk.reading_aids import speech
from kiosk.reading_aids.furigana import add_furigana
from kiosk.reading_aids.html_text import mark_japanese
from kiosk.resident.events import record_event
from kiosk.resident.help_requests import TooManyCalls, call_status, create_help_request
from kiosk.resident.sessions import (
    abandoned_after_seconds,
    delete_session,
    load_session,
    purge_idle_sessions,
    save_session,
    start_session,
    touch_session,
)
from kiosk.web.htmx import is_htmx, render_page
from kiosk.web.urls import local_path
from kiosk.workers import WorkersBusy

bp = Blueprint("kiosk", __name__)

SESSION_COOKIE = "kiosk_session"
DEVICE_COOKIE = "kiosk_device"
# Clear-Site-Data without "cookies": that would also remove the device cookie that binds this
# kiosk to its site. The session cookie is expired explicitly instead.
CLEAR_SITE_DATA = '"cache", "storage"'
PURGE_EVERY_SECONDS = 60
MAX_HANDOFFS_PER_SESSION = 5


def max_idle_seconds() -> float:
    """A session with no request for longer than the idle timeout, its warning and a margin is
    gone, whether or not the browser's timer fired (the same rule as the purge timer's)."""
    return abandoned_after_seconds(current_app.config)


@bp.before_app_request
def load_kiosk_context() -> None:
    """Every page knows whether it is shown on a kiosk (device cookie) and in which session."""
    if request.endpoint == "static" or (request.blueprint in ("staff", "admin")):
        g.device, g.kiosk_session_id, g.conversation = None, None, None
        return
    db = get_db()
    g.device = device_for_secret(db, request.cookies.get(DEVICE_COOKIE))
    g.kiosk_session_id = request.cookies.get(SESSION_COOKIE)
    g.conversation = load_session(db, g.kiosk_session_id, max_idle_seconds())
    if g.conversation and conversation.prune(g.conversation, get_catalog()):
        save_session(db, g.kiosk_session_id, g.conversation)
    holder = current_app.extensions.setdefault("kiosk_purge", {"at": 0.0})
    if time.monotonic() - holder["at"] > PURGE_EVERY_SECONDS:
        holder["at"] = time.monotonic()
        purge_idle_sessions(db, max_idle_seconds())


@bp.app_context_processor
def kiosk_context() -> dict:
    state = g.get("conversation")
    device = g.get("device")
    # On a kiosk (an enrolled kiosk browser, or during a kiosk session) every page times out.
    on_kiosk = bool((device and device.kind == "kiosk") or state)
    return {"kiosk_device": device, "text_size": state["text_size"] if state else 1,
            "kiosk_state": state, "on_kiosk": on_kiosk, "furigana": bool(session.get("furigana")),
            "help_call_status": _call_status}


_HTML_LANG = re.compile(r'<html lang="([^"]+)"')


@bp.after_app_request
def rewrite_page_text(response):
    """On pages in another language, Japanese quoted in a translation gets ``lang="ja"``; with
    「ふりがな」 on, every kiosk page and htmx fragment gets ruby over its Japanese text."""
    if response.mimetype != "text/html" or response.is_streamed or response.direct_passthrough:
        return response
    furigana = session.get("furigana") and request.blueprint in ("kiosk", "public")
    page = response.get_data(as_text=True)
    # The page's own language (a handoff page may be in the resident's, not the request's);
    # htmx fragments have none and take the request's.
    declared = _HTML_LANG.search(page, 0, 1000)
    page_lang = declared.group(1).lower() if declared else current_locale().tag.lower()
    japanese = page_lang.split("-")[0] == "ja"
    if japanese and not furigana:
        return response
    if not japanese:
        page = mark_japanese(page, page_lang)
    if furigana:
        page = add_furigana(page, japanese=japanese)
    response.set_data(page)
    return response


def _event(name: str, state: dict | None, procedure_id=None, channel_id=None, detail=None) -> None:
    if state:
        record_event(get_db(), state["ref"], name, g.device, procedure_id, channel_id, detail)


# --- start --------------------------------------------------------------------------------------

@bp.get("/")
def start():
    return render_page("kiosk/start.html", locales_to_offer=LOCALE_CODES)


@bp.post("/start")
def begin():
    lang = request.form.get("lang") or session.get("lang") or current_app.config["DEFAULT_LOCALE"]
    if lang not in LOCALE_CODES:
        abort(400)
    db = get_db()
    if g.kiosk_session_id:
        delete_session(db, g.kiosk_session_id)
    session.pop("_flashes", None)  # the CSRF token stays: the start screen's forms still hold it
    session["lang"] = lang
    state = conversation.new_state(lang)
    session_id = start_session(db, g.device, state)
    _event("session_started", state)
    _event("language_chosen", state, detail=lang)
    response = redirect(url_for("kiosk.chat"), 303)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


# --- chat -----------------------------------------------------------------------------------

def _ledger_entry(key: str) -> dict | None:
    return ledger_entry(get_db(), key)


def _chat_context(state: dict) -> dict:
    catalog = get_catalog()
    return {"state": state, "catalog": catalog, "thread": state["thread"], "ledger_entry": _ledger_entry,
            "readiness_items": conversation.READINESS_BY_ID}


@bp.get("/chat")
def chat():
    state = g.conversation
    if state is None:
        return redirect(url_for("kiosk.start"))
    return render_page("kiosk/chat.html", **_chat_context(state))


def _apply(make_turn) -> object:
    state = g.conversation
    if state is None:
        if is_htmx():  # the session ended (timeout): take the whole page back to the start
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = url_for("kiosk.start")
            return response
        return redirect(url_for("kiosk.start"), 303)
    working = copy.deepcopy(state)  # a turn that fails leaves the conversation as it was
    try:
        # A form from an earlier screen (a double tap, the back button) does not count twice.
        if request.form.get("turn", str(state.get("turn", 0))) != str(state.get("turn", 0)):
            raise InvalidTurn("stale form")
        turn: Turn = make_turn(working)
        working["turn"] = working.get("turn", 0) + 1
        state = g.conversation = working
    except InvalidTurn:
        if is_htmx():
            turn = Turn()
            turn.say(state, kind="stale")
        else:
            flash(_("その操作は、いまは使えません。画面の選択肢からお選びください。"))
            return redirect(url_for("kiosk.chat"), 303)
    save_session(get_db(), g.kiosk_session_id, state)
    for event in turn.events:
        _event(event.name, state, event.procedure_id, event.channel_id, event.detail)
    if is_htmx():
        return render_page("kiosk/chat.html", "turn", new_entries=turn.entries, **_chat_context(state))
    return redirect(url_for("kiosk.chat", _anchor="latest"), 303)


@bp.post("/chat/menu")
def chat_menu():
    return _apply(conversation.show_menu)


@bp.post("/chat/category")
def chat_category():
    category_id = request.form.get("category", "")
    return _apply(lambda state: conversation.choose_category(state, get_catalog(), category_id))


@bp.post("/chat/procedure")
def chat_procedure():
    procedure_id = request.form.get("procedure", "")
    return _apply(lambda state: conversation.choose_procedure(state, get_catalog(), procedure_id))


@bp.post("/chat/answer")
def chat_answer():
    answer = request.form.get("answer", "")
    return _apply(lambda state: conversation.answer_question(state, get_catalog(), answer))


@bp.post("/chat/readiness")
def chat_readiness():
    answer = request.form.get("answer", "")
    return _apply(lambda state: conversation.answer_readiness(state, get_catalog(), answer))


@bp.post("/chat/ledger")
def chat_ledger():
    key = request.form.get("key", "")
    return _apply(lambda state: conversation.choose_ledger_entry(state, key))


@bp.post("/chat/say")
def chat_say():
    text = request.form.get("text", "")
    screen = current_locale().code
    return _apply(lambda state: conversation.say(state, get_catalog(), lambda t: understand(t, screen), text))


@bp.post("/chat/event")
def chat_event():
    event_id = request.form.get("event", "")
    return _apply(lambda state: conversation.choose_life_event(state, get_catalog(), event_id))


# --- the guide's steps, one per screen ------------------------------------------------------------

def _procedure_and_channel(procedure_id: str, channel_id: str):
    proc = get_catalog().procedures.get(procedure_id)
    channel = proc.channel(channel_id) if proc else None
    if channel is None:
        abort(404)
    return proc, channel


@bp.get("/guide/<procedure_id>/<channel_id>/<id:number>")
def step(procedure_id: str, channel_id: str, number: int):
    proc, channel = _procedure_and_channel(procedure_id, channel_id)
    if not 1 <= number <= len(channel.steps):
        abort(404)
    if g.conversation:
        _event("step_reached", g.conversation, proc.id, channel.id, str(number))
        touch_session(get_db(), g.kiosk_session_id)
    return render_page("kiosk/step.html", procedure=proc, channel=channel, number=number,
                       step=channel.steps[number - 1], needs=get_catalog().needs)


@bp.get("/guide/<procedure_id>/<channel_id>/done")
def finished(procedure_id: str, channel_id: str):
    proc, channel = _procedure_and_channel(procedure_id, channel_id)
    if g.conversation:
        _event("finished", g.conversation, proc.id, channel.id)
    return render_page("kiosk/finished.html", procedure=proc, channel=channel)


# --- always there -------------------------------------------------------------------------------

def _back(default: str) -> str:
    """Where to return after a control: the page it was pressed on, if it is ours."""
    return local_path(request.form.get("next"), default)


@bp.post("/help")
def call_staff():
    state = g.conversation
    if state is None and g.device is None:
        # Neither a kiosk session nor an enrolled kiosk: nobody would know where to go.
        message = _("ここからは職員を呼べません。近くの職員か窓口にお声がけください。")
        if is_htmx():
            return render_page("kiosk/help_called.html", "status", message=message, kind="warning", poll=False)
        flash(message)
        return redirect(_back(url_for("kiosk.start")), 303)
    procedure_id = state.get("procedure_id") if state else None
    try:
        created = create_help_request(get_db(), state["ref"] if state else None, g.device, procedure_id)
    except TooManyCalls:  # no call was made: say so, and send the resident to a person
        return _help_message(_("いまは、この端末から職員を呼べません。近くの職員か窓口にお声がけください。"),
                             "warning", poll=False)
    if created is None:  # already waiting: one open call per session (or per kiosk)
        return _help_message(_("職員をもう呼んでいます。このままお待ちください。"), "success")
    if state:
        turn = conversation.staff_called(state)
        save_session(get_db(), g.kiosk_session_id, state)
        for event in turn.events:
            _event(event.name, state, event.procedure_id)
    return _help_message(_("職員を呼びました。このままお待ちください。"), "success")


def _help_message(message: str, kind: str, poll: bool = True):
    """The answer to 「職員を呼ぶ」: in place (htmx), or flashed on the page it was pressed on.
    While the call waits, the status polls /help/status to learn when a supporter claims it."""
    if is_htmx():
        return render_page("kiosk/help_called.html", "status", message=message, kind=kind, poll=poll,
                           status=_call_status() if poll else None)
    flash(message)
    return redirect(_back(url_for("kiosk.chat")), 303)


@bp.get("/help/status")
def help_status():
    """Polled while a call waits: 「職員が向かっています」 once a supporter claimed it; nothing
    (and no more polling) once it is resolved or the session ended."""
    status = _call_status()
    if status == request.args.get("was"):
        return "", 204  # unchanged: nothing is swapped
    return render_page("kiosk/help_called.html", "status", message=help_status_message(status), kind="success",
                       poll=status is not None, status=status)


def _call_status() -> str | None:
    return call_status(get_db(), g.conversation["ref"] if g.conversation else None, g.device)


def help_status_message(status: str | None) -> str | None:
    if status == "claimed":
        return _("職員が向かっています。このままお待ちください。")
    return _("職員を呼びました。このままお待ちください。") if status == "open" else None


@bp.post("/reset")
def reset():
    """「最初から」 and the idle timeout: the server-side session is deleted, the browser is
    told to clear what it stored, and the start screen returns."""
    state = g.conversation
    timed_out = request.form.get("reason") == "timeout"
    if state:
        _event("timed_out" if timed_out else "restarted", state, state.get("procedure_id"))
    if g.kiosk_session_id:
        delete_session(get_db(), g.kiosk_session_id)
    session.clear()
    if is_htmx():  # htmx would follow a redirect silently: tell it to load the start page
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = url_for("kiosk.start")
    else:
        response = redirect(url_for("kiosk.start"), 303)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    response.delete_cookie(SESSION_COOKIE)
    return response


@bp.post("/keepalive")
def keepalive():
    """「続ける」 and touches without a page load keep the server-side session alive."""
    if g.conversation:
        touch_session(get_db(), g.kiosk_session_id)
    return "", 204


@bp.post("/furigana")
def toggle_furigana():
    """「ふりがな」: kept in the session cookie, so it ends with 「最初から」 or the timeout."""
    session["furigana"] = request.form.get("furigana") == "on"
    return redirect(_back(url_for("kiosk.start")), 303)


@bp.get("/language")
def language():
    return render_page("kiosk/language.html", next_path=local_path(request.args.get("next"), url_for("kiosk.start")))


@bp.post("/language")
def choose_language():
    lang = request.form.get("lang")
    if lang not in LOCALE_CODES:
        abort(400)
    session["lang"] = lang
    state = g.conversation
    if state and state.get("locale") != lang:
        state["locale"] = lang  # the handoff sheet and the statistics follow the new choice
        save_session(get_db(), g.kiosk_session_id, state)
        _event("language_chosen", state, detail=lang)
    return redirect(_back(url_for("kiosk.start")), 303)


@bp.get("/speech/<digest>.wav")
def speech_audio(digest: str):
    """Japanese read-aloud (see kiosk/speech.py): only for text whose keyed digest matches."""
    config = current_app.config
    text = request.args.get("text")
    if not speech.valid_digest(digest):
        abort(404)
    if text is not None:
        expected = speech.speech_digest(text, config["SECRET_KEY"])
        if len(text) > speech.MAX_CHARACTERS or not hmac.compare_digest(expected, digest):
            abort(404)
    try:
        path, cached = speech.cached_or_synthesized(config["SPEECH_CACHE_DIR"], digest, text,
                                                    int(config["SPEECH_CACHE_MAX_MB"] * 1024 * 1024))
    except FileNotFoundError:
        abort(404)
    except speech.SpeechBusy:
        return "", 503, {"Retry-After": "2"}
    response = send_file(path, mimetype="audio/wav", max_age=3600, conditional=True)
    response.headers["X-Speech-Cache"] = "hit" if cached else "miss"
    return response


TEXT_SIZES = (1, 2, 3)


@bp.post("/text-size")
def text_size():
    try:
        size = int(request.form.get("size", ""))
    except ValueError:
        abort(400)
    if size not in TEXT_SIZES:
        abort(400)
    if g.conversation:
        g.conversation["text_size"] = size
        save_session(get_db(), g.kiosk_session_id, g.conversation)
    return redirect(_back(url_for("kiosk.chat")), 303)


@bp.get("/enroll/<token>")
def enroll(token: str):
    """Opened once on the kiosk: asks to confirm, so that a link preview cannot use it up."""
    device = device_for_enrollment(get_db(), token)
    if device is None:
        return render_page("kiosk/enroll.html", device=None, done=False), 404
    return render_page("kiosk/enroll.html", device=device, done=False, token=token)


@bp.post("/enroll/<token>")
def confirm_enrollment(token: str):
    """Binds this browser to its device record (and so to its site)."""
    enrolled = enroll_device(get_db(), token)
    if enrolled is None:
        return render_page("kiosk/enroll.html", device=None, done=False), 404
    device, secret = enrolled
    response = current_app.make_response(render_page("kiosk/enroll.html", device=device, done=True))
    response.set_cookie(DEVICE_COOKIE, secret, max_age=10 * 365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


# --- handoff sheets -------------------------------------------------------------------------------

@bp.post("/handoff")
def create_handoff():
    """「印刷する」 / 「スマホで続ける」: the handoff is saved first, then printed, so that a
    failed print loses nothing."""
    catalog = get_catalog()
    proc = catalog.procedures.get(request.form.get("procedure", ""))
    channel = proc.channel(request.form.get("channel", "")) if proc else None
    action = request.form.get("action")
    if proc is None or action not in ("print", "phone"):
        abort(400)
    state = g.conversation
    if state is None:  # the sheet belongs to a kiosk session
        return redirect(url_for("kiosk.start"), 303)
    config = current_app.config
    # One code per guide in a session: another tap shows (or prints) the same sheet again.
    record = handoffs.session_handoff(get_db(), state.get("handoffs", []), proc.id, channel.id if channel else None)
    if record is None:
        if len(state.get("handoffs", [])) >= MAX_HANDOFFS_PER_SESSION:
            # A resident needs a sheet or two, not dozens: more means a stuck button or a script.
            flash(_("案内シートはもう作りました。職員におたずねください。"))
            return redirect(url_for("kiosk.handoff", code=state["handoffs"][-1]), 303)
        answers = state["answers"] if state.get("procedure_id") == proc.id else []
        record = handoffs.create_handoff(
            get_db(), procedure_id=proc.id, channel_id=channel.id if channel else None, session_ref=state["ref"],
            readiness=answers, site_id=g.device.site_id if g.device else None,
            device_id=g.device.id if g.device else None,
            locale=current_locale().code, days=config["HANDOFF_DAYS"],  # the language on screen now
            timezone=config["TIMEZONE"])
        conversation.remember_handoff(state, record["code"], proc.id)
        save_session(get_db(), g.kiosk_session_id, state)
        _event("handoff_created", state, proc.id, channel.id if channel else None)
    outcome = ""
    if action == "print":
        printer = _device_printer()
        try:
            pdf = render_handoff_pdf(handoff=record, procedure=proc, channel=channel, needs=catalog.needs,
                                     layout=printer["paper"], public_base_url=config["PUBLIC_BASE_URL"],
                                     life_event_id=conversation.handoff_life_event(state, record["code"]))
        except WorkersBusy:  # the handoff is saved: its page shows the QR code and says to try again
            result = printing.PrintResult(False, "busy")
        else:
            result = printing.print_pdf(pdf, printer["queue"], title=f"handoff {record['code']}")
        outcome = result.reason
        _event("printed" if result.ok else "print_failed", state, proc.id, channel.id if channel else None,
               None if result.ok else result.reason)
    return redirect(url_for("kiosk.handoff", code=record["code"], result=outcome or None), 303)


def _device_printer() -> dict:
    """This kiosk's printer: a CUPS queue and its paper (A4 or 80 mm roll)."""
    if g.device is None:
        return {"queue": None, "paper": "a4"}
    settings = printer_settings(get_db(), g.device.id)
    paper = settings["paper"] if settings and settings["paper"] in LAYOUTS else "a4"
    return {"queue": settings["printer_queue"] if settings else None, "paper": paper}


def _own_handoff(code: str) -> dict:
    """A handoff shown on the kiosk: only within the session that made it."""
    state = g.conversation
    record = handoffs.get_handoff(get_db(), code)
    if record is None or state is None or code not in state.get("handoffs", []):
        abort(404)
    return record


@bp.get("/handoff/<code>")
def handoff(code: str):
    record = _own_handoff(code)
    catalog = get_catalog()
    proc = catalog.procedures.get(record["procedure_id"])
    if proc is None:
        abort(404)
    channel = proc.channel(record["channel_id"]) if record["channel_id"] else None
    official = application_url(proc, channel)
    base = current_app.config["PUBLIC_BASE_URL"]
    followup = f"{base.rstrip('/')}/h/{record['code']}" if base else None
    official_qr = qr_svg(official, _("オンライン申請のページのQRコード"), module_mm=1.0) if official else None
    followup_qr = qr_svg(followup, _("引継ぎページのQRコード"), module_mm=1.0) if followup else None
    return render_page("kiosk/handoff.html", handoff=record, procedure=proc, channel=channel,
                       result=request.args.get("result", ""), official_url=official, followup_url=followup,
                       official_qr=official_qr, followup_qr=followup_qr)


@bp.get("/handoff/<code>/sheet")
def handoff_sheet(code: str):
    """The sheet on screen, inside a kiosk page (header, 「最初から」, the idle timer): a PDF
    would open the browser's viewer, which has none of them and outlives the session."""
    record = _own_handoff(code)
    catalog = get_catalog()
    proc = catalog.procedures.get(record["procedure_id"])
    if proc is None:
        abort(404)
    channel = proc.channel(record["channel_id"]) if record["channel_id"] else None
    sheet = handoff_sheet_context(handoff=record, procedure=proc, channel=channel, needs=catalog.needs,
                                  layout=_device_printer()["paper"], qr_px=4,
                                  public_base_url=current_app.config["PUBLIC_BASE_URL"],
                                  life_event_id=conversation.handoff_life_event(g.conversation, code))
    return render_page("kiosk/handoff_sheet.html", **sheet)


@bp.get("/handoff/<code>.pdf")
def handoff_pdf(code: str):
    record = _own_handoff(code)
    catalog = get_catalog()
    proc = catalog.procedures.get(record["procedure_id"])
    if proc is None:
        abort(404)
    layout = request.args.get("layout", "a4")
    if layout not in LAYOUTS:
        abort(404)
    channel = proc.channel(record["channel_id"]) if record["channel_id"] else None
    pdf = render_handoff_pdf(handoff=record, procedure=proc, channel=channel, needs=catalog.needs,
                                    layout=layout, public_base_url=current_app.config["PUBLIC_BASE_URL"],
                                    life_event_id=conversation.handoff_life_event(g.conversation, code))
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="handoff-{code}-{layout}.pdf"'
    return response


# --- browsing the catalog -------------------------------------------------------------------------

@bp.get("/procedures")
def procedures():
    catalog = get_catalog()
    selected = request.args.get("category", "")
    if selected and selected not in catalog.categories:
        abort(404)
    categories = [c for c in catalog.categories.values() if not selected or c.id == selected]
    groups = [(c, catalog.in_category(c.id)) for c in categories]
    return render_page("kiosk/procedures.html", groups=groups, selected=selected,
                       categories=list(catalog.categories.values()))


@bp.get("/procedures/<procedure_id>")
def procedure(procedure_id: str):
    catalog = get_catalog()
    proc = catalog.procedures.get(procedure_id)
    if proc is None:
        abort(404)
    return render_page("kiosk/procedure.html", procedure=proc, needs=catalog.needs,
                       category=catalog.categories[proc.category])
