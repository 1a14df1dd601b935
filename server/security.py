"""Security headers on every response, including errors and static files.

The Content-Security-Policy lists exactly what PyScript + Pyodide need: ``'wasm-unsafe-eval'``
to compile WebAssembly and ``'unsafe-eval'`` because PyScript evaluates generated JS; workers
from our origin (and ``blob:`` for WebLLM's helpers); and ``connect-src`` limited to our origin
plus the model artifact hosts (or a configured mirror).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import Message, Scope

    from server.settings import Settings

__all__ = ["MODEL_ARTIFACT_ORIGINS", "SecurityHeaders", "content_security_policy"]

#: Where WebLLM's prebuilt models and libs are hosted (and where Hugging Face redirects to).
MODEL_ARTIFACT_ORIGINS: tuple[str, ...] = (
    "https://huggingface.co",
    "https://*.huggingface.co",
    "https://*.hf.co",
    "https://raw.githubusercontent.com",
)


def content_security_policy(settings: Settings) -> str:
    """The page's CSP; no inline scripts or styles anywhere."""
    connect = ["'self'", *MODEL_ARTIFACT_ORIGINS, *settings.extra_connect_src]
    if settings.model_mirror_base_url:
        connect.append(settings.model_mirror_base_url)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", "'unsafe-eval'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": connect,
        "worker-src": ["'self'", "blob:"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeaders:
    """A ``before_send`` hook: CSP, nosniff, referrer and framing headers on every HTTP
    response, including those Litestar answers before any route or middleware runs (``404``,
    ``405``) and those a middleware refuses with (CSRF ``403``, ``429``, ``413``)."""

    def __init__(self, settings: Settings) -> None:
        self.headers = {
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        }

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start" and scope["type"] == ScopeType.HTTP:
            headers = MutableScopeHeaders.from_message(message)
            for name, value in self.headers.items():
                headers.setdefault(name, value)
