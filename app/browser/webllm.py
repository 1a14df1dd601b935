"""WebLLM's JS module, imported the first time an engine or cache call needs it.

The module is 7 MB of JavaScript; evaluating it takes the main thread for ~100 ms, which the
page's start does without. What start-up needs of it, the built-in model list, is read out at
setup into a JSON file beside the module and fetched instead (:mod:`app.browser.model_lists`).
"""

from __future__ import annotations

from typing import Any

from pyscript.js_modules import engine_glue

__all__ = ["module"]

_loaded: list[Any] = []  # the module, once imported


async def module() -> Any:
    """The ``@mlc-ai/web-llm`` module (imported once, by ``web/engine-glue.js``)."""
    if not _loaded:
        _loaded.append(await engine_glue.webllm())
    return _loaded[0]
