"""The page's entry point: fill in the shell, check WebGPU, start the controller.

Browser modules are imported inside :func:`main` so CPython can import this module in tests.
"""

from __future__ import annotations

import asyncio
import random

from app.gpu import detect_platform, guidance_key
from app.i18n import pick_language

__all__ = ["main"]


async def main() -> None:
    """Boot the app; any failure becomes a readable status line, never a stack trace."""
    from pyscript import window

    window.performance.mark("app:python")
    from app.browser.model_lists import ModelLists

    lists = ModelLists()
    await asyncio.sleep(0)  # both requests leave before the imports below hold the thread

    from app.browser.account_panel import AccountPanel, last_user
    from app.browser.chat_controller import ChatController
    from app.browser.controller import Controller
    from app.browser.data_notice import DataNotice
    from app.browser.dom import spawn
    from app.browser.gpu_probe import probe_gpu
    from app.browser.http import FetchTransport
    from app.browser.idb import open_database
    from app.browser.settings_panel import SettingsPanel
    from app.browser.shell import Shell
    from app.browser.sync_runtime import SyncRuntime
    from app.browser.updates import ServiceWorkerUpdates
    from app.outbox import SyncWorker, SystemClock
    from app.storage.chat_repo import ChatRepository
    from app.storage.outbox_store import OutboxDbStore
    from app.storage.owner import NOBODY, Owner

    window.performance.mark("app:imported")
    saved = window.localStorage.getItem("chat.lang")
    shell = Shell(pick_language([str(saved)] if saved else list(window.navigator.languages or [])))
    try:
        shell.status("gpu.checking", "checking")
        report, (db, db_problem) = await asyncio.gather(probe_gpu(), open_database())
        window.performance.mark("app:gpu-and-db")
        platform = detect_platform(
            str(window.navigator.userAgent), max_touch_points=int(window.navigator.maxTouchPoints)
        )
        guidance = guidance_key(report, platform)
        shell.show_gpu(report, guidance)
        controller = Controller(shell, report, guidance, lists)
        if db_problem:
            window.console.warn(
                f"IndexedDB unavailable, history lasts only for this tab: {db_problem}"
            )
        # Whose chats and logs are in use: the last signed-in account until the server says.
        known = last_user()
        owner = Owner(known.id if known else NOBODY)
        repo = ChatRepository(db, owner=owner)
        worker = SyncWorker(
            OutboxDbStore(db, owner=owner),
            FetchTransport(),
            SystemClock(),
            random.Random(),
            paused=True,
        )
        # ``account`` is bound before the runtime first reports (runtime.start() below).
        runtime = SyncRuntime(worker, on_state=lambda state: account.show_state(state))
        controller.chat = ChatController(controller, repo, on_enqueued=runtime.notify_enqueued)
        account = AccountPanel(
            shell.t,
            runtime,
            repo,
            on_account=controller.chat.account_changed,
            on_login=controller.chat.restore_from_account,
        )
        SettingsPanel(shell.t, repo, controller.chat.start)
        await asyncio.gather(controller.start(), controller.chat.start())
        shell.ready(model_count=len(controller.prebuilt))
        window.performance.mark("app:ready")
        # Not needed to use the page: who is logged in (then the outbox flushes), updates.
        runtime.start()
        spawn(controller.check_cache())
        spawn(account.start())
        spawn(DataNotice(shell.t, repo).scan_and_show())
        spawn(ServiceWorkerUpdates(shell.t).start())
    except Exception as exc:  # noqa: BLE001 - shown to the user instead of a traceback
        shell.status("error.boot", "error", reason=str(exc) or type(exc).__name__)
        window.console.warn(f"boot failed: {exc!r}")
