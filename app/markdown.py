"""Markdown for untrusted text (model output, character cards) that cannot run anything.

markdown-it-py with raw HTML off escapes every tag; its link validator already refuses
``javascript:``/``vbscript:``/``data:`` links. On top of that we allow only http(s)/mailto links
(opened safely) and no remote images at all: an image becomes its alt text, so a reply can
neither track the reader nor pull content from elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    return self.renderToken(tokens, idx, options, env)


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("link_open", _link_open)
    return md


_MD = _build()


def render_markdown(text: str) -> str:
    """HTML for ``text`` that is safe to assign to ``innerHTML``."""
    return _MD.render(text)
