"""Whose local data the page shows and sends: one value shared by the chat history and the
outbox, so they can never disagree about it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOBODY", "Owner"]

NOBODY = ""
"""The owner of what is written while nobody is logged in: it joins an account only when the
user says so after logging in."""


@dataclass
class Owner:
    """The account (server user id) whose chats and outbox entries are in use on this page."""

    account: str = NOBODY
