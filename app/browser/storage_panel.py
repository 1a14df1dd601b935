"""The storage sheet: downloaded models with their exact sizes, usage and quota, deleting one
or all, and the cache backend WebLLM stores them in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pyscript import window

from app.browser import prefs, storage
from app.browser.dom import by_id, delegate, element, on
from app.i18n import Translate
from app.preferences import CACHE_BACKEND
from app.presets import CACHE_BACKENDS
from app.progress import human_size

__all__ = ["ModelStore", "StoragePanel", "saved_backend"]


def saved_backend() -> str:
    """The cache backend chosen on this browser (WebLLM's Cache API by default)."""
    backend = prefs.get(CACHE_BACKEND) or "cache"
    return backend if backend in CACHE_BACKENDS else "cache"


class ModelStore(Protocol):
    """What the sheet shows and changes (``app/browser/controller.py``)."""

    app_config: dict[str, Any]
    cached: set[str]
    cache_backend: str

    async def refresh_models(self) -> None:
        """Check again which models are downloaded."""

    def use_backend(self, backend: str) -> None:
        """Store models in ``backend`` from now on."""


class StoragePanel:
    """``#storage-dialog`` over a ``ModelStore``."""

    def __init__(
        self, t: Translate, models: ModelStore, forget: Callable[[str], Awaitable[None]]
    ) -> None:
        self.t = t
        self.models = models
        self._forget = forget
        """Delete one downloaded model (unloading it first if it runs)."""
        on(by_id("storage-button"), "click", lambda _evt: self.open())
        on(
            by_id("delete-all"),
            "click",
            lambda _evt: (
                self.delete_all() if window.confirm(self.t("storage.delete_all_confirm")) else None
            ),
        )
        on(by_id("cache-backend"), "change", self._on_backend)
        delegate(by_id("cached-list"), {"delete": lambda mid, _t: self._confirm_delete(mid)})
        by_id("storage-button").removeAttribute("disabled")

    async def open(self) -> None:
        """Cached models with sizes, usage/quota, delete one or all, the cache backend."""
        dialog = by_id("storage-dialog")
        by_id("cache-backend").value = self.models.cache_backend
        await self.render()
        if not dialog.open:
            dialog.showModal()

    async def render(self) -> None:
        """The sheet as storage is now."""
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
        await self.models.refresh_models()
        listing = by_id("cached-list")
        listing.replaceChildren()
        records = {r["model_id"]: r for r in self.models.app_config["model_list"]}
        for model_id in sorted(self.models.cached):
            listing.appendChild(await self._row(model_id, records[model_id]))
        if not self.models.cached:
            listing.appendChild(element("li", self.t("storage.empty"), classes=("empty",)))
        by_id("delete-all").disabled = not self.models.cached

    async def _row(self, model_id: str, record: dict[str, Any]) -> Any:
        size = await storage.model_bytes(record)
        row = element("li", classes=("model-row",), data_model=model_id, data_id=model_id)
        info = element("div", classes=("model-info",))
        info.appendChild(element("strong", model_id))
        if size is not None:
            row.setAttribute("data-bytes", str(size))
            info.appendChild(element("div", human_size(size), classes=("model-meta",)))
        row.appendChild(info)
        label = self.t("storage.delete")
        row.appendChild(
            element("button", label, classes=("danger",), type="button", data_action="delete")
        )
        return row

    def _confirm_delete(self, model_id: str) -> Any:
        """Ask first: a deleted model is a download of up to gigabytes to get back."""
        if not window.confirm(self.t("storage.delete_confirm", model=model_id)):
            return None
        return self.delete_model(model_id)

    async def delete_model(self, model_id: str) -> None:
        """Delete one cached model and show what is left."""
        await self._forget(model_id)
        await self.render()

    async def delete_all(self) -> None:
        """Delete every cached model."""
        for model_id in list(self.models.cached):
            await self._forget(model_id)
        await self.render()

    async def _on_backend(self, _event: Any) -> None:
        backend = str(by_id("cache-backend").value)
        if backend not in CACHE_BACKENDS or backend == self.models.cache_backend:
            return
        prefs.put(CACHE_BACKEND, backend)
        self.models.use_backend(backend)
        await self.render()
