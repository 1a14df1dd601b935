"""Untrusted markdown renders formatting but never markup, scripts or remote content."""

from __future__ import annotations

import pytest

from app.markdown import render_markdown


def test_formatting_is_rendered() -> None:
    html = render_markdown("**bold** *em* `code`\n\n- item\n\n> quote")
    for tag in ("<strong>", "<em>", "<code>", "<li>", "<blockquote>"):
        assert tag in html


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param("<script>window.__pwned=1</script>", id="script-tag"),
        pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
        pytest.param('<a href="javascript:alert(1)">x</a>', id="raw-js-link"),
        pytest.param("<svg onload=alert(1)>", id="svg-onload"),
        pytest.param("<iframe src=//evil.example></iframe>", id="iframe"),
    ],
)
def test_raw_html_is_escaped(attack: str) -> None:
    html = render_markdown(attack)
    assert "<script" not in html
    assert "<img" not in html
    assert "<svg" not in html
    assert "<iframe" not in html
    assert "<a " not in html


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("[x](javascript:alert(1))", id="javascript"),
        pytest.param("[x](JaVaScRiPt:alert(1))", id="mixed-case"),
        pytest.param("[x](data:text/html;base64,PHNjcmlwdD4=)", id="data-url"),
        pytest.param("[x](vbscript:msgbox)", id="vbscript"),
        pytest.param("[x](//evil.example/path)", id="protocol-relative"),
    ],
)
def test_unsafe_links_lose_their_href(link: str) -> None:
    assert "href=" not in render_markdown(link)


def test_safe_links_open_without_opener() -> None:
    html = render_markdown("[site](https://example.org)")
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_images_become_alt_text_and_load_nothing() -> None:
    html = render_markdown("![a cat](https://tracker.example/pixel.png)")
    assert "<img" not in html
    assert "tracker.example" not in html
    assert "a cat" in html


def test_the_fast_text_rule_gives_the_same_html_as_markdown_its_own() -> None:
    """The regex ``text`` rule must tokenise exactly as the library's character loop."""
    import random

    from app.markdown import _MD, _build

    stock = _build(fast_text=False)
    alphabet = [
        *list("ab 한é\t\n!#$%&*+-:<=>@[\\]^_`{}~()'\"./|"),
        "**",
        "](",
        "http://x.y",
        "\n\n",
    ]
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert _MD.render(text) == stock.render(text), text
