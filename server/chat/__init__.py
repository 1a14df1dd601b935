"""Character-chat logs: idempotent sessions and messages, listed and paged for restore."""

from __future__ import annotations

__all__: list[str] = []
