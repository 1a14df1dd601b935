"""The chat's preferences as IndexedDB's settings store has them, in one read per key.

Generation settings, the app-wide name and system prompt, the personas and the world-info
books live there (exported with the chats); ``app/chat_state.py`` ``Preferences`` holds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.chat_state import Preferences
from app.lore_form import read_worlds, stored_worlds
from app.personas import PersonaBook
from app.prompt import DEFAULT_SYSTEM_PROMPT, GenerationSettings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from app.storage.chat_repo import ChatRepository
    from app.worldinfo import Lorebook

__all__ = ["PERSONAS", "WORLDS", "load_preferences", "save_personas", "save_worlds"]

PERSONAS = "personas"
WORLDS = "worlds"


async def load_preferences(repo: ChatRepository) -> Preferences:
    """Everything that shapes a prompt, read from the settings store."""
    setting = repo.get_setting
    return Preferences(
        settings=GenerationSettings.from_dict(await setting("generation", {}) or {}),
        user_name=str(await setting("user_name", "") or "") or "User",
        system_prompt=str(await setting("system_prompt", "") or "") or DEFAULT_SYSTEM_PROMPT,
        personas=PersonaBook.read(await setting(PERSONAS, {})),
        worlds=read_worlds(await setting(WORLDS, {})),
    )


async def save_personas(repo: ChatRepository, book: PersonaBook) -> None:
    """Keep the personas (with the default and each character's choice)."""
    await repo.set_setting(PERSONAS, book.to_dict())


async def save_worlds(repo: ChatRepository, worlds: Mapping[str, Lorebook]) -> None:
    """Keep the world-info books, as SillyTavern world files by name."""
    await repo.set_setting(WORLDS, stored_worlds(worlds))
