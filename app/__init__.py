"""The chat app's Python: runs in the browser under Pyodide, imports under CPython for tests.

Everything here is plain Python except ``app.browser``, the thin adapters that touch the DOM
and browser APIs through PyScript; those are imported only in the page.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
