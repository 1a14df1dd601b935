"""What the character form's inputs mean: a character's fields from the typed text, lossless.

Saving a card unchanged must give back the same card, so nothing but the name is trimmed, each
alternate greeting is its own input (a ``---`` scene break inside one stays in it), and the tags
line keeps the stored list when its text was not changed. Plain Python, so the rules are unit
tested under CPython (``tests/unit/test_character_form.py``); the form itself is
``app/browser/character_editor.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["form_fields", "parse_tags", "tags_text"]


def tags_text(tags: Sequence[str]) -> str:
    """The tags as the form shows them: one line, separated by commas."""
    return ", ".join(tags)


def parse_tags(text: str) -> list[str]:
    """The tags typed in one line: split on commas, trimmed, blanks and repeats left out."""
    found: list[str] = []
    for part in text.split(","):
        tag = part.strip()
        if tag and tag not in found:
            found.append(tag)
    return found


def form_fields(
    values: Mapping[str, str], greetings: Sequence[str], *, stored_tags: Sequence[str] = ()
) -> dict[str, Any]:
    """The character's fields from the form: ``values`` by input name, ``greetings`` in order.

    Blank greetings are dropped (an empty input left behind); ``stored_tags`` are kept as they
    were when the tags line still reads as they did (a tag may itself hold a comma).
    """
    fields: dict[str, Any] = {key: value for key, value in values.items() if key != "tags"}
    fields["name"] = values.get("name", "").strip()
    tags = values.get("tags", "")
    fields["tags"] = list(stored_tags) if tags == tags_text(stored_tags) else parse_tags(tags)
    fields["alternate_greetings"] = [text for text in greetings if text.strip()]
    return fields
