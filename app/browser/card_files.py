"""Character cards in and out of the page: the file picker and downloads.

The card formats themselves (V2/V3 JSON, PNG chunks, CHARX) are ``app/cards.py`` and
``app/charx.py``, imported on first use: start-up never needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.browser.files import download, read_chosen_file

if TYPE_CHECKING:
    from app.browser.shell import Shell
    from app.cards import CardImport
    from app.models import Character

__all__ = ["export", "file_stem", "import_chosen"]


def file_stem(name: str) -> str:
    """A file name from a character's name (``character`` when nothing usable is left)."""
    stem = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip()
    return stem or "character"


async def import_chosen(file_input: Any, shell: Shell) -> CardImport | None:
    """The card in the file the user chose, with what had to change to keep it (``None``: none
    chosen, or it was refused, which the status line says)."""
    chosen = await read_chosen_file(file_input)
    if chosen is None:
        return None
    name, data = chosen
    from app.card_file import import_card_file
    from app.cards import CardError

    try:
        return import_card_file(data, filename=name)
    except CardError as error:
        shell.status("character.import_failed", "error", reason=str(error))
        return None


def export(character: Character | None, kind: str) -> None:
    """Download the character as a card: V2 JSON, PNG with both the V2 and V3 chunks, or CHARX
    (a zip with the V3 card and its picture)."""
    if character is None:
        return
    from app.cards import avatar_png_bytes, card_to_json, write_png_card

    stem = file_stem(character.name)
    if kind == "json":
        download(f"{stem}.json", card_to_json(character), "application/json")
    elif kind == "charx":
        from app.charx import write_charx

        download(f"{stem}.charx", write_charx(character), "application/zip")
    else:
        png = write_png_card(character, avatar_png_bytes(character))
        download(f"{stem}.png", png, "image/png")
