"""The open conversation in the page: performs what ``app/chat_state.py`` decides.

Writes go to IndexedDB (messages, the chat's record and outbox entries in one transaction)
before the state that shows them; then the view draws; then a reply streams from the engine
with ``<think>`` reasoning split off as it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyscript import window

from app import chat_state
from app.browser import chat_header
from app.browser.chat_window import ChatWindow
from app.browser.dom import element, spawn
from app.browser.message_view import StreamingReply, message_node
from app.browser.reply_stream import announce, show_composer_streaming, stream_reply
from app.chat_state import (
    ChatState,
    Draw,
    Forget,
    Generate,
    Preferences,
    Step,
    StopReply,
    Store,
)
from app.engine_errors import EngineError
from app.presets import CONTEXT_WINDOW_SIZE
from app.prompt import PromptError, PromptResult

if TYPE_CHECKING:
    from app.browser.engine import Engine
    from app.storage.chat_repo import ChatRepository

__all__ = ["Conversation", "Hooks"]


@dataclass(frozen=True)
class Hooks:
    """What the conversation asks of the rest of the page."""

    t: Callable[..., str]
    status: Callable[..., None]
    """``shell.status(key, state, **values)``: the status line."""
    engine_error: Callable[[EngineError], None]
    """An error while generating: the engine banner."""
    need_model: Callable[[], None]
    """A turn was asked for with no model loaded: the model picker."""
    enqueued: Callable[[], None]
    """Log entries were queued: the outbox may flush."""
    sidebar: Callable[[], Awaitable[None]]
    """Draw the chat list again (a chat's line or order changed)."""


class Conversation:
    """The chat state and the effects of each step: storage, drawing, the reply."""

    def __init__(self, repo: ChatRepository, engine: Engine, hooks: Hooks) -> None:
        self.repo = repo
        self.engine = engine
        self.hooks = hooks
        self.t = hooks.t
        self.state = ChatState()
        self.prefs = Preferences()
        self.view = ChatWindow(
            lambda message: message_node(self.state, self.prefs, self.t, message)
        )
        self.reply: StreamingReply | None = None
        self.last_prompt: PromptResult | None = None
        """The last request's prompt, for the prompt inspector."""
        self._settled = asyncio.Event()
        self._settled.set()

    @property
    def busy(self) -> bool:
        """A reply is streaming."""
        return self.state.streaming

    async def apply(self, step: Step, *, replacing: Any = None) -> None:
        """Store, then show, then (maybe) generate: in that order, whatever the step.

        ``replacing``: a node (the streamed reply) that gives way to what is drawn, once the
        write is done, so the chat never shows a gap while the reply is being stored.
        """
        await self._write(step)
        if replacing is not None:
            replacing.remove()
        self.state = step.state
        sidebar = self._show(step)
        generate = next((e for e in step.effects if isinstance(e, Generate)), None)
        if generate is None:
            if sidebar:
                await self.hooks.sidebar()
            return
        if sidebar:
            spawn(self.hooks.sidebar())  # the reply does not wait for the chat list
        await asyncio.sleep(0)  # the user's message paints before the prompt is built
        await self._generate(regenerate=generate.regenerate, continuing=generate.continuing)

    async def _write(self, step: Step) -> None:
        for effect in step.effects:
            if isinstance(effect, Store):
                await self.repo.save_messages(
                    effect.messages, session=effect.session, outbox=effect.outbox
                )
                if effect.outbox:
                    self.hooks.enqueued()
            elif isinstance(effect, Forget):
                await self.repo.delete_message(effect.message_id, session=effect.session)

    def _show(self, step: Step) -> bool:
        """Draw what the step changed; whether the chat list needs drawing too."""
        sidebar = False
        for effect in step.effects:
            if isinstance(effect, Draw):
                self._draw(effect)
                sidebar = sidebar or effect.sidebar
            elif isinstance(effect, StopReply):
                self.engine.stop()
        return sidebar

    # -- drawing ----------------------------------------------------------------------------

    def _draw(self, draw: Draw) -> None:
        messages = self.state.messages
        if draw.part == "all":
            self.render()
        elif draw.part == "tail":
            self.view.tail(messages, draw.count)
            chat_header.show_title(self.state)
        elif draw.part == "one":
            self.view.rerender(messages, draw.message_id)
        elif draw.part == "gone":
            self.view.forget(messages, draw.message_id)

    def render(self) -> None:
        """The open chat (its newest messages; more render as the user scrolls)."""
        chat_header.show_header(self.state, model_id=self.engine.model_id or "")
        if self.state.character is None:
            self.view.clear(element("p", self.t("chat.pick_character"), classes=("empty",)))
            return
        self.view.show(self.state.messages)

    def update_thinking_switch(self) -> None:
        """The thinking toggle, for the loaded model and the open chat."""
        chat_header.show_thinking_switch(self.state, model_id=self.engine.model_id or "")

    # -- the reply --------------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Another tab may have written to this chat: reload it before adding to it."""
        session = self.state.session
        if session is None or self.busy:
            return
        stored = await self.repo.list_messages(session.id)
        await self.apply(chat_state.catch_up(self.state, session.id, stored))

    async def turn(self, transition: Callable[[ChatState], Step], *, needs_model: bool) -> None:
        """A user action that may start a reply: catch up first, and with no model loaded
        open the picker instead."""
        if self.busy or not transition(self.state).changed:
            return
        if needs_model and not self.engine.ready:
            self.hooks.need_model()
            return
        await self.catch_up()
        await self.apply(transition(self.state))

    async def _generate(self, *, regenerate: bool, continuing: bool = False) -> None:
        model_id = self.engine.model_id or ""
        try:
            plan = chat_state.plan_reply(
                self.state,
                self.prefs,
                model_id=model_id,
                context_window=CONTEXT_WINDOW_SIZE,
                regenerate=regenerate,
                continuing=continuing,
            )
        except PromptError as error:
            self.hooks.status("engine.error.unknown", "error", detail=str(error))
            return
        self.last_prompt = plan.prompt
        character = self.state.character
        assert character is not None
        view = StreamingReply(self.t, speaker=character.name, avatar=character.avatar)
        if plan.target is not None:
            old = self.view.node_of(plan.target.id)
            if old:
                old.remove()
            if plan.continuing:
                view.add("", plan.target.content.rstrip())  # the rest streams after it
        self.view.root.appendChild(view.node)
        self.view.follow_end()
        self.reply = view
        self.state = chat_state.start_reply(self.state)
        self._settled.clear()
        show_composer_streaming(True)
        try:
            try:
                streamed = await stream_reply(
                    self.engine,
                    plan,
                    view,
                    follow=self.view.follow_end,
                    on_error=self.hooks.engine_error,
                )
            finally:
                self.reply = None
                show_composer_streaming(False)
            step = chat_state.finish_reply(
                self.state,
                plan,
                answer=streamed.answer,
                reasoning=streamed.reasoning,
                usage=streamed.usage,
                outcome=streamed.outcome,
                t=self.t,
            )
            try:
                await self.apply(step, replacing=view.node)
            finally:
                view.node.remove()  # already gone unless the write failed
            if any(isinstance(effect, Store) for effect in step.effects):
                announce(chat_state.reply_announcement(step.state, self.t))
        finally:
            self._settled.set()

    async def settled(self) -> None:
        """Until the last reply is stored (it may still be being written after it streamed)."""
        await self._settled.wait()

    def stop(self) -> None:
        """Stop the reply; the partial text stays (and is saved and logged)."""
        for effect in chat_state.stop(self.state).effects:
            if isinstance(effect, StopReply):
                self.engine.stop()

    def confirm(self, key: str) -> bool:
        """Ask before something that cannot be undone."""
        return bool(window.confirm(self.t(key)))
