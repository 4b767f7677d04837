"""The guided conversation: one question at a time, then a recommended channel and why.

Pure functions over a JSON-able state; the views load and save it and record the events these
functions return. Every answer comes from the content (procedures, needs) or the ledger: the
assistant never makes one up.

Thread entries are data, not text, so that the thread re-renders in whatever language is active:
``{"who": "assistant" | "resident", "kind": ..., ...}``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from kiosk.assistant.understanding import MAX_CANDIDATES
from kiosk.catalog.loader import Catalog
from kiosk.catalog.schema import Answer, Channel, ChannelKind, Procedure
from kiosk.staff.personal_data import contains_mynumber, remove_mynumbers

ANSWERS = tuple(a.value for a in Answer)
# What is read of a typed text before its white space is folded (the field takes 200).
MAX_TYPED_CHARACTERS = 1000


SELF_SERVICE = (ChannelKind.ONLINE, ChannelKind.CONVENIENCE_STORE)


@dataclass(frozen=True)
class ReadinessItem:
    id: str
    need: str  # the need in content/needs.yaml that brings this question
    reason: str  # what is recorded when the answer is not "yes"
    kinds: tuple[ChannelKind, ...] = SELF_SERVICE  # the channels it is asked for


# Asked before a path the resident takes alone with the My Number Card (online, or the
# convenience store's machine), in this order; only the items whose need the channel lists and
# that the content's questions did not settle already. The question texts are in templates.
READINESS_ITEMS = (
    ReadinessItem("card-at-hand", "mynumber-card", "no-card"),
    ReadinessItem("card-valid", "mynumber-card", "card-expired"),
    ReadinessItem("certificate-valid", "mynumber-card", "certificate-expired"),
    # Residents under 15 cannot use the convenience-store issuing service (コンビニ交付).
    ReadinessItem("age-15", "mynumber-card", "under-15", (ChannelKind.CONVENIENCE_STORE,)),
    ReadinessItem("user-pin", "user-pin", "pin-unknown"),
    ReadinessItem("signature-pin", "signature-pin", "signature-pin-unknown"),
    ReadinessItem("nfc-smartphone", "nfc-smartphone", "no-smartphone"),
)
READINESS_BY_ID = {item.id: item for item in READINESS_ITEMS}

# What to do first when a reason stands in the way: the guide that removes it (a new card, a
# renewed certificate, a PIN reset), offered before the recommended channel.
REMEDIES = {
    "no-card": "mynumber-card-application",
    "card-expired": "mynumber-card-application",
    "certificate-expired": "e-certificate-renewal",
    "pin-unknown": "mynumber-card-pin-reset",
    "pin-locked": "mynumber-card-pin-reset",
    "signature-pin-unknown": "mynumber-card-pin-reset",
}


@dataclass
class Event:
    name: str
    procedure_id: str | None = None
    channel_id: str | None = None
    detail: str | None = None


@dataclass
class Turn:
    entries: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def say(self, state: dict, **entry) -> None:
        entry.setdefault("who", "assistant")
        state["thread"].append(entry)
        self.entries.append(entry)


class InvalidTurn(ValueError):
    """The request does not fit the conversation (an old button, a forged value)."""


def new_state(locale: str) -> dict:
    return {"ref": secrets.token_hex(8), "locale": locale, "thread": [{"who": "assistant", "kind": "greeting"}],
            "mode": "menu", "procedure_id": None, "question_id": None, "answers": [],
            "channel_id": None, "readiness_item": None, "candidates": [], "category_id": None,
            "text_size": 1, "turn": 0}


def _reset_guide(state: dict) -> None:
    state.update(procedure_id=None, question_id=None, answers=[], channel_id=None, readiness_item=None,
                 candidates=[], category_id=None, event_id=None, offer_language=None, via_event=None)


def remember_handoff(state: dict, code: str, procedure_id: str) -> None:
    """A new handoff of this session, with the life event its guide was started from (a content
    id, nothing personal), so that its sheet can list that event's other procedures."""
    state.setdefault("handoffs", []).append(code)
    if state.get("via_event") and state.get("procedure_id") == procedure_id:
        state.setdefault("handoff_events", {})[code] = state["via_event"]


def handoff_life_event(state: dict | None, code: str) -> str | None:
    """The life event the handoff ``code`` of this session came through, if any."""
    return ((state or {}).get("handoff_events") or {}).get(code)


def show_menu(state: dict) -> Turn:
    turn = Turn()
    _reset_guide(state)
    state["mode"] = "menu"
    turn.say(state, who="resident", kind="menu")
    turn.say(state, kind="menu")
    return turn


