"""Character cards in and out of the page: the file picker and downloads.

The card formats themselves (V2/V3 JSON, PNG chunks) are ``app/cards.py``, imported on first
use: start-up never needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.browser.files import download, read_chosen_file

if TYPE_CHECKING:
    from app.browser.shell import Shell
    from app.models import Character

__all__ = ["export", "file_stem", "import_chosen"]


def file_stem(name: str) -> str:
    """A file name from a character's name (``character`` when nothing usable is left)."""
    stem = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip()
    return stem or "character"


async def import_chosen(file_input: Any, shell: Shell) -> Character | None:
    """The card in the file the user chose (``None``: none chosen, or it was refused, which
    the status line says)."""
    chosen = await read_chosen_file(file_input)
    if chosen is None:
        return None
    _name, data = chosen
    from app.cards import CardError, read_card_file

    try:
        return read_card_file(data)
    except CardError as error:
        shell.status("character.import_failed", "error", reason=str(error))
        return None


def export(character: Character | None, kind: str) -> None:
    """Download the character as a V2 card (JSON, or PNG with the card in a tEXt chunk)."""
    if character is None:
        return
    from app.cards import avatar_png_bytes, card_to_json, write_png_card

    stem = file_stem(character.name)
    if kind == "json":
        download(f"{stem}.json", card_to_json(character), "application/json")
    else:
        png = write_png_card(character, avatar_png_bytes(character))
        download(f"{stem}.png", png, "image/png")
