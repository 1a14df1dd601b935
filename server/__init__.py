"""Litestar + Piccolo backend: serves the page and its runtime, and stores users' chat logs."""

from __future__ import annotations

import os

__all__: list[str] = []

# Piccolo finds its configuration (engine, apps, migrations) through this variable; the CLI,
# the app and the tests all share ours unless told otherwise.
os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
