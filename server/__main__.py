"""``python -m server``: serve on HOST:PORT (127.0.0.1:8000 by default)."""

from __future__ import annotations

from typing import Any

import uvicorn

from server.settings import Settings, get_settings

__all__ = ["uvicorn_options"]


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the app: ``X-Forwarded-*`` headers are believed only from the
    configured ``TRUSTED_PROXIES`` (none by default; uvicorn's own default would trust any
    loopback peer, so a client on this machine could pick its rate-limit address)."""
    return {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        "log_level": "info",
    }


if __name__ == "__main__":
    uvicorn.run("server.app:create_app", **uvicorn_options(get_settings()))
