"""The account sheet's parts: who is signed in, the form's error, the two questions (adopt
chats written while logged out; keep or remove this account's chats on logout)."""

from __future__ import annotations

from app.account import AccountUser
from app.browser.dom import by_id
from app.i18n import Translate

__all__ = ["ask_adoption", "ask_logout", "show_account", "show_error"]


def show_account(t: Translate, user: AccountUser | None, *, checking: bool = False) -> None:
    """The sheet for ``user`` (``None``: the login form); ``checking``: the server is slow."""
    signed_in = user is not None
    if checking:
        text = t("account.checking")
    elif user is not None:
        text = t("account.signed_in", username=user.username)
    else:
        text = t("account.signed_out")
    by_id("account-state").textContent = text
    by_id("account-fields").hidden = signed_in
    by_id("login").hidden = signed_in
    by_id("register").hidden = signed_in
    by_id("logout").hidden = not signed_in
    by_id("logout-choice").hidden = True
    by_id("account-button").setAttribute("data-signed-in", "yes" if signed_in else "no")


def show_error(text: str | None) -> None:
    """What went wrong with the form (``None``: nothing)."""
    box = by_id("account-error")
    box.textContent = text or ""
    box.hidden = not text


def ask_adoption(t: Translate, user: AccountUser, count: int) -> None:
    """Ask whether ``count`` chats written while logged out join ``user``."""
    question = t("account.adopt_question", count=count, username=user.username)
    by_id("adopt-text").textContent = question
    by_id("adopt-choice").hidden = False


def ask_logout(t: Translate, unsent: int) -> None:
    """Ask whether this account's chats stay here, saying how many logs are not sent yet."""
    warning = by_id("logout-unsent")
    warning.textContent = t("account.logout_unsent", count=unsent)
    warning.hidden = unsent == 0
    by_id("logout-choice").hidden = False
    by_id("logout").hidden = True
