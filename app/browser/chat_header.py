"""The open chat's header (avatar, name, title, thinking switch), drawn from the chat state."""

from __future__ import annotations

from app.browser.dom import by_id
from app.chat_state import ChatState
from app.prompt import supports_thinking

__all__ = ["show_header", "show_thinking_switch", "show_title"]


def show_header(state: ChatState, *, model_id: str) -> None:
    """The whole header; hidden while no character is picked."""
    character = state.character
    by_id("chat-header").hidden = character is None
    if character is None:
        return
    avatar = by_id("chat-avatar")
    avatar.hidden = not character.avatar
    if character.avatar:
        avatar.src = character.avatar
    by_id("chat-name").textContent = character.name
    show_title(state)
    show_thinking_switch(state, model_id=model_id)


def show_title(state: ChatState) -> None:
    """The open chat's title (it changes with the first message)."""
    session = state.session
    by_id("chat-session-title").textContent = session.title if session else ""


def show_thinking_switch(state: ChatState, *, model_id: str) -> None:
    """The thinking toggle shows only for models that can reason (Qwen3); it shows the chat's
    setting, never the other way round."""
    by_id("thinking-switch").hidden = not supports_thinking(model_id)
    session = state.session
    by_id("thinking-toggle").checked = bool(session and session.thinking_enabled)
