"""World info: SillyTavern's lorebook semantics, the lenient readers and the round trips."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from app.models import Character
from app.worldinfo import (
    Activation,
    DepthInsert,
    EntryOutcome,
    Lorebook,
    LoreEntry,
    activate,
    character_lorebook,
    lorebook_from_card_book,
    lorebook_from_world_json,
    lorebook_to_card_book,
    lorebook_to_world_json,
)


def entry(uid: int, *keys: str, **fields: Any) -> LoreEntry:
    fields.setdefault("content", f"lore {uid}")
    return LoreEntry(uid=uid, keys=keys, **fields)


def book(*entries: LoreEntry, **settings: Any) -> Lorebook:
    return Lorebook(name="Test book", entries=entries, **settings)


def scan(books: Lorebook | list[Lorebook], history: list[str], **options: Any) -> Activation:
    return activate(
        books if isinstance(books, list) else [books],
        history,
        char_name="Aria",
        user_name="Bob",
        **options,
    )


def fired(activation: Activation) -> list[int]:
    return sorted(outcome.entry.uid for outcome in activation.fired)


def placed(activation: Activation) -> list[int]:
    return [outcome.entry.uid for outcome in activation.fired]


def outcome(activation: Activation, uid: int) -> EntryOutcome:
    (found,) = [o for o in (*activation.fired, *activation.skipped) if o.entry.uid == uid]
    return found


def never() -> float:
    raise AssertionError("no probability should be rolled")


# --- what fires -------------------------------------------------------------------------------


def test_constant_entries_fire_without_keys_and_disabled_ones_never() -> None:
    lore = book(
        entry(1, content="always", constant=True),
        entry(2, "dragon", content="off", enabled=False),
        entry(3, "dragon", content="on"),
    )
    result = scan(lore, ["A dragon lands."])
    assert fired(result) == [1, 3]
    assert outcome(result, 1).reason == "constant"
    assert not outcome(result, 2).fired
    assert outcome(result, 2).reason == "disabled"


def test_a_key_match_records_the_key_and_the_message() -> None:
    result = scan(book(entry(1, "castle", "dragon")), ["The castle is far.", "Bob: hello"])
    hit = outcome(result, 1)
    assert hit.fired
    assert hit.key == "castle"
    assert hit.message_index == 0
    assert hit.reason == 'key "castle" in the message 1 before the last'
    assert hit.sweep == 1
    assert outcome(scan(book(entry(1, "bob")), ["x", "Bob: hi"]), 1).reason == (
        'key "bob" in the last message'
    )


def test_scan_depth_limits_the_messages_searched_and_an_entry_may_override_it() -> None:
    history = ["the dragon sleeps", "nothing here", "still nothing"]
    lore = book(entry(1, "dragon"), entry(2, "dragon", scan_depth=3), scan_depth=2)
    result = scan(lore, history)
    assert fired(result) == [2]
    assert outcome(result, 1).reason == "no key in the last 2 messages"
    assert outcome(result, 2).reason == 'key "dragon" in the message 2 before the last'
    assert fired(scan(book(entry(1, "dragon"), scan_depth=0), ["dragon"])) == []
    assert fired(scan(book(entry(1, "dragon"), scan_depth=1), ["dragon", "x"])) == []


def test_keys_are_case_insensitive_unless_the_entry_or_book_says_otherwise() -> None:
    history = ["The DRAGON roars."]
    assert fired(scan(book(entry(1, "dragon")), history)) == [1]
    assert fired(scan(book(entry(1, "dragon", case_sensitive=True)), history)) == []
    assert fired(scan(book(entry(1, "dragon"), case_sensitive=True), history)) == []
    overridden = book(entry(1, "dragon", case_sensitive=False), case_sensitive=True)
    assert fired(scan(overridden, history)) == [1]


def test_whole_word_matching_needs_word_boundaries_but_phrases_stay_substrings() -> None:
    history = ["It is not to my liking."]
    assert fired(scan(book(entry(1, "king")), history)) == [1]  # a substring by default
    assert fired(scan(book(entry(1, "king", match_whole_words=True)), history)) == []
    by_book = book(entry(1, "king"), match_whole_words=True)
    assert fired(scan(by_book, ["Long live the king!"])) == [1]
    assert fired(scan(by_book, history)) == []
    # ST matches a key of several words as a plain substring even with whole words on.
    phrase = book(entry(1, "old king"), match_whole_words=True)
    assert fired(scan(phrase, ["the bold kingdom"])) == [1]
    assert fired(scan(book(entry(1, "king", match_whole_words=False)), ["liking"])) == [1]


def test_regex_keys_use_their_own_flags_and_ignore_the_case_setting() -> None:
    assert fired(scan(book(entry(1, "/dra+gon/i")), ["A DRAAAGON!"])) == [1]
    assert fired(scan(book(entry(1, "/Dragon/")), ["a dragon"])) == []
    assert fired(scan(book(entry(1, "/Dragon/", case_sensitive=False)), ["a dragon"])) == []
    assert fired(scan(book(entry(1, "/(?<pet>cat|dog) \\k<pet>/")), ["dog dog"])) == [1]
    assert fired(scan(book(entry(1, "/{{char}} smiles/i")), ["aria smiles"])) == [1]
    assert fired(scan(book(entry(1, "/^rain$/m")), ["dry\nrain\ndry"])) == [1]


def test_a_regex_can_anchor_on_the_message_separator_as_in_sillytavern() -> None:
    lore = book(entry(1, r"/\x01Bob:[^\x01]*hello/"))
    assert fired(scan(lore, ["Bob: oh, hello", "Aria: hi"])) == [1]
    assert fired(scan(lore, ["Aria: hello Bob: hi", "Aria: ..."])) == []


def test_keys_that_are_not_usable_regexes_are_matched_as_plain_text() -> None:
    # Bad syntax, an unescaped slash inside, and the catastrophic (a+)+ shape: all plain text.
    for key in ("/(unclosed/", "/a/b/", "/(a+)+$/", "/.*.*.*.*.*x/", "/" + "a" * 300 + "/"):
        assert fired(scan(book(entry(1, key)), [f"literally {key} here"])) == [1], key
    assert fired(scan(book(entry(1, "/(a+)+$/")), ["a" * 40 + "!"])) == []
    assert fired(scan(book(entry(1, "/.*.*.*.*.*x/")), ["a" * 3000])) == []
    assert fired(scan(book(entry(1, "/.*a.*b.*c.*d/")), ["a b c d"])) == [1]  # 4 repeats: a regex


def test_names_are_filled_in_keys_and_contents() -> None:
    lore = book(entry(1, "{{user}}'s sword", content="{{char}} forged <USER>'s sword."))
    result = scan(lore, ["I draw Bob's sword."])
    assert outcome(result, 1).key == "Bob's sword"
    assert result.before_char == "Aria forged Bob's sword."


@pytest.mark.parametrize(
    ("logic", "both", "one", "none"),
    [
        ("AND_ANY", True, True, False),
        ("AND_ALL", True, False, False),
        ("NOT_ANY", False, False, True),
        ("NOT_ALL", False, True, True),
    ],
)
def test_selective_logic(logic: str, both: bool, one: bool, none: bool) -> None:
    lore = book(entry(1, "sun", secondary_keys=("moon", "star"), logic=logic))
    assert bool(fired(scan(lore, ["sun, moon and star"]))) is both
    assert bool(fired(scan(lore, ["sun and moon"]))) is one
    assert bool(fired(scan(lore, ["sun alone"]))) is none


def test_secondary_keys_give_the_reason_and_are_ignored_when_not_selective() -> None:
    strict = entry(1, "sun", secondary_keys=("moon", "star"), logic="AND_ALL")
    result = scan(book(strict), ["sun and moon"])
    assert outcome(result, 1).reason == "secondary keys not matched (AND_ALL: 1 of 2)"
    loose = entry(1, "sun", secondary_keys=("moon",), selective=False)
    assert fired(scan(book(loose), ["sun"])) == [1]
    # Secondary keys are searched in the same messages as the primary ones.
    old = ["the moon", "x", "sun"]
    assert fired(scan(book(entry(1, "sun", secondary_keys=("moon",))), old)) == []


def test_entries_without_keys_or_content_are_reported() -> None:
    result = scan(book(entry(1), entry(2, "x", content="  ")), ["x"])
    assert fired(result) == []
    assert outcome(result, 1).reason == "no keys"
    assert outcome(result, 2).reason == "no content"


# --- order and positions ----------------------------------------------------------------------


def test_higher_order_is_placed_later_and_ties_keep_sillytaverns_order() -> None:
    lore = book(
        entry(1, content="A", constant=True, order=10),
        entry(2, content="B", constant=True, order=300),
        entry(3, content="C", constant=True, order=100),
    )
    result = scan(lore, [])
    assert result.before_char == "A\nC\nB"
    assert placed(result) == [1, 3, 2]
    # ST sorts by descending order, then prepends each entry: of equal ones the later comes first.
    tied = book(entry(1, content="first", constant=True), entry(2, content="second", constant=True))
    assert scan(tied, []).before_char == "second\nfirst"
    # So an entry found by recursion, placed after the one whose content found it, comes first.
    assert placed(scan(book(BESSIE, RUFUS, recursive_scanning=True), ["Bessie"])) == [2, 1]


def test_positions_group_the_texts() -> None:
    lore = book(
        entry(1, content="before", constant=True, position="before_char"),
        entry(2, content="after", constant=True, position="after_char"),
        entry(3, content="deep-a", constant=True, position="at_depth", depth=2, order=1),
        entry(4, content="deep-b", constant=True, position="at_depth", depth=2, order=2),
        entry(5, content="shallow", constant=True, position="at_depth", depth=0, role="user"),
        entry(6, content="examples", constant=True, position="em_top", order=200),
        entry(7, content="note", constant=True, position="an_bottom"),
        entry(8, content="outlet", constant=True, position="outlet"),
    )
    result = scan(lore, [])
    assert result.before_char == "before"
    assert result.after_char == "after\nexamples"
    assert result.at_depth == (
        DepthInsert(4, "system", "note"),
        DepthInsert(2, "system", "deep-a\ndeep-b"),
        DepthInsert(0, "user", "shallow"),
    )
    assert outcome(result, 8).reason == "placed at an outlet, which this app does not have"
    assert {o.entry.uid: o.placed for o in result.fired}[6] == "after_char"


# --- budget and probability -------------------------------------------------------------------


def test_the_budget_drops_lower_priority_entries_and_everything_after_the_first_misfit() -> None:
    lore = book(
        entry(1, "x", content="aaaaaa", order=300),
        entry(2, "x", content="bbbbbb", order=200),
        entry(3, "x", content="cc", order=100),
    )
    result = scan(lore, ["x"], count_tokens=len, budget=10)
    assert fired(result) == [1]
    assert outcome(result, 2).reason == "over the token budget (6 + 6 > 10)"
    assert outcome(result, 3).reason == "over the token budget"  # ST stops at the first misfit
    assert result.tokens == 6
    assert result.budget_overflowed
    exact = scan(book(entry(1, "x", content="a" * 10)), ["x"], count_tokens=len, budget=10)
    assert fired(exact) == [1]
    assert not exact.budget_overflowed


def test_constant_entries_come_first_under_the_budget() -> None:
    lore = book(
        entry(1, "x", content="keyword", order=999),
        entry(2, content="constant", constant=True, order=1),
    )
    result = scan(lore, ["x"], count_tokens=len, budget=10)
    assert fired(result) == [2]
    assert not outcome(result, 1).fired


def test_the_budget_comes_from_the_books_unless_given() -> None:
    lore = book(entry(1, "x", content="a" * 8), token_budget=5)
    assert scan(lore, ["x"], count_tokens=len).budget == 5
    assert fired(scan(lore, ["x"], count_tokens=len)) == []
    assert fired(scan(lore, ["x"], count_tokens=len, budget=8)) == [1]
    assert scan(book(entry(1, "x")), ["x"]).budget == 4096


def test_books_earlier_in_the_list_have_priority() -> None:
    character = book(entry(1, "x", content="mine", order=1))
    world = book(entry(2, "x", content="world", order=500))
    result = scan([character, world], ["x"], count_tokens=len, budget=4)
    assert fired(result) == [1]
    assert outcome(result, 2).book_index == 1


def test_probability_rolls_only_when_below_100() -> None:
    lore = book(
        entry(1, "x", probability=40),
        entry(2, "x", probability=60),
        entry(3, "x", probability=10, use_probability=False),
        entry(4, "x", probability=0),
    )
    result = scan(lore, ["x"], rng=lambda: 0.5)
    assert fired(result) == [2, 3]
    assert outcome(result, 1).reason == "lost its 40% chance"
    assert not outcome(result, 4).fired
    assert fired(scan(book(entry(1, "x")), ["x"], rng=never)) == [1]


# --- recursion --------------------------------------------------------------------------------

BESSIE = entry(1, "Bessie", content="Bessie is a cow and is friends with Rufus.", comment="Bessie")
RUFUS = entry(2, "Rufus", content="Rufus is a dog.")


def test_recursion_lets_contents_trigger_other_entries() -> None:
    result = scan(book(BESSIE, RUFUS, recursive_scanning=True), ["Tell me about Bessie."])
    assert fired(result) == [1, 2]
    rufus = outcome(result, 2)
    assert rufus.sweep == 2
    assert rufus.via == BESSIE
    assert rufus.message_index is None
    assert rufus.reason == 'key "Rufus" in the content of entry 1 "Bessie"'


def test_recursion_is_off_unless_the_book_asks_and_the_entries_allow() -> None:
    history = ["Tell me about Bessie."]
    plain = scan(book(BESSIE, RUFUS), history)
    assert fired(plain) == [1]
    assert outcome(plain, 2).reason == "no key in the last 2 messages"
    lone = entry(3, "Zebra")
    looked = scan(book(BESSIE, lone, recursive_scanning=True), history)
    assert (
        outcome(looked, 3).reason == "no key in the last 2 messages or in other entries' contents"
    )
    steps = scan(book(BESSIE, RUFUS, recursive_scanning=True), history, max_recursion_steps=1)
    assert fired(steps) == [1]
    quiet = replace(BESSIE, prevent_recursion=True)
    assert fired(scan(book(quiet, RUFUS, recursive_scanning=True), history)) == [1]
    aloof = replace(RUFUS, exclude_recursion=True)
    # (with another entry left to find, so that a second sweep does run)
    assert fired(scan(book(BESSIE, aloof, lone, recursive_scanning=True), history)) == [1]


def test_recursion_is_bounded_by_its_steps_and_cycles_end() -> None:
    chain = book(
        *(entry(n, f"k{n}", content=f"see k{n + 1}") for n in range(40)),
        recursive_scanning=True,
    )
    assert fired(scan(chain, ["k0"], max_recursion_steps=3)) == [0, 1, 2]
    assert len(fired(scan(chain, ["k0"], max_recursion_steps=1000))) == 20
    assert len(fired(scan(chain, ["k0"], max_recursion_steps=0))) == 20  # ST's 0: no limit
    cycle = book(
        entry(1, "ping", content="pong"), entry(2, "pong", content="ping"), recursive_scanning=True
    )
    assert sorted(fired(scan(cycle, ["ping"]))) == [1, 2]


def test_recursion_reaches_only_entries_of_recursive_books() -> None:
    recursive = book(BESSIE, recursive_scanning=True)
    other = book(RUFUS)
    assert fired(scan([recursive, other], ["Bessie"])) == [1]
    assert fired(scan([book(BESSIE), book(RUFUS, recursive_scanning=True)], ["Bessie"])) == [1, 2]


# --- readers ----------------------------------------------------------------------------------

CARD_BOOK: dict[str, Any] = {
    "name": "Aria's world",
    "description": "The lighthouse coast.",
    "scan_depth": 4,
    "token_budget": 512,
    "recursive_scanning": True,
    "extensions": {},
    "entries": [
        {
            "id": 0,
            "keys": ["lighthouse", "lamp"],
            "secondary_keys": ["storm"],
            "comment": "The lighthouse",
            "content": "{{char}} keeps the lighthouse.",
            "constant": False,
            "selective": True,
            "insertion_order": 150,
            "enabled": True,
            "position": "after_char",
            "use_regex": True,
            "extensions": {
                "position": 4,
                "depth": 2,
                "role": 1,
                "selectiveLogic": 3,
                "match_whole_words": True,
                "case_sensitive": False,
                "probability": 80,
                "useProbability": True,
                "exclude_recursion": True,
                "prevent_recursion": False,
                "scan_depth": None,
                "group": "",
                "sticky": None,
            },
        },
        {
            "keys": ["harbor"],
            "content": "Boats rock.",
            "enabled": True,
            "insertion_order": 100,
            "position": "before_char",
            "name": "Harbor",
            "extensions": {},
        },
        {"keys": ["cliff"], "content": "High.", "enabled": False, "insertion_order": 5},
    ],
}


def test_a_card_book_with_sillytaverns_extensions() -> None:
    lore = lorebook_from_card_book(CARD_BOOK)
    assert (lore.name, lore.description, lore.scan_depth) == (
        "Aria's world",
        "The lighthouse coast.",
        4,
    )
    assert (lore.token_budget, lore.recursive_scanning) == (512, True)
    first, harbor, cliff = lore.entries
    assert first == LoreEntry(
        uid=0,
        keys=("lighthouse", "lamp"),
        secondary_keys=("storm",),
        content="{{char}} keeps the lighthouse.",
        comment="The lighthouse",
        selective=True,
        logic="AND_ALL",
        order=150,
        position="at_depth",
        depth=2,
        role="user",
        case_sensitive=False,
        match_whole_words=True,
        probability=80,
        exclude_recursion=True,
    )
    assert (harbor.uid, harbor.position, harbor.comment, harbor.selective) == (
        1,
        "before_char",
        "Harbor",
        False,
    )
    assert (cliff.enabled, cliff.position, cliff.order) == (False, "after_char", 5)
    assert lore.notes == ()


def test_a_card_book_with_odd_types_is_coerced_with_notes() -> None:
    odd = {
        "name": 7,
        "scan_depth": "3",
        "token_budget": "lots",
        "entries": [
            {
                "id": "abc",
                "keys": "dragon, wyrm , ",
                "secondary_keys": [1, None, "scale"],
                "content": 42,
                "insertion_order": "12.6",
                "enabled": "false",
                "constant": 1,
                "extensions": {
                    "depth": -5,
                    "probability": 150,
                    "selectiveLogic": 9,
                    "role": "Assistant",
                },
            },
            "not an entry",
            {"id": 0, "keys": ["/a,b/i"], "content": "x", "extensions": {"position": "sideways"}},
            {"id": 0, "keys": "/x, y/", "content": "y"},
        ],
    }
    lore = lorebook_from_card_book(odd)
    assert lore.name == "7"
    assert lore.scan_depth == 3
    assert lore.token_budget is None
    dragon, regex, dup = lore.entries
    assert dragon.uid == 0
    assert dragon.keys == ("dragon", "wyrm")
    assert dragon.secondary_keys == ("1", "scale")
    assert (dragon.content, dragon.order, dragon.enabled, dragon.constant) == (
        "42",
        13,
        False,
        True,
    )
    assert (dragon.depth, dragon.probability, dragon.logic, dragon.role) == (
        0,
        100,
        "AND_ANY",
        "assistant",
    )
    assert regex.keys == ("/a,b/i",)
    assert regex.position == "after_char"
    assert regex.uid == 1  # a second id 0, renumbered
    assert dup.keys == ("/x, y/",)  # a regex written as one string is not split at its comma
    assert dup.uid == 2
    text = "\n".join(lore.notes)
    for expected in (
        "token_budget",
        "'not an entry'",
        "selectiveLogic 9",
        "'sideways'",
        "renumbered",
    ):
        assert expected in text


@pytest.mark.parametrize(
    "junk",
    [
        None,
        5,
        "text",
        [],
        {"entries": 5},
        {"entries": [1, "a", None, []]},
        {"entries": [{"keys": {"a": 1}, "insertion_order": float("nan"), "extensions": [1]}]},
        {
            "entries": {
                "0": {"key": {"a": 1}, "order": float("inf"), "position": [4], "disable": "?"}
            }
        },
        {"spec": "lorebook_v3", "data": "nope"},
    ],
)
def test_readers_never_raise(junk: object) -> None:
    for reader in (lorebook_from_card_book, lorebook_from_world_json):
        lore = reader(junk)
        assert isinstance(lore, Lorebook)
        scan(lore, ["anything"])
    assert lorebook_from_world_json(junk).notes  # each of them says what was wrong


def test_hostile_sizes_are_capped() -> None:
    many = {"entries": [{"keys": ["k"], "content": "c"} for _ in range(2500)]}
    lore = lorebook_from_card_book(many)
    assert len(lore.entries) == 2000
    assert "kept the first 2000 of 2500 entries" in lore.notes
    huge = lorebook_from_card_book(
        {"entries": [{"keys": [f"k{n}" for n in range(150)], "content": "x" * 60_000}]}
    )
    (only,) = huge.entries
    assert len(only.keys) == 100
    assert len(only.content) == 50_000
    heavy = lorebook_from_card_book({"entries": [{"keys": ["k"], "content": "x" * 50_000}] * 50})
    assert len(heavy.entries) == 40
    assert any("too large" in note for note in heavy.notes)


def test_the_notes_of_a_bad_book_say_what_happened() -> None:
    assert lorebook_from_card_book(None).notes == ("the book None is not an object; read as empty",)
    lore = lorebook_from_card_book({"entries": {"a": 1}})
    assert lore.entries == ()
    assert lore.notes == ("entry 'a': 1 is not an entry; skipped",)


WORLD_FILE: dict[str, Any] = {
    "entries": {
        "0": {
            "uid": 0,
            "key": ["Eldoria", "/elder ?wood/i"],
            "keysecondary": [],
            "comment": "Eldoria",
            "content": "Eldoria is an ancient forest.",
            "constant": False,
            "vectorized": False,
            "selective": True,
            "selectiveLogic": 0,
            "addMemo": True,
            "order": 100,
            "position": 0,
            "disable": False,
            "excludeRecursion": False,
            "preventRecursion": False,
            "delayUntilRecursion": False,
            "probability": 100,
            "useProbability": True,
            "depth": 4,
            "group": "",
            "groupOverride": False,
            "groupWeight": 100,
            "scanDepth": None,
            "caseSensitive": None,
            "matchWholeWords": None,
            "useGroupScoring": None,
            "automationId": "",
            "role": None,
            "sticky": 0,
            "cooldown": 0,
            "delay": 0,
            "displayIndex": 0,
        },
        "7": {
            "key": ["guard"],
            "keysecondary": ["night"],
            "selectiveLogic": 2,
            "content": "The guards sleep.",
            "order": 20,
            "position": 4,
            "depth": 1,
            "role": 2,
            "disable": True,
            "caseSensitive": True,
            "matchWholeWords": False,
            "scanDepth": 5,
        },
    }
}


def test_a_sillytavern_world_file() -> None:
    lore = lorebook_from_world_json(WORLD_FILE, name="Eldoria")
    assert lore.name == "Eldoria"
    eldoria, guard = lore.entries
    assert eldoria == LoreEntry(
        uid=0,
        keys=("Eldoria", "/elder ?wood/i"),
        content="Eldoria is an ancient forest.",
        comment="Eldoria",
    )
    assert guard == LoreEntry(
        uid=7,
        keys=("guard",),
        secondary_keys=("night",),
        content="The guards sleep.",
        logic="NOT_ANY",
        order=20,
        position="at_depth",
        depth=1,
        role="assistant",
        enabled=False,
        case_sensitive=True,
        match_whole_words=False,
        scan_depth=5,
    )
    assert lore.notes == ()
    assert fired(scan(lore, ["We enter the Elderwood."])) == [0]


def test_the_world_reader_accepts_a_v3_lorebook_or_a_bare_character_book() -> None:
    v3 = lorebook_from_world_json({"spec": "lorebook_v3", "data": CARD_BOOK}, name="file")
    assert v3.name == "file"
    assert v3.entries == lorebook_from_card_book(CARD_BOOK).entries
    bare = lorebook_from_world_json(CARD_BOOK)
    assert bare == lorebook_from_card_book(CARD_BOOK)


def test_character_lorebook_reads_the_cards_kept_book() -> None:
    aria = Character(id="c", name="Aria", card_extra={"character_book": CARD_BOOK})
    lore = character_lorebook(aria)
    assert lore is not None
    assert lore.name == "Aria's world"
    assert character_lorebook(Character(id="d", name="Plain")) is None


# --- writers and round trips ------------------------------------------------------------------

VARIED = Lorebook(
    name="Varied",
    description="All the fields.",
    scan_depth=3,
    token_budget=700,
    recursive_scanning=True,
    case_sensitive=True,
    match_whole_words=True,
    entries=(
        LoreEntry(uid=3, keys=("a", "/b+/i"), secondary_keys=("c",), logic="NOT_ALL", content="A"),
        LoreEntry(
            uid=9,
            keys=("d",),
            content="D",
            comment="dee",
            constant=True,
            enabled=False,
            selective=False,
            order=-4,
            position="at_depth",
            depth=0,
            role="assistant",
            case_sensitive=False,
            match_whole_words=False,
            scan_depth=7,
            probability=35,
            use_probability=False,
            exclude_recursion=True,
            prevent_recursion=True,
        ),
        LoreEntry(uid=4, keys=("e",), content="E", position="an_top"),
        LoreEntry(uid=5, keys=("f",), content="F", position="em_bottom", order=250),
    ),
)


def test_world_json_round_trips_and_is_sillytaverns_format() -> None:
    world = json.loads(json.dumps(lorebook_to_world_json(VARIED)))
    assert list(world["entries"]) == ["3", "9", "4", "5"]
    nine = world["entries"]["9"]
    assert (nine["key"], nine["disable"], nine["position"], nine["role"]) == (["d"], True, 4, 2)
    assert (nine["selectiveLogic"], world["entries"]["3"]["selectiveLogic"]) == (0, 1)
    assert world["entries"]["4"]["position"] == 2
    back = lorebook_from_world_json(world)
    assert back == VARIED
    assert back.notes == ()


def test_card_book_round_trips_and_carries_sillytaverns_extensions() -> None:
    card = json.loads(json.dumps(lorebook_to_card_book(VARIED)))
    first, nine, note, _ = card["entries"]
    assert (first["insertion_order"], first["use_regex"], nine["use_regex"]) == (100, True, False)
    assert (nine["enabled"], nine["position"], nine["extensions"]["position"]) == (
        False,
        "after_char",
        4,
    )
    assert (note["position"], note["extensions"]["position"]) == ("after_char", 2)
    assert card["token_budget"] == 700
    back = lorebook_from_card_book(card)
    assert back == VARIED
    assert back.notes == ()
    again = lorebook_from_card_book(
        lorebook_to_card_book(lorebook_from_world_json(lorebook_to_world_json(back)))
    )
    assert again == VARIED


def test_an_imported_book_exports_to_what_it_reads_back() -> None:
    lore = lorebook_from_card_book(CARD_BOOK)
    assert lorebook_from_card_book(lorebook_to_card_book(lore)) == lore
    assert lorebook_from_world_json(lorebook_to_world_json(lore)) == lore
    world = lorebook_from_world_json(WORLD_FILE, name="Eldoria")
    assert lorebook_from_world_json(lorebook_to_world_json(world)) == world
