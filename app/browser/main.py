"""The page's entry point: ask for the model lists, then import and start the page.

Browser modules are imported inside :func:`main` so CPython can import this module in tests,
and so the model lists' requests leave before those imports hold the thread.
"""

from __future__ import annotations

import asyncio

__all__ = ["main"]


async def main() -> None:
    """Boot the app (``app/browser/page.py``); a failure there is shown as a status line."""
    from pyscript import window

    window.performance.mark("app:python")
    from app.browser.model_lists import ModelLists

    lists = ModelLists()
    await asyncio.sleep(0)  # both requests leave before the imports below hold the thread

    from app.browser.page import start_page

    window.performance.mark("app:imported")
    await start_page(lists)
