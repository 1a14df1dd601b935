"""Piccolo app ``chat``: character-chat sessions and messages, and their migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

__all__ = ["APP_CONFIG"]

APP_CONFIG = AppConfig(
    app_name="chat",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=table_finder(modules=["server.chat.tables"], exclude_imported=True),
    migration_dependencies=["server.accounts.piccolo_app"],
    commands=[],
)
