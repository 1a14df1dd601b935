"""The character form: create or edit a character, avatar included."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from app.browser.dom import by_id, delegate, element, on
from app.browser.files import read_chosen_file
from app.cards import V2_FIELDS
from app.character_form import form_fields, tags_text
from app.i18n import Translate
from app.models import Character, now_iso

__all__ = ["CharacterEditor", "avatar_data_url"]

_MAX_AVATAR = 2 * 1024 * 1024
_TEXT_FIELDS = tuple(key for key in V2_FIELDS if key not in ("alternate_greetings", "extensions"))
"""The form's inputs named after the card's fields (``tags`` as one comma-separated line)."""
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
)


def avatar_data_url(data: bytes) -> str | None:
    """A ``data:`` URL for an image we recognise by its bytes (never SVG: it can hold script)."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic) and (mime != "image/webp" or data[8:12] == b"WEBP"):
            return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return None


class CharacterEditor:
    """Fills the dialog from a character and hands the edited one to ``on_save``."""

    def __init__(
        self,
        t: Translate,
        on_save: Callable[[Character], Awaitable[None]],
        on_delete: Callable[[Character], Awaitable[None]],
    ) -> None:
        self.t = t
        self._on_save = on_save
        self._on_delete = on_delete
        self._editing: Character | None = None
        self._avatar = ""
        self.dialog = by_id("character-dialog")
        self.form = by_id("character-form")
        self.greetings = by_id("character-greetings")
        on(self.form, "submit", self._submit, prevent=True)
        on(by_id("character-avatar"), "change", self._avatar_chosen)
        on(by_id("character-delete"), "click", self._delete)
        on(by_id("character-add-greeting"), "click", lambda _e: self._add_greeting("").focus())
        delegate(self.greetings, {"remove-greeting": lambda _id, button: self._remove(button)})

    def open(self, character: Character | None) -> None:
        """Edit ``character``, or a new one when None."""
        self._editing = character
        self._avatar = character.avatar if character else ""
        for name in _TEXT_FIELDS:
            value = getattr(character, name, "") if character else ""
            self._input(name).value = tags_text(value) if name == "tags" else value
        self.greetings.replaceChildren()
        for text in character.alternate_greetings if character else ():
            self._add_greeting(text)
        self._show_avatar()
        by_id("character-delete").hidden = character is None or character.builtin
        self._error(None)
        self.dialog.showModal()
        self._input("name").focus()

    def _input(self, name: str) -> Any:
        return self.form.elements.namedItem(name)

    def _add_greeting(self, text: str) -> Any:
        """One more greeting input (its own box: a scene break inside it stays inside)."""
        item = element("li", classes=("greeting-item",))
        box = element("textarea", rows="3", aria_label=self.t("character.greeting_n", n=""))
        box.value = text
        remove = element(
            "button",
            "\N{MULTIPLICATION SIGN}",
            classes=("icon-button", "tiny"),
            type="button",
            data_action="remove-greeting",
            aria_label=self.t("character.remove_greeting"),
            title=self.t("character.remove_greeting"),
        )
        item.append(box, remove)
        self.greetings.appendChild(item)
        self._number_greetings()
        return box

    def _remove(self, button: Any) -> None:
        button.closest("li").remove()
        self._number_greetings()

    def _number_greetings(self) -> None:
        for index, box in enumerate(self.greetings.querySelectorAll("textarea"), start=1):
            box.setAttribute("aria-label", self.t("character.greeting_n", n=str(index)))

    def _show_avatar(self) -> None:
        preview = by_id("character-avatar-preview")
        preview.hidden = not self._avatar
        if self._avatar:
            preview.src = self._avatar

    def _error(self, text: str | None) -> None:
        box = by_id("character-error")
        box.textContent = text or ""
        box.hidden = not text

    async def _avatar_chosen(self, _event: Any) -> None:
        chosen = await read_chosen_file(by_id("character-avatar"))
        if chosen is None:
            return
        _name, data = chosen
        if len(data) > _MAX_AVATAR:
            self._error(self.t("character.avatar_too_big"))
            return
        url = avatar_data_url(data)
        if url is None:
            self._error(self.t("character.import_failed", reason="PNG, JPEG, GIF or WebP"))
            return
        self._error(None)
        self._avatar = url
        self._show_avatar()

    async def _submit(self, event: Any) -> None:
        submitter = getattr(event, "submitter", None)
        if submitter is not None and str(submitter.value) == "cancel":
            self.dialog.close()
            return
        values = form_fields(
            {name: str(self._input(name).value) for name in _TEXT_FIELDS},
            [str(box.value) for box in self.greetings.querySelectorAll("textarea")],
            stored_tags=self._editing.tags if self._editing else (),
        )
        if not values["name"]:
            self._error(self.t("character.name_required"))
            return
        stamp = now_iso()
        if self._editing is None:
            character = Character.new(values.pop("name"), now=stamp, avatar=self._avatar, **values)
        else:
            character = replace(
                self._editing, avatar=self._avatar, updated_at=stamp, builtin=False, **values
            )
        self.dialog.close()
        await self._on_save(character)

    async def _delete(self, _event: Any) -> None:
        from pyscript import window

        if self._editing is None or not window.confirm(self.t("character.delete_confirm")):
            return
        character = self._editing
        self.dialog.close()
        await self._on_delete(character)
