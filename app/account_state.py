"""Who is signed in on this page, and what logging in or out does: the account as a value.

The server's answer is the truth, but a slow answer must never undo a login or logout made
since it was asked (``changes`` counts them), an unclear answer is never "logged out", and a
chat written while nobody was signed in joins an account only when the user says so. Each
transition returns the next state and its effects; ``app/browser/account_panel.py`` performs
them. Unit-tested under CPython (``tests/unit/test_account_state.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from app.account import UNKNOWN, AccountUser, Unknown
from app.steps import Step


@dataclass(frozen=True)
class AccountState:
    """The user as far as this tab knows, whether the server confirmed it, and how many
    logins and logouts this tab has seen (so a slower status answer cannot undo one)."""

    user: AccountUser | None = None
    known: bool = False
    changes: int = 0


@dataclass(frozen=True)
class Become:
    """``user``'s chats and outbox are in use now (``None``: nobody's). ``changed``: someone
    else than before (the chat list is drawn again). ``broadcast``: tell the other tabs."""

    user: AccountUser | None
    changed: bool
    broadcast: bool


class Chore(Enum):
    """What is done for one account."""

    REMOVE_DATA = "remove-data"
    """Remove its chats and logs from this device (logout with "remove")."""
    RESUME_OUTBOX = "resume-outbox"
    """Its log entries may be sent again."""
    RESTORE = "restore"
    """Pull its chats from the server (once per browser)."""
    OFFER_ADOPTION = "offer-adoption"
    """Ask whether the chats written while logged out join it, unless the user once said
    "keep them separate"."""
    ASK_ADOPTION = "ask-adoption"
    """Ask that even if the user once said "keep them separate" (they just logged in)."""
    ADOPT = "adopt"
    """The chats written while logged out join it."""
    KEEP_APART = "keep-apart"
    """The chats written while logged out stay apart from it for good."""


@dataclass(frozen=True)
class CheckStatus:
    """Ask the server who is signed in."""


@dataclass(frozen=True)
class ForAccount:
    """Do ``chore`` for ``user``."""

    chore: Chore
    user: AccountUser


AccountEffect = Become | ForAccount | CheckStatus
AccountStep = Step[AccountState, AccountEffect]


def _signed_in(state: AccountState, user: AccountUser, *, asked: bool) -> AccountStep:
    return AccountStep(
        replace(state, user=user, known=True),
        (
            Become(user, changed=user != state.user, broadcast=asked),
            # asked before anything slow: the sheet closes at once when there is no question
            ForAccount(Chore.ASK_ADOPTION if asked else Chore.OFFER_ADOPTION, user),
            ForAccount(Chore.RESUME_OUTBOX, user),
            ForAccount(Chore.RESTORE, user),
        ),
    )


def status_answered(
    state: AccountState, found: AccountUser | Unknown | None, *, asked_at: int
) -> AccountStep | None:
    """The server answered the status check asked when ``changes`` was ``asked_at``;
    ``None``: the answer was unclear (an error, a timeout): say "checking", ask again later."""
    if asked_at != state.changes:  # the user logged in or out meanwhile: that is newer
        return AccountStep(state)
    if found is UNKNOWN or isinstance(found, Unknown):
        return None
    if found is None:
        nobody = replace(state, user=None, known=True)
        return AccountStep(nobody, (Become(None, changed=state.user is not None, broadcast=False),))
    return _signed_in(state, found, asked=False)


def logged_in(state: AccountState, user: AccountUser) -> AccountStep:
    """The user logged in (or registered) in this tab."""
    return _signed_in(replace(state, changes=state.changes + 1), user, asked=True)


def logged_out(state: AccountState, *, remove: bool) -> AccountStep:
    """The server ended the session: this account's chats stay here, hidden until it logs in
    again, or (``remove``) leave this device before the page says "signed out"."""
    leaving = state.user
    out = AccountState(user=None, known=True, changes=state.changes + 1)
    become = Become(None, changed=leaving is not None, broadcast=True)
    if remove and leaving is not None:
        return AccountStep(out, (ForAccount(Chore.REMOVE_DATA, leaving), become))
    return AccountStep(out, (become,))


def other_tab(state: AccountState, *, logged_in: bool, user: AccountUser | None) -> AccountStep:
    """Another tab logged in or out: the cookie is shared, so the same is true here."""
    changed = replace(state, changes=state.changes + 1)
    if logged_in and user is None:  # an older tab says only "logged in": ask who
        return AccountStep(changed, (CheckStatus(),))
    now = replace(changed, user=user, known=True)
    return AccountStep(now, (Become(user, changed=user != state.user, broadcast=False),))


def reconnected(state: AccountState) -> AccountStep:
    """Back online: ask who is signed in unless the server already said."""
    return AccountStep(state, () if state.known else (CheckStatus(),))


def adoption_answered(state: AccountState, *, yes: bool) -> AccountStep:
    """The user answered whether the chats written while logged out join this account."""
    if state.user is None:
        return AccountStep(state)
    effects: tuple[AccountEffect, ...] = (
        ForAccount(Chore.ADOPT if yes else Chore.KEEP_APART, state.user),
    )
    if yes:
        effects += (
            Become(state.user, changed=True, broadcast=False),
            ForAccount(Chore.RESUME_OUTBOX, state.user),
        )
    return AccountStep(state, effects)


def error_text(status: int, body: object) -> str:
    """What the server said was wrong with a login or registration, in one line: each
    validation detail's message, else the error's message, else the status code."""
    data = body if isinstance(body, dict) else {}
    details = data.get("details")
    messages = [
        d["message"]
        for d in (details if isinstance(details, list) else [])
        if isinstance(d, dict) and isinstance(d.get("message"), str)
    ]
    return "; ".join(messages) or str(data.get("message") or status)
