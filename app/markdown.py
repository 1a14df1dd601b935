"""Markdown for untrusted text (model output, character cards) that cannot run anything.

markdown-it-py with raw HTML off escapes every tag; its link validator already refuses
``javascript:``/``vbscript:``/``data:`` links. On top of that we allow only http(s)/mailto links
(opened safely) and no remote images at all: an image becomes its alt text, so a reply can
neither track the reader nor pull content from elsewhere.

The library's ``text`` rule steps through plain text one character at a time in Python, most
of the time spent on a long reply in the page; the same rule with one regular-expression match
per run of plain text gives the same tokens several times faster.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline.text import _TerminatorChars

if TYPE_CHECKING:
    from collections.abc import Sequence

    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

__all__ = ["render_markdown"]

_SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _image_as_text(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    alt = self.renderInline(token.children or [], options, env)
    return f'<span class="md-image-alt">[{alt}]</span>' if alt else ""


def _link_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if not href.lower().startswith(_SAFE_LINK_SCHEMES):
        token.attrs.pop("href", None)
    else:
        token.attrSet("rel", "noopener noreferrer nofollow")
        token.attrSet("target", "_blank")
    return str(self.renderToken(tokens, idx, options, env))


_PLAIN_RUN = re.compile("[^" + re.escape("".join(sorted(_TerminatorChars))) + "]+")


def _text(state: StateInline, silent: bool) -> bool:
    """markdown-it's ``text`` rule: skip a run of characters no other inline rule starts at."""
    match = _PLAIN_RUN.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        state.pending += match.group()
    state.pos = match.end()
    return True


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.inline.ruler.at("text", _text)
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("link_open", _link_open)
    return md


_MD = _build()


def render_markdown(text: str) -> str:
    """HTML for ``text`` that is safe to assign to ``innerHTML``."""
    return str(_MD.render(text))
