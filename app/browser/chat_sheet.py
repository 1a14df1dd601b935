"""What the open chat's sheets (options, personas, world info) have in common: the
translator, the open conversation, the chat list, the store, and their dialog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.browser.dom import by_id

if TYPE_CHECKING:
    from app.browser.chat_library import ChatLibrary
    from app.browser.conversation import Conversation
    from app.i18n import Translate
    from app.storage.chat_repo import ChatRepository

__all__ = ["ChatSheet", "SheetDeps"]


@dataclass(frozen=True)
class SheetDeps:
    """Built once by ``chat_options.chat_sheets`` and handed to each sheet."""

    t: Translate
    talk: Conversation
    library: ChatLibrary
    repo: ChatRepository


class ChatSheet:
    """A sheet about the open chat, shown in ``dialog``."""

    def __init__(self, deps: SheetDeps, dialog_id: str) -> None:
        self.t, self.talk, self.library, self.repo = deps.t, deps.talk, deps.library, deps.repo
        self.dialog = by_id(dialog_id)
