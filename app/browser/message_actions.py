"""A message's buttons: each ``data-action`` of the chat's one delegated listener, and the step
of ``app/chat_state.py`` it performs (editing, copying and branching need the page too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyscript import window

from app import chat_state
from app.browser.message_view import start_edit

if TYPE_CHECKING:
    from app.browser.conversation import Conversation
    from app.browser.engine import Engine
    from app.i18n import Translate

__all__ = ["message_actions"]

Handler = Callable[[str, Any], Any]


def message_actions(talk: Conversation, engine: Engine, t: Translate) -> dict[str, Handler]:
    """The handlers by ``data-action``; each gets the message's id and the button."""
    state = chat_state

    def step(make: Callable[[str], chat_state.Step]) -> Handler:
        return lambda mid, _target: talk.apply(make(mid))

    def turn(make: Callable[[chat_state.ChatState, str], chat_state.Step]) -> Handler:
        return lambda mid, _target: talk.turn(lambda s: make(s, mid), needs_model=True)

    def model() -> str:
        return engine.model_id or ""

    return {
        "prev": step(lambda mid: state.flip(talk.state, mid, -1)),
        "next": step(lambda mid: state.flip(talk.state, mid, 1)),
        "regenerate": turn(state.regenerate),
        "retry": turn(state.retry),
        "continue": turn(state.continue_reply),
        "branch": step(
            lambda mid: state.branch(
                talk.state, mid, title=_branch_title(talk, t), model_id=model()
            )
        ),
        "copy": lambda mid, target: _copy(talk, t, mid, target),
        "edit": lambda mid, _target: _start_edit(talk, t, mid),
        "cancel-edit": lambda mid, _target: talk.view.rerender(talk.state.messages, mid),
        "save-edit": lambda mid, target: _save_edit(talk, mid, target, model()),
        "delete": lambda mid, _target: (
            talk.apply(state.delete(talk.state, mid))
            if not talk.busy and talk.confirm("chat.delete_confirm")
            else None
        ),
    }


def _branch_title(talk: Conversation, t: Translate) -> str:
    session = talk.state.session
    return t("chat.branch_title", title=(session.title if session else "") or "…")


def _start_edit(talk: Conversation, t: Translate, message_id: str) -> None:
    index = talk.state.index_of(message_id)
    node = talk.view.node_of(message_id)
    if index is not None and node:
        start_edit(node, talk.state.messages[index], t)


async def _copy(talk: Conversation, t: Translate, message_id: str, target: Any) -> None:
    """The shown version's text to the clipboard; the button says whether it worked."""
    index = talk.state.index_of(message_id)
    if index is None:
        return
    try:
        await window.navigator.clipboard.writeText(talk.state.messages[index].content)
    except Exception:  # noqa: BLE001 - the page may not be allowed the clipboard
        target.textContent = t("chat.copy_failed")
        return
    target.textContent = t("chat.copied")


def _save_edit(talk: Conversation, message_id: str, target: Any, model_id: str) -> Any:
    area = target.closest("article").querySelector("textarea.edit-text")
    if not area:
        return None
    return talk.apply(chat_state.edit(talk.state, message_id, str(area.value), model_id=model_id))
