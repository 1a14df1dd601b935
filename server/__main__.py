"""``python -m server``: serve on HOST:PORT (127.0.0.1:8000 by default)."""

from __future__ import annotations

import uvicorn

from server.settings import get_settings

__all__: list[str] = []

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        log_level="info",
    )
