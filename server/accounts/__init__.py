"""Accounts: registration, login, logout and the session-cookie identity of the log API."""

from __future__ import annotations

__all__: list[str] = []
