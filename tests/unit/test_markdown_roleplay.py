"""Roleplay rendering: line breaks, GFM tables and strikethrough, and a small inline HTML set.

What cards and models write in SillyTavern renders the same here, and nothing outside the
allow-list can run: the XSS corpus is run again wrapped in the tags that are now kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from app.markdown import INLINE_HTML_TAGS, render_markdown
from tests.unit.test_markdown_xss import ALLOWED_ATTRS, ALLOWED_TAGS, CORPUS, assert_inert

TABLE_TAGS = {"table", "thead", "tbody", "tr", "th", "td"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def test_a_single_newline_is_a_line_break() -> None:
    html = render_markdown('*She looks up.*\n"Hello."\nShe smiles.')
    assert html.count("<br") == 2
    assert "<em>She looks up.</em>" in html


def test_gfm_tables_render() -> None:
    html = render_markdown("| Stat | Value |\n| --- | ---: |\n| HP | 12 |\n| MP | *3* |")
    names = [tag for tag, _ in tags_of(html)]
    assert {"table", "thead", "tbody", "th", "td"} <= set(names)
    assert names.count("tr") == 3
    assert "<em>3</em>" in html


def test_strikethrough_renders() -> None:
    assert "<s>gone</s>" in render_markdown("it is ~~gone~~ now")


@pytest.mark.parametrize("tag", ["b", "i", "u", "s", "em", "strong"])
def test_simple_inline_tags_are_kept(tag: str) -> None:
    html = render_markdown(f"a <{tag}>word</{tag}> here")
    assert f"<{tag}>word</{tag}>" in html


def test_br_from_a_card_is_a_line_break_not_text() -> None:
    html = render_markdown("Line one<br>Line two<br/>three")
    assert "&lt;br" not in html
    assert html.count("<br") == 2


def test_coloured_text_keeps_only_its_colour() -> None:
    html = render_markdown(
        '<span style="color: #e0a; position: fixed; background: url(https://t.example/p)"'
        ' class="hidden" onclick="x()">pink</span> and <font color="red" size="7">red</font>'
    )
    tags = dict(tags_of(html))
    assert tags["span"] == {"data-color": "#e0a"}
    assert tags["font"] == {"color": "red"}
    assert "t.example" not in html


def test_a_style_that_could_run_or_load_is_dropped() -> None:
    for style in ("color: expression(alert(1))", "color: url(javascript:alert(1))"):
        html = render_markdown(f"<span style='{style}'>x</span>")
        assert tags_of(html) == [("p", {}), ("span", {})], html


def test_a_colour_cannot_break_out_of_its_attribute() -> None:
    html = render_markdown("""<span style='color: "x" onclick=alert(1)'>x</span>""")
    assert all(name != "onclick" for _, attrs in tags_of(html) for name in attrs), html


@pytest.mark.parametrize(
    "raw",
    ["<div>x</div>", "<a href='https://example.org'>x</a>", "<img src=x>", "<table><tr></tr>"],
)
def test_other_tags_are_shown_as_typed(raw: str) -> None:
    html = render_markdown(f"before {raw} after")
    assert [tag for tag, _ in tags_of(html)] == ["p"], html
    assert "&lt;" in html


def test_script_is_shown_as_text_not_dropped() -> None:
    html = render_markdown("use <b>this</b>: <script>alert(1)</script>")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_still_works_around_a_tag_at_the_start_of_a_line() -> None:
    html = render_markdown("<b>Mira:</b> *waves*\n<br>\n**Hi!**")
    assert "<b>Mira:</b>" in html
    assert "<em>waves</em>" in html
    assert "<strong>Hi!</strong>" in html


def test_a_markdown_link_beside_raw_html_keeps_working() -> None:
    html = render_markdown(
        "<b>see</b> [site](https://example.org) and <a href='https://x.y'>no</a>"
    )
    links = [attrs for tag, attrs in tags_of(html) if tag == "a"]
    assert links == [
        {"href": "https://example.org", "rel": "noopener noreferrer nofollow", "target": "_blank"}
    ]


def test_image_caption_beside_raw_html_keeps_its_class() -> None:
    html = render_markdown("<i>look</i> ![a cat](https://t.example/c.png)")
    assert '<span class="md-image-alt">[a cat]</span>' in html
    assert "t.example" not in html


def test_placeholders_cannot_be_forged_from_the_text() -> None:
    html = render_markdown("<b>x</b> [l](https://example.org) \ue0000\ue001 \ue0001\ue001")
    assert html.count("<a ") == 1
    assert html.count("</a>") == 1


def test_emoji_joiners_survive_sanitising() -> None:
    family = "\N{WOMAN}\u200d\N{WOMAN}\u200d\N{GIRL}"
    assert family in render_markdown(f"<b>{family}</b>")


def test_text_that_only_looks_like_html_is_escaped() -> None:
    html = render_markdown("if a < b && c > d <b>then</b>")
    assert "a &lt; b &amp;&amp; c &gt; d" in html


@pytest.mark.parametrize("payload", CORPUS)
@pytest.mark.parametrize("wrap", ["<b>{}</b>", "<span style='color:red'>{}</span>", "| {} |\n|-|"])
def test_corpus_wrapped_in_kept_tags_renders_inert(payload: str, wrap: str) -> None:
    html = render_markdown(wrap.format(payload))
    assert_inert_roleplay(html)


def assert_inert_roleplay(html: str) -> None:
    """The corpus check, with the kept inline tags and table tags allowed as well."""
    stripped = html
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS | INLINE_HTML_TAGS | TABLE_TAGS | {"font"}, html
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRS | {"data-color", "color"}, html
            if name in ("data-color", "color"):
                assert "(" not in (value or ""), html
        if tag not in ALLOWED_TAGS:
            stripped = re.sub(rf"<(/?){tag}\b", r"<\1p", stripped)
    if "color=" not in html:
        assert_inert(stripped)
