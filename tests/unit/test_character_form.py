"""The character form's reading of what was typed: nothing changes that the user did not."""

from __future__ import annotations

import pytest

from app.character_form import form_fields, parse_tags, tags_text


def test_a_greeting_with_a_scene_break_stays_one_greeting() -> None:
    scene = "*Dusk.*\n\n---\n\n*Dawn.*"
    fields = form_fields({"name": "Mira"}, [scene, "Ahoy!"])
    assert fields["alternate_greetings"] == [scene, "Ahoy!"]


def test_blank_greetings_are_dropped_and_the_rest_kept_as_typed() -> None:
    fields = form_fields({"name": "Mira"}, ["", "  \n", "  Ahoy!\n"])
    assert fields["alternate_greetings"] == ["  Ahoy!\n"]


def test_only_the_name_is_trimmed() -> None:
    fields = form_fields({"name": "  Mira \n", "description": "  keeps the lamp.\n"}, [])
    assert fields["name"] == "Mira"
    assert fields["description"] == "  keeps the lamp.\n"


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("river, captain", ["river", "captain"]),
        (" river ,, captain ,river", ["river", "captain"]),
        ("", []),
        (" , ", []),
    ],
)
def test_parse_tags(typed: str, tags: list[str]) -> None:
    assert parse_tags(typed) == tags


def test_unchanged_tags_line_keeps_tags_that_hold_commas() -> None:
    stored = ["river", "captain, retired"]
    fields = form_fields({"name": "Rook", "tags": tags_text(stored)}, [], stored_tags=stored)
    assert fields["tags"] == stored


def test_a_changed_tags_line_is_read_again() -> None:
    stored = ["river", "captain, retired"]
    fields = form_fields({"name": "Rook", "tags": "river, sailor"}, [], stored_tags=stored)
    assert fields["tags"] == ["river", "sailor"]
