"""The settings sheet: name, reply length, sampling, system prompt, export/import of all data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.browser import prefs
from app.browser.dom import by_id, on, show_notice
from app.browser.files import download_json, read_chosen_json
from app.i18n import Translate
from app.prompt import DEFAULT_SYSTEM_PROMPT, GenerationSettings

if TYPE_CHECKING:
    from app.storage.chat_repo import ChatRepository

__all__ = ["SettingsPanel"]


class SettingsPanel:
    """Reads and writes the app-wide settings; ``on_change`` refreshes the chat."""

    def __init__(
        self, t: Translate, repo: ChatRepository, on_change: Callable[[], Awaitable[None]]
    ) -> None:
        self.t = t
        self.repo = repo
        self._on_change = on_change
        self.dialog = by_id("settings-dialog")
        self.form = by_id("settings-form")
        on(by_id("settings-button"), "click", lambda _e: self.open())
        on(self.form, "submit", self._submit, prevent=True)
        on(by_id("export-data"), "click", lambda _e: self.export())
        on(by_id("import-data"), "change", self._import)
        by_id("settings-button").removeAttribute("disabled")

    def _field(self, name: str) -> Any:
        return self.form.elements.namedItem(name)

    def _message(self, text: str | None, *, error: bool = False) -> None:
        show_notice("settings-message", text, error=error)

    async def open(self) -> None:
        """Fill the form from storage and show it (an earlier message cleared first, so one an
        import shows while the form fills stays)."""
        self._message(None)
        settings = GenerationSettings.from_dict(await self.repo.get_setting("generation", {}) or {})
        self._field("user_name").value = await self.repo.get_setting("user_name", "") or ""
        self._field("reply_length").value = settings.reply_length
        self._field("temperature").value = str(settings.temperature)
        self._field("top_p").value = str(settings.top_p)
        self._field("seed").value = "" if settings.seed is None else str(settings.seed)
        self._field("system_prompt").value = (
            await self.repo.get_setting("system_prompt", "") or DEFAULT_SYSTEM_PROMPT
        )
        self.dialog.showModal()

    async def _submit(self, event: Any) -> None:
        submitter = getattr(event, "submitter", None)
        if submitter is not None and str(submitter.value) == "cancel":
            self.dialog.close()
            return
        current = GenerationSettings.from_dict(await self.repo.get_setting("generation", {}) or {})
        updated = current.merged(
            {
                "reply_length": str(self._field("reply_length").value),
                "temperature": _float(self._field("temperature").value),
                "top_p": _float(self._field("top_p").value),
                "seed": _seed(self._field("seed").value),
            }
        )
        await self.repo.set_setting("generation", updated.to_dict())
        await self.repo.set_setting("user_name", str(self._field("user_name").value).strip()[:60])
        prompt = str(self._field("system_prompt").value).strip()
        await self.repo.set_setting(
            "system_prompt", "" if prompt == DEFAULT_SYSTEM_PROMPT else prompt
        )
        self.dialog.close()
        await self._on_change()

    async def export(self) -> None:
        """Everything local (characters, chats, settings, preferences) as one JSON file."""
        data = {**await self.repo.export_all(), "preferences": prefs.export()}
        download_json("character-chat-export.json", data)

    async def _import(self, _event: Any) -> None:
        try:
            chosen = await read_chosen_json(by_id("import-data"))
            if chosen is None:
                return
            data = chosen[1]
            summary = await self.repo.import_all(data)
            prefs.restore(data.get("preferences"))  # after the data: all of it or nothing
        except (ValueError, UnicodeDecodeError) as error:
            self._message(self.t("settings.import_failed", reason=str(error)), error=True)
            return
        self._message(
            self.t(
                "settings.imported",
                characters=summary.characters,
                sessions=summary.sessions,
                messages=summary.messages,
            )
        )
        await self._on_change()


def _float(value: Any) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _seed(value: Any) -> int | None:
    """The seed field: blank (or not a whole number) means a new seed for every reply."""
    text = str(value).strip()
    return int(text) if text.isdigit() else None
