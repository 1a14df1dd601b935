"""Chats in and out as SillyTavern chat files (JSONL): the sidebar's Import and the chat
options' Export. The format is ``app/st_chat.py``, imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app import chat_state
from app.browser.card_files import file_stem
from app.browser.dom import by_id
from app.browser.files import download, read_chosen_file

if TYPE_CHECKING:
    from app.browser.chat_library import ChatLibrary

__all__ = ["export_chat", "import_chat"]


def export_chat(library: ChatLibrary) -> None:
    """Download the open chat, every version of every message, as SillyTavern writes it."""
    talk = library.talk
    state = talk.state
    if state.character is None or state.session is None:
        return
    from app.st_chat import chat_to_jsonl

    name = chat_state.persona_of(state, talk.prefs).name
    text = chat_to_jsonl(state.character, state.session, state.messages, user_name=name)
    stem = file_stem(f"{state.character.name} - {state.session.title or 'chat'}")
    download(f"{stem}.jsonl", text, "application/jsonl")


async def import_chat(library: ChatLibrary) -> None:
    """The chat in the chosen file, as a new chat of the selected character; what could not
    be read is said in the status line."""
    talk, shell = library.talk, library.shell
    chosen = await read_chosen_file(by_id("chat-file"))
    if chosen is None or talk.state.character is None or talk.busy:
        return
    from app.st_chat import ChatFileError, chat_from_jsonl

    name = chat_state.persona_of(talk.state, talk.prefs).name
    try:
        text = chosen[1].decode("utf-8-sig")
        imported = chat_from_jsonl(text, character=talk.state.character, user_name=name)
    except (ChatFileError, UnicodeDecodeError) as error:
        shell.status("chat.import_failed", "error", reason=str(error))
        return
    step = chat_state.open_imported(
        talk.state,
        imported.session,
        imported.messages,
        owner=library.repo.owner.account,
        model_id=library.engine.model_id or "",
    )
    await talk.apply(step)
    key = "chat.imported_notes" if imported.notes else "chat.imported"
    shell.status(key, "imported", count=len(imported.messages), notes=len(imported.notes))
