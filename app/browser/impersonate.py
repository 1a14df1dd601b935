"""Impersonate: the model writes the user's next message into the composer.

The prompt is ``app/chat_state.py`` ``plan_impersonation``; the text streams into the composer
(Stop works as for a reply) and nothing is stored until the user sends it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from app import chat_state
from app.browser.reply_stream import ComposerDraft, show_composer_streaming, stream_reply
from app.presets import CONTEXT_WINDOW_SIZE
from app.prompt import PromptError

if TYPE_CHECKING:
    from app.browser.conversation import Conversation

__all__ = ["impersonate"]


async def impersonate(talk: Conversation) -> None:
    """Write the user's next message for them (nothing while a reply streams or no model);
    a reply that just ended is stored first, as before a turn."""
    if talk.reply is not None:
        return
    await talk.settled()
    if talk.busy or not talk.engine.ready or talk.state.session is None:
        return
    try:
        plan = chat_state.plan_impersonation(
            talk.state,
            talk.prefs,
            model_id=talk.engine.model_id or "",
            context_window=CONTEXT_WINDOW_SIZE,
        )
    except PromptError as error:
        talk.hooks.status("engine.error.unknown", "error", detail=str(error))
        return
    talk.last_prompt = plan.prompt
    talk.state = chat_state.start_reply(talk.state)
    show_composer_streaming(True)
    try:
        await stream_reply(
            talk.engine,
            plan,
            ComposerDraft(),
            follow=lambda: None,
            on_error=talk.hooks.engine_error,
        )
    finally:
        talk.state = replace(talk.state, streaming=False)
        show_composer_streaming(False)
