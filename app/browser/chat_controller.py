"""Characters, chats and the conversation: what the user came for.

Every message is written to IndexedDB together with its outbox entries in one transaction
before it is shown as sent; the reply streams from the engine with ``<think>`` reasoning split
off as it arrives.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import document, window

from app.browser.character_editor import CharacterEditor
from app.browser.chat_window import ChatWindow
from app.browser.dom import by_id, delegate, element, on, spawn
from app.browser.files import download, read_chosen_file
from app.browser.message_view import StreamingReply, render_message, start_edit
from app.browser.sidebar import Sidebar
from app.conversation import (
    history_for_reply,
    log_entries,
    next_seq,
    preview_line,
    session_title,
    with_preview,
)
from app.engine_errors import EngineError
from app.models import Character, ChatSession, Message, builtin_characters
from app.presets import CONTEXT_WINDOW_SIZE
from app.prompt import (
    DEFAULT_SYSTEM_PROMPT,
    GenerationSettings,
    PromptError,
    build_prompt,
    generation_options,
    greeting_message,
    reply_token_budget,
    supports_thinking,
)
from app.think import ThinkParser

if TYPE_CHECKING:
    from app.account import AccountUser
    from app.browser.controller import Controller
    from app.storage.chat_repo import ChatRepository

__all__ = ["ChatController"]


class ChatController:
    """Owns the selected character, its chats and the open conversation."""

    def __init__(self, engine_side: Controller, repo: ChatRepository, on_enqueued: Any) -> None:
        self.app = engine_side
        self.t = engine_side.t
        self.repo = repo
        self.on_enqueued = on_enqueued
        self.characters: list[Character] = []
        self.character: Character | None = None
        self.session: ChatSession | None = None
        self.messages: list[Message] = []
        self.reply: StreamingReply | None = None
        self._restoring = False
        # Lines of chats whose records keep no preview yet: session id -> (updated_at, line).
        self._previews: dict[str, tuple[str, str]] = {}
        self.view = ChatWindow(self._node)
        self.settings = GenerationSettings()
        self.user_name = "User"
        self.system_prompt = DEFAULT_SYSTEM_PROMPT
        self.sidebar = Sidebar(
            self.t,
            pick_character=self.pick_character,
            pick_session=self.pick_session,
            rename_session=self.rename_session,
            delete_session=self.delete_session,
        )
        self.editor = CharacterEditor(self.t, self.save_character, self.delete_character)
        self._wire()

    # -- set-up ---------------------------------------------------------------------------

    def _wire(self) -> None:
        on(by_id("composer"), "submit", self._on_submit, prevent=True)
        on(by_id("stop"), "click", lambda _e: self.stop())
        on(by_id("prompt"), "keydown", self._on_key)
        on(by_id("new-chat"), "click", lambda _e: self.new_chat())
        on(by_id("new-character"), "click", lambda _e: self.editor.open(None))
        on(by_id("edit-character"), "click", lambda _e: self.editor.open(self.character))
        on(by_id("import-card"), "click", lambda _e: by_id("card-file").click())
        on(by_id("card-file"), "change", self._import_card)
        on(by_id("export-json"), "click", lambda _e: self.export_card("json"))
        on(by_id("export-png"), "click", lambda _e: self.export_card("png"))
        on(by_id("thinking-toggle"), "change", self._toggle_thinking)
        on(document, "visibilitychange", self._on_visible)
        delegate(
            by_id("chat"),
            {
                "prev": lambda mid, _t: self.flip(mid, -1),
                "next": lambda mid, _t: self.flip(mid, 1),
                "regenerate": lambda mid, _t: self.regenerate(mid),
                "edit": self._start_edit,
                "cancel-edit": lambda mid, _t: self._rerender(mid),
                "save-edit": self._save_edit,
                "delete": lambda mid, _t: self.delete_message(mid),
            },
        )
        for button in ("new-chat", "new-character", "import-card"):
            by_id(button).removeAttribute("disabled")

    async def account_changed(self, user: AccountUser | None) -> None:
        """Someone else is signed in (``user``; ``None``: nobody): show their chats only. A
        reply still streaming is stopped first (it is saved to the chat it belongs to)."""
        if self.busy:
            self.stop()
            for _ in range(100):
                if not self.busy:
                    break
                await asyncio.sleep(0.05)
        self.session = None
        self.messages = []
        self.characters = await self.repo.list_characters()
        current = self.character.id if self.character else None
        if not any(c.id == current for c in self.characters):
            current = self.characters[0].id if self.characters else None
            self.character = None
        if current is not None:
            await self.pick_character(current)

    async def restore_from_account(self, account_id: str) -> None:
        """After a login: pull this account's chats from the server, once per browser."""
        flag = f"restored:{account_id}"
        if not account_id or window.localStorage.getItem(flag) or self._restoring:
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
        window.localStorage.setItem(flag, "1")
        if summary.characters or summary.sessions or summary.messages:
            self.characters = await self.repo.list_characters()
            if self.character is None and self.characters:
                await self.pick_character(self.characters[0].id)
                return
            await self._catch_up()
            await self.render_sidebar()

    async def _on_visible(self, _event: Any) -> None:
        if str(document.visibilityState) == "visible":
            await self._catch_up()

    async def start(self) -> None:
        """Load history from IndexedDB (seeding the built-in characters on first run)."""
        stored = await self.repo.get_setting("generation", {})
        self.settings = GenerationSettings.from_dict(stored or {})
        self.user_name = str(await self.repo.get_setting("user_name", "") or "") or "User"
        self.system_prompt = (
            str(await self.repo.get_setting("system_prompt", "") or "") or DEFAULT_SYSTEM_PROMPT
        )
        self.characters = await self.repo.list_characters()
        if not self.characters:
            for character in builtin_characters():
                await self.repo.save_character(character)
            self.characters = await self.repo.list_characters()
        last = await self.repo.get_setting("last_character", None)
        chosen = next(
            (c for c in self.characters if c.id == last),
            self.characters[0] if self.characters else None,
        )
        if chosen:
            await self.pick_character(chosen.id)

    # -- characters and chats ---------------------------------------------------------------

    async def pick_character(self, character_id: str) -> None:
        """Show a character's latest chat (starting one if it has none)."""
        character = next((c for c in self.characters if c.id == character_id), None)
        if character is None or self.busy:
            return
        self.character = character
        await self.repo.set_setting("last_character", character_id)
        sessions = await self.repo.list_sessions(character_id)
        if sessions:
            await self.pick_session(sessions[0].id)
        else:
            await self.new_chat()
        self.sidebar.toggle(False)

    async def new_chat(self) -> None:
        """A new chat that opens with the character's greeting (its alternates as swipes)."""
        if self.character is None or self.busy:
            return
        session = ChatSession.new(
            self.character.id,
            model_id=self.app.engine.model_id or "",
            user_name=self.user_name,
            owner=self.repo.owner.account,
        )
        greeting = greeting_message(self.character, session.id, user_name=self.user_name)
        opening = [greeting] if greeting else []
        await self.repo.save_messages(opening, session=with_preview(session, opening))
        await self.pick_session(session.id)

    async def pick_session(self, session_id: str) -> None:
        """Open a chat."""
        if self.busy:
            return
        sessions = await self.repo.list_sessions(self.character.id if self.character else None)
        session = next((s for s in sessions if s.id == session_id), None)
        if session is None:
            return
        self.session = session
        self.messages = await self.repo.list_messages(session_id)
        self.render_chat()
        self.sidebar.toggle(False)
        await self.render_sidebar(sessions)

    async def render_sidebar(self, sessions: list[ChatSession] | None = None) -> None:
        """Characters, and the selected character's chats with their last message."""
        self.sidebar.user_name = self.user_name
        self.sidebar.characters(self.characters, self.character.id if self.character else None)
        if sessions is None:
            sessions = await self.repo.list_sessions(self.character.id if self.character else None)
        rows = []
        for session in sessions:
            if self.session and session.id == self.session.id:
                line = preview_line(self.messages)
            elif session.preview is not None:
                line = session.preview  # kept with the record: no message read
            else:  # a record from before previews were kept: its messages read once
                known = self._previews.get(session.id)
                if known is None or known[0] != session.updated_at:
                    known = (
                        session.updated_at,
                        preview_line(await self.repo.list_messages(session.id)),
                    )
                    self._previews[session.id] = known
                line = known[1]
            rows.append((session, line))
        self.sidebar.sessions(rows, self.session.id if self.session else None)

    async def rename_session(self, session_id: str) -> None:
        """Ask for a new title."""
        sessions = await self.repo.list_sessions(self.character.id if self.character else None)
        session = next((s for s in sessions if s.id == session_id), None)
        if session is None:
            return
        title = window.prompt(self.t("side.rename_prompt"), session.title)
        if title is None or not str(title).strip():
            return
        renamed = replace(session, title=str(title).strip()[:200]).touched()
        await self.repo.save_session(renamed)
        if self.session and self.session.id == session_id:
            self.session = renamed
            self._render_header()
        await self.render_sidebar()

    async def delete_session(self, session_id: str) -> None:
        """Delete a chat (what was already logged stays on the server)."""
        if self.busy or not window.confirm(self.t("side.delete_confirm")):
            return
        await self.repo.delete_session(session_id)
        if self.session and self.session.id == session_id:
            self.session = None
            remaining = await self.repo.list_sessions(self.character.id if self.character else None)
            if remaining:
                await self.pick_session(remaining[0].id)
                return
            await self.new_chat()
            return
        await self.render_sidebar()

    async def save_character(self, character: Character) -> None:
        """Save from the editor (or an import) and open it."""
        await self.repo.save_character(character)
        self.characters = await self.repo.list_characters()
        if self.character and self.character.id == character.id:
            self.character = character
            self.render_chat()
            await self.render_sidebar()
        else:
            await self.pick_character(character.id)

    async def delete_character(self, character: Character) -> None:
        """Delete a character and its chats."""
        await self.repo.delete_character(character.id)
        self.characters = await self.repo.list_characters()
        self.character = self.session = None
        self.messages = []
        if self.characters:
            await self.pick_character(self.characters[0].id)
        else:
            self.render_chat()
            await self.render_sidebar()

    async def _import_card(self, _event: Any) -> None:
        chosen = await read_chosen_file(by_id("card-file"))
        if chosen is None:
            return
        _name, data = chosen
        from app.cards import CardError, read_card_file  # only needed here: not at start-up

        try:
            character = read_card_file(data)
        except CardError as error:
            self.app.shell.status("character.import_failed", "error", reason=str(error))
            return
        await self.save_character(character)
        self.app.shell.status("character.imported", "imported", name=character.name)

    def export_card(self, kind: str) -> None:
        """Download the character as a V2 card (JSON, or PNG with the card in a tEXt chunk)."""
        if self.character is None:
            return
        from app.cards import avatar_png_bytes, card_to_json, write_png_card

        stem = (
            "".join(
                ch if ch.isalnum() or ch in "-_ " else "_" for ch in self.character.name
            ).strip()
            or "character"
        )
        if kind == "json":
            download(f"{stem}.json", card_to_json(self.character), "application/json")
        else:
            download(
                f"{stem}.png",
                write_png_card(self.character, avatar_png_bytes(self.character)),
                "image/png",
            )

    async def _toggle_thinking(self, _event: Any) -> None:
        if self.session is None:
            return
        self.session = replace(
            self.session, thinking_enabled=bool(by_id("thinking-toggle").checked)
        )
        await self.repo.save_session(self.session)

    # -- rendering --------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A reply is streaming."""
        return self.reply is not None

    def _render_header(self) -> None:
        header = by_id("chat-header")
        header.hidden = self.character is None
        if self.character is None:
            return
        avatar = by_id("chat-avatar")
        avatar.hidden = not self.character.avatar
        if self.character.avatar:
            avatar.src = self.character.avatar
        by_id("chat-name").textContent = self.character.name
        by_id("chat-session-title").textContent = self.session.title if self.session else ""
        self.update_thinking_switch()

    def update_thinking_switch(self) -> None:
        """The thinking toggle shows only for models that can reason (Qwen3)."""
        model = self.app.engine.model_id or ""
        by_id("thinking-switch").hidden = not supports_thinking(model)
        by_id("thinking-toggle").checked = bool(self.session and self.session.thinking_enabled)

    def _node(self, message: Message) -> Any:
        assert self.character is not None
        last = self.messages[-1] if self.messages else None
        return render_message(
            message,
            self.t,
            speaker=self.character.name if message.role == "assistant" else self.user_name,
            avatar=self.character.avatar,
            is_last=message is last and message.role == "assistant" and message.seq > 0,
            busy=self.busy,
        )

    def _show_tail(self, count: int) -> None:
        """Re-render only the last ``count`` messages (appending the new ones)."""
        self.view.tail(self.messages, count)

    def follow_end(self) -> None:
        """Keep the newest text in view."""
        self.view.follow_end()

    def render_chat(self) -> None:
        """The open chat (its newest messages; more render as the user scrolls)."""
        self._render_header()
        if self.character is None:
            self.view.clear(element("p", self.t("chat.pick_character"), classes=("empty",)))
            return
        self.view.show(self.messages)

    def _rerender(self, message_id: str) -> None:
        """Render one message again in place (a swipe, an edit, a cancelled edit)."""
        self.view.rerender(self.messages, message_id)

    def _start_edit(self, message_id: str, _target: Any) -> None:
        message = next((m for m in self.messages if m.id == message_id), None)
        node = self.view.node_of(message_id)
        if message is not None and node:
            start_edit(node, message, self.t)

    def _save_edit(self, message_id: str, target: Any) -> Any:
        area = target.closest("article").querySelector("textarea.edit-text")
        return self.edit(message_id, str(area.value)) if area else None

    # -- the conversation -------------------------------------------------------------------

    def _on_key(self, event: Any) -> None:
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            by_id("composer").requestSubmit()
        elif event.key == "Escape":
            self.stop()

    async def _on_submit(self, _event: Any) -> None:
        prompt = by_id("prompt")
        text = str(prompt.value).strip()
        if not text or self.busy:
            return
        if not self.app.engine.ready:
            self.app.models.open()
            return
        prompt.value = ""
        await self.send(text)

    async def _catch_up(self) -> None:
        """Another tab may have written to this chat: reload it before adding to it."""
        if self.session is None or self.busy:
            return
        session_id = self.session.id
        stored = await self.repo.list_messages(session_id)
        if self.session is None or self.session.id != session_id or self.busy:
            return  # the user opened another chat (or started a reply) meanwhile
        if _shape(stored) != _shape(self.messages):
            self.messages = stored
            self.render_chat()

    async def send(self, text: str) -> None:
        """Store the user's message (with its log entries), show it, stream the reply."""
        if self.character is None or self.session is None:
            return
        await self._catch_up()
        first_turn = not any(m.role == "user" for m in self.messages)
        message = Message.new(self.session.id, "user", text, seq=next_seq(self.messages))
        session = self.session.touched()
        if not session.title:
            session = replace(session, title=session_title(self.character, [message]))
        if not session.model_id:
            session = replace(session, model_id=self.app.engine.model_id or "")
        logged = ([m for m in self.messages if m.role == "assistant"][:1] if first_turn else []) + [
            message
        ]
        entries = log_entries(
            session, self.character, logged, model_id=self.app.engine.model_id or ""
        )
        session = with_preview(session, [*self.messages, message])
        await self.repo.save_messages([message], session=session, outbox=entries)
        self.session = session
        self.messages.append(message)
        self.on_enqueued()
        self._show_tail(2)  # the new message, and the reply before it loses "regenerate"
        by_id("chat-session-title").textContent = session.title
        spawn(self.render_sidebar())
        await asyncio.sleep(0)  # the message paints before the prompt is built
        await self._generate(regenerate=False)

    async def regenerate(self, message_id: str) -> None:
        """Another version of the last reply, kept as a swipe."""
        if self.busy or not self.messages or self.messages[-1].id != message_id:
            return
        if not self.app.engine.ready:
            self.app.models.open()
            return
        await self._catch_up()
        if not self.messages or self.messages[-1].id != message_id:
            return
        await self._generate(regenerate=True)

    async def _generate(self, *, regenerate: bool) -> None:
        assert self.character is not None
        assert self.session is not None
        history, target = history_for_reply(self.messages, regenerate=regenerate)
        model_id = self.app.engine.model_id or ""
        settings = self.settings.merged(
            {"thinking": self.session.thinking_enabled, **self.session.settings}
        )
        try:
            prompt = build_prompt(
                self.character,
                history,
                user_name=self.user_name,
                global_system_prompt=self.system_prompt,
                context_window=CONTEXT_WINDOW_SIZE,
                max_reply_tokens=reply_token_budget(settings, model_id=model_id),
            )
        except PromptError as error:
            self.app.shell.status("engine.error.unknown", "error", detail=str(error))
            return
        options = generation_options(settings, model_id=model_id)
        view = StreamingReply(self.t, speaker=self.character.name, avatar=self.character.avatar)
        if target is not None:
            old = self.view.node_of(target.id)
            if old:
                old.remove()
        self.view.root.appendChild(view.node)
        self.follow_end()
        self.reply = view
        self._composer_streaming(True)
        parser = ThinkParser()
        state, usage = "done", None
        try:
            async for batch in self.app.engine.stream(prompt.messages, options):
                delta = parser.feed(batch.text)
                view.add(delta.reasoning, delta.answer)
                self.follow_end()
                if batch.done:
                    state = "stopped" if batch.finish == "abort" else "done"
                    usage = batch.usage
        except EngineError as error:
            state = "error"
            self.app.show_engine_error(error)
        finally:
            tail = parser.finish()
            view.add(tail.reasoning, tail.answer)
            view.finish(state)
            self.reply = None
            self._composer_streaming(False)
        answer = parser.answer.strip()
        if answer:
            stats = self._stats(usage, state)
            if target is not None:
                reply = target.with_swipe(answer, reasoning=parser.reasoning, stats=stats)
            else:
                reply = Message.new(
                    self.session.id,
                    "assistant",
                    answer,
                    seq=next_seq(self.messages),
                    reasoning=parser.reasoning,
                    stats=stats,
                )
            messages = [m for m in self.messages if m.id != reply.id] + [reply]
            session = with_preview(self.session.touched(), messages)
            entries = log_entries(session, self.character, [reply], model_id=model_id)
            await self.repo.save_messages([reply], session=session, outbox=entries)
            self.session = session
            self.messages = messages
            self.on_enqueued()
        view.node.remove()
        if target is not None and not answer:
            self._show_tail(1)  # nothing new: the version that was there comes back
        else:
            self._show_tail(2)
        spawn(self.render_sidebar())

    def _stats(self, usage: dict[str, Any] | None, state: str) -> dict[str, Any] | None:
        if not usage:
            return {"stopped": True} if state == "stopped" else None
        extra = usage.get("extra") or {}
        decode = float(extra.get("decode_tokens_per_s") or 0)
        prefill = float(extra.get("prefill_tokens_per_s") or 0)
        tokens = int(usage.get("completion_tokens") or 0)
        return {
            "completionTokens": tokens,
            "promptTokens": int(usage.get("prompt_tokens") or 0),
            "decodeTokensPerS": round(decode, 2),
            "prefillTokensPerS": round(prefill, 2),
            "stopped": state == "stopped",
            "label": self.t(
                "engine.stats", decode=f"{decode:.1f}", prefill=f"{prefill:.1f}", tokens=tokens
            ),
        }

    def _composer_streaming(self, streaming: bool) -> None:
        by_id("send").hidden = streaming
        by_id("stop").hidden = not streaming

    def stop(self) -> None:
        """Stop the reply; the partial text stays (and is saved and logged)."""
        if self.reply is not None:
            self.app.engine.stop()

    async def flip(self, message_id: str, step: int) -> None:
        """Show another version of a message."""
        index = next((i for i, m in enumerate(self.messages) if m.id == message_id), None)
        if index is None or self.busy:
            return
        flipped = self.messages[index].flipped(step)
        self.messages[index] = flipped
        await self.repo.save_messages([flipped], session=self._previewed())
        self._rerender(flipped.id)

    async def edit(self, message_id: str, text: str) -> None:
        """Replace the shown version's text; the edit is logged as its own entry."""
        index = next((i for i, m in enumerate(self.messages) if m.id == message_id), None)
        if index is None or self.busy or self.character is None or self.session is None:
            return
        edited = self.messages[index].edited(text.strip())
        entries = log_entries(
            self.session,
            self.character,
            [edited],
            model_id=self.app.engine.model_id or "",
            edited=True,
        )
        self.messages[index] = edited
        await self.repo.save_messages([edited], session=self._previewed(), outbox=entries)
        self.on_enqueued()
        self._rerender(edited.id)

    async def delete_message(self, message_id: str) -> None:
        """Delete a message from the local history."""
        if self.busy or not window.confirm(self.t("chat.delete_confirm")):
            return
        self.messages = [m for m in self.messages if m.id != message_id]
        await self.repo.delete_message(message_id, session=self._previewed())
        self.view.forget(self.messages, message_id)
        await self.render_sidebar()

    def _previewed(self) -> ChatSession | None:
        """The open chat's record, now with the preview of its messages (None: no chat)."""
        if self.session is not None:
            self.session = with_preview(self.session, self.messages)
        return self.session

    def relabel(self) -> None:
        """Re-render in the current language."""
        self.render_chat()


def _shape(messages: list[Message]) -> list[tuple[str, int, int, int]]:
    """Enough to tell whether another tab changed a chat, without comparing whole texts."""
    return [(m.id, m.swipe_index, len(m.swipes), len(m.content)) for m in messages]