def choose_category(state: dict, catalog: Catalog, category_id: str) -> Turn:
    if category_id not in catalog.categories:
        raise InvalidTurn("unknown category")
    turn = Turn()
    _reset_guide(state)
    state.update(mode="category", category_id=category_id)
    turn.say(state, who="resident", kind="category", id=category_id)
    turn.say(state, kind="category", id=category_id)
    return turn


def choose_procedure(state: dict, catalog: Catalog, procedure_id: str, typed: bool = False) -> Turn:
    proc = catalog.procedures.get(procedure_id)
    if proc is None:
        raise InvalidTurn("unknown procedure")
    turn = Turn()
    checklist = catalog.life_events.get(state.get("event_id") or "")
    _reset_guide(state)
    state["procedure_id"] = proc.id
    # Started from a life event's checklist: the handoff sheet lists the event's other procedures.
    state["via_event"] = checklist.id if checklist is not None and proc.id in checklist.procedures else None
    if not typed:
        turn.say(state, who="resident", kind="procedure", id=proc.id)
    turn.say(state, kind="procedure", id=proc.id)
    turn.events.append(Event("procedure_chosen", proc.id))
    _ask_or_recommend(state, proc, proc.questions[0].id if proc.questions else None, turn)
    return turn


def _ask_or_recommend(state: dict, proc: Procedure, question_id: str | None, turn: Turn,
                      channel_id: str | None = None) -> None:
    if question_id:
        state.update(mode="question", question_id=question_id)
        turn.say(state, kind="question", procedure=proc.id, id=question_id)
        return
    channel = proc.channel(channel_id) if channel_id else proc.channels[0]
    _recommend(state, proc, channel, turn)


def _recommend(state: dict, proc: Procedure, channel: Channel, turn: Turn) -> None:
    """Recommend ``channel``, but first check readiness when it is a self-service path (online,
    convenience store) that needs the My Number Card."""
    state.update(channel_id=channel.id, question_id=None)
    confirmed = confirmed_reasons(state, proc)
    items = [item for item in readiness_items(channel) if item.reason not in confirmed]
    if items:
        state.update(mode="readiness", readiness_item=items[0].id)
        turn.say(state, kind="readiness_intro", procedure=proc.id, channel=channel.id)
        turn.say(state, kind="readiness", procedure=proc.id, channel=channel.id, id=items[0].id)
        return
    _final_recommendation(state, proc, channel, turn)


def _final_recommendation(state: dict, proc: Procedure, channel: Channel, turn: Turn,
                          blocked: dict | None = None) -> None:
    state.update(mode="recommendation", channel_id=channel.id, readiness_item=None)
    reason = READINESS_BY_ID[blocked["item"]].reason if blocked else _last_reason(state, proc)
    remedy = REMEDIES.get(reason or "")
    turn.say(state, kind="recommendation", procedure=proc.id, channel=channel.id,
             answers=list(state["answers"]), blocked=blocked, remedy=remedy if remedy != proc.id else None)
    turn.events.append(Event("channel_recommended", proc.id, channel.id))


def _last_reason(state: dict, proc: Procedure) -> str | None:
    """The reason the content's last answer recorded (a forgotten PIN, no card), if any."""
    if not state["answers"]:
        return None
    given = state["answers"][-1]
    question = next((q for q in proc.questions if q.id == given["question"]), None)
    option = next((o for o in question.answers if o.answer == given["answer"]), None) if question else None
    return option.reason.value if option and option.reason else None


def readiness_items(channel: Channel) -> list[ReadinessItem]:
    return [item for item in READINESS_ITEMS if item.need in channel.needs and channel.kind in item.kinds]


def confirmed_reasons(state: dict, proc: Procedure) -> set[str]:
    """What the question tree already settled: a "yes" to a question whose other answers are
    marked with a reason (no-card, pin-unknown, …) means that reason does not apply, so the
    readiness check does not ask it again."""
    questions = {q.id: q for q in proc.questions}
    settled = set()
    for given in state["answers"]:
        question = questions.get(given["question"])
        if question and given["answer"] == Answer.YES:
            settled |= {o.reason.value for o in question.answers if o.reason and o.answer != Answer.YES}
    return settled


def answer_question(state: dict, catalog: Catalog, answer: str) -> Turn:
    proc = catalog.procedures.get(state.get("procedure_id") or "")
    if state.get("mode") != "question" or proc is None or answer not in ANSWERS:
        raise InvalidTurn("no question is waiting for that answer")
    question = next((q for q in proc.questions if q.id == state["question_id"]), None)
    option = next((o for o in question.answers if o.answer == answer), None) if question else None
    if option is None:
        raise InvalidTurn("that answer is not offered")
    turn = Turn()
    turn.say(state, who="resident", kind="answer", value=answer)
    state["answers"].append({"question": question.id, "answer": answer})
    if option.reason:
        turn.events.append(Event("readiness_failed", proc.id, None, option.reason.value))
    _ask_or_recommend(state, proc, option.next, turn, option.channel)
    return turn


