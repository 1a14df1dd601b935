"""PyScript's entry script: hand over to the ``app`` package (mapped in by pyscript.toml)."""

import hashlib
import sys


def _drop_stale_snapshot_modules() -> None:
    """The memory snapshot may hold the app's browser-free modules, imported when it was built
    (``sys._snapshot_sources``: module name -> SHA-256 of its file). If any file this page was
    served differs, all of them are dropped and imported afresh from the files."""
    sources = getattr(sys, "_snapshot_sources", None)
    if not sources:
        return
    for name, digest in sources.items():
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        try:
            with open(path, "rb") as source:
                fresh = hashlib.sha256(source.read()).hexdigest() == digest
        except (OSError, TypeError):
            fresh = False
        if not fresh:
            for stale in sources:
                sys.modules.pop(stale, None)
            return


def _cannot_start(exc: BaseException) -> None:
    """The app's own modules failed to import (a broken deploy): say so on the page, which
    otherwise keeps showing "Loading" for ever. No catalogue is loaded yet: English only."""
    from pyscript import document

    status = document.getElementById("status")
    status.textContent = f"The app could not start ({type(exc).__name__}: {exc}). Reload the page."
    status.setAttribute("data-state", "error")


_drop_stale_snapshot_modules()

try:
    from app.browser.main import main
except Exception as exc:
    _cannot_start(exc)
    raise

await main()  # noqa: F704 - PyScript runs scripts with top-level await
