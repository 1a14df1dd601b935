"""The chat side of the page: the composer, a message's buttons, the open chat's switches.

Each is wired to a step of ``app/chat_state.py`` that ``app/browser/conversation.py``
performs; which chat is open, and the sidebar, are ``app/browser/chat_library.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyscript import document, window

from app import chat_state, preferences
from app.browser import card_files, card_import, chat_files, prefs
from app.browser.chat_library import ChatLibrary
from app.browser.chat_options import chat_sheets
from app.browser.chat_prefs import load_preferences
from app.browser.conversation import Conversation, Hooks
from app.browser.dom import by_id, delegate, on, spawn
from app.browser.impersonate import impersonate
from app.browser.message_actions import message_actions
from app.engine_errors import EngineError
from app.models import builtin_characters

if TYPE_CHECKING:
    from app.account import AccountUser
    from app.browser.engine import Engine
    from app.browser.shell import Shell
    from app.storage.chat_repo import ChatRepository

__all__ = ["ChatController"]


class ChatController:
    """Owns the open conversation (``talk``) and the characters and chats (``library``)."""

    def __init__(
        self,
        shell: Shell,
        engine: Engine,
        repo: ChatRepository,
        *,
        need_model: Callable[[], None],
        engine_error: Callable[[EngineError], None],
        enqueued: Callable[[], None],
    ) -> None:
        self.shell, self.t, self.engine, self.repo = shell, shell.t, engine, repo
        hooks = Hooks(
            t=shell.t,
            status=shell.status,
            engine_error=engine_error,
            need_model=need_model,
            enqueued=enqueued,
            sidebar=lambda: self.library.render_sidebar(),
        )
        self.talk = Conversation(repo, engine, hooks)
        self.library = ChatLibrary(shell, engine, repo, self.talk)
        self.options = chat_sheets(self.t, self.talk, self.library, repo)
        self._restoring = False
        self._wire()

    # -- set-up ---------------------------------------------------------------------------

    def _wire(self) -> None:
        talk, lib = self.talk, self.library
        on(by_id("composer"), "submit", self._on_submit, prevent=True)
        on(by_id("stop"), "click", lambda _e: talk.stop())
        on(by_id("impersonate"), "click", lambda _e: impersonate(talk))
        on(by_id("prompt"), "keydown", self._on_key)
        on(by_id("new-chat"), "click", lambda _e: lib.new_chat())
        on(by_id("import-chat"), "click", lambda _e: by_id("chat-file").click())
        on(by_id("chat-file"), "change", lambda _e: chat_files.import_chat(lib))
        on(by_id("export-chat"), "click", lambda _e: chat_files.export_chat(lib))
        on(by_id("new-character"), "click", lambda _e: lib.editor.open(None))
        on(by_id("edit-character"), "click", lambda _e: lib.editor.open(lib.character))
        on(by_id("import-card"), "click", lambda _e: by_id("card-file").click())
        on(by_id("card-file"), "change", lambda _e: lib.import_card(by_id("card-file")))
        for kind in ("json", "png", "charx"):
            on(by_id(f"export-{kind}"), "click", self._exporter(kind))
        card_import.wire()
        on(by_id("thinking-toggle"), "change", self._toggle_thinking)
        on(document, "visibilitychange", self._on_visible)
        delegate(by_id("chat"), message_actions(self.talk, self.engine, self.t))
        for button in ("new-chat", "new-character", "import-card", "chat-options", "import-chat"):
            by_id(button).removeAttribute("disabled")

    def _exporter(self, kind: str) -> Callable[[Any], None]:
        return lambda _event: card_files.export(self.library.character, kind)

    async def start(self) -> None:
        """Load history from IndexedDB (seeding the built-in characters on first run)."""
        self.talk.prefs = await load_preferences(self.repo)
        lib = self.library
        await lib.reload()
        if not lib.characters:
            for character in builtin_characters(self.shell.lang):
                await self.repo.save_character(character)
            await lib.reload()
        await lib.retranslate(self.shell.lang)
        last = await self.repo.get_setting("last_character", None)
        chosen = next((c for c in lib.characters if c.id == last), None)
        if chosen or lib.characters:
            await lib.pick_character((chosen or lib.characters[0]).id)

    async def account_changed(self, user: AccountUser | None) -> None:
        """Someone else is signed in (``user``; ``None``: nobody): show their chats only. A
        reply still streaming is stopped first (it is saved to the chat it belongs to)."""
        if self.talk.busy:
            self.talk.stop()
            for _ in range(100):
                if not self.talk.busy:
                    break
                await asyncio.sleep(0.05)
        lib = self.library
        current = lib.character.id if lib.character else None
        self.talk.state = chat_state.ChatState(character=lib.character)
        await lib.reload()
        if not any(c.id == current for c in lib.characters):
            current = lib.characters[0].id if lib.characters else None
            self.talk.state = chat_state.ChatState()
        if current is not None:
            await lib.pick_character(current)

    async def restore_from_account(self, account_id: str) -> None:
        """After a login: pull this account's chats from the server, once per browser."""
        flag = preferences.restored_key(account_id)
        if not account_id or prefs.get(flag) or self._restoring:
            return
        from app.browser.restore import restore_history

        self._restoring = True
        try:
            summary = await restore_history(self.repo)
        finally:
            self._restoring = False
        if summary.error:
            window.console.warn(f"history restore stopped: {summary.error}")
            return
        prefs.put(flag, "1")
        if summary.characters or summary.sessions or summary.messages:
            lib = self.library
            await lib.reload()
            if lib.character is None and lib.characters:
                await lib.pick_character(lib.characters[0].id)
                return
            await self.talk.catch_up()
            await lib.render_sidebar()

    async def _on_visible(self, _event: Any) -> None:
        if str(document.visibilityState) == "visible":
            await self.talk.catch_up()

    async def _toggle_thinking(self, _event: Any) -> None:
        enabled = bool(by_id("thinking-toggle").checked)
        await self.talk.apply(chat_state.toggle_thinking(self.talk.state, enabled))

    # -- the composer and edits -----------------------------------------------------------

    def _on_key(self, event: Any) -> None:
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            by_id("composer").requestSubmit()
        elif event.key == "Escape":
            self.talk.stop()

    async def _on_submit(self, _event: Any) -> None:
        prompt = by_id("prompt")
        text = str(prompt.value).strip()
        if not text or self.talk.reply is not None:  # while a reply streams, Enter waits
            return
        await self.talk.settled()  # a reply that just ended is stored before the next turn
        if not self.engine.ready:
            self.talk.hooks.need_model()
            return
        prompt.value = ""
        model_id = self.engine.model_id or ""
        await self.talk.turn(
            lambda s: chat_state.send(s, text, model_id=model_id), needs_model=False
        )

    def update_thinking_switch(self) -> None:
        """The thinking toggle (after the model changed)."""
        self.talk.update_thinking_switch()

    def stop(self) -> None:
        """Stop a reply in progress (the engine is moving to another tab)."""
        self.talk.stop()

    def relabel(self) -> None:
        """Re-render in the current language (the built-in characters too)."""
        self.talk.render()
        spawn(self._retranslate())

    async def _retranslate(self) -> None:
        await self.library.retranslate(self.shell.lang)
        self.talk.render()
        await self.library.render_sidebar()
