"""The world-info editor's form keeps what it does not show and reads what it does."""

from __future__ import annotations

from app.lore_form import added_entry, entry_fields, entry_from_fields, without_entry
from app.worldinfo import Lorebook, LoreEntry

ENTRY = LoreEntry(
    uid=3,
    keys=("castle", "/glass(es)?/i"),
    secondary_keys=("night",),
    content="The castle is glass.",
    comment="Castle",
    logic="AND_ALL",
    position="an_top",
    probability=40,
    case_sensitive=True,
)


def test_an_entry_saved_unchanged_stays_the_same() -> None:
    assert entry_from_fields(entry_fields(ENTRY), ENTRY) == ENTRY


def test_the_form_changes_what_it_shows_and_keeps_the_rest() -> None:
    values = {
        **entry_fields(ENTRY),
        "keys": "tower, castle , tower",
        "content": "Edited.",
        "constant": True,
        "position": "at_depth",
        "depth": "2",
        "order": "not a number",
        "logic": "NOT_ANY",
    }
    edited = entry_from_fields(values, ENTRY)
    assert edited.keys == ("tower", "castle")
    assert (edited.content, edited.constant, edited.position, edited.depth) == (
        "Edited.",
        True,
        "at_depth",
        2,
    )
    assert edited.order == ENTRY.order
    assert edited.logic == "NOT_ANY"
    assert (edited.probability, edited.case_sensitive) == (40, True)


def test_odd_choices_fall_back_to_the_stored_ones() -> None:
    edited = entry_from_fields({"position": "outlet", "logic": "XOR", "depth": "-5"}, ENTRY)
    assert (edited.position, edited.logic, edited.depth) == ("an_top", "AND_ALL", 0)


def test_entries_are_added_with_a_fresh_uid_and_removed_by_it() -> None:
    book = added_entry(Lorebook(name="B", entries=(ENTRY,)))
    assert [entry.uid for entry in book.entries] == [3, 4]
    assert without_entry(book, 3).entries == (LoreEntry(uid=4),)
    assert added_entry(Lorebook()).entries == (LoreEntry(uid=0),)


def test_worlds_survive_the_settings_store_and_names_stay_unique() -> None:
    from app.lore_form import read_worlds, stored_worlds, world_name

    worlds = {"Glass Reach": Lorebook(name="Glass Reach", entries=(ENTRY,))}
    back = read_worlds(stored_worlds(worlds))
    assert list(back) == ["Glass Reach"]
    assert back["Glass Reach"].entries[0].content == ENTRY.content
    assert read_worlds("junk") == {}
    assert world_name("  Glass   Reach ", worlds) == "Glass Reach (2)"
    assert world_name("", {}) == "World"


def test_the_books_own_settings_round_trip_and_an_empty_budget_is_the_apps() -> None:
    from app.lore_form import book_fields, book_from_fields

    book = Lorebook(name="B", scan_depth=3, token_budget=500, recursive_scanning=True)
    assert book_from_fields(book_fields(book), book) == book
    changed = book_from_fields({**book_fields(book), "token_budget": "", "scan_depth": "7"}, book)
    assert (changed.token_budget, changed.scan_depth) == (None, 7)
    odd = book_from_fields({"token_budget": "lots", "scan_depth": "x"}, book)
    assert (odd.token_budget, odd.scan_depth) == (500, 3)


def test_case_and_whole_words_follow_the_book_unless_the_entry_says() -> None:
    values = entry_fields(ENTRY)
    assert (values["case_sensitive"], values["match_whole_words"]) == ("yes", "")
    edited = entry_from_fields({**values, "case_sensitive": "", "match_whole_words": "no"}, ENTRY)
    assert (edited.case_sensitive, edited.match_whole_words) == (None, False)
