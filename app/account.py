"""Who is logged in, as the page reads it from the server: plain decisions, tested under
CPython; ``app.browser.account_panel`` performs them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.jsontext import loads

__all__ = ["UNKNOWN", "AccountUser", "Unknown", "read_status", "status_retry_delay"]


@dataclass(frozen=True)
class AccountUser:
    """A logged-in account: its server id owns the local data written under it."""

    id: str
    username: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready (for the other tabs and localStorage)."""
        return {"id": self.id, "username": self.username}

    @classmethod
    def from_dict(cls, data: Any) -> AccountUser | None:
        """The user in ``data`` (``{"id", "username"}``), or ``None`` if it is not one."""
        if not isinstance(data, dict):
            return None
        user_id, username = data.get("id"), data.get("username")
        if isinstance(user_id, str) and user_id and isinstance(username, str) and username:
            return cls(user_id, username)
        return None

    @classmethod
    def remembered(cls, raw: str | None) -> AccountUser | None:
        """The user kept in localStorage (``to_dict`` as JSON); ``None`` when nothing usable is
        (an older value was just a username, without the id that owns the data)."""
        if not raw:
            return None
        try:
            return cls.from_dict(loads(raw))
        except ValueError:
            return None


class Unknown:
    """The server's answer says nothing about who is logged in (an error, a timeout)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


def read_status(status: int | None, body: Any) -> AccountUser | Unknown | None:
    """What ``GET /api/v1/auth/status`` answered: a user, ``None`` (nobody), or
    :data:`UNKNOWN` for anything but a well-formed ``200`` (no answer, 5xx, 429...), which
    must never be taken for "logged out"."""
    if status != 200 or not isinstance(body, dict) or "user" not in body:
        return UNKNOWN
    if body["user"] is None:
        return None
    return AccountUser.from_dict(body["user"]) or UNKNOWN


def status_retry_delay(attempt: int, *, first_s: float = 1.0, max_s: float = 60.0) -> float:
    """Seconds before asking again after ``attempt`` failed asks (0-based): doubling, capped."""
    return min(max_s, first_s * 2.0 ** max(0, attempt))
