"""Log in / create an account / log out, the outbox indicator, and failed log entries.

Chatting never needs an account: logs wait in the outbox (paused) until the user logs in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pyscript import window

from app.browser.dom import by_id, element, on, spawn
from app.browser.http import api_json
from app.i18n import Translate
from app.outbox.entries import MessageEntry
from app.outbox.ports import NetworkError

if TYPE_CHECKING:
    from app.browser.sync_runtime import SyncRuntime
    from app.outbox.state import OutboxState

__all__ = ["AccountPanel"]

_LAST_USER = "account.lastUser"


class AccountPanel:
    """The account sheet and the header's sync chip."""

    def __init__(
        self, t: Translate, runtime: SyncRuntime, on_login: Callable[[str], Awaitable[None]]
    ) -> None:
        self.t = t
        self.runtime = runtime
        self._on_login = on_login
        self.username: str | None = None
        self.state: OutboxState | None = None
        self.dialog = by_id("account-dialog")
        self.form = by_id("account-form")
        on(by_id("account-button"), "click", lambda _e: self.open())
        on(by_id("sync-indicator"), "click", lambda _e: self.open())
        on(self.form, "submit", self._on_submit, prevent=True)
        on(by_id("register"), "click", lambda _e: self._authenticate("register"))
        on(by_id("logout"), "click", lambda _e: self.logout())
        by_id("account-button").removeAttribute("disabled")
        self._status_known = False
        self._changes = 0
        # Counts logins and logouts, so a slower status answer cannot undo one.
        for event in ("online", "offline"):
            on(window, event, lambda _e: self._on_connectivity())

    async def start(self) -> None:
        """Ask the server who we are (no error when nobody is logged in, or offline)."""
        if not bool(window.navigator.onLine):
            self._offline_start()
            return
        asked_at = self._changes
        try:
            response = await api_json("GET", "/api/v1/auth/status")
        except NetworkError:
            self._offline_start()
            return
        if asked_at != self._changes:  # the user logged in or out meanwhile: that answer is newer
            return
        self._status_known = True
        user = (response.body or {}).get("user") if response.status == 200 else None
        self.username = str(user.get("username")) if user else None
        self._remember()
        self._render()
        if user:
            await self.runtime.login()
            await self._on_login(self.username or "")

    def _offline_start(self) -> None:
        """Offline: show who was signed in last; ask the server once we are back online."""
        self._status_known = False
        last = window.localStorage.getItem(_LAST_USER)
        self.username = str(last) if last else None
        self._render()

    def _remember(self) -> None:
        if self.username:
            window.localStorage.setItem(_LAST_USER, self.username)
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
        spawn(self._render_failed())
        if not self.dialog.open:
            self.dialog.showModal()

    def _render(self) -> None:
        signed_in = self.username is not None
        by_id("account-state").textContent = (
            self.t("account.signed_in", username=self.username)
            if signed_in
            else self.t("account.signed_out")
        )
        by_id("account-fields").hidden = signed_in
        by_id("login").hidden = signed_in
        by_id("register").hidden = signed_in
        by_id("logout").hidden = not signed_in
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
        if response.status not in (200, 201):
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
        self.username = str((response.body or {}).get("username") or username)
        self._status_known = True
        self._remember()
        self._render()
        self.dialog.close()
        await self.runtime.login()
        await self._on_login(self.username)

    async def logout(self) -> None:
        """End the server session; logs made from now on wait until the next login."""
        try:
            await api_json("POST", "/api/v1/auth/logout")
        except NetworkError:
            self._error(self.t("account.offline"))
            return
        self._changes += 1
        self.username = None
        self._remember()
        await self.runtime.logout()
        self._render()

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
            spawn(self._render_failed())

    async def _render_failed(self) -> None:
        entries = await self.runtime.failed_entries()
        panel = by_id("outbox-panel")
        listing = by_id("failed-list")
        listing.replaceChildren()
        panel.hidden = not entries
        for entry in entries:
            item = element("li", classes=("failed-item",), data_key=entry.key)
            what = (
                entry.payload.content[:60]
                if isinstance(entry, MessageEntry)
                else entry.client_session_id[:8]
            )
            error = entry.last_error
            reason = ""
            if error:
                fields = "; ".join(f"{field}: {message}" for field, message in error.details)
                reason = f"{error.message} ({fields})" if fields else error.message
            text = element("span")
            text.appendChild(element("strong", what))
            text.appendChild(element("small", f" — {reason}", classes=("reason",)))
            item.appendChild(text)
            retry = element(
                "button", self.t("outbox.retry"), classes=("small", "retry"), type="button"
            )
            on(retry, "click", lambda _e, key=entry.key: self._retry(key))
            discard = element(
                "button", self.t("outbox.discard"), classes=("small", "discard"), type="button"
            )
            on(discard, "click", lambda _e, key=entry.key: self._discard(key))
            item.appendChild(retry)
            item.appendChild(discard)
            listing.appendChild(item)

    async def _retry(self, key: str) -> None:
        await self.runtime.retry(key)
        await self._render_failed()

    async def _discard(self, key: str) -> None:
        if window.confirm(self.t("outbox.discard") + "?"):
            await self.runtime.discard(key)
            await self._render_failed()