def answer_readiness(state: dict, catalog: Catalog, answer: str) -> Turn:
    proc = catalog.procedures.get(state.get("procedure_id") or "")
    channel = proc.channel(state.get("channel_id") or "") if proc else None
    item = READINESS_BY_ID.get(state.get("readiness_item") or "")
    if state.get("mode") != "readiness" or channel is None or item is None or answer not in ANSWERS:
        raise InvalidTurn("no readiness question is waiting")
    turn = Turn()
    turn.say(state, who="resident", kind="answer", value=answer)
    if answer != Answer.YES:
        turn.events.append(Event("readiness_failed", proc.id, channel.id, item.reason))
        fallback = fallback_channel(proc, channel, item)
        blocked = {"item": item.id, "need": item.need, "online_channel": channel.id}
        _final_recommendation(state, proc, fallback or channel, turn, blocked)
        return turn
    confirmed = confirmed_reasons(state, proc)
    items = readiness_items(channel)
    remaining = [i for i in items[items.index(item) + 1:] if i.reason not in confirmed]
    if remaining:
        state["readiness_item"] = remaining[0].id
        turn.say(state, kind="readiness", procedure=proc.id, channel=channel.id, id=remaining[0].id)
    else:
        turn.say(state, kind="readiness_ok", procedure=proc.id, channel=channel.id)
        _final_recommendation(state, proc, channel, turn)
    return turn


def fallback_channel(proc: Procedure, online: Channel, item: ReadinessItem) -> Channel | None:
    """The best other way for a resident who lacks ``item``: first one that does not need what
    is missing (nor the card), then the counter, where staff can help (renew a card, reset a
    PIN), then mail and the convenience store."""
    order = {ChannelKind.COUNTER: 0, ChannelKind.MAIL: 1, ChannelKind.CONVENIENCE_STORE: 2, ChannelKind.ONLINE: 3}
    others = [c for c in proc.channels if c.id != online.id]
    if not others:
        return None
    return min(others, key=lambda c: (item.need in c.needs, "mynumber-card" in c.needs, order[c.kind]))


def say(state: dict, catalog: Catalog, understand_text, text: str) -> Turn:
    """Free text, through the one search (``understand_text(text)``: see understanding.py): the
    procedure when it is confident, a life event's checklist, another authority's answer, or at
    most three candidates and the offer to call staff; and, when the resident typed in another
    language than the screen's, the offer to switch. The text itself stays in the session only,
    and never a 個人番号: one is taken out before anything is kept or searched, and the resident
    is told it was not kept."""
    text = " ".join(text[:MAX_TYPED_CHARACTERS].split())[:200]
    withheld = contains_mynumber(text)
    while contains_mynumber(text):  # folding the spaces left can join digits into another
        text = " ".join(remove_mynumbers(text).split())
    if not text and not withheld:
        raise InvalidTurn("empty")
    turn = Turn()
    if text:
        turn.say(state, who="resident", kind="typed", text=text)
    if withheld:
        turn.say(state, kind="mynumber_withheld")
        if not text:  # nothing else to search for: the conversation stays where it was
            return turn
    understanding = understand_text(text)
    offer = _language_offer(understanding.offer_language)
    if offer:
        turn.say(state, kind="language_offer", **offer)
    _answer(state, catalog, understanding, turn)
    if turn.entries[-1].get("kind") == "unsure" and asks_about_seal(text):
        turn.entries[-1]["seal"] = True  # 「はんこはいりますか」 alone: offer the list and ask which procedure
    state["offer_language"] = offer  # the switch stays offered for this answer
    return turn


SEAL_WORDS = ("はんこ", "ハンコ", "判子", "印鑑", "押印", "捺印", "認印", "hanko", "seal", "stamp")


def asks_about_seal(text: str) -> bool:
    """Whether a text the search could not place asks about seals (「はんこはいりますか」)."""
    folded = text.casefold()
    return any(word in folded for word in SEAL_WORDS)


def _language_offer(code: str | None) -> dict | None:
    """The language to offer as the menu shows it (its own name is never translated)."""
    from kiosk.i18n.locales import LOCALES

    loc = next((loc for loc in LOCALES if loc.code == code), None)
    return {"locale": loc.code, "tag": loc.tag, "name": loc.native_name} if loc else None


