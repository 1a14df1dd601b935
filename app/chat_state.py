"""The open conversation as a value, and what each user action does to it.

Each transition is a pure function from the state (and the action's inputs) to a ``Step``: the
next state and the effects that make it real: what to write to IndexedDB (messages, the chat's
record and their log entries in one transaction), what part of the view to draw again, and
whether a reply should start. ``app/browser/conversation.py`` performs the effects; these
functions decide, and are unit-tested under CPython (``tests/unit/test_chat_state.py``).

A write comes before the state that shows it: nothing is shown as sent before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app import steps
from app.conversation import (
    history_for_reply,
    log_entries,
    next_seq,
    session_title,
    with_preview,
)
from app.markdown import plain_line
from app.models import Character, ChatSession, Message, new_id
from app.outbox.entries import Entry
from app.personas import Persona, PersonaBook, active_persona
from app.prompt import (
    DEFAULT_SYSTEM_PROMPT,
    GenerationSettings,
    PromptError,
    PromptExtras,
    PromptResult,
    build_prompt,
    generation_options,
    reply_token_budget,
)
from app.think import strip_reasoning

if TYPE_CHECKING:
    from app.worldinfo import Lorebook

__all__ = [
    "ChatState",
    "Draw",
    "Forget",
    "Generate",
    "Outcome",
    "Preferences",
    "ReplyPlan",
    "Step",
    "StopReply",
    "Store",
    "branch",
    "catch_up",
    "continue_reply",
    "delete",
    "edit",
    "finish_reply",
    "flip",
    "joined",
    "lorebooks_of",
    "message_actions",
    "open_chat",
    "open_imported",
    "persona_of",
    "plan_impersonation",
    "plan_reply",
    "prompt_extras",
    "regenerate",
    "reply_announcement",
    "reply_stats",
    "retry",
    "send",
    "set_chat_options",
    "start_reply",
    "stop",
    "toggle_thinking",
]

Translate = Callable[..., str]


@dataclass(frozen=True)
class ChatState:
    """The selected character, the open chat and its messages (by ``seq``), and whether a
    reply is streaming into it."""

    character: Character | None = None
    session: ChatSession | None = None
    messages: tuple[Message, ...] = ()
    streaming: bool = False

    def index_of(self, message_id: str) -> int | None:
        """Where ``message_id`` is in the chat (``None``: not in it)."""
        return next((i for i, m in enumerate(self.messages) if m.id == message_id), None)


@dataclass(frozen=True)
class Preferences:
    """What the user set that shapes a prompt (Settings and the chat's own switches): the
    generation settings, the app-wide name, the system prompt, the personas and the
    world-info books by name."""

    settings: GenerationSettings = field(default_factory=GenerationSettings)
    user_name: str = "User"
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    personas: PersonaBook = field(default_factory=PersonaBook)
    worlds: Mapping[str, Lorebook] = field(default_factory=dict)


def persona_of(state: ChatState, prefs: Preferences) -> Persona:
    """Who the user is in the open chat (its choice, else the character's, else the default)."""
    return active_persona(
        prefs.personas,
        chat_choice=state.session.persona_id if state.session else "",
        character_id=state.character.id if state.character else "",
        fallback_name=prefs.user_name,
    )


def lorebooks_of(state: ChatState, prefs: Preferences) -> tuple[Lorebook, ...]:
    """The books a reply scans: the card's own first, then the world bound to the character
    (``extensions.world``, as SillyTavern links one), then the one bound to the chat."""
    from app.worldinfo import character_lorebook

    books: list[Lorebook] = []
    if state.character is not None:
        own = character_lorebook(state.character)
        books += [own] if own is not None and own.entries else []
        linked = state.character.extensions.get("world")
        if isinstance(linked, str) and linked in prefs.worlds:
            books.append(prefs.worlds[linked])
    chat_book = state.session.lorebook if state.session else ""
    if chat_book in prefs.worlds and prefs.worlds[chat_book] not in books:
        books.append(prefs.worlds[chat_book])
    return tuple(books)


def prompt_extras(state: ChatState, prefs: Preferences) -> PromptExtras:
    """The persona, world info and notes for the open chat's next reply; the card's
    ``depth_prompt`` is the character's note."""
    depth_prompt = state.character.extensions.get("depth_prompt") if state.character else None
    card_note = depth_prompt if isinstance(depth_prompt, Mapping) else {}
    note_depth = card_note.get("depth")
    session = state.session
    return PromptExtras(
        persona=persona_of(state, prefs).description,
        lorebooks=lorebooks_of(state, prefs),
        author_note=session.author_note if session else "",
        author_note_depth=session.author_note_depth if session else 4,
        character_note=str(card_note.get("prompt") or ""),
        character_note_depth=note_depth if isinstance(note_depth, int) and note_depth >= 0 else 4,
    )


class Outcome(StrEnum):
    """How a reply's stream ended."""

    DONE = "done"
    STOPPED = "stopped"
    ERROR = "error"


# -- effects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    """Write ``messages`` with the chat's record and their log entries in one transaction."""

    messages: tuple[Message, ...]
    session: ChatSession | None
    outbox: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class Forget:
    """Delete one message; ``session`` is the chat's record with its new preview."""

    message_id: str
    session: ChatSession | None


@dataclass(frozen=True)
class Draw:
    """Draw part of the chat again: ``all`` of it, its last ``count`` messages (``tail``),
    one message in place (``one``), or take one out (``gone``). ``sidebar``: its line too."""

    part: str
    count: int = 0
    message_id: str = ""
    sidebar: bool = False


@dataclass(frozen=True)
class Generate:
    """Start a reply (``regenerate``: another version of the last one; ``continuing``: more of
    the last one)."""

    regenerate: bool
    continuing: bool = False


@dataclass(frozen=True)
class StopReply:
    """Ask the engine to stop the reply that is streaming."""


Effect = Store | Forget | Draw | Generate | StopReply


Step = steps.Step[ChatState, Effect]


def _idle(state: ChatState) -> Step:
    return Step(state)


# -- opening a chat -----------------------------------------------------------------------


def open_chat(state: ChatState, session: ChatSession, messages: Sequence[Message]) -> Step:
    """A chat (of the selected character) opens with its stored messages."""
    if state.streaming:
        return _idle(state)
    opened = replace(state, session=session, messages=tuple(messages))
    return Step(opened, (Draw("all", sidebar=True),))


def catch_up(state: ChatState, session_id: str, stored: Sequence[Message]) -> Step:
    """Another tab may have written to this chat: take what IndexedDB holds, when it differs
    and the user is still in that chat and not waiting for a reply."""
    if state.session is None or state.session.id != session_id or state.streaming:
        return _idle(state)
    if _shape(stored) == _shape(state.messages):
        return _idle(state)
    return Step(replace(state, messages=tuple(stored)), (Draw("all"),))


def _shape(messages: Sequence[Message]) -> list[tuple[str, int, int, int]]:
    """Enough to tell whether another tab changed a chat, without comparing whole texts."""
    return [(m.id, m.swipe_index, len(m.swipes), len(m.content)) for m in messages]


# -- a turn -------------------------------------------------------------------------------


def send(state: ChatState, text: str, *, model_id: str) -> Step:
    """The user's message: stored with its log entries, shown, and a reply asked for.

    The first turn also logs the greeting the user answered, so the server's copy of the chat
    reads as the user saw it."""
    text = text.strip()
    if not text or state.streaming or state.character is None or state.session is None:
        return _idle(state)
    message = Message.new(state.session.id, "user", text, seq=next_seq(state.messages))
    session = state.session.touched()
    if not session.title:
        session = replace(session, title=session_title(state.character, [message]))
    if not session.model_id:
        session = replace(session, model_id=model_id)
    first_turn = not any(m.role == "user" for m in state.messages)
    greeting = [m for m in state.messages if m.role == "assistant"][:1] if first_turn else []
    entries = log_entries(session, state.character, [*greeting, message], model_id=model_id)
    messages = (*state.messages, message)
    session = with_preview(session, messages)
    return Step(
        replace(state, session=session, messages=messages),
        (
            Store((message,), session, tuple(entries)),
            # the new message, and the reply before it that loses "regenerate"
            Draw("tail", count=2, sidebar=True),
            Generate(regenerate=False),
        ),
    )


def regenerate(state: ChatState, message_id: str) -> Step:
    """Another version of the last reply, kept as a swipe: only the last message has it."""
    if state.streaming or not state.messages or state.messages[-1].id != message_id:
        return _idle(state)
    if state.messages[-1].role != "assistant":
        return _idle(state)
    return Step(state, (Generate(regenerate=True),))


def retry(state: ChatState, message_id: str) -> Step:
    """A reply to the last message when it is the user's: its reply failed (a lost device, a
    closed tab) or was deleted."""
    if state.streaming or not state.messages or state.messages[-1].id != message_id:
        return _idle(state)
    if state.messages[-1].role != "user":
        return _idle(state)
    return Step(state, (Generate(regenerate=False),))


def message_actions(state: ChatState, message: Message) -> tuple[str, ...]:
    """The buttons a message offers (none while a reply streams): the last reply can be
    regenerated (not the greeting), a last user message can get its reply again."""
    if state.streaming:
        return ()
    last = state.messages[-1].id == message.id if state.messages else False
    turn: tuple[str, ...] = ()
    if last and message.role == "assistant":
        turn = ("regenerate", "continue") if message.seq > 0 else ("continue",)
    elif last and message.role == "user":
        turn = ("retry",)
    return (*turn, "copy", "edit", "branch", "delete")


@dataclass(frozen=True)
class ReplyPlan:
    """What a reply is asked with: the prompt, WebLLM's options and, when regenerating, the
    message the reply becomes another version of."""

    prompt: PromptResult
    options: dict[str, Any]
    target: Message | None
    model_id: str
    continuing: bool = False
    """The reply is appended to ``target``'s shown version instead of becoming a new one."""


CONTINUE_NUDGE = (
    "[Continue {{char}}'s last message from exactly where it stops, without repeating any of it.]"
)
"""WebLLM must end on the user's turn, so "continue" asks for the rest in a user line of its
own; the line is sent, never stored."""


IMPERSONATE_NUDGE = (
    "[Write {{user}}'s next message in this chat, in {{user}}'s voice and the chat's language: "
    "only what {{user}} says or does, nothing for {{char}}, no explanations.]"
)
"""Asks the model for the user's next message ("impersonate"); sent, never stored."""


def plan_impersonation(
    state: ChatState, prefs: Preferences, *, model_id: str, context_window: int
) -> ReplyPlan:
    """The prompt that writes the user's next message for them, into the composer."""
    if state.character is None or state.session is None:
        raise PromptError("no chat is open")
    nudge = Message.new(state.session.id, "user", IMPERSONATE_NUDGE, seq=next_seq(state.messages))
    settings = prefs.settings.merged({**state.session.settings, "thinking": False})
    history = [*state.messages, nudge]
    prompt = _prompt(state, prefs, history, settings, model_id=model_id, window=context_window)
    return ReplyPlan(prompt, generation_options(settings, model_id=model_id), None, model_id)


def joined(existing: str, addition: str) -> str:
    """``existing`` continued by ``addition``: a space between words, none before punctuation
    or where the addition brings its own whitespace."""
    head = existing.rstrip()
    if not addition or addition[0].isspace() or addition[0] in ".,;:!?)]}'\"\u2019\u201d…":
        return head + addition
    return f"{head} {addition}"


def plan_reply(
    state: ChatState,
    prefs: Preferences,
    *,
    model_id: str,
    context_window: int,
    regenerate: bool,
    continuing: bool = False,
) -> ReplyPlan:
    """The prompt for the next reply (or for the rest of the last one), within the window.

    Raises ``PromptError`` when even the newest message does not fit (the user is told)."""
    if state.character is None or state.session is None:
        raise PromptError("no chat is open")
    if continuing and state.messages and state.messages[-1].role == "assistant":
        target: Message | None = state.messages[-1]
        nudge = Message.new(state.session.id, "user", CONTINUE_NUDGE, seq=next_seq(state.messages))
        history = [*state.messages, nudge]
    else:
        history, target = history_for_reply(state.messages, regenerate=regenerate)
        continuing = False
    settings = prefs.settings.merged(
        {"thinking": state.session.thinking_enabled, **state.session.settings}
    )
    prompt = _prompt(state, prefs, history, settings, model_id=model_id, window=context_window)
    options = generation_options(settings, model_id=model_id)
    return ReplyPlan(prompt, options, target, model_id, continuing)


def _prompt(
    state: ChatState,
    prefs: Preferences,
    history: Sequence[Message],
    settings: GenerationSettings,
    *,
    model_id: str,
    window: int,
) -> PromptResult:
    """The open chat's prompt for ``history``: its persona, books and notes, the settings'
    reply budget."""
    assert state.character is not None
    return build_prompt(
        state.character,
        history,
        user_name=persona_of(state, prefs).name,
        global_system_prompt=prefs.system_prompt,
        context_window=window,
        max_reply_tokens=reply_token_budget(settings, model_id=model_id),
        extras=prompt_extras(state, prefs),
    )


def start_reply(state: ChatState) -> ChatState:
    """A reply begins streaming: no other turn, swipe or edit until it ends."""
    return replace(state, streaming=True)


def finish_reply(
    state: ChatState,
    plan: ReplyPlan,
    *,
    answer: str,
    reasoning: str,
    usage: Mapping[str, Any] | None,
    outcome: Outcome,
    t: Translate,
) -> Step:
    """The stream ended (finished, stopped or failed): whatever text came is kept, as a new
    message or as another version of ``plan.target``, stored and logged; no text, nothing."""
    state = replace(state, streaming=False)
    answer = answer.strip()
    if state.session is None or state.character is None or not answer:
        # nothing new: the version that was there comes back
        return Step(state, (Draw("tail", count=1 if plan.target else 2, sidebar=True),))
    stats = reply_stats(usage, outcome, t)
    if plan.continuing and plan.target is not None:
        return _continued(state, plan, plan.target, answer)
    if plan.target is not None:
        reply = plan.target.with_swipe(answer, reasoning=reasoning, stats=stats)
    else:
        reply = Message.new(
            state.session.id,
            "assistant",
            answer,
            seq=next_seq(state.messages),
            reasoning=reasoning,
            stats=stats,
        )
    messages = (*(m for m in state.messages if m.id != reply.id), reply)
    session = with_preview(state.session.touched(), messages)
    entries = log_entries(session, state.character, [reply], model_id=plan.model_id)
    return Step(
        replace(state, session=session, messages=messages),
        (Store((reply,), session, tuple(entries)), Draw("tail", count=2, sidebar=True)),
    )


def _continued(state: ChatState, plan: ReplyPlan, target: Message, answer: str) -> Step:
    """The last reply with ``answer`` added to its shown version, logged as an edit."""
    assert state.session is not None
    assert state.character is not None
    reply = target.edited(joined(target.content, answer))
    messages = (*(m for m in state.messages if m.id != reply.id), reply)
    session = with_preview(state.session.touched(), messages)
    entries = log_entries(session, state.character, [reply], model_id=plan.model_id, edited=True)
    return Step(
        replace(state, session=session, messages=messages),
        (Store((reply,), session, tuple(entries)), Draw("tail", count=1, sidebar=True)),
    )


def continue_reply(state: ChatState, message_id: str) -> Step:
    """More of the last reply (one the length limit or a stop cut short)."""
    if state.streaming or not state.messages or state.messages[-1].id != message_id:
        return _idle(state)
    if state.messages[-1].role != "assistant":
        return _idle(state)
    return Step(state, (Generate(regenerate=False, continuing=True),))


#: What a branch keeps of the chat it comes from (besides the messages).
_CARRIED_TO_BRANCH = (
    "thinking_enabled",
    "user_name",
    "settings",
    "owner",
    "persona_id",
    "lorebook",
    "author_note",
    "author_note_depth",
)


def branch(state: ChatState, message_id: str, *, title: str, model_id: str) -> Step:
    """A new chat holding this one up to ``message_id`` (copies, logged as the new chat's),
    with the same persona, world and author's note; it opens in place of this one."""
    index = state.index_of(message_id)
    if index is None or state.streaming or state.session is None or state.character is None:
        return _idle(state)
    old = state.session
    session = replace(
        ChatSession.new(old.character_id, title=title[:120], model_id=old.model_id or model_id),
        **{name: getattr(old, name) for name in _CARRIED_TO_BRANCH},
    )
    copies = tuple(
        replace(message, id=new_id(), session_id=session.id)
        for message in state.messages[: index + 1]
    )
    session = with_preview(session, copies)
    entries = log_entries(session, state.character, list(copies), model_id=session.model_id)
    return Step(
        replace(state, session=session, messages=copies),
        (Store(copies, session, tuple(entries)), Draw("all", sidebar=True)),
    )


def reply_announcement(state: ChatState, t: Translate) -> str:
    """What a screen reader hears when a reply is done: who, and the reply as plain text."""
    if state.character is None or not state.messages:
        return ""
    reply = state.messages[-1]
    text = plain_line(strip_reasoning(reply.content))[:ANNOUNCE_LENGTH]
    key = "chat.reply_stopped" if reply.stats and reply.stats.get("stopped") else "chat.replied"
    return t(key, name=state.character.name, text=text)


#: How much of a finished reply is read out (the rest is in the chat).
ANNOUNCE_LENGTH = 600


def reply_stats(
    usage: Mapping[str, Any] | None, outcome: Outcome, t: Translate
) -> dict[str, Any] | None:
    """The usage line kept with a reply: WebLLM's token counts and speeds, and whether the
    user stopped it."""
    stopped = outcome is Outcome.STOPPED
    if not usage:
        return {"stopped": True} if stopped else None
    extra = usage.get("extra") or {}
    decode = _number(extra.get("decode_tokens_per_s"))
    prefill = _number(extra.get("prefill_tokens_per_s"))
    tokens = int(_number(usage.get("completion_tokens")))
    return {
        "completionTokens": tokens,
        "promptTokens": int(_number(usage.get("prompt_tokens"))),
        "decodeTokensPerS": round(decode, 2),
        "prefillTokensPerS": round(prefill, 2),
        "stopped": stopped,
        "label": t("engine.stats", decode=f"{decode:.1f}", prefill=f"{prefill:.1f}", tokens=tokens),
    }


def _number(value: object) -> float:
    """A figure from the engine's usage record (absent or odd: 0)."""
    try:
        return float(value or 0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def stop(state: ChatState) -> Step:
    """Stop the reply; its partial text stays (``finish_reply`` keeps it)."""
    return Step(state, (StopReply(),)) if state.streaming else _idle(state)


# -- changing what is there ---------------------------------------------------------------


def _replaced(state: ChatState, index: int, message: Message) -> tuple[ChatState, ChatSession]:
    messages = (*state.messages[:index], message, *state.messages[index + 1 :])
    assert state.session is not None
    session = with_preview(state.session, messages)
    return replace(state, session=session, messages=messages), session


def flip(state: ChatState, message_id: str, step: int) -> Step:
    """Show another version (swipe) of a message; the choice is stored, not logged."""
    index = state.index_of(message_id)
    if index is None or state.streaming or state.session is None:
        return _idle(state)
    flipped = state.messages[index].flipped(step)
    if flipped == state.messages[index]:
        return _idle(state)
    new_state, session = _replaced(state, index, flipped)
    return Step(new_state, (Store((flipped,), session), Draw("one", message_id=message_id)))


def edit(state: ChatState, message_id: str, text: str, *, model_id: str) -> Step:
    """Replace the shown version's text; the edit is logged as its own entry."""
    index = state.index_of(message_id)
    if index is None or state.streaming or state.character is None or state.session is None:
        return _idle(state)
    edited = state.messages[index].edited(text.strip())
    new_state, session = _replaced(state, index, edited)
    entries = log_entries(session, state.character, [edited], model_id=model_id, edited=True)
    return Step(
        new_state,
        (Store((edited,), session, tuple(entries)), Draw("one", message_id=message_id)),
    )


def delete(state: ChatState, message_id: str) -> Step:
    """Delete a message from this device's copy (what was logged stays on the server)."""
    if state.streaming or state.session is None or state.index_of(message_id) is None:
        return _idle(state)
    messages = tuple(m for m in state.messages if m.id != message_id)
    session = with_preview(state.session, messages)
    return Step(
        replace(state, session=session, messages=messages),
        (Forget(message_id, session), Draw("gone", message_id=message_id, sidebar=True)),
    )


def toggle_thinking(state: ChatState, enabled: bool) -> Step:
    """The chat's "thinking" switch (models that can reason): kept with the chat."""
    if state.session is None or state.session.thinking_enabled == enabled:
        return _idle(state)
    session = replace(state.session, thinking_enabled=enabled)
    return Step(replace(state, session=session), (Store((), session),))


MAX_AUTHOR_NOTE = 4000


def set_chat_options(
    state: ChatState, *, persona_id: str, lorebook: str, author_note: str, author_note_depth: int
) -> Step:
    """The chat's own persona, world and author's note, kept with the chat; the chat is drawn
    again (the user's messages carry the persona's name and picture)."""
    if state.session is None or state.streaming:
        return _idle(state)
    session = replace(
        state.session,
        persona_id=persona_id,
        lorebook=lorebook,
        author_note=author_note.strip()[:MAX_AUTHOR_NOTE],
        author_note_depth=min(max(author_note_depth, 0), 100),
    )
    if session == state.session:
        return _idle(state)
    return Step(replace(state, session=session), (Store((), session), Draw("all")))


def open_imported(
    state: ChatState,
    session: ChatSession,
    messages: Sequence[Message],
    *,
    owner: str,
    model_id: str,
) -> Step:
    """A chat read from a file: stored and logged as a chat of the selected character (the
    account's backup gets it too), then opened."""
    if state.streaming or state.character is None:
        return _idle(state)
    session = replace(session, character_id=state.character.id, owner=owner)
    session = with_preview(session, messages)
    entries = log_entries(session, state.character, list(messages), model_id=model_id)
    return Step(
        replace(state, session=session, messages=tuple(messages)),
        (Store(tuple(messages), session, tuple(entries)), Draw("all", sidebar=True)),
    )
