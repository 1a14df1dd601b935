"""``{{char}}`` and ``{{user}}``: the two macros every card and lorebook uses.

One pass over the text, so a name that itself contains a macro is not expanded again; the
legacy ``<BOT>``, ``<CHAR>`` and ``<USER>`` spellings count too, in any letter case.
"""

from __future__ import annotations

import re

__all__ = ["substitute_macros"]

_MACRO = re.compile(r"\{\{\s*(char|user)\s*\}\}|<(bot|char|user)>", re.IGNORECASE)


def substitute_macros(text: str, *, char: str, user: str) -> str:
    """``text`` with ``{{char}}``/``<BOT>``/``<CHAR>`` as ``char`` and ``{{user}}``/``<USER>`` as ``user``."""

    def name(match: re.Match[str]) -> str:
        macro = (match.group(1) or match.group(2)).lower()
        return user if macro == "user" else char

    return _MACRO.sub(name, text)
