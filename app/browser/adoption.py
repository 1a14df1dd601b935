"""Chats written while nobody was signed in, offered to the account that signs in: asking
(with the user's "keep them separate" remembered) and giving them over."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app import preferences
from app.account import AccountUser
from app.browser import account_view, prefs
from app.i18n import Translate

if TYPE_CHECKING:
    from app.storage.chat_repo import ChatRepository

__all__ = ["adopted", "offer_adoption"]


async def offer_adoption(
    t: Translate, repo: ChatRepository, dialog: Any, user: AccountUser, *, asked: bool
) -> bool:
    """Offer the logged-out chats to ``user`` (on every login; at page load only until the user
    said "keep them separate"), opening the sheet if needed. Whether it was offered."""
    waiting = await repo.written_while_logged_out()
    declined = prefs.get(preferences.declined_key(user.id))
    if not waiting or (not asked and declined):
        return False
    account_view.ask_adoption(t, user, len(waiting))
    if not dialog.open:
        dialog.showModal()
    return True


async def adopted(repo: ChatRepository, user: AccountUser, *, yes: bool) -> None:
    """The user's answer: the chats join ``user``, or stay apart (not asked again at load)."""
    if yes:
        await repo.adopt(user.id)
        prefs.drop(preferences.declined_key(user.id))
    else:
        prefs.put(preferences.declined_key(user.id), "1")
