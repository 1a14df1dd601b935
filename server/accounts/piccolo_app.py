"""Piccolo app ``accounts``: the user table and its migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

__all__ = ["APP_CONFIG"]

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=table_finder(modules=["server.accounts.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
