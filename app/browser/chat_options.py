"""The chat options sheet: the persona, the author's note and the world-info books of the open
chat and its character; from it the personas, the world-info editor and the last prompt.

What the choices mean is ``app/chat_state.py`` (``set_chat_options``, ``persona_of``,
``lorebooks_of``); this fills the form and saves what it says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app import chat_state
from app.browser.chat_prefs import save_personas
from app.browser.chat_sheet import ChatSheet, SheetDeps
from app.browser.dom import by_id, element, on, spawn

if TYPE_CHECKING:
    from app.browser.chat_library import ChatLibrary
    from app.browser.conversation import Conversation
    from app.i18n import Translate
    from app.storage.chat_repo import ChatRepository

__all__ = ["ChatOptions", "chat_sheets"]


def _fill_select(select: Any, choices: list[tuple[str, str]], value: str) -> None:
    select.replaceChildren()
    for key, label in choices:
        option = element("option", label, value=key)
        select.appendChild(option)
    select.value = value if any(key == value for key, _ in choices) else ""


class ChatOptions(ChatSheet):
    """``#options-dialog`` for the open chat."""

    def __init__(
        self,
        deps: SheetDeps,
        *,
        open_personas: Callable[[], Awaitable[None]],
        open_lore: Callable[[], Awaitable[None]],
        open_prompt: Callable[[], None],
    ) -> None:
        super().__init__(deps, "options-dialog")
        self.form = by_id("options-form")
        on(by_id("chat-options"), "click", lambda _e: self.open())
        on(self.form, "submit", self._submit)
        on(by_id("open-personas"), "click", lambda _e: open_personas())
        on(by_id("open-lore"), "click", lambda _e: open_lore())
        on(by_id("open-prompt"), "click", lambda _e: open_prompt())

    def _field(self, name: str) -> Any:
        return self.form.elements.namedItem(name)

    def open(self) -> None:
        """Fill the form from the open chat and show it."""
        state = self.talk.state
        if state.session is None or state.character is None:
            return
        self.refill()
        self._field("author_note").value = state.session.author_note
        self._field("author_note_depth").value = str(state.session.author_note_depth)
        if not self.dialog.open:
            self.dialog.showModal()

    def refill(self) -> None:
        """The choices again (after personas or books changed), keeping the chosen ones."""
        state, prefs = self.talk.state, self.talk.prefs
        if state.session is None or state.character is None:
            return
        personas = [(p.id, p.name) for p in prefs.personas.personas]
        links = prefs.personas.by_character
        _fill_select(
            self._field("persona_chat"),
            [("", self.t("options.persona_inherit")), *personas],
            state.session.persona_id,
        )
        _fill_select(
            self._field("persona_character"),
            [("", self.t("options.persona_default")), *personas],
            links.get(state.character.id, ""),
        )
        worlds = [("", self.t("options.world_none")), *((n, n) for n in prefs.worlds)]
        linked = state.character.extensions.get("world")
        _fill_select(
            self._field("world_character"), worlds, linked if isinstance(linked, str) else ""
        )
        _fill_select(self._field("world_chat"), worlds, state.session.lorebook)
        self._hints()

    def _hints(self) -> None:
        character = self.talk.state.character
        assert character is not None
        from app.worldinfo import character_lorebook

        own = character_lorebook(character)
        count = len(own.entries) if own else 0
        by_id("options-card-book").textContent = (
            self.t("options.card_book", name=character.name, count=count)
            if count
            else self.t("options.no_card_book", name=character.name)
        )
        note = character.extensions.get("depth_prompt")
        prompt = note.get("prompt") if isinstance(note, dict) else None
        by_id("options-card-note").textContent = (
            self.t("options.card_note", text=str(prompt)[:200]) if prompt else ""
        )

    def _submit(self, event: Any) -> None:
        """Cancel closes at once; Save is kept, then the dialog closes."""
        event.preventDefault()
        submitter = getattr(event, "submitter", None)
        if submitter is not None and str(submitter.value) == "cancel":
            self.dialog.close()
            return
        spawn(self._save())

    async def _save(self) -> None:
        await self._save_character_choices()
        try:
            depth = int(str(self._field("author_note_depth").value or 4))
        except ValueError:
            depth = 4
        step = chat_state.set_chat_options(
            self.talk.state,
            persona_id=str(self._field("persona_chat").value),
            lorebook=str(self._field("world_chat").value),
            author_note=str(self._field("author_note").value),
            author_note_depth=depth,
        )
        self.dialog.close()
        await self.talk.apply(step)
        self.talk.render()

    async def _save_character_choices(self) -> None:
        """The persona and the world chosen for the character (kept beyond this chat)."""
        character = self.talk.state.character
        assert character is not None
        prefs = self.talk.prefs
        book = prefs.personas.chosen_for(character.id, str(self._field("persona_character").value))
        if book != prefs.personas:
            self.talk.prefs = replace(prefs, personas=book)
            await save_personas(self.repo, book)
        world = str(self._field("world_character").value)
        if world != (character.extensions.get("world") or ""):
            extensions = {k: v for k, v in character.extensions.items() if k != "world"}
            changed = replace(
                character, extensions={**extensions, **({"world": world} if world else {})}
            )
            await self.library.save_character(changed)


def chat_sheets(
    t: Translate, talk: Conversation, library: ChatLibrary, repo: ChatRepository
) -> ChatOptions:
    """The chat options sheet with the sheets it opens: personas, world info, the prompt."""
    from app.browser.lore_panel import LorePanel
    from app.browser.persona_panel import PersonaPanel
    from app.browser.prompt_inspector import show_prompt

    options: ChatOptions | None = None

    async def changed() -> None:
        """Personas or world books changed: the options sheet and the chat show them."""
        if options is not None and options.dialog.open:
            options.refill()
        talk.render()

    deps = SheetDeps(t, talk, library, repo)
    personas = PersonaPanel(deps, changed)
    lore = LorePanel(deps, changed)
    options = ChatOptions(
        deps,
        open_personas=personas.open,
        open_lore=lore.open,
        open_prompt=lambda: show_prompt(t, talk.last_prompt, lang=library.shell.lang),
    )
    return options
