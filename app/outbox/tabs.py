"""What the page's tabs tell each other about the outbox, and when its timer fires.

Messages on the BroadcastChannel ``character-chat-outbox``: ``auth`` (a login or logout, so
every tab's worker pauses and resumes together) and ``state`` (the summary after a flush or
an enqueue). Anything else on the channel, or a malformed message, is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.outbox.state import OutboxState

__all__ = [
    "BUSY_RETRY_S",
    "ERROR_RETRY_S",
    "MAX_DELAY_S",
    "MIN_DELAY_S",
    "AuthNews",
    "StateNews",
    "auth_message",
    "read_message",
    "state_message",
    "timer_delay_ms",
]

MIN_DELAY_S = 1.0
"""The timer never fires sooner than this after it is armed (no tight loops)."""
BUSY_RETRY_S = 3.0
"""Another tab holds the flush lock: look again after this (its broadcast usually comes first)."""
ERROR_RETRY_S = 30.0
"""A flush failed locally (the database, a bug): try again after this."""
MAX_DELAY_S = 3600.0
"""Re-read the store at least this often, whatever ``next_wakeup`` says (clock changes)."""


@dataclass(frozen=True)
class AuthNews:
    """Another tab logged in (with ``user``, ``{"id", "username"}``, when it says) or out."""

    logged_in: bool
    user: dict[str, Any] | None


@dataclass(frozen=True)
class StateNews:
    """Another tab's outbox summary (counts are shared; being paused is per tab)."""

    state: OutboxState


def auth_message(*, logged_in: bool, user: dict[str, Any] | None) -> dict[str, Any]:
    """The ``auth`` message for a login (``user``) or a logout."""
    return {"type": "auth", "loggedIn": logged_in, "user": user if logged_in else None}


def state_message(state: OutboxState) -> dict[str, Any]:
    """The ``state`` message for ``state``."""
    return {"type": "state", "state": state.to_dict()}


def read_message(message: object) -> AuthNews | StateNews | None:
    """What another tab said (``None``: not ours, or malformed)."""
    if not isinstance(message, dict):
        return None
    if message.get("type") == "auth":
        user = message.get("user")
        return AuthNews(bool(message.get("loggedIn")), user if isinstance(user, dict) else None)
    if message.get("type") == "state" and isinstance(message.get("state"), dict):
        try:
            return StateNews(OutboxState.from_dict(message["state"]))
        except (TypeError, ValueError):
            return None
    return None


def timer_delay_ms(when: float | None, now: float) -> int | None:
    """Milliseconds until ``when`` (clock time), kept between the minimum and maximum delay;
    ``None``: no timer."""
    if when is None:
        return None
    return int(min(max(when - now, MIN_DELAY_S), MAX_DELAY_S) * 1000)
