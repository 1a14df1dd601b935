"""The page's engine side: the model lists, loading a model, the engine lock, storage.

What happens on start, load, takeover and handover is decided by ``app/engine_state.py``;
this module performs those effects (the lock, the engine, the banner, the composer), and the
other decisions live in plain-Python modules too (presets, model_choice, engine_errors,
progress), all unit-tested under CPython.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from pyscript import window

from app import engine_state, preferences
from app.browser import prefs, storage
from app.browser.dom import by_id, on, spawn
from app.browser.engine import Engine
from app.browser.engine_banner import EngineBanner
from app.browser.engine_lock import LOCK_NAME, EngineLock
from app.browser.jsbridge import to_py
from app.browser.model_catalog import ModelCatalog
from app.browser.model_lists import ModelLists
from app.browser.model_panel import ModelPanel
from app.browser.shell import Shell
from app.browser.storage_panel import StoragePanel
from app.engine_errors import EngineError
from app.engine_state import EngineState, EngineStep, Task
from app.gpu import GpuReport
from app.model_choice import storage_check
from app.progress import LoadProgress

__all__ = ["ChatSide", "Controller"]


class ChatSide(Protocol):
    """What the engine side asks of the chat side (``app/browser/chat_controller.py``)."""

    def update_thinking_switch(self) -> None:
        """The model changed: show or hide the chat's thinking switch."""

    def stop(self) -> None:
        """Stop a reply in progress."""

    def relabel(self) -> None:
        """The language changed: draw the chat and the sidebar again."""