def _answer(state: dict, catalog: Catalog, understanding, turn: Turn) -> None:
    best, action = understanding.best, understanding.action
    if action == "procedure" and best.id in catalog.procedures:
        turn.say(state, kind="found", id=best.id)
        follow = choose_procedure(state, catalog, best.id, typed=True)
        turn.entries += follow.entries
        turn.events += follow.events
        return
    _reset_guide(state)
    if action == "event" and best.id in catalog.life_events:
        state["mode"] = "event"
        state["event_id"] = best.id
        turn.say(state, kind="life_event", id=best.id)
        return
    if action == "elsewhere" and best.id in catalog.other_authorities:
        state["mode"] = "elsewhere"
        turn.say(state, kind="elsewhere", id=best.id)
        return
    if action == "ledger":
        state["mode"] = "ledger"
        turn.say(state, kind="ledger", key=best.id.removeprefix("ledger:"))
        return
    offered = [{"id": m.id, "kind": m.kind} for m in understanding.candidates
               if m.kind == "ledger" or m.id in (catalog.procedures if m.kind == "procedure" else catalog.life_events)]
    state.update(mode="candidates", candidates=offered[:MAX_CANDIDATES])
    turn.say(state, kind="unsure", candidates=offered[:MAX_CANDIDATES])


def choose_life_event(state: dict, catalog: Catalog, event_id: str) -> Turn:
    """A life event picked from the candidates: its checklist."""
    if event_id not in catalog.life_events or not any(
            c["kind"] == "event" and c["id"] == event_id for c in state.get("candidates", [])):
        raise InvalidTurn("that event was not offered")
    turn = Turn()
    _reset_guide(state)
    state.update(mode="event", event_id=event_id)
    turn.say(state, who="resident", kind="event_choice", id=event_id)
    turn.say(state, kind="life_event", id=event_id)
    return turn


def choose_ledger_entry(state: dict, key: str) -> Turn:
    if not any(c["id"] == f"ledger:{key}" for c in state.get("candidates", [])):
        raise InvalidTurn("that entry was not offered")
    turn = Turn()
    _reset_guide(state)
    state["mode"] = "ledger"
    turn.say(state, who="resident", kind="ledger_choice", key=key)
    turn.say(state, kind="ledger", key=key)
    return turn


def _entry_fits(entry: dict, catalog: Catalog) -> bool:
    """Whether everything an entry refers to is still in the content."""
    procedures, categories = catalog.procedures, catalog.categories
    kind = entry.get("kind")
    if kind == "category":
        return entry.get("id") in categories
    if kind in ("procedure", "found"):
        return entry.get("id") in procedures
    procedure = procedures.get(entry.get("procedure", ""))
    if kind == "question":
        return procedure is not None and any(q.id == entry.get("id") for q in procedure.questions)
    if kind in ("readiness_intro", "readiness", "readiness_ok", "recommendation"):
        if procedure is None or procedure.channel(entry.get("channel", "")) is None:
            return False
        blocked = entry.get("blocked")
        return not blocked or blocked.get("need") in catalog.needs
    if kind in ("life_event", "event_choice"):
        return entry.get("id") in catalog.life_events
    if kind == "elsewhere":
        return entry.get("id") in catalog.other_authorities
    if kind == "unsure":
        return all(c["kind"] != "procedure" or c["id"] in procedures for c in entry.get("candidates", [])) and all(
            c["kind"] != "event" or c["id"] in catalog.life_events for c in entry.get("candidates", []))
    return True


def prune(state: dict, catalog: Catalog) -> bool:
    """After a content reload, drop what no longer exists from a running conversation (and go
    back to the menu if the resident was in the middle of it). True when anything changed."""
    thread = [e for e in state["thread"] if _entry_fits(e, catalog)]
    changed = len(thread) != len(state["thread"])
    state["thread"] = thread
    procedure = catalog.procedures.get(state.get("procedure_id") or "")
    lost = (
        (state.get("procedure_id") and procedure is None)
        or (state.get("channel_id") and (procedure is None or procedure.channel(state["channel_id"]) is None))
        or (state.get("category_id") and state["category_id"] not in catalog.categories)
        or (state.get("event_id") and state["event_id"] not in catalog.life_events)
        or any(c["kind"] == "procedure" and c["id"] not in catalog.procedures for c in state.get("candidates", []))
    )
    if lost:
        _reset_guide(state)
        state["mode"] = "menu"
        state["thread"].append({"who": "assistant", "kind": "updated"})
        changed = True
    return changed


def staff_called(state: dict) -> Turn:
    turn = Turn()
    turn.say(state, kind="staff_called")
    turn.events.append(Event("staff_called", state.get("procedure_id")))
    return turn
