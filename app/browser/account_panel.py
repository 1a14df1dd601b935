"""Log in / create an account / log out, the outbox indicator, and failed log entries: performs
what ``app/account_state.py`` decides (who is signed in, whose chats, what to ask the user).

Chatting never needs an account: logs wait in the outbox (paused) until the user logs in.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import window

from app import account_state, preferences
from app.account import UNKNOWN, AccountUser, read_status, status_retry_delay
from app.account_state import AccountState, AccountStep, Chore
from app.browser import account_view, prefs
from app.browser.adoption import adopted, offer_adoption
from app.browser.dom import by_id, on, spawn
from app.browser.failed_entries import FailedEntries
from app.browser.http import api_json
from app.browser.sync_chip import show_chip
from app.i18n import Translate
from app.outbox.ports import NetworkError
from app.storage.owner import NOBODY

if TYPE_CHECKING:
    from app.browser.sync_runtime import SyncRuntime
    from app.outbox.state import OutboxState
    from app.storage.chat_repo import ChatRepository

__all__ = ["AccountPanel", "last_user"]


def last_user() -> AccountUser | None:
    """Who was signed in when this browser last knew (shown offline, and the first owner)."""
    return AccountUser.remembered(prefs.get(preferences.LAST_USER))


class AccountPanel:
    """The account sheet and the header's sync chip."""

    def __init__(
        self,
        t: Translate,
        runtime: SyncRuntime,
        repo: ChatRepository,
        on_account: Callable[[AccountUser | None], Awaitable[None]],
        on_login: Callable[[str], Awaitable[None]],
    ) -> None:
        self.t, self.runtime, self.repo = t, runtime, repo
        self._on_account, self._on_login = on_account, on_login
        self.account = AccountState(user=last_user())
        self.state: OutboxState | None = None
        self.failed = FailedEntries(t, runtime)
        self.dialog = by_id("account-dialog")
        self.form = by_id("account-form")
        self._checking = False
        self._wire()
        runtime.on_auth = self._on_other_tab

    def _wire(self) -> None:
        on(by_id("account-button"), "click", lambda _e: self.open())
        on(by_id("sync-indicator"), "click", lambda _e: self.open())
        on(self.form, "submit", self._on_submit, prevent=True)
        on(by_id("register"), "click", lambda _e: self._authenticate("register"))
        on(by_id("logout"), "click", lambda _e: spawn(self.ask_logout()))
        on(by_id("logout-keep"), "click", lambda _e: self.logout(remove=False))
        on(by_id("logout-remove"), "click", lambda _e: self.logout(remove=True))
        on(by_id("adopt-yes"), "click", lambda _e: self._adopt(yes=True))
        on(by_id("adopt-no"), "click", lambda _e: self._adopt(yes=False))
        by_id("account-button").removeAttribute("disabled")
        for event in ("online", "offline"):
            on(window, event, lambda _e: self._on_connectivity())

    @property
    def user(self) -> AccountUser | None:
        """Who is signed in, as far as this tab knows."""
        return self.account.user

    @property
    def username(self) -> str | None:
        """The :attr:`user`'s name."""
        return self.user.username if self.user else None

    async def start(self) -> None:
        """Ask the server who we are; ask again, with backoff, while it gives no clear answer
        (an error, a timeout): only a clear answer changes who is signed in."""
        if self._checking:
            return
        self._checking = True
        try:
            await self._check_status()
        finally:
            self._checking = False

    async def _check_status(self) -> None:
        asked_at = self.account.changes  # a login or logout from now on is newer
        for attempt in range(1_000_000):
            if not bool(window.navigator.onLine):
                self.account = replace(self.account, known=False)
                self._render()  # offline: who was signed in last; asked again once online
                return
            try:
                response = await api_json("GET", "/api/v1/auth/status")
                found = read_status(response.status, response.body)
            except NetworkError:
                found = UNKNOWN
            step = account_state.status_answered(self.account, found, asked_at=asked_at)
            if step is not None:
                await self._apply(step)
                return
            self._render(checking=True)
            await asyncio.sleep(status_retry_delay(attempt))
            if asked_at != self.account.changes:
                return

    async def _apply(self, step: AccountStep) -> None:
        """Perform ``step``'s effects in order, with its state in place first."""
        self.account = step.state
        for effect in step.effects:
            if isinstance(effect, account_state.ForAccount):
                await self._chore(effect.chore, effect.user)
            elif isinstance(effect, account_state.Become):
                await self._become(effect)
            else:
                spawn(self.start())  # CheckStatus

    async def _chore(self, chore: Chore, user: AccountUser) -> None:
        if chore is Chore.REMOVE_DATA:
            await self.repo.remove_account_data(user.id)
            prefs.drop(preferences.restored_key(user.id))  # pull it all next time
        elif chore is Chore.RESUME_OUTBOX:
            await self.runtime.login(user.to_dict())
        elif chore is Chore.RESTORE:
            await self._on_login(user.id)
        elif chore in (Chore.ADOPT, Chore.KEEP_APART):
            await adopted(self.repo, user, yes=chore is Chore.ADOPT)
        else:
            asked = chore is Chore.ASK_ADOPTION
            offered = await offer_adoption(self.t, self.repo, self.dialog, user, asked=asked)
            if asked and not offered:
                self.dialog.close()  # logged in, nothing to ask: the sheet is done

    async def _become(self, effect: account_state.Become) -> None:
        """``effect.user``'s chats and outbox are in use now (``None``: nobody's).

        Chats made while logged out that hold nothing the user wrote (a greeting) join the
        account at once; the others wait for the user's answer (``offer_adoption``).
        """
        user = effect.user
        self.repo.owner.account = user.id if user else NOBODY
        self._remember()
        self._render()
        if effect.broadcast and not user:
            await self.runtime.logout()
        if user is not None:
            await self.repo.adopt(user.id, written=False)
        if effect.changed:
            await self._on_account(user)

    def _on_other_tab(self, logged_in: bool, user_data: Any) -> None:
        """Another tab logged in or out: the cookie is shared, so the same is true here."""
        user = AccountUser.from_dict(user_data)
        step = account_state.other_tab(self.account, logged_in=logged_in, user=user)
        spawn(self._apply(step))

    def _remember(self) -> None:
        if self.user:
            prefs.put(preferences.LAST_USER, json.dumps(self.user.to_dict()))
        else:
            prefs.drop(preferences.LAST_USER)

    def _on_connectivity(self) -> None:
        if bool(window.navigator.onLine):
            spawn(self._apply(account_state.reconnected(self.account)))
        if self.state is not None:
            self.show_state(self.state)

    def open(self) -> None:
        """Show the sheet (with failed entries, if any)."""
        self._render()
        spawn(self.failed.render())
        if not self.dialog.open:
            self.dialog.showModal()

    def _render(self, *, checking: bool = False) -> None:
        account_view.show_account(self.t, self.user, checking=checking)

    async def _on_submit(self, event: Any) -> None:
        submitter = getattr(event, "submitter", None)
        if submitter is not None and str(submitter.value) == "cancel":
            self.dialog.close()
            return
        await self._authenticate("login")

    async def _authenticate(self, action: str) -> None:
        username = str(self.form.elements.namedItem("username").value).strip()
        password = str(self.form.elements.namedItem("password").value)
        credentials = {"username": username, "password": password}
        try:
            response = await api_json("POST", f"/api/v1/auth/{action}", credentials)
        except NetworkError:
            account_view.show_error(self.t("account.offline"))
            return
        user = AccountUser.from_dict(response.body) if response.status in (200, 201) else None
        if user is None:
            message = account_state.error_text(response.status, response.body)
            account_view.show_error(self.t("account.error", message=message))
            return
        account_view.show_error(None)
        self.form.elements.namedItem("password").value = ""
        await self._apply(account_state.logged_in(self.account, user))

    async def _adopt(self, *, yes: bool) -> None:
        by_id("adopt-choice").hidden = True
        await self._apply(account_state.adoption_answered(self.account, yes=yes))
        self.dialog.close()

    async def ask_logout(self) -> None:
        """Log out, after asking whether this account's chats stay on this device."""
        unsent = await self.repo.unsent_of(self.user.id) if self.user else 0
        account_view.ask_logout(self.t, unsent)

    async def logout(self, *, remove: bool) -> None:
        """End the server session; keep this account's chats here (hidden until it logs in
        again) or remove them from this device. Logs made from now on belong to nobody."""
        try:
            await api_json("POST", "/api/v1/auth/logout")
        except NetworkError:
            account_view.show_error(self.t("account.offline"))
            return
        await self._apply(account_state.logged_out(self.account, remove=remove))

    def show_state(self, state: OutboxState) -> None:
        """The header chip for the outbox's ``state``."""
        self.state = show_chip(self.t, state, signed_in=self.username is not None)
        if self.dialog.open:
            spawn(self.failed.render())
