"""The Litestar application factory."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin

from server.caching import ConditionalGetMiddleware
from server.db import bind_tables, engine_from_url
from server.health import HealthController
from server.security import SecurityHeadersMiddleware
from server.settings import Settings, get_settings
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
            await engine.start_connection_pool()
        try:
            yield
        finally:
            if engine.engine_type == "postgres":
                await engine.close_connection_pool()

    return Litestar(
        route_handlers=[HealthController, *web_routes(settings)],
        lifespan=[database_pool],
        middleware=[SecurityHeadersMiddleware(settings), ConditionalGetMiddleware()],
        openapi_config=OpenAPIConfig(
            title="On-device character chat API",
            version="1.0.0",
            path="/schema",
            # Spec only, no HTML viewer: those load their JS from a CDN, which our CSP forbids.
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin()],
        ),
        debug=False,
    )
