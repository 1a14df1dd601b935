"""Log in / create an account / log out, the outbox indicator, and failed log entries.

Chatting never needs an account: logs wait in the outbox (paused) until the user logs in.
Local chats belong to the account they were written under (``app.storage.owner``): logging
out asks whether to keep them on this device or remove them, chats made while logged out join
an account only when the user says so, and an unanswered status check is asked again (with
backoff), never taken for "logged out".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import window

from app.account import UNKNOWN, AccountUser, read_status, status_retry_delay
from app.browser.dom import by_id, on, spawn
from app.browser.failed_entries import FailedEntries
from app.browser.http import api_json
from app.i18n import Translate
from app.jsontext import loads
from app.outbox.ports import NetworkError
from app.storage.owner import NOBODY

if TYPE_CHECKING:
    from app.browser.sync_runtime import SyncRuntime
    from app.outbox.state import OutboxState
    from app.storage.chat_repo import ChatRepository

__all__ = ["AccountPanel", "last_user"]

_LAST_USER = "account.lastUser"
_DECLINED = "account.adoptDeclined:"


def last_user() -> AccountUser | None:
    """Who was signed in when this browser last knew (shown offline, and the first owner)."""
    raw = window.localStorage.getItem(_LAST_USER)
    try:
        return AccountUser.from_dict(loads(str(raw))) if raw else None
    except ValueError:  # an older value: just a username, without the id owning the data
        return None


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
        self.t = t
        self.runtime = runtime
        self.repo = repo
        self._on_account = on_account
        self._on_login = on_login
        self.user: AccountUser | None = last_user()
        self.state: OutboxState | None = None
        self.failed = FailedEntries(t, runtime)
        self.dialog = by_id("account-dialog")
        self.form = by_id("account-form")
        on(by_id("account-button"), "click", lambda _e: self.open())
        on(by_id("sync-indicator"), "click", lambda _e: self.open())
        on(self.form, "submit", self._on_submit, prevent=True)
        on(by_id("register"), "click", lambda _e: self._authenticate("register"))
        on(by_id("logout"), "click", lambda _e: spawn(self.ask_logout()))
        on(by_id("logout-keep"), "click", lambda _e: self.logout(remove=False))
        on(by_id("logout-remove"), "click", lambda _e: self.logout(remove=True))
        on(by_id("adopt-yes"), "click", lambda _e: self._adopt(True))
        on(by_id("adopt-no"), "click", lambda _e: self._adopt(False))
        by_id("account-button").removeAttribute("disabled")
        self._status_known = False
        self._checking = False
        self._changes = 0
        """Counts logins and logouts, so a slower status answer cannot undo one."""
        runtime.on_auth = self._on_other_tab
        for event in ("online", "offline"):
            on(window, event, lambda _e: self._on_connectivity())

    @property
    def username(self) -> str | None:
        """Who is signed in, as far as this tab knows."""
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
        attempt = 0
        asked_at = self._changes
        while True:
            if not bool(window.navigator.onLine):
                self._offline_start()
                return
            try:
                response = await api_json("GET", "/api/v1/auth/status")
                found = read_status(response.status, response.body)
            except NetworkError:
                found = UNKNOWN
            if asked_at != self._changes:  # the user logged in or out meanwhile: that is newer
                return
            if found is not UNKNOWN:
                break
            self._render(checking=True)
            await asyncio.sleep(status_retry_delay(attempt))
            attempt += 1
            if asked_at != self._changes:
                return
        self._status_known = True
        user = found if isinstance(found, AccountUser) else None
        await self._become(user, broadcast=False)
        if user:
            await self.runtime.login(user.to_dict())
            await self._offer_adoption(user, asked=False)
            await self._on_login(user.id)

    def _offline_start(self) -> None:
        """Offline: show who was signed in last; ask the server once we are back online."""
        self._status_known = False
        self._render()

    async def _become(self, user: AccountUser | None, *, broadcast: bool) -> None:
        """``user`` is signed in now (``None``: nobody): their chats and outbox are in use.

        Chats made while logged out that hold nothing the user wrote (a greeting) join the
        account at once; the others wait for the user's answer (:meth:`_offer_adoption`).
        """
        changed = user != self.user
        self.user = user
        self.repo.owner.account = user.id if user else NOBODY
        self._remember()
        self._render()
        if broadcast and not user:
            await self.runtime.logout()
        if user is not None:
            await self.repo.adopt(user.id, written=False)
        if changed:
            await self._on_account(user)

    def _on_other_tab(self, logged_in: bool, user_data: Any) -> None:
        """Another tab logged in or out: the cookie is shared, so the same is true here."""
        self._changes += 1
        user = AccountUser.from_dict(user_data)
        if logged_in and user is None:  # an older tab says only "logged in": ask who
            spawn(self.start())
            return
        self._status_known = True
        spawn(self._become(user, broadcast=False))

    def _remember(self) -> None:
        if self.user:
            window.localStorage.setItem(_LAST_USER, json.dumps(self.user.to_dict()))
        else:
            window.localStorage.removeItem(_LAST_USER)

    def _on_connectivity(self) -> None:
        if bool(window.navigator.onLine) and not self._status_known:
            spawn(self.start())
        if self.state is not None:
            self.show_state(self.state)

    def open(self) -> None:
        """Show the sheet (with failed entries, if any)."""
        self._render()
        spawn(self.failed.render())
        if not self.dialog.open:
            self.dialog.showModal()

    def _render(self, *, checking: bool = False) -> None:
        signed_in = self.user is not None
        if checking:
            text = self.t("account.checking")
        elif signed_in:
            text = self.t("account.signed_in", username=self.username)
        else:
            text = self.t("account.signed_out")
        by_id("account-state").textContent = text
        by_id("account-fields").hidden = signed_in
        by_id("login").hidden = signed_in
        by_id("register").hidden = signed_in
        by_id("logout").hidden = not signed_in
        by_id("logout-choice").hidden = True
        by_id("account-button").setAttribute("data-signed-in", "yes" if signed_in else "no")

    def _error(self, text: str | None) -> None:
        box = by_id("account-error")
        box.textContent = text or ""
        box.hidden = not text

    async def _on_submit(self, event: Any) -> None:
        submitter = getattr(event, "submitter", None)
        if submitter is not None and str(submitter.value) == "cancel":
            self.dialog.close()
            return
        await self._authenticate("login")

    async def _authenticate(self, action: str) -> None:
        username = str(self.form.elements.namedItem("username").value).strip()
        password = str(self.form.elements.namedItem("password").value)
        try:
            response = await api_json(
                "POST", f"/api/v1/auth/{action}", {"username": username, "password": password}
            )
        except NetworkError:
            self._error(self.t("account.offline"))
            return
        user = AccountUser.from_dict(response.body) if response.status in (200, 201) else None
        if user is None:
            body = response.body if isinstance(response.body, dict) else {}
            details = body.get("details") or []
            text = "; ".join(str(d.get("message")) for d in details if isinstance(d, dict)) or str(
                body.get("message") or response.status
            )
            self._error(self.t("account.error", message=text))
            return
        self._error(None)
        self._changes += 1
        self.form.elements.namedItem("password").value = ""
        self._status_known = True
        await self._become(user, broadcast=True)
        await self.runtime.login(user.to_dict())
        if not await self._offer_adoption(user, asked=True):
            self.dialog.close()
        await self._on_login(user.id)

    async def _offer_adoption(self, user: AccountUser, *, asked: bool) -> bool:
        """Chats made while nobody was signed in: offer them to ``user`` (on every login; at
        page load only until the user said "keep them separate"). Whether it was offered."""
        waiting = await self.repo.written_while_logged_out()
        declined = window.localStorage.getItem(_DECLINED + user.id)
        if not waiting or (not asked and declined):
            return False
        by_id("adopt-text").textContent = self.t(
            "account.adopt_question", count=len(waiting), username=user.username
        )
        by_id("adopt-choice").hidden = False
        if not self.dialog.open:
            self.dialog.showModal()
        return True

    async def _adopt(self, yes: bool) -> None:
        by_id("adopt-choice").hidden = True
        user = self.user
        if user is None:
            return
        if yes:
            await self.repo.adopt(user.id)
            window.localStorage.removeItem(_DECLINED + user.id)
            await self._on_account(user)
            await self.runtime.login(user.to_dict())
        else:
            window.localStorage.setItem(_DECLINED + user.id, "1")
        self.dialog.close()

    async def ask_logout(self) -> None:
        """Log out, after asking whether this account's chats stay on this device."""
        unsent = await self.repo.unsent_of(self.user.id) if self.user else 0
        warning = by_id("logout-unsent")
        warning.textContent = self.t("account.logout_unsent", count=unsent)
        warning.hidden = unsent == 0
        by_id("logout-choice").hidden = False
        by_id("logout").hidden = True

    async def logout(self, *, remove: bool) -> None:
        """End the server session; keep this account's chats here (hidden until it logs in
        again) or remove them from this device. Logs made from now on belong to nobody."""
        try:
            await api_json("POST", "/api/v1/auth/logout")
        except NetworkError:
            self._error(self.t("account.offline"))
            return
        self._changes += 1
        leaving = self.user
        if remove and leaving:  # gone before the page says "signed out"
            await self.repo.remove_account_data(leaving.id)
            window.localStorage.removeItem(f"restored:{leaving.id}")  # pull it all next time
        await self._become(None, broadcast=True)

    def show_state(self, state: OutboxState) -> None:
        """The header chip: synced / N waiting / offline / paused: log in / N failed."""
        if not bool(window.navigator.onLine):
            # Nothing is sent while offline, logged in or not (login can't be checked): say so.
            state = replace(state, offline=True, paused=False)
        self.state = state
        key = state.summary_key()
        chip = by_id("sync-indicator")
        chip.setAttribute("data-sync", key)
        chip.setAttribute("data-waiting", str(state.waiting))
        chip.setAttribute("data-failed", str(state.failed))
        count = state.failed if key == "failed" else state.waiting
        label = self.t(f"outbox.{key}", count=count)
        by_id("sync-label").textContent = label
        chip.setAttribute("title", label)
        chip.setAttribute("aria-label", label)
        chip.hidden = key == "synced" and self.username is None and not state.waiting
        if self.dialog.open:
            spawn(self.failed.render())
