"""The personas sheet: who the user can be (name, description, picture), and the default.

The rules are ``app/personas.py``; this lists the personas, edits one at a time and keeps the
book in the settings store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.browser.character_editor import avatar_data_url
from app.browser.chat_prefs import save_personas
from app.browser.chat_sheet import ChatSheet, SheetDeps
from app.browser.dom import by_id, delegate, element, on
from app.browser.files import read_chosen_file
from app.personas import Persona

if TYPE_CHECKING:
    pass

__all__ = ["PersonaPanel"]

_MAX_AVATAR = 2 * 1024 * 1024


class PersonaPanel(ChatSheet):
    """``#personas-dialog``; ``on_change`` runs after the book changed."""

    def __init__(self, deps: SheetDeps, on_change: Callable[[], Awaitable[None]]) -> None:
        super().__init__(deps, "personas-dialog")
        self._on_change = on_change
        self.form = by_id("personas-form")
        self._editing: Persona | None = None
        on(
            by_id("persona-new"),
            "click",
            lambda _e: self._edit(Persona.new(self.t("personas.new_name"))),
        )
        on(by_id("persona-save"), "click", lambda _e: self._save())
        on(by_id("persona-delete"), "click", lambda _e: self._delete())
        on(by_id("persona-avatar"), "change", self._avatar_chosen)
        delegate(by_id("persona-list"), {"edit-persona": lambda pid, _t: self._pick(pid)})

    def _field(self, name: str) -> Any:
        return self.form.elements.namedItem(name)

    async def open(self) -> None:
        """List the personas and show the sheet."""
        self._editing = None
        by_id("persona-editor").hidden = True
        self._list()
        if not self.dialog.open:
            self.dialog.showModal()

    def _list(self) -> None:
        book = self.talk.prefs.personas
        listing = by_id("persona-list")
        listing.replaceChildren()
        for persona in book.personas:
            row = element("li", data_id=persona.id)
            label = persona.name
            if persona.id == book.default_id:
                label = f"{label} · {self.t('personas.is_default')}"
            row.appendChild(element("button", label, type="button", data_action="edit-persona"))
            listing.appendChild(row)
        if not book.personas:
            listing.appendChild(element("li", self.t("personas.none"), classes=("empty",)))

    def _pick(self, persona_id: str) -> None:
        persona = self.talk.prefs.personas.get(persona_id)
        if persona is not None:
            self._edit(persona)

    def _edit(self, persona: Persona) -> None:
        self._editing = persona
        by_id("persona-editor").hidden = False
        self._field("persona_name").value = persona.name
        self._field("persona_description").value = persona.description
        book = self.talk.prefs.personas
        self._field("persona_default").checked = persona.id == book.default_id or not book.personas
        self._show_avatar(persona.avatar)
        self._field("persona_name").focus()

    def _show_avatar(self, url: str) -> None:
        preview = by_id("persona-avatar-preview")
        preview.hidden = not url
        if url:
            preview.src = url

    async def _avatar_chosen(self, _event: Any) -> None:
        chosen = await read_chosen_file(by_id("persona-avatar"))
        if chosen is None or self._editing is None:
            return
        url = avatar_data_url(chosen[1]) if len(chosen[1]) <= _MAX_AVATAR else None
        if url is not None:
            self._editing = replace(self._editing, avatar=url)
            self._show_avatar(url)

    async def _keep(self, book: Any) -> None:
        self.talk.prefs = replace(self.talk.prefs, personas=book)
        await save_personas(self.repo, book)
        self._list()
        await self._on_change()

    async def _save(self) -> None:
        if self._editing is None:
            return
        name = str(self._field("persona_name").value).strip()[:60]
        if not name:
            self._field("persona_name").focus()
            return
        persona = replace(
            self._editing, name=name, description=str(self._field("persona_description").value)
        )
        default = bool(self._field("persona_default").checked)
        await self._keep(self.talk.prefs.personas.saved(persona, default=default))
        self._editing = persona

    async def _delete(self) -> None:
        if self._editing is None:
            return
        from pyscript import window

        if not window.confirm(self.t("personas.delete_confirm", name=self._editing.name)):
            return
        book = self.talk.prefs.personas.removed(self._editing.id)
        self._editing = None
        by_id("persona-editor").hidden = True
        await self._keep(book)
