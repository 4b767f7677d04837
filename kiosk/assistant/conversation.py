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

from kiosk.assistant.search import MAX_CANDIDATES, SearchIndex, SearchResult, candidates
from kiosk.catalog.loader import Catalog
from kiosk.catalog.schema import Answer, Channel, ChannelKind, Procedure
from kiosk.staff.personal_data import contains_mynumber, remove_mynumbers

ANSWERS = tuple(a.value for a in Answer)
# What is read of a typed text before its white space is folded (the field takes 200).
MAX_TYPED_CHARACTERS = 1000


@dataclass(frozen=True)
class ReadinessItem:
    id: str
    need: str  # the need in content/needs.yaml that brings this question
    reason: str  # what is recorded when the answer is not "yes"


# Asked before an online path that needs the My Number Card, in this order; only the items
# whose need the channel lists. The question texts are in templates (through Babel).
READINESS_ITEMS = (
    ReadinessItem("card-at-hand", "mynumber-card", "no-card"),
    ReadinessItem("card-valid", "mynumber-card", "card-expired"),
    ReadinessItem("user-pin", "user-pin", "pin-unknown"),
    ReadinessItem("signature-pin", "signature-pin", "signature-pin-unknown"),
    ReadinessItem("nfc-smartphone", "nfc-smartphone", "no-smartphone"),
)
READINESS_BY_ID = {item.id: item for item in READINESS_ITEMS}


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
                 candidates=[], category_id=None)


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
    _reset_guide(state)
    state["procedure_id"] = proc.id
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
    """Recommend ``channel``, but first check readiness when it is an online path that needs the
    My Number Card."""
    state.update(channel_id=channel.id, question_id=None)
    confirmed = confirmed_reasons(state, proc)
    items = [item for item in readiness_items(channel) if item.reason not in confirmed]
    if channel.kind == ChannelKind.ONLINE and items:
        state.update(mode="readiness", readiness_item=items[0].id)
        turn.say(state, kind="readiness_intro", procedure=proc.id, channel=channel.id)
        turn.say(state, kind="readiness", procedure=proc.id, channel=channel.id, id=items[0].id)
        return
    _final_recommendation(state, proc, channel, turn)


def _final_recommendation(state: dict, proc: Procedure, channel: Channel, turn: Turn,
                          blocked: dict | None = None) -> None:
    state.update(mode="recommendation", channel_id=channel.id, readiness_item=None)
    turn.say(state, kind="recommendation", procedure=proc.id, channel=channel.id,
             answers=list(state["answers"]), blocked=blocked)
    turn.events.append(Event("channel_recommended", proc.id, channel.id))


def readiness_items(channel: Channel) -> list[ReadinessItem]:
    return [item for item in READINESS_ITEMS if item.need in channel.needs]


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


def say(state: dict, catalog: Catalog, index: SearchIndex, text: str, translated=None) -> Turn:
    """Free text: the procedure when the search is confident, otherwise at most three candidates
    and the offer to call staff. ``translated`` (a TranslatedIndex) also searches the content in
    the resident's language: the procedure whose translated title was typed exactly, else
    candidates. The text itself stays in the session only, and never a 個人番号: one is taken out
    before anything is kept or searched, and the resident is told it was not kept."""
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
    result = index.search(text)
    own_language = translated.search(text) if translated is not None and not result.confident else []
    if own_language and own_language[0].score >= 2.0:  # exactly a translated title
        result = SearchResult(text, True, own_language[:1])
    best = result.best
    if result.confident and best.kind == "procedure" and best.id in catalog.procedures:
        turn.say(state, kind="found", id=best.id)
        follow = choose_procedure(state, catalog, best.id, typed=True)
        turn.entries += follow.entries
        turn.events += follow.events
        return turn
    if result.confident and best.kind == "ledger":
        _reset_guide(state)
        state["mode"] = "ledger"
        turn.say(state, kind="ledger", key=best.id.removeprefix("ledger:"))
        return turn
    _reset_guide(state)
    # The resident's own language first: a Japanese near-miss is less likely what they meant.
    own_ids = {m.id for m in own_language}
    matches = own_language + [m for m in candidates(result) if m.id not in own_ids]
    offered = [{"id": m.id, "kind": m.kind} for m in matches[:MAX_CANDIDATES]
               if m.kind == "ledger" or m.id in catalog.procedures]
    state.update(mode="candidates", candidates=offered)
    turn.say(state, kind="unsure", candidates=offered)
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
    if kind == "unsure":
        return all(c["kind"] != "procedure" or c["id"] in procedures for c in entry.get("candidates", []))
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
