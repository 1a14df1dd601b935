"""One catalogue, complete in both languages."""

from __future__ import annotations

import re
import string

import pytest

from app.i18n import CATALOGUE, LANGUAGES, pick_language, translate


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_key_has_every_language_with_the_same_placeholders(key: str) -> None:
    texts = CATALOGUE[key]
    assert set(texts) == set(LANGUAGES)
    assert all(texts[lang].strip() for lang in LANGUAGES)
    assert len({frozenset(_fields(texts[lang])) for lang in LANGUAGES}) == 1


def test_korean_texts_are_korean() -> None:
    hangul = re.compile(r"[\uac00-\ud7a3]")
    assert all(hangul.search(texts["ko"]) for texts in CATALOGUE.values())


@pytest.mark.parametrize(
    ("preferred", "lang"),
    [
        pytest.param(["ko-KR", "en-US"], "ko", id="korean-first"),
        pytest.param(["fr-FR", "ko"], "ko", id="second-choice"),
        pytest.param(["en-GB"], "en", id="english"),
        pytest.param(["ja-JP"], "en", id="unsupported"),
        pytest.param([], "en", id="none"),
    ],
)
def test_pick_language(preferred: list[str], lang: str) -> None:
    assert pick_language(preferred) == lang


def test_translate_fills_placeholders() -> None:
    assert "SwiftShader" in translate("gpu.adapter", "ko", description="SwiftShader")


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("key", ["character.system_prompt", "character.post_history_instructions"])
def test_macro_hints_show_the_macro_as_it_is_typed(key: str, lang: str) -> None:
    assert "{{original}}" in translate(key, lang)
