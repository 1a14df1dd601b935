"""The world-info sheet: the character's own lorebook and the user's world books, their
entries edited one form each, SillyTavern world files imported and exported.

The form's rules are ``app/lore_form.py``, the books' ``app/worldinfo``; a card's book is kept
in the card (``character_book``), world books in the settings store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import window

from app import lore_form
from app.browser.chat_prefs import save_worlds
from app.browser.chat_sheet import ChatSheet, SheetDeps
from app.browser.dom import by_id, delegate, element, on, show_notice
from app.browser.files import download_json, read_chosen_json
from app.browser.lore_entry_view import entry_node, form_values

if TYPE_CHECKING:
    from app.worldinfo import Lorebook

__all__ = ["LorePanel"]

CARD = "card:"
"""The book key of the open character's own lorebook."""


class LorePanel(ChatSheet):
    """``#lore-dialog``; ``on_change`` runs after a book was saved, added or removed."""

    def __init__(self, deps: SheetDeps, on_change: Callable[[], Awaitable[None]]) -> None:
        super().__init__(deps, "lore-dialog")
        self._on_change = on_change
        self._key = CARD
        self._book: Lorebook | None = None
        on(by_id("lore-book"), "change", lambda _e: self._choose(str(by_id("lore-book").value)))
        on(by_id("lore-add-entry"), "click", lambda _e: self._add())
        on(by_id("lore-save"), "click", lambda _e: self._save())
        on(by_id("lore-new-book"), "click", lambda _e: self._new_book())
        on(by_id("lore-delete-book"), "click", lambda _e: self._delete_book())
        on(by_id("lore-export"), "click", lambda _e: self._export())
        on(by_id("lore-import"), "change", lambda _e: self._import())
        delegate(by_id("lore-entries"), {"delete-entry": lambda uid, _t: self._remove(int(uid))})

    # -- books ----------------------------------------------------------------------------

    async def open(self) -> None:
        """Show the open character's book (or the first world) and the list of books."""
        self._message(None)
        self._choose(self._key if self._key in self._keys() else CARD)
        if not self.dialog.open:
            self.dialog.showModal()

    def _keys(self) -> list[str]:
        return [CARD, *self.talk.prefs.worlds]

    def _stored(self, key: str) -> Lorebook:
        from app.worldinfo import Lorebook, character_lorebook

        if key == CARD:
            character = self.talk.state.character
            own = character_lorebook(character) if character else None
            return own or Lorebook(name=character.name if character else "")
        return self.talk.prefs.worlds.get(key) or Lorebook(name=key)

    def _choose(self, key: str) -> None:
        self._key, self._book = key, self._stored(key)
        character = self.talk.state.character
        select = by_id("lore-book")
        select.replaceChildren()
        own = self.t("lore.card_book", name=character.name if character else "?")
        for option_key in self._keys():
            label = own if option_key == CARD else option_key
            select.appendChild(element("option", label, value=option_key))
        select.value = key
        by_id("lore-delete-book").disabled = key == CARD
        self._render()

    # -- entries --------------------------------------------------------------------------

    def _book_controls(self) -> list[Any]:
        return list(by_id("lore-settings").querySelectorAll("[data-book]"))

    def _render(self) -> None:
        assert self._book is not None
        values = lore_form.book_fields(self._book)
        for control in self._book_controls():
            value = values[str(control.getAttribute("data-book"))]
            if isinstance(value, bool):
                control.checked = value
            else:
                control.value = value
        listing = by_id("lore-entries")
        listing.replaceChildren()
        assert self._book is not None
        for entry in self._book.entries:
            listing.appendChild(entry_node(self.t, entry))
        if not self._book.entries:
            listing.appendChild(element("li", self.t("lore.empty"), classes=("empty",)))

    def _edited(self) -> Lorebook:
        """The book with what every entry's form says now."""
        assert self._book is not None
        forms = {str(node.getAttribute("data-id")): node for node in by_id("lore-entries").children}
        entries = []
        for entry in self._book.entries:
            node = forms.get(str(entry.uid))
            if node is None:
                entries.append(entry)
                continue
            values = form_values(node)
            entries.append(lore_form.entry_from_fields(values, entry))
        settings: dict[str, object] = {}
        for control in self._book_controls():
            is_box = str(control.type) == "checkbox"
            settings[str(control.getAttribute("data-book"))] = (
                bool(control.checked) if is_box else str(control.value)
            )
        book = lore_form.book_from_fields(settings, self._book)
        return replace(book, entries=tuple(entries))

    def _add(self) -> None:
        self._book = lore_form.added_entry(self._edited())
        self._render()

    def _remove(self, uid: int) -> None:
        self._book = lore_form.without_entry(self._edited(), uid)
        self._render()

    # -- keeping --------------------------------------------------------------------------

    def _message(self, text: str | None, *, error: bool = False) -> None:
        show_notice("lore-message", text, error=error)

    async def _save(self) -> None:
        book = self._edited()
        self._book = book
        if self._key == CARD:
            character = self.talk.state.character
            if character is None:
                return
            from app.worldinfo import lorebook_to_card_book

            extra = {**character.card_extra, "character_book": lorebook_to_card_book(book)}
            await self.library.save_character(replace(character, card_extra=extra))
        else:
            await self._keep_worlds({**self.talk.prefs.worlds, self._key: book})
        self._message(self.t("lore.saved", count=len(book.entries)))
        await self._on_change()

    async def _keep_worlds(self, worlds: dict[str, Lorebook]) -> None:
        self.talk.prefs = replace(self.talk.prefs, worlds=worlds)
        await save_worlds(self.repo, worlds)

    async def _new_book(self) -> None:
        from app.worldinfo import Lorebook

        typed = window.prompt(self.t("lore.new_book_name"), "")
        if typed is None:
            return
        name = lore_form.world_name(str(typed), self.talk.prefs.worlds)
        await self._keep_worlds({**self.talk.prefs.worlds, name: Lorebook(name=name)})
        self._choose(name)
        await self._on_change()

    async def _delete_book(self) -> None:
        if self._key == CARD or not window.confirm(self.t("lore.delete_confirm", name=self._key)):
            return
        await self._keep_worlds({k: v for k, v in self.talk.prefs.worlds.items() if k != self._key})
        self._choose(CARD)
        await self._on_change()

    def _export(self) -> None:
        from app.browser.card_files import file_stem
        from app.worldinfo import lorebook_to_world_json

        book = self._edited()
        download_json(f"{file_stem(book.name or 'world')}.json", lorebook_to_world_json(book))

    async def _import(self) -> None:
        from app.worldinfo import lorebook_from_world_json

        try:
            chosen = await read_chosen_json(by_id("lore-import"))
        except ValueError as error:
            self._message(self.t("lore.import_failed", reason=str(error)), error=True)
            return
        if chosen is None:
            return
        filename, data = chosen
        stem = filename.rsplit(".", 1)[0]
        name = lore_form.world_name(stem, self.talk.prefs.worlds)
        book = replace(lorebook_from_world_json(data, name=name), name=name)
        await self._keep_worlds({**self.talk.prefs.worlds, name: book})
        self._choose(name)
        self._message(
            self.t("lore.imported", name=name, count=len(book.entries), notes=len(book.notes))
        )
        await self._on_change()
