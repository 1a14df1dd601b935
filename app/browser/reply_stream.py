"""A reply streaming from the engine into its view, ``<think>`` reasoning split off as it
arrives; whatever came is kept, however the stream ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from app.browser.dom import by_id
from app.chat_state import Outcome, ReplyPlan
from app.engine_errors import EngineError
from app.think import ThinkParser

if TYPE_CHECKING:
    from app.browser.engine import Engine

__all__ = [
    "ComposerDraft",
    "ReplyView",
    "Streamed",
    "announce",
    "show_composer_streaming",
    "stream_reply",
]


@dataclass(frozen=True)
class Streamed:
    """What a stream brought, for ``chat_state.finish_reply``."""

    answer: str
    reasoning: str
    usage: dict[str, Any] | None
    outcome: Outcome


class ReplyView(Protocol):
    """Where a stream's text goes: a reply in the chat, or the composer (impersonate)."""

    def add(self, reasoning: str, answer: str) -> None: ...

    def finish(self, state: str) -> None: ...


class ComposerDraft:
    """The user's next message as the model writes it, into the composer (never sent by
    itself: the user reads, edits and sends it)."""

    def __init__(self) -> None:
        self.box = by_id("prompt")
        self.box.value = ""

    def add(self, reasoning: str, answer: str) -> None:
        """Append the answer (reasoning is not the user's to say)."""
        del reasoning
        if answer:
            self.box.value = str(self.box.value) + answer

    def finish(self, state: str) -> None:
        """Trim it and hand the composer back to the user."""
        del state
        self.box.value = str(self.box.value).strip()
        self.box.focus()


async def stream_reply(
    engine: Engine,
    plan: ReplyPlan,
    view: ReplyView,
    *,
    follow: Callable[[], None],
    on_error: Callable[[EngineError], None],
) -> Streamed:
    """Stream ``plan``'s prompt into ``view`` (``follow`` keeps the chat at its end); an engine
    error goes to ``on_error`` and ends the reply with what it has so far."""
    parser = ThinkParser()
    outcome, usage = Outcome.DONE, None
    try:
        async for batch in engine.stream(plan.prompt.messages, plan.options):
            delta = parser.feed(batch.text)
            view.add(delta.reasoning, delta.answer)
            follow()
            if batch.done:
                outcome = Outcome.STOPPED if batch.finish == "abort" else Outcome.DONE
                usage = batch.usage
    except EngineError as error:
        outcome = Outcome.ERROR
        on_error(error)
    finally:
        tail = parser.finish()
        view.add(tail.reasoning, tail.answer)
        view.finish(outcome.value)
    return Streamed(parser.answer, parser.reasoning, usage, outcome)


def show_composer_streaming(streaming: bool) -> None:
    """Send while idle, Stop while a reply streams; the chat is ``aria-busy`` meanwhile, so
    a screen reader waits for the finished reply instead of reading every token."""
    by_id("send").hidden = streaming
    by_id("stop").hidden = not streaming
    by_id("impersonate").hidden = streaming
    by_id("chat").setAttribute("aria-busy", "true" if streaming else "false")


def announce(text: str) -> None:
    """Say ``text`` once, politely, to a screen reader (a reply finished)."""
    by_id("reply-announcer").textContent = text
