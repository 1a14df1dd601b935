"""The notice for stored records that could not be read: the app started without them; the
user can download them as they were, or remove them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from app.browser.dom import by_id, on
from app.browser.files import download

if TYPE_CHECKING:
    from app.i18n import Translate
    from app.storage.chat_repo import ChatRepository

__all__ = ["DataNotice"]


class DataNotice:
    """``#data-banner``, shown while the repository has records set aside."""

    def __init__(self, t: Translate, repo: ChatRepository) -> None:
        self.t = t
        self.repo = repo
        on(by_id("set-aside-download"), "click", lambda _e: self._download())
        on(by_id("set-aside-remove"), "click", lambda _e: self._remove())

    async def scan_and_show(self) -> None:
        """Read every character and session once (after start-up), then show what was set
        aside."""
        await self.repo.scan()
        self.show()

    def show(self) -> None:
        """Show or hide the notice for what was set aside so far."""
        count = len(self.repo.set_aside)
        by_id("data-banner-text").textContent = self.t("data.set_aside", count=count)
        by_id("set-aside-remove").hidden = not any(i.key for i in self.repo.set_aside.values())
        by_id("data-banner").hidden = count == 0

    def _download(self) -> None:
        data = json.dumps(self.repo.set_aside_export(), ensure_ascii=False, indent=1)
        download("character-chat-unreadable.json", data, "application/json")

    async def _remove(self) -> None:
        await self.repo.drop_set_aside()
        self.show()
