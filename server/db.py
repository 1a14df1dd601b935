"""Database engines from a URL, shared by the app, the Piccolo CLI and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

if TYPE_CHECKING:
    from piccolo.engine.base import Engine

__all__ = ["bind_tables", "engine_from_url", "is_postgres"]


def is_postgres(url: str) -> bool:
    """True for ``postgres://`` and ``postgresql://`` URLs."""
    return urlsplit(url).scheme in {"postgres", "postgresql"}


def engine_from_url(url: str) -> Engine[Any]:
    """A Piccolo engine for ``url``; SQLite files get their folder created."""
    scheme = urlsplit(url).scheme
    if is_postgres(url):
        return PostgresEngine(config={"dsn": url})
    if scheme == "sqlite":
        # sqlite:///relative/file or sqlite:////absolute/file, as SQLAlchemy spells them.
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path))
    raise ValueError(f"unsupported DATABASE_URL scheme {scheme!r}: use sqlite:/// or postgresql://")


def bind_tables(engine: Engine[Any]) -> None:
    """Point every registered table at ``engine`` (the app's, not piccolo_conf's import-time one)."""
    from piccolo.conf.apps import Finder

    for table in Finder().get_table_classes():
        table._meta.db = engine
