"""The Litestar application factory."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin

from server.accounts.sessions import SECURITY_COMPONENTS, SecureCookiesMiddleware, csrf_config
from server.api import api_router
from server.app_bundle import AppBundle, app_bundle_routes
from server.caching import ConditionalGetMiddleware
from server.db import bind_tables, engine_from_url
from server.errors import exception_handlers
from server.health import HealthController
from server.limits import MAX_BODY_BYTES
from server.offline import offline_routes
from server.presets import presets_route
from server.security import SecurityHeaders
from server.settings import Settings, get_settings
from server.stores import prune_expired, store_registry
from server.web import web_routes

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    engine = engine_from_url(settings.effective_database_url)
    bind_tables(engine)

    @asynccontextmanager
    async def database_pool(app: Litestar) -> AsyncIterator[None]:
        """Open the PostgreSQL pool for the app's lifetime (SQLite has none)."""
        app.state.db_engine = engine
        if engine.engine_type == "postgres":
            await engine.start_connection_pool()  # type: ignore[no-untyped-call]  # Piccolo's own
        try:
            yield
        finally:
            if engine.engine_type == "postgres":
                await engine.close_connection_pool()  # type: ignore[no-untyped-call]

    async def prune_sessions(app: Litestar) -> None:
        """Forget sessions that expired while the server was down."""
        await prune_expired(app.stores)

    bundle = AppBundle(settings.app_dir)
    return Litestar(
        route_handlers=[
            HealthController,
            api_router(settings),
            presets_route(settings),
            *offline_routes(settings, bundle),
            *app_bundle_routes(bundle),
            *web_routes(settings),
        ],
        lifespan=[database_pool],
        on_startup=[prune_sessions],
        before_send=[SecurityHeaders(settings)],
        middleware=[
            ConditionalGetMiddleware(),
            SecureCookiesMiddleware(),
        ],
        csrf_config=csrf_config(settings),
        stores=store_registry(settings),
        exception_handlers=exception_handlers(),
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="On-device character chat API",
            version="1.0.0",
            path="/schema",
            # Spec only, no HTML viewer: those load their JS from a CDN, which our CSP forbids.
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin()],
            components=SECURITY_COMPONENTS,
        ),
        debug=False,
    )
