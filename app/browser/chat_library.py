"""Characters and their chats: which conversation is open, the chat list, the editor.

What a chat shows and does once open is ``app/browser/conversation.py``; this module decides
only which one that is, and keeps the sidebar's list of characters and chats.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import window

from app import chat_state
from app.browser import card_files, card_import
from app.browser.character_editor import CharacterEditor
from app.browser.sidebar import Sidebar
from app.conversation import preview_line, with_preview
from app.models import Character, ChatSession, retranslated_builtins
from app.prompt import greeting_message

if TYPE_CHECKING:
    from app.browser.conversation import Conversation
    from app.browser.engine import Engine
    from app.browser.shell import Shell
    from app.storage.chat_repo import ChatRepository

__all__ = ["ChatLibrary"]


class ChatLibrary:
    """The characters, the selected one's chats, and opening one of them in ``talk``."""

    def __init__(
        self, shell: Shell, engine: Engine, repo: ChatRepository, talk: Conversation
    ) -> None:
        self.shell = shell
        self.t = shell.t
        self.engine = engine
        self.repo = repo
        self.talk = talk
        self.characters: list[Character] = []
        # Lines of chats whose records keep no preview yet: session id -> (updated_at, line).
        self._previews: dict[str, tuple[str, str]] = {}
        self.sidebar = Sidebar(
            self.t,
            pick_character=self.pick_character,
            pick_session=self.pick_session,
            rename_session=self.rename_session,
            delete_session=self.delete_session,
        )
        self.editor = CharacterEditor(self.t, self.save_character, self.delete_character)

    @property
    def character(self) -> Character | None:
        """The selected character."""
        return self.talk.state.character

    @property
    def session(self) -> ChatSession | None:
        """The open chat's record."""
        return self.talk.state.session

    async def reload(self) -> None:
        """The characters as IndexedDB has them now."""
        self.characters = await self.repo.list_characters()

    async def _sessions(self) -> list[ChatSession]:
        return await self.repo.list_sessions(self.character.id if self.character else None)

    async def pick_character(self, character_id: str) -> None:
        """Show a character's latest chat (starting one if it has none)."""
        character = next((c for c in self.characters if c.id == character_id), None)
        if character is None or self.talk.busy:
            return
        self.talk.state = replace(self.talk.state, character=character)
        await self.repo.set_setting("last_character", character_id)
        sessions = await self.repo.list_sessions(character_id)
        if sessions:
            await self.pick_session(sessions[0].id)
        else:
            await self.new_chat()
        self.sidebar.toggle(False)

    async def new_chat(self) -> None:
        """A new chat that opens with the character's greeting (its alternates as swipes)."""
        if self.character is None or self.talk.busy:
            return
        fresh = replace(self.talk.state, session=None)  # a new chat: the character's or default
        user_name = chat_state.persona_of(fresh, self.talk.prefs).name
        session = ChatSession.new(
            self.character.id,
            model_id=self.engine.model_id or "",
            user_name=user_name,
            owner=self.repo.owner.account,
        )
        greeting = greeting_message(self.character, session.id, user_name=user_name)
        opening = [greeting] if greeting else []
        await self.repo.save_messages(opening, session=with_preview(session, opening))
        await self.pick_session(session.id)

    async def pick_session(self, session_id: str) -> None:
        """Open a chat."""
        if self.talk.busy:
            return
        session = next((s for s in await self._sessions() if s.id == session_id), None)
        if session is None:
            return
        messages = await self.repo.list_messages(session_id)
        await self.talk.apply(chat_state.open_chat(self.talk.state, session, messages))
        self.sidebar.toggle(False)

    async def render_sidebar(self) -> None:
        """Characters, and the selected character's chats with their last message."""
        self.sidebar.user_name = self.talk.prefs.user_name
        self.sidebar.characters(self.characters, self.character.id if self.character else None)
        rows = []
        for session in await self._sessions():
            if self.session and session.id == self.session.id:
                line = preview_line(self.talk.state.messages)
            elif session.preview is not None:
                line = session.preview  # kept with the record: no message read
            else:  # a record from before previews were kept: its messages read once
                known = self._previews.get(session.id)
                if known is None or known[0] != session.updated_at:
                    stored = await self.repo.list_messages(session.id)
                    known = (session.updated_at, preview_line(stored))
                    self._previews[session.id] = known
                line = known[1]
            rows.append((session, line))
        self.sidebar.sessions(rows, self.session.id if self.session else None)

    async def rename_session(self, session_id: str) -> None:
        """Ask for a new title."""
        session = next((s for s in await self._sessions() if s.id == session_id), None)
        if session is None:
            return
        title = window.prompt(self.t("side.rename_prompt"), session.title)
        if title is None or not str(title).strip():
            return
        renamed = replace(session, title=str(title).strip()[:200]).touched()
        await self.repo.save_session(renamed)
        if self.session and self.session.id == session_id:
            self.talk.state = replace(self.talk.state, session=renamed)
            self.talk.render()
        await self.render_sidebar()

    async def delete_session(self, session_id: str) -> None:
        """Delete a chat (what was already logged stays on the server)."""
        if self.talk.busy or not self.talk.confirm("side.delete_confirm"):
            return
        await self.repo.delete_session(session_id)
        if not (self.session and self.session.id == session_id):
            await self.render_sidebar()
            return
        self.talk.state = chat_state.ChatState(character=self.character)
        remaining = await self._sessions()
        if remaining:
            await self.pick_session(remaining[0].id)
        else:
            await self.new_chat()

    async def retranslate(self, lang: str) -> None:
        """The built-in characters the user left as they came, written again in ``lang``."""
        changed = retranslated_builtins(self.characters, lang)
        for character in changed:
            await self.repo.save_character(character)
        if not changed:
            return
        self.characters = await self.repo.list_characters()
        shown = self.character
        fresh = next((c for c in changed if shown and c.id == shown.id), None)
        if fresh is not None:
            self.talk.state = replace(self.talk.state, character=fresh)

    async def save_character(self, character: Character) -> None:
        """Save from the editor (or an import) and open it."""
        await self.repo.save_character(character)
        self.characters = await self.repo.list_characters()
        if self.character and self.character.id == character.id:
            self.talk.state = replace(self.talk.state, character=character)
            self.talk.render()
            await self.render_sidebar()
        else:
            await self.pick_character(character.id)

    async def delete_character(self, character: Character) -> None:
        """Delete a character and its chats."""
        await self.repo.delete_character(character.id)
        self.characters = await self.repo.list_characters()
        self.talk.state = chat_state.ChatState()
        if self.characters:
            await self.pick_character(self.characters[0].id)
        else:
            self.talk.render()
            await self.render_sidebar()

    async def import_card(self, file_input: Any) -> None:
        """The card the user chose, saved and opened; what had to change in it is listed, and
        a card that is already here is replaced or kept beside it, as the user says."""
        imported = await card_files.import_chosen(file_input, self.shell)
        if imported is None:
            return
        from app.cards import as_replacement, find_duplicate

        character = imported.character
        twin = find_duplicate(character, self.characters)
        if twin is not None:
            answer = await card_import.ask_duplicate(self.t, twin.name)
            if answer == "cancel":
                return
            if answer == "replace":
                character = as_replacement(character, twin)
        await self.save_character(character)
        card_import.show_notes(self.t, self.shell.lang, character.name, imported.notes)
        self.shell.status("character.imported", "imported", name=character.name)
