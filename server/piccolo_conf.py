"""Piccolo configuration for the CLI (``piccolo migrations forwards all``) and table discovery.

The engine comes from ``DATABASE_URL`` (PostgreSQL) or the embedded SQLite file, exactly as the
app picks it, so migrations and the running server always talk to the same database.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from server.db import engine_from_url
from server.settings import Settings

__all__ = ["APP_REGISTRY", "DB"]

DB = engine_from_url(Settings.from_env().effective_database_url)

APP_REGISTRY = AppRegistry(apps=["server.accounts.piccolo_app", "server.chat.piccolo_app"])
