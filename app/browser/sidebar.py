"""The sidebar: characters, and the chats of the selected one (a drawer on phones)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.browser.dom import by_id, delegate, element, on
from app.i18n import Translate
from app.models import Character, ChatSession
from app.prompt import substitute_macros

__all__ = ["Sidebar"]


def _side_item(kind: str, item_id: str, selected: str | None) -> tuple[Any, Any]:
    """A list row and its "pick" button (not yet in the row, so the caller fills it first);
    the row is marked current when it is the selected one."""
    item = element(
        "li",
        classes=("side-item", kind),
        data_id=item_id,
        aria_current="true" if item_id == selected else "false",
    )
    button = element("button", classes=("side-button",), type="button", data_action="pick")
    return item, button


class Sidebar:
    """Renders lists; selection and edits go back to the controller through callbacks."""

    def __init__(
        self,
        t: Translate,
        *,
        pick_character: Callable[[str], Any],
        pick_session: Callable[[str], Any],
        rename_session: Callable[[str], Any],
        delete_session: Callable[[str], Any],
    ) -> None:
        self.t = t
        self.user_name = "User"
        self._pick_character = pick_character
        self._pick_session = pick_session
        self._rename_session = rename_session
        self._delete_session = delete_session
        on(by_id("menu-button"), "click", lambda _e: self.toggle())
        on(by_id("scrim"), "click", lambda _e: self.toggle(False))
        delegate(by_id("character-list"), {"pick": lambda cid, _t: self._pick_character(cid)})
        delegate(
            by_id("session-list"),
            {
                "pick": lambda sid, _t: self._pick_session(sid),
                "rename": lambda sid, _t: self._rename_session(sid),
                "delete": lambda sid, _t: self._delete_session(sid),
            },
        )

    def toggle(self, show: bool | None = None) -> None:
        """Open or close the drawer (only a drawer on narrow screens)."""
        sidebar = by_id("sidebar")
        opened = (not sidebar.classList.contains("open")) if show is None else show
        sidebar.classList.toggle("open", opened)
        by_id("scrim").hidden = not opened
        by_id("menu-button").setAttribute("aria-expanded", "true" if opened else "false")

    def characters(self, characters: Sequence[Character], selected: str | None) -> None:
        """The character list with avatars; the selected one marked."""
        listing = by_id("character-list")
        listing.replaceChildren()
        for character in characters:
            item, button = _side_item("character", character.id, selected)
            if character.avatar:
                button.appendChild(
                    element("img", classes=("avatar", "small"), src=character.avatar, alt="")
                )
            else:
                button.appendChild(
                    element(
                        "span", character.name[:1].upper(), classes=("avatar", "small", "initial")
                    )
                )
            text = element("span", classes=("side-text",))
            text.appendChild(element("strong", character.name))
            if character.description:
                blurb = substitute_macros(
                    character.description, char=character.name, user=self.user_name
                )
                text.appendChild(element("small", " ".join(blurb.split())[:80]))
            button.appendChild(text)
            item.appendChild(button)
            listing.appendChild(item)

    def sessions(self, sessions: Sequence[tuple[ChatSession, str]], selected: str | None) -> None:
        """The chats of the selected character: title, last message, rename, delete."""
        listing = by_id("session-list")
        listing.replaceChildren()
        if not sessions:
            listing.appendChild(element("li", self.t("side.no_chats"), classes=("empty",)))
        for session, last in sessions:
            item, button = _side_item("session", session.id, selected)
            text = element("span", classes=("side-text",))
            text.appendChild(element("strong", session.title or "…", classes=("session-title",)))
            text.appendChild(element("small", last[:90], classes=("session-last",)))
            button.appendChild(text)
            item.appendChild(button)
            tools = element("span", classes=("side-tools",))
            for action, glyph in (("rename", "✎"), ("delete", "\N{MULTIPLICATION SIGN}")):
                label = self.t(f"side.{action}")
                tools.appendChild(
                    element(
                        "button",
                        glyph,
                        classes=("icon-button", "tiny", action),
                        type="button",
                        data_action=action,
                        aria_label=label,
                        title=label,
                    )
                )
            item.appendChild(tools)
            listing.appendChild(item)
