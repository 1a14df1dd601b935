"""World info, the persona and the author's note in the prompt, and what the inspector shows."""

from __future__ import annotations

from dataclasses import replace

from app.models import Character, Message
from app.prompt import PromptExtras, build_prompt
from app.worldinfo import character_lorebook, lorebook_from_card_book

BOOK = {
    "name": "Glass Reach",
    "scan_depth": 2,
    "entries": [
        {
            "keys": ["castle"],
            "content": "The castle of {{char}}'s youth is made of glass.",
            "insertion_order": 10,
            "enabled": True,
            "position": "after_char",
        },
        {
            "keys": ["ignored"],
            "content": "Always true: the sea is green.",
            "constant": True,
            "insertion_order": 5,
            "enabled": True,
            "position": "before_char",
        },
        {
            "keys": ["storm"],
            "content": "Storms here last three days.",
            "insertion_order": 1,
            "enabled": True,
            "extensions": {"position": 4, "depth": 1, "role": 0},
        },
    ],
}
ILSE = Character(
    id="c1",
    name="Ilse",
    description="A navigator.",
    card_extra={"character_book": BOOK},
)


def _chat(*texts: str) -> list[Message]:
    roles = ["user", "assistant"]
    return [
        Message(id=f"m{i}", session_id="s", role=roles[(len(texts) - 1 - i) % 2], swipes=[t], seq=i)  # type: ignore[arg-type]
        for i, t in enumerate(texts)
    ]


def _extras(**fields: object) -> PromptExtras:
    book = character_lorebook(ILSE)
    assert book is not None
    return PromptExtras(lorebooks=(book,), rng=lambda: 0.0, **fields)  # type: ignore[arg-type]


def test_the_cards_lorebook_fires_on_its_keys_and_lands_where_it_says() -> None:
    result = build_prompt(ILSE, _chat("Tell me about the castle."), extras=_extras())
    system = result.messages[0]["content"]
    assert "The castle of Ilse's youth is made of glass." in system
    assert system.index("the sea is green") < system.index("A navigator.")
    assert system.index("A navigator.") < system.index("made of glass")
    assert result.activation is not None
    fired = {outcome.entry.content: outcome.reason for outcome in result.activation.fired}
    assert fired["Always true: the sea is green."] == "constant"
    assert "castle" in fired["The castle of {{char}}'s youth is made of glass."]


def test_an_entry_without_its_key_in_the_scanned_messages_stays_out() -> None:
    result = build_prompt(ILSE, _chat("Hello there."), extras=_extras())
    assert "made of glass" not in result.messages[0]["content"]
    assert "the sea is green" in result.messages[0]["content"]
    assert result.activation is not None
    assert any("no key" in outcome.reason for outcome in result.activation.skipped)


def test_an_entry_at_depth_joins_the_user_message_above_its_place() -> None:
    history = _chat("Hello.", "A storm is coming.", "How long will it last?")
    result = build_prompt(ILSE, history, extras=_extras())
    # depth 1: before the last message, so after the user message above it
    assert result.messages[1]["content"] == "Hello.\n\nStorms here last three days."
    assert result.messages[-1]["content"] == "How long will it last?"
    assert all(m["role"] != "system" for m in result.messages[1:])


def test_the_authors_note_goes_at_its_depth_and_depth_0_ends_the_prompt() -> None:
    history = _chat("One.", "Two.", "Three.")
    at_end = build_prompt(
        ILSE, history, extras=PromptExtras(author_note="Keep it {{char}}-ish.", author_note_depth=0)
    )
    assert at_end.messages[-1]["content"] == "Three.\n\n[Author's note: Keep it Ilse-ish.]"
    deep = build_prompt(
        ILSE, history, extras=PromptExtras(author_note="Mood: tense.", author_note_depth=9)
    )
    assert deep.messages[1]["content"] == "[Author's note: Mood: tense.]\n\nOne."


def test_the_persona_tells_the_character_about_the_user() -> None:
    result = build_prompt(
        ILSE,
        _chat("Hi."),
        user_name="Mina",
        extras=PromptExtras(persona="{{user}} is a deckhand afraid of heights."),
    )
    assert "About Mina:\nMina is a deckhand afraid of heights." in result.messages[0]["content"]


