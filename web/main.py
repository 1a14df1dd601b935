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


_drop_stale_snapshot_modules()

from app.main import main  # noqa: E402

await main()  # noqa: F704 - PyScript runs scripts with top-level await