class Controller:
    """Owns the engine, its lock and the model catalogue for this tab."""

    def __init__(
        self, shell: Shell, report: GpuReport, guidance: str | None, lists: ModelLists
    ) -> None:
        self.shell = shell
        self.t = shell.t
        self.report = report
        self.guidance = guidance
        self.chat: ChatSide | None = None
        self.state = EngineState()
        self.confirmed_big: str | None = None
        self.models = ModelPanel(self.t, self.pick_model, self._cancel_load)
        self.engine = Engine({"model_list": []}, self._on_progress)  # the config: in start()
        self.catalog = ModelCatalog(self.t, report, lists, self.models, self._use_config)
        self.lock = EngineLock(self._release_requested)
        self.storage = StoragePanel(self.t, self.catalog, self.forget_model)
        self.banner = EngineBanner(
            self.t, use_here=self.take_over, load=self.load, choose=self.models.open
        )
        on(by_id("language"), "change", self._on_language)

    async def start(self) -> None:
        """After boot: list models, show whether another tab runs the engine."""
        if self.report.usable:
            self.engine.prepare()
        await self.catalog.load_lists()  # the config is built once, with the server's lists
        for event in ("online", "offline"):
            on(window, event, lambda _e: self.catalog.show_offline_state())
        locks = to_py(await window.navigator.locks.query()) or {}
        held = any(lock.get("name") == LOCK_NAME for lock in locks.get("held", []))
        await self._apply(engine_state.started(self.state, held_elsewhere=held))

    def _use_config(self, config: dict[str, Any]) -> None:
        self.engine.app_config = config

    async def check_cache(self) -> None:
        """Which models are downloaded (after "ready": not on the way to it)."""
        await self.catalog.check_cache()

    # -- loading, and one tab runs the model -----------------------------------------------

    async def pick_model(self, model_id: str) -> None:
        """The user chose a model in the picker."""
        if not await self._storage_ok(model_id):
            return
        self.models.close()
        await self.load(model_id)

    async def _storage_ok(self, model_id: str) -> bool:
        """Warn once before a download larger than the free quota; ask to persist storage."""
        estimate = await storage.estimate()
        check = storage_check(
            self.catalog.record(model_id),
            free=estimate.free if estimate else None,
            cached=model_id in self.catalog.cached,
            confirmed=self.confirmed_big == model_id,
        )
        if check.warn:
            self.confirmed_big = model_id
            self.models.warn(self.t("model.big_download", need=check.need_gb, free=check.free_gb))
            return False
        self.models.warn(None)
        if check.persist:
            await storage.persist()
        return True

    async def load(self, model_id: str) -> None:
        """Take the engine lock and load ``model_id`` with a progress bar."""
        held = self.lock.held or await self.lock.try_acquire()
        await self._apply(engine_state.load_requested(self.state, model_id, lock_held=held))

    async def _load_now(self, model_id: str) -> None:
        self.models.show_progress(model_id, None)
        try:
            await self.engine.load(model_id)
        except EngineError as error:
            self.models.hide_progress()
            self.models.set_current(None)
            await self._apply(engine_state.load_failed(self.state, error))
            return
        self.models.hide_progress()
        self.models.set_current(model_id)
        await self._apply(engine_state.loaded(self.state, model_id))
        spawn(self.catalog.refresh_models())

    def _cancel_load(self) -> None:
        self.engine.cancel_load()

    def _on_progress(self, progress: LoadProgress) -> None:
        if self.state.loading:
            self.models.show_progress(self.state.loading, progress)

    async def _wait_for_lock(self) -> None:
        """Queue for the lock; when it comes (takeover, or the holder closed) resume here."""
        if self.lock.held:
            return
        try:
            await self.lock.wait_acquire()
        except BaseException:
            self.state = replace(self.state, waiting=False)  # queue again when asked
            raise
        preferred = prefs.get(preferences.MODEL)
        await self._apply(engine_state.lock_acquired(self.state, preferred=preferred))

    async def _release_requested(self) -> None:
        """Another tab wants the engine: stop, unload, and say where it went (the lock is
        released after this returns, so the asking tab is first in the queue)."""
        await self._apply(engine_state.release_requested(self.state))

    def take_over(self) -> None:
        """ "Use it here": ask the holding tab to let go; ``_wait_for_lock`` does the rest."""
        spawn(self._apply(engine_state.take_over(self.state)))

    # -- effects ----------------------------------------------------------------------------

    async def _apply(self, step: EngineStep) -> None:
        """Perform ``step``'s effects in order, with its state in place first."""
        self.state = step.state
        for effect in step.effects:
            if isinstance(effect, engine_state.Task):
                await self._do(effect)
            elif isinstance(effect, engine_state.Banner):
                if effect.notice is None:
                    self.banner.hide()
                else:
                    self.banner.notice(effect.notice)
            elif isinstance(effect, engine_state.ShowError):
                self._show_error(effect.error, retry=effect.retry)
            elif isinstance(effect, engine_state.Status):
                self.shell.status(effect.key, effect.kind, model=effect.model)
            elif isinstance(effect, engine_state.Load):
                prefs.put(preferences.MODEL, effect.model_id)
                await self._load_now(effect.model_id)

    async def _do(self, task: Task) -> None:
        if task in (Task.OPEN_COMPOSER, Task.CLOSE_COMPOSER):
            self._set_composer(enabled=task is Task.OPEN_COMPOSER)
        elif task is Task.WAIT_FOR_LOCK:
            spawn(self._wait_for_lock())
        elif task is Task.REQUEST_RELEASE:
            self.lock.request_release()
        elif task is Task.STOP_REPLY:
            if self.chat is not None:
                self.chat.stop()
        else:
            await self.engine.unload()
            self.models.set_current(None)

    def _show_error(self, error: EngineError, *, retry: str | None) -> None:
        self.banner.error(error, retry=retry)
        self.shell.status(error.message_key, "error", detail=error.detail)

    def _set_composer(self, *, enabled: bool) -> None:
        prompt = by_id("prompt")
        prompt.disabled = not enabled
        by_id("send").disabled = not enabled
        by_id("impersonate").disabled = not enabled
        hint = "chat.placeholder" if enabled else "chat.placeholder_no_model"
        prompt.setAttribute("data-i18n-placeholder", hint)  # kept when the language changes
        prompt.placeholder = self.t(hint)
        if self.chat is not None:
            self.chat.update_thinking_switch()

    def show_engine_error(self, error: EngineError) -> None:
        """An error while generating (the reply's partial text is kept)."""
        spawn(self._apply(engine_state.generation_failed(self.state, error)))

    def _on_language(self, _event: Any) -> None:
        lang = str(by_id("language").value)
        prefs.put(preferences.LANGUAGE, lang)
        self.shell.apply_language(lang)
        self.shell.show_gpu(self.report, self.guidance)
        self.models.relabel()
        self._set_composer(enabled=self.engine.ready)
        if self.chat is not None:
            self.chat.relabel()

    # -- for the storage sheet ------------------------------------------------------------

    async def forget_model(self, model_id: str) -> None:
        """Delete one cached model (unloading it first if it is the one running)."""
        if self.engine.model_id == model_id:
            await self._apply(engine_state.unloaded(self.state, model_id))
        await storage.delete_model(self.catalog.app_config, model_id)
