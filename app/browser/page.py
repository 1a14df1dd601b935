"""The page put together: the shell, the engine side, the chat side, the account and the
outbox, wired to each other once; then what the page does after it is usable.

``app/browser/main.py`` imports this module after the model lists are requested (so those requests
leave before these imports hold the thread).
"""

from __future__ import annotations

import asyncio
import random

from pyscript import window

from app import preferences
from app.browser import prefs
from app.browser.account_panel import AccountPanel, last_user
from app.browser.chat_controller import ChatController
from app.browser.controller import Controller
from app.browser.data_notice import DataNotice
from app.browser.dom import spawn
from app.browser.gpu_probe import probe_gpu
from app.browser.http import FetchTransport
from app.browser.idb import open_database
from app.browser.model_lists import ModelLists
from app.browser.settings_panel import SettingsPanel
from app.browser.shell import Shell
from app.browser.sync_runtime import SyncRuntime
from app.browser.updates import ServiceWorkerUpdates
from app.gpu import detect_platform, guidance_key
from app.i18n import pick_language
from app.outbox import SyncWorker, SystemClock
from app.storage.chat_repo import ChatRepository
from app.storage.database import Database
from app.storage.outbox_store import OutboxDbStore
from app.storage.owner import NOBODY, Owner

__all__ = ["start_page"]


def _shell() -> Shell:
    """The page's frame in the saved language (else the browser's)."""
    saved = prefs.get(preferences.LANGUAGE)
    return Shell(pick_language([saved] if saved else list(window.navigator.languages or [])))


async def start_page(lists: ModelLists) -> None:
    """Boot the app; any failure becomes a readable status line, never a stack trace."""
    shell = _shell()
    try:
        shell.status("gpu.checking", "checking")
        report, (db, db_problem) = await asyncio.gather(probe_gpu(), open_database())
        window.performance.mark("app:gpu-and-db")
        if db_problem:
            window.console.warn(
                f"IndexedDB unavailable, history lasts only for this tab: {db_problem}"
            )
        platform = detect_platform(
            str(window.navigator.userAgent), max_touch_points=int(window.navigator.maxTouchPoints)
        )
        guidance = guidance_key(report, platform)
        shell.show_gpu(report, guidance)
        controller = Controller(shell, report, guidance, lists)
        await _assemble(shell, controller, db)
    except Exception as exc:  # noqa: BLE001 - shown to the user instead of a traceback
        shell.status("error.boot", "error", reason=str(exc) or type(exc).__name__)
        window.console.warn(f"boot failed: {exc!r}")


async def _assemble(shell: Shell, controller: Controller, db: Database) -> None:
    """The chat, account and outbox around the engine side; ready when both sides started."""
    # Whose chats and logs are in use: the last signed-in account until the server says.
    known = last_user()
    owner = Owner(known.id if known else NOBODY)
    repo = ChatRepository(db, owner=owner)
    store = OutboxDbStore(db, owner=owner)
    worker = SyncWorker(store, FetchTransport(), SystemClock(), random.Random(), paused=True)
    # ``account`` is bound before the runtime first reports (runtime.start() below).
    runtime = SyncRuntime(worker, on_state=lambda state: account.show_state(state))
    chat = ChatController(
        shell,
        controller.engine,
        repo,
        need_model=controller.models.open,
        engine_error=controller.show_engine_error,
        enqueued=runtime.notify_enqueued,
    )
    controller.chat = chat
    account = AccountPanel(
        shell.t, runtime, repo, on_account=chat.account_changed, on_login=chat.restore_from_account
    )
    SettingsPanel(shell.t, repo, chat.start)
    await asyncio.gather(controller.start(), chat.start())
    shell.ready(model_count=len(controller.catalog.prebuilt))
    window.performance.mark("app:ready")
    # Not needed to use the page: who is logged in (then the outbox flushes), updates.
    runtime.start()
    spawn(controller.check_cache())
    spawn(account.start())
    spawn(DataNotice(shell.t, repo).scan_and_show())
    spawn(ServiceWorkerUpdates(shell.t).start())
