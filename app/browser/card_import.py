"""Importing a card in the page: what was changed to keep it, and a card that is already here.

The decisions are ``app/cards.py``'s (lenient reading with notes, ``find_duplicate``,
``as_replacement``); this shows the notes and asks "replace or keep both".
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from app.browser.dom import by_id, element, on

if TYPE_CHECKING:
    from app.cards import CardNote
    from app.i18n import Translate

__all__ = ["ask_duplicate", "hide_notes", "show_notes"]

_answer: asyncio.Future[str] | None = None


def _closed(_event: Any) -> None:
    if _answer is not None and not _answer.done():
        _answer.set_result(str(by_id("duplicate-dialog").returnValue or "cancel"))


def wire() -> None:
    """Listen once to the dialog and the notes' close button (the page's fixed wiring)."""
    on(by_id("duplicate-dialog"), "close", _closed)
    on(by_id("card-notes-close"), "click", lambda _e: hide_notes())


async def ask_duplicate(t: Translate, name: str) -> str:
    """``"replace"``, ``"both"`` or ``"cancel"``: what to do with a card stored as ``name``."""
    global _answer
    dialog = by_id("duplicate-dialog")
    by_id("duplicate-text").textContent = t("card.duplicate_text", name=name)
    dialog.returnValue = ""
    _answer = asyncio.get_running_loop().create_future()
    dialog.showModal()
    return await _answer


def show_notes(t: Translate, lang: str, name: str, notes: tuple[CardNote, ...]) -> None:
    """List what had to change in ``name``'s card to import it (hidden when nothing did)."""
    panel = by_id("card-notes")
    if not notes:
        hide_notes()
        return
    by_id("card-notes-title").textContent = t("card.notes_title", name=name, count=len(notes))
    listing = by_id("card-notes-list")
    listing.replaceChildren()
    for note in notes:
        listing.appendChild(element("li", note.say(lang), data_field=note.field))
    panel.hidden = False


def hide_notes() -> None:
    """Close the notes of the last import."""
    by_id("card-notes").hidden = True
