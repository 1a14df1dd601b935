"""Where server-side sessions and rate-limit counters live.

One worker (the embedded default): sessions in files under ``data_dir`` (a restart keeps
people logged in), counters in memory. Several workers (``REDIS_URL`` set): everything in
Redis, one namespace per store name, so every worker sees the same sessions and counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry

if TYPE_CHECKING:
    from litestar.stores.base import Store

    from server.settings import Settings

__all__ = ["SESSIONS", "prune_expired", "store_registry"]

#: The store name Litestar's ServerSideSessionConfig uses by default.
SESSIONS = "sessions"


def store_registry(settings: Settings) -> StoreRegistry:
    """Stores by name; any name not listed gets its own namespace of the same backend."""
    if settings.redis_url:
        root = RedisStore.with_client(url=settings.redis_url, namespace="chat")
        # Registered stores join the app's lifespan: the root one closes the shared pool.
        return StoreRegistry(stores={"redis": root}, default_factory=root.with_namespace)
    sessions_dir = settings.data_dir / "sessions"
    sessions_dir.mkdir(parents=True, exist_ok=True)
    stores: dict[str, Store] = {SESSIONS: FileStore(sessions_dir)}
    return StoreRegistry(stores=stores, default_factory=lambda _name: MemoryStore())


async def prune_expired(registry: StoreRegistry) -> None:
    """Drop expired sessions left on disk by earlier runs (Redis expires keys itself)."""
    store = registry.get(SESSIONS)
    if isinstance(store, (FileStore, MemoryStore)):
        await store.delete_expired()
