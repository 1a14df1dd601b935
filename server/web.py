"""Serving the page, ``pyscript.toml``, the ``app/`` package and the vendored runtime."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any

from litestar import HttpMethod, get, route
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.response import File
from litestar.static_files import create_static_files_router

from server.caching import RevalidateMiddleware

if TYPE_CHECKING:
    from litestar.handlers import BaseRouteHandler
    from litestar.types import ControllerRouterHandler

    from server.settings import Settings

__all__ = ["MIME_TYPES", "register_mime_types", "web_routes"]

#: Types the browser is strict about (module scripts, streaming wasm compile) or we want exact.
MIME_TYPES: dict[str, str] = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".toml": "application/toml",
    ".py": "text/x-python",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".webmanifest": "application/manifest+json",
}

#: Always revalidate (cheap: ConditionalGetMiddleware answers 304), so a deploy is seen at once.
REVALIDATE = CacheControlHeader(no_cache=True)


def register_mime_types() -> None:
    """Teach :mod:`mimetypes` (used by Litestar's file responses) our exact types."""
    for suffix, mime in MIME_TYPES.items():
        mimetypes.add_type(mime, suffix)


def no_nul_in_path(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a path with a NUL byte names no file (the file system would refuse it with an
    error, which must not become a ``500``)."""
    if "\x00" in connection.scope["path"]:
        raise NotFoundException()


def web_routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The page at ``/`` and the static trees it loads."""
    register_mime_types()
    settings.model_libs_dir.mkdir(parents=True, exist_ok=True)
    index = settings.web_dir / "index.html"
    toml = settings.web_dir.parent / "pyscript.toml"

    @route(
        "/",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        include_in_schema=False,
        cache_control=REVALIDATE,
        sync_to_thread=False,
    )
    def page() -> File:
        """The app shell; PyScript takes over once Pyodide is up."""
        return File(index, content_disposition_type="inline", media_type="text/html")

    @get("/pyscript.toml", include_in_schema=False, cache_control=REVALIDATE, sync_to_thread=False)
    def pyscript_config() -> File:
        """PyScript's configuration: interpreter, wheels, ``app/`` files, JS modules."""
        return File(toml, content_disposition_type="inline", media_type=MIME_TYPES[".toml"])

    def static(path: str, directory: object, name: str) -> ControllerRouterHandler:
        return create_static_files_router(
            path=path,
            directories=[directory],  # type: ignore[list-item]
            name=name,
            middleware=[RevalidateMiddleware()],
            guards=[no_nul_in_path],
        )

    return [
        page,
        pyscript_config,
        static("/static", settings.web_dir, "static"),
        static("/app", settings.app_dir, "app"),
        static("/runtime", settings.runtime_dir, "runtime"),
        static("/webllm-model-libs", settings.model_libs_dir, "model-libs"),
    ]
