"""The page's controller: capability check, model loading, the engine lock and the chat.

It only wires things together; the decisions live in plain-Python modules (presets,
model_choice, engine_errors, progress) that are unit-tested under CPython.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyscript import window

from app.browser import storage
from app.browser.dom import by_id, element, on, spawn
from app.browser.engine import Engine
from app.browser.engine_lock import EngineLock
from app.browser.jsbridge import to_py
from app.browser.model_lists import ModelLists
from app.browser.model_panel import ModelPanel
from app.browser.shell import Shell
from app.engine_errors import EngineError, ErrorKind
from app.gpu import GpuReport
from app.model_choice import ModelChoice, assess_models, recommend
from app.presets import CACHE_BACKENDS, CUSTOM_PRESETS, build_app_config
from app.progress import LoadProgress, human_size

if TYPE_CHECKING:
    from app.browser.chat_controller import ChatController

__all__ = ["Controller"]

PREF_MODEL = "chat.model"
PREF_CACHE = "chat.cacheBackend"


def _pref(key: str) -> str | None:
    value = window.localStorage.getItem(key)
    return None if value is None else str(value)


class Controller:
    """Owns the engine, its lock and the conversation for this tab."""

    def __init__(
        self, shell: Shell, report: GpuReport, guidance: str | None, lists: ModelLists
    ) -> None:
        self.shell = shell
        self.lists = lists
        self.t = shell.t
        self.report = report
        self.guidance = guidance
        self.chat: ChatController | None = None
        self.loading_model: str | None = None
        self.confirmed_big: str | None = None
        self._waiting_for_lock = False
        self._cached: set[str] = set()
        self._choices: list[ModelChoice] = []
        self._recommended: str | None = None
        self.device_memory = to_py(getattr(window.navigator, "deviceMemory", None))
        backend = _pref(PREF_CACHE) or "cache"
        self.cache_backend = backend if backend in CACHE_BACKENDS else "cache"
        self.mirror = ""
        self.extra_presets: list[dict[str, Any]] = []
        self.prebuilt: list[Any] = []  # WebLLM's built-in model list (from ``lists``)
        self.app_config: dict[str, Any] = {"model_list": [], "cacheBackend": self.cache_backend}
        self.engine = Engine(self.app_config, self._on_progress)  # the config comes in start()
        self.lock = EngineLock(self._release_requested)
        self.models = ModelPanel(self.t, self.pick_model, self.cancel_load)
        self._wire()

    # -- set-up ---------------------------------------------------------------------------

    def _build_config(self) -> dict[str, Any]:
        return build_app_config(
            self.prebuilt,
            [*CUSTOM_PRESETS, *self.extra_presets],
            mirror=self.mirror,
            cache_backend=self.cache_backend,
            origin=str(window.location.origin),
        )

    async def _load_model_lists(self) -> None:
        """WebLLM's models, and the server's presets and mirror (optional, may be offline)."""
        self.prebuilt = await self.lists.prebuilt
        server = await self.lists.server
        self.mirror = server.mirror
        self.extra_presets = server.presets
        problems = server.errors
        if problems:
            self.models.warn(
                "; ".join(
                    self.t("model.preset_refused", index=p.get("index"), reason=p.get("message"))
                    for p in problems
                )
            )

    def _use_config(self) -> None:
        """(Re)build WebLLM's AppConfig from the presets, mirror and cache backend."""
        self.app_config = self._build_config()
        self.engine.app_config = self.app_config

    def _wire(self) -> None:
        on(by_id("storage-button"), "click", lambda _evt: self.open_storage())
        on(by_id("delete-all"), "click", lambda _evt: self.delete_all())
        on(by_id("cache-backend"), "change", self._on_backend)
        on(by_id("language"), "change", self._on_language)
        by_id("storage-button").removeAttribute("disabled")

    async def start(self) -> None:
        """After boot: list models, show whether another tab runs the engine."""
        if self.report.usable:
            self.engine.prepare()
        await self._load_model_lists()
        self._use_config()  # built once, with the server's presets and mirror
        self._assess()
        on(window, "online", lambda _e: self._show_offline_state())
        on(window, "offline", lambda _e: self._show_offline_state())
        if await self._held_elsewhere():
            self._show_other_tab()
            spawn(self._wait_for_lock())

    def _show_offline_state(self) -> None:
        """Offline: say which downloaded models still work, or which one to get later."""
        banner = by_id("offline-banner")
        if bool(window.navigator.onLine):
            banner.hidden = True
            return
        cached = sorted(self._cached)
        if cached:
            banner.textContent = self.t("offline.cached", models=", ".join(cached))
        else:
            banner.textContent = self.t(
                "offline.none", model=self._recommended or "Qwen3-0.6B-q4f32_1-MLC"
            )
        banner.setAttribute("data-cached", "yes" if cached else "no")
        banner.hidden = False

    def _assess(self) -> None:
        """Verdicts and the recommendation for this device (no I/O)."""
        self._choices = assess_models(
            self.app_config["model_list"], self.report, self.device_memory
        )
        self._recommended = recommend(self._choices, self.report, self.device_memory)
        self.models.set_models(self._choices, self._recommended, self._cached)

    async def check_cache(self) -> None:
        """Which usable models are downloaded; then the offline notice can say what works.

        A cache lookup per model, through WebLLM's module: run after "ready", not on its way."""
        ids = [choice.model_id for choice in self._choices if choice.available]
        self._cached = set(await storage.cached_model_ids(self.app_config, ids))
        self.models.set_models(self._choices, self._recommended, self._cached)
        self._show_offline_state()

    async def refresh_models(self) -> None:
        """Re-check verdicts and what is cached."""
        self._assess()
        await self.check_cache()

    # -- loading --------------------------------------------------------------------------

    async def pick_model(self, model_id: str) -> None:
        """The user chose a model in the picker."""
        if not await self._storage_ok(model_id):
            return
        self.models.close()
        await self.load(model_id)

    async def _storage_ok(self, model_id: str) -> bool:
        """Warn once before a download larger than the free quota; ask to persist storage."""
        if model_id in self._cached:
            return True
        record = next(r for r in self.app_config["model_list"] if r["model_id"] == model_id)
        need = float(record.get("vram_required_MB") or 0) * 1024 * 1024
        estimate = await storage.estimate()
        if estimate and need > estimate.free and self.confirmed_big != model_id:
            self.confirmed_big = model_id
            self.models.warn(
                self.t(
                    "model.big_download",
                    need=f"{need / 2**30:.1f}",
                    free=f"{estimate.free / 2**30:.1f}",
                )
            )
            return False
        self.models.warn(None)
        if need > 512 * 2**20:
            await storage.persist()
        return True

    async def load(self, model_id: str) -> None:
        """Take the engine lock and load ``model_id`` with a progress bar."""
        if not await self._ensure_lock():
            return
        self.loading_model = model_id
        window.localStorage.setItem(PREF_MODEL, model_id)
        self._hide_banner()
        self._set_composer(enabled=False)
        self.models.show_progress(model_id, None)
        self.shell.status("model.loading", "loading", model=model_id)
        try:
            await self.engine.load(model_id)
        except EngineError as error:
            self.models.hide_progress()
            self.loading_model = None
            self.models.set_current(None)
            if error.kind is not ErrorKind.CANCELLED:
                self._show_error(error, retry=model_id)
            else:
                self.shell.status("engine.error.cancelled", "idle")
            return
        self.loading_model = None
        self.models.hide_progress()
        self.models.set_current(model_id)
        self.shell.status("model.loaded", "model-ready", model=model_id)
        self._set_composer(enabled=True)
        spawn(self.refresh_models())

    def _on_progress(self, progress: LoadProgress) -> None:
        if self.loading_model:
            self.models.show_progress(self.loading_model, progress)

    def cancel_load(self) -> None:
        """The progress bar's cancel button."""
        self.engine.cancel_load()

    # -- one tab runs the model ----------------------------------------------------------

    async def _held_elsewhere(self) -> bool:
        state = to_py(await window.navigator.locks.query()) or {}
        return any(lock.get("name") == "character-chat-engine" for lock in state.get("held", []))

    async def _ensure_lock(self) -> bool:
        if self.lock.held or await self.lock.try_acquire():
            return True
        self._show_other_tab()
        spawn(self._wait_for_lock())
        return False

    async def _wait_for_lock(self) -> None:
        """Queue for the lock; when it comes (takeover, or the holder closed) resume here."""
        if self._waiting_for_lock or self.lock.held:
            return
        self._waiting_for_lock = True
        try:
            await self.lock.wait_acquire()
        finally:
            self._waiting_for_lock = False
        self._hide_banner()
        preferred = _pref(PREF_MODEL)
        if preferred:
            await self.load(preferred)

    async def _release_requested(self) -> None:
        """Another tab wants the engine: stop, unload, and say where it went."""
        self.stop()
        await self.engine.unload()
        self.models.set_current(None)
        self._set_composer(enabled=False)
        self._banner("engine.moved", data_state="moved")
        # Runs after EngineLock has released, so the requesting tab is first in the queue.
        spawn(self._wait_for_lock())

    def _show_other_tab(self) -> None:
        self._set_composer(enabled=False)
        self._banner("engine.other_tab", data_state="other-tab")

    def _banner(self, key: str, *, data_state: str) -> None:
        banner = by_id("engine-banner")
        banner.replaceChildren()
        banner.className = "notice warning"
        banner.setAttribute("data-state", data_state)
        banner.appendChild(element("p", self.t(key)))
        button = element("button", self.t("engine.use_here"), classes=("use-here",), type="button")
        on(button, "click", lambda _evt: self.take_over())
        banner.appendChild(button)
        banner.hidden = False

    def take_over(self) -> None:
        """ "Use it here": ask the holding tab to let go; ``_wait_for_lock`` does the rest."""
        spawn(self._wait_for_lock())
        self.lock.request_release()

    def _show_error(self, error: EngineError, *, retry: str | None) -> None:
        banner = by_id("engine-banner")
        banner.replaceChildren()
        banner.className = "notice error"
        banner.setAttribute("data-state", "error")
        banner.setAttribute("data-error", error.kind.value)
        banner.appendChild(element("p", self.t(error.message_key, detail=error.detail)))
        if retry and error.recoverable:
            button = element("button", self.t("model.load"), classes=("retry",), type="button")
            on(button, "click", lambda _evt: self.load(retry))
            banner.appendChild(button)
        choose = element("button", self.t("model.choose"), classes=("choose",), type="button")
        on(choose, "click", lambda _evt: self.models.open())
        banner.appendChild(choose)
        banner.hidden = False
        self.shell.status(error.message_key, "error", detail=error.detail)

    def _hide_banner(self) -> None:
        by_id("engine-banner").hidden = True

    # -- chat hooks -------------------------------------------------------------------------

    def _set_composer(self, *, enabled: bool) -> None:
        prompt = by_id("prompt")
        prompt.disabled = not enabled
        by_id("send").disabled = not enabled
        prompt.placeholder = self.t("chat.placeholder" if enabled else "chat.placeholder_no_model")
        if self.chat is not None:
            self.chat.update_thinking_switch()

    def show_engine_error(self, error: EngineError) -> None:
        """An error while generating (the reply's partial text is kept)."""
        self._show_error(error, retry=None)

    def stop(self) -> None:
        """Stop a reply in progress (before the engine moves to another tab)."""
        if self.chat is not None:
            self.chat.stop()

    def _on_language(self, _event: Any) -> None:
        lang = str(by_id("language").value)
        window.localStorage.setItem("chat.lang", lang)
        self.shell.apply_language(lang)
        self.shell.show_gpu(self.report, self.guidance)
        self.models.relabel()
        self._set_composer(enabled=self.engine.ready)
        if self.chat is not None:
            self.chat.relabel()
            spawn(self.chat.render_sidebar())

    # -- storage panel --------------------------------------------------------------------

    async def open_storage(self) -> None:
        """Cached models with sizes, usage/quota, delete one or all, the cache backend."""
        dialog = by_id("storage-dialog")
        by_id("cache-backend").value = self.cache_backend
        await self._render_storage()
        if not dialog.open:
            dialog.showModal()

    async def _render_storage(self) -> None:
        estimate = await storage.estimate()
        by_id("storage-usage").textContent = (
            self.t(
                "storage.usage",
                used=f"{estimate.usage / 2**30:.2f}",
                quota=f"{estimate.quota / 2**30:.1f}",
            )
            if estimate
            else ""
        )
        await self.refresh_models()
        listing = by_id("cached-list")
        listing.replaceChildren()
        records = {r["model_id"]: r for r in self.app_config["model_list"]}
        for model_id in sorted(self._cached):
            size = await storage.model_bytes(records[model_id])
            row = element("li", classes=("model-row",), data_model=model_id)
            info = element("div", classes=("model-info",))
            info.appendChild(element("strong", model_id))
            if size is not None:
                row.setAttribute("data-bytes", str(size))
                info.appendChild(element("div", human_size(size), classes=("model-meta",)))
            row.appendChild(info)
            button = element("button", self.t("storage.delete"), classes=("danger",), type="button")
            on(button, "click", lambda _evt, mid=model_id: self.delete_model(mid))
            row.appendChild(button)
            listing.appendChild(row)
        if not self._cached:
            listing.appendChild(element("li", self.t("storage.empty"), classes=("empty",)))
        by_id("delete-all").disabled = not self._cached

    async def delete_model(self, model_id: str) -> None:
        """Delete one cached model (unloading it first if it is the one running)."""
        if self.engine.model_id == model_id:
            await self.engine.unload()
            self.models.set_current(None)
            self._set_composer(enabled=False)
        await storage.delete_model(self.app_config, model_id)
        await self._render_storage()

    async def delete_all(self) -> None:
        """Delete every cached model."""
        for model_id in list(self._cached):
            await self.delete_model(model_id)

    async def _on_backend(self, _event: Any) -> None:
        backend = str(by_id("cache-backend").value)
        if backend not in CACHE_BACKENDS or backend == self.cache_backend:
            return
        self.cache_backend = backend
        window.localStorage.setItem(PREF_CACHE, backend)
        self._use_config()
        await self._render_storage()