def test_the_parts_add_up_and_name_the_lore() -> None:
    result = build_prompt(ILSE, _chat("The castle?"), extras=_extras(author_note="Be brief."))
    parts = {part.name: part.tokens for part in result.parts}
    assert parts["lore"] > 0
    assert parts["notes"] > 0
    assert parts["system"] > parts["lore"]
    assert result.prompt_tokens >= parts["system"] + parts["last"]


def test_notes_take_their_room_from_the_history_not_from_the_window() -> None:
    long = [f"Line {i} " + "word " * 40 for i in range(60)]
    history = _chat(*long)
    plain = build_prompt(ILSE, history, context_window=2048, max_reply_tokens=256)
    noted = build_prompt(
        ILSE,
        history,
        context_window=2048,
        max_reply_tokens=256,
        extras=PromptExtras(author_note="x " * 200),
    )
    assert noted.dropped_count > plain.dropped_count
    assert noted.prompt_tokens <= 2048 - 256


def test_a_standalone_world_and_the_cards_book_both_count() -> None:
    world = lorebook_from_card_book(
        {"entries": [{"keys": ["tea"], "content": "Tea is sacred.", "enabled": True}]}
    )
    book = character_lorebook(ILSE)
    assert book is not None
    extras = PromptExtras(lorebooks=(book, world), rng=lambda: 0.0)
    result = build_prompt(replace(ILSE), _chat("Tea by the castle?"), extras=extras)
    system = result.messages[0]["content"]
    assert "Tea is sacred." in system
    assert "made of glass" in system


def _state_with(character: Character, **session_fields: object) -> tuple[object, object]:
    from app.chat_state import ChatState
    from app.models import ChatSession

    session = replace(ChatSession.new(character.id), **session_fields)  # type: ignore[arg-type]
    messages = (Message.new(session.id, "user", "Is the castle near the tea house?", seq=0),)
    return ChatState(character=character, session=session, messages=messages), session


def test_a_reply_is_planned_with_the_chats_persona_books_and_notes() -> None:
    from app.chat_state import Preferences, plan_reply
    from app.personas import Persona, PersonaBook

    mina, kai = Persona.new("Mina", description="{{user}} fears heights."), Persona.new("Kai")
    book = PersonaBook().saved(kai).saved(mina, default=False)
    world = lorebook_from_card_book(
        {"entries": [{"keys": ["tea"], "content": "Tea is sacred.", "enabled": True}]}
    )
    linked = replace(
        ILSE, extensions={"world": "Tea", "depth_prompt": {"prompt": "Stay wry.", "depth": 0}}
    )
    state, _ = _state_with(linked, persona_id=mina.id, author_note="Short replies.")
    prefs = Preferences(user_name="Someone", personas=book, worlds={"Tea": world})
    plan = plan_reply(state, prefs, model_id="m", context_window=16384, regenerate=False)  # type: ignore[arg-type]
    system = plan.prompt.messages[0]["content"]
    assert "About Mina:\nMina fears heights." in system
    assert "Tea is sacred." in system
    assert "made of glass" in system  # the card's own book too
    last = plan.prompt.messages[-1]["content"]
    assert last.endswith("Stay wry.")
    assert "[Author's note: Short replies.]" in system + "".join(
        m["content"] for m in plan.prompt.messages
    )


def test_without_a_chat_choice_the_characters_persona_then_the_default_speaks() -> None:
    from app.chat_state import Preferences, persona_of
    from app.personas import Persona, PersonaBook

    mina, kai = Persona.new("Mina"), Persona.new("Kai")
    book = PersonaBook().saved(mina).saved(kai)
    state, _ = _state_with(ILSE)
    assert persona_of(state, Preferences(personas=book)).name == "Mina"  # type: ignore[arg-type]
    chosen = book.chosen_for(ILSE.id, kai.id)
    assert persona_of(state, Preferences(personas=chosen)).name == "Kai"  # type: ignore[arg-type]
    assert persona_of(state, Preferences(user_name="Sam")).name == "Sam"  # type: ignore[arg-type]


def test_why_an_entry_fired_can_be_said_in_korean() -> None:
    from app.worldinfo import Why

    result = build_prompt(ILSE, _chat("The castle?"), extras=_extras())
    assert result.activation is not None
    reasons = [outcome.reason for outcome in result.activation.fired]
    assert all(isinstance(reason, Why) for reason in reasons)
    said = {reason.say("ko") for reason in reasons if isinstance(reason, Why)}
    assert '마지막 메시지에 키워드 "castle"' in said
    assert "항상 켜짐" in said
