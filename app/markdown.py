"""Markdown for untrusted text (model output, character cards) that cannot run anything.

Rendered for roleplay as SillyTavern users know it: a single newline is a line break, GFM
tables and ``~~strikethrough~~`` work, and a small set of inline HTML that cards and models use
(``<br>``, ``<b>``, ``<i>``, ``<u>``, ``<s>``, ``<span style="color:...">``,
``<font color=...>``) is kept. Any other tag is shown as typed, never run: every paragraph
that holds raw HTML goes through justhtml's sanitiser (a maintained, pure-Python HTML5 parser)
with an allow-list policy, which also drops event handlers and every CSS property but
``color``. Raw HTML blocks are off, so markdown keeps working around a tag at a line's start.
The page's CSP applies no ``style`` attribute, so a kept colour travels as ``data-color`` and
the message view sets it through the CSSOM (``app/browser/message_view.py``).

Links come only from markdown syntax, and only http(s)/mailto (opened safely): markdown-it's
validator already refuses ``javascript:``/``vbscript:``/``data:``, and a raw ``<a>`` is escaped.
No remote images at all: an image becomes its alt text, so a reply can neither track the
reader nor pull content from elsewhere.

The library's ``text`` rule steps through plain text one character at a time in Python, most
of the time spent on a long reply in the page; the same rule with one regular-expression match
per run of plain text gives the same tokens several times faster.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline.text import _TerminatorChars

if TYPE_CHECKING:
    from collections.abc import Sequence

    from justhtml import SanitizationPolicy
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

__all__ = ["INLINE_HTML_TAGS", "plain_line", "render_markdown"]

_SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")

#: The raw HTML tags a message may use; any other is shown as text.
INLINE_HTML_TAGS = frozenset({"br", "b", "i", "u", "s", "em", "strong", "span", "font"})

#: Tags markdown itself writes inside a paragraph, which the sanitiser must keep.
_MARKDOWN_INLINE_TAGS = frozenset({"code", "s"})

# Markdown's own links and image captions stand in the sanitiser's input as private-use
# placeholders (text, which it keeps), so a raw ``<a>`` or ``<span class>`` stays refused.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_LINKS_KEY = "app_links"


@cache
def _policy() -> SanitizationPolicy:
    """The allow-list, built on first use: most messages hold no HTML and never import it."""
    from justhtml import SanitizationPolicy

    return SanitizationPolicy(
        allowed_tags=INLINE_HTML_TAGS | _MARKDOWN_INLINE_TAGS,
        allowed_attributes={"span": {"style"}, "font": {"color"}},
        allowed_css_properties={"color"},
        disallowed_tag_handling="escape",
        drop_content_tags=set(),
        strip_invisible_unicode=False,  # it would strip the joiners inside emoji
    )


#: A colour the sanitiser kept, as it writes it; moved to ``data-color`` for the page to apply.
_STYLE_COLOUR = re.compile(r' style="color:\s*([^";]+?)\s*;?"')


def _sanitize(html: str) -> str:
    """``html`` with only the allow-list left; a colour is moved from ``style`` (which the
    page's CSP refuses to apply) to ``data-color``, which the view sets through the CSSOM."""
    from justhtml import JustHTML

    clean = str(JustHTML(html, fragment=True, policy=_policy()).to_html(pretty=False))
    return _STYLE_COLOUR.sub(r' data-color="\1"', clean) if " style=" in clean else clean


def _image_as_text(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    alt = str(self.renderInline(tokens[idx].children or [], options, env))
    if not alt:
        return ""
    return _held('<span class="md-image-alt">[', env) + alt + _held("]</span>", env)


def _held(html: str, env: EnvType) -> str:
    """``html`` itself, or its placeholder while the paragraph around it will be sanitised."""
    links = env.get(_LINKS_KEY)
    if links is None:
        return html
    links.append(html)
    return f"{_OPEN}{len(links) - 1}{_CLOSE}"


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
    return _held(str(self.renderToken(tokens, idx, options, env)), env)


def _link_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _held(str(self.renderToken(tokens, idx, options, env)), env)


class _Renderer(RendererHTML):
    """Renders a paragraph that holds raw HTML, then sanitises it as one fragment."""

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        if _LINKS_KEY in env or not any(token.type == "html_inline" for token in tokens):
            return str(super().renderInline(tokens, options, env))
        links: list[str] = []
        env[_LINKS_KEY] = links
        try:
            html = _sanitize(str(super().renderInline(tokens, options, env)))
        finally:
            del env[_LINKS_KEY]
        return _PLACEHOLDER.sub(lambda match: links[int(match.group(1))], html)


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


def _build(*, fast_text: bool = True) -> MarkdownIt:
    options = {"html": True, "breaks": True, "linkify": False, "typographer": False}
    md = MarkdownIt("commonmark", options, renderer_cls=_Renderer)
    md.enable(["table", "strikethrough"]).disable("html_block")
    if fast_text:
        md.inline.ruler.at("text", _text)
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    return md


_MD = _build()


def render_markdown(text: str) -> str:
    """HTML for ``text`` that is safe to assign to ``innerHTML``."""
    return str(_MD.render(text.replace(_OPEN, "").replace(_CLOSE, ""), {}))


_KEPT_TAG = re.compile(r"</?(?:" + "|".join(sorted(INLINE_HTML_TAGS)) + r")\b[^<>]*>", re.I)


def plain_line(text: str) -> str:
    """``text`` on one line without the emphasis marks and kept tags it renders with (for the
    sidebar's preview, which shows text, not markup)."""
    bare = _KEPT_TAG.sub(lambda tag: " " if tag.group().lower().startswith("<br") else "", text)
    return " ".join(bare.replace("*", "").replace("~~", "").split())
