"""The models this page can offer: WebLLM's list and the server's presets, WebLLM's
AppConfig built from them, the verdict for this device, and which ones are downloaded.

The rules are plain Python (``app/presets.py``, ``app/model_choice.py``); this module fetches
the lists, asks WebLLM's cache, and keeps the model picker and the offline notice current.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyscript import window

from app.browser import storage
from app.browser.dom import by_id
from app.browser.jsbridge import to_py
from app.browser.model_lists import ModelLists
from app.browser.model_panel import ModelPanel
from app.browser.storage_panel import saved_backend
from app.gpu import GpuReport
from app.i18n import Translate
from app.model_choice import ModelChoice, assess_models, recommend
from app.presets import CUSTOM_PRESETS, build_app_config

__all__ = ["ModelCatalog"]

FALLBACK_MODEL = "Qwen3-0.6B-q4f32_1-MLC"
"""Named by the offline notice when nothing better is known."""


class ModelCatalog:
    """The AppConfig, the choices for this device and the downloaded models."""

    def __init__(
        self,
        t: Translate,
        report: GpuReport,
        lists: ModelLists,
        panel: ModelPanel,
        on_config: Callable[[dict[str, Any]], None],
    ) -> None:
        self.t, self.report, self.lists, self.panel = t, report, lists, panel
        self.on_config = on_config
        """Given each AppConfig built (the engine loads with it)."""
        self.cached: set[str] = set()
        self.choices: list[ModelChoice] = []
        self.recommended: str | None = None
        self.device_memory = to_py(getattr(window.navigator, "deviceMemory", None))
        self.cache_backend = saved_backend()
        self.mirror = ""
        self.extra_presets: list[dict[str, Any]] = []
        self.prebuilt: list[Any] = []  # WebLLM's built-in model list (from ``lists``)
        self.app_config: dict[str, Any] = {"model_list": [], "cacheBackend": self.cache_backend}

    async def load_lists(self) -> None:
        """WebLLM's models, and the server's presets and mirror (optional, may be offline)."""
        self.prebuilt = await self.lists.prebuilt
        server = await self.lists.server
        self.mirror = server.mirror
        self.extra_presets = server.presets
        if server.errors:
            self.panel.warn(
                "; ".join(
                    self.t("model.preset_refused", index=p.get("index"), reason=p.get("message"))
                    for p in server.errors
                )
            )
        self.build()

    def build(self) -> None:
        """(Re)build WebLLM's AppConfig from the presets, mirror and cache backend."""
        self.app_config = build_app_config(
            self.prebuilt,
            [*CUSTOM_PRESETS, *self.extra_presets],
            mirror=self.mirror,
            cache_backend=self.cache_backend,
            origin=str(window.location.origin),
        )
        self.on_config(self.app_config)
        self.assess()

    def record(self, model_id: str) -> dict[str, Any]:
        """``model_id``'s entry in the AppConfig."""
        return next(r for r in self.app_config["model_list"] if r["model_id"] == model_id)

    def assess(self) -> None:
        """Verdicts and the recommendation for this device (no I/O)."""
        models = self.app_config["model_list"]
        self.choices = assess_models(models, self.report, self.device_memory)
        self.recommended = recommend(self.choices, self.report, self.device_memory)
        self.panel.set_models(self.choices, self.recommended, self.cached)

    async def check_cache(self) -> None:
        """Which usable models are downloaded; then the offline notice can say what works.

        A cache lookup per model, through WebLLM's module: run after "ready", not on its way."""
        ids = [choice.model_id for choice in self.choices if choice.available]
        self.cached = set(await storage.cached_model_ids(self.app_config, ids))
        self.panel.set_models(self.choices, self.recommended, self.cached)
        self.show_offline_state()

    async def refresh_models(self) -> None:
        """Re-check verdicts and what is cached."""
        self.assess()
        await self.check_cache()

    def use_backend(self, backend: str) -> None:
        """Store models in ``backend`` from now on."""
        self.cache_backend = backend
        self.build()

    def show_offline_state(self) -> None:
        """Offline: say which downloaded models still work, or which one to get later."""
        banner = by_id("offline-banner")
        if bool(window.navigator.onLine):
            banner.hidden = True
            return
        cached = sorted(self.cached)
        if cached:
            banner.textContent = self.t("offline.cached", models=", ".join(cached))
        else:
            model = self.recommended or FALLBACK_MODEL
            banner.textContent = self.t("offline.none", model=model)
        banner.setAttribute("data-cached", "yes" if cached else "no")
        banner.hidden = False
