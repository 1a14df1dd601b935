"""Restore the account's chat history from the server into IndexedDB (after login).

Thin on purpose: the paging, merging and writing are ``app.restore.pull_history`` (plain
Python, unit-tested); this only hands it the browser's ``fetch``-based ``api_json`` and makes
sure the page never sees an exception from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyscript import window

from app.browser.http import api_json
from app.restore import RestoreSummary, pull_history

if TYPE_CHECKING:
    from app.storage.chat_repo import ChatRepository

__all__ = ["RestoreSummary", "restore_history"]


async def restore_history(repo: ChatRepository) -> RestoreSummary:
    """Pull every logged session and message of the logged-in account into local history.

    Nothing is queued in the outbox (the server has it all already). Never raises: a network
    error, a non-200 answer or a storage error stops it with ``error`` set, keeping what was
    written; an unexpected failure is reported on the console the same way.
    """
    try:
        return await pull_history(repo, api_json)
    except Exception as exc:  # noqa: BLE001 - the caller is a UI handler: report, never raise
        window.console.warn(f"history restore failed: {exc!r}")
        return RestoreSummary(error=f"Restoring the history failed ({exc}).")
