"""Browser storage for model artifacts: what is cached, how big, how much room is left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyscript import window

from app.browser import webllm
from app.browser.jsbridge import absent, js_object

__all__ = [
    "StorageEstimate",
    "cached_model_ids",
    "delete_model",
    "estimate",
    "model_bytes",
    "persist",
]

#: Cache API buckets WebLLM 0.2.86 uses (weights, model libs, configs).
_CACHE_NAMES = ("webllm/model", "webllm/wasm", "webllm/config")


@dataclass(frozen=True)
class StorageEstimate:
    """``navigator.storage.estimate()`` in bytes."""

    usage: int
    quota: int

    @property
    def free(self) -> int:
        """Bytes this site may still write."""
        return max(0, self.quota - self.usage)


async def estimate() -> StorageEstimate | None:
    """Usage and quota, or None where the browser does not tell."""
    storage = getattr(window.navigator, "storage", None)
    if absent(storage):
        return None
    result = await storage.estimate()
    return StorageEstimate(int(result.usage or 0), int(result.quota or 0))


async def persist() -> bool:
    """Ask the browser not to evict our storage under pressure (before a big download)."""
    storage = getattr(window.navigator, "storage", None)
    if absent(storage) or absent(getattr(storage, "persist", None)):
        return False
    return bool(await storage.persist())


async def cached_model_ids(app_config: dict[str, Any], model_ids: list[str]) -> list[str]:
    """Which of ``model_ids`` WebLLM finds in its cache."""
    if not model_ids:
        return []
    config = js_object(app_config)
    module = await webllm.module()
    found = []
    for model_id in model_ids:
        try:
            if await module.hasModelInCache(model_id, config):
                found.append(model_id)
        except Exception:  # noqa: BLE001 - an unreadable entry counts as not cached
            continue
    return found


async def model_bytes(record: dict[str, Any]) -> int | None:
    """Bytes cached for one model (Cache API backend; None where sizes are unknown)."""
    if absent(getattr(window, "caches", None)):
        return None
    prefixes = (record["model"].rstrip("/") + "/", record["model_lib"])
    total = 0
    for name in _CACHE_NAMES:
        cache = await window.caches.open(name)
        for request in await cache.keys():
            url = str(request.url)
            if not url.startswith(prefixes):
                continue
            response = await cache.match(request)
            length = None if absent(response) else response.headers.get("content-length")
            if absent(length) or not length:
                blob = await response.blob()
                total += int(blob.size)
            else:
                total += int(length)
    return total


async def delete_model(app_config: dict[str, Any], model_id: str) -> None:
    """Delete a model's weights, lib and config from WebLLM's cache."""
    module = await webllm.module()
    await module.deleteModelAllInfoInCache(model_id, js_object(app_config))
