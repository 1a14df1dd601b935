"""Prompt building, token estimates, generation options and the chat message records."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest

from app.models import Character, ChatSession, Message, ModelError, Role
from app.prompt import (
    DEFAULT_SYSTEM_PROMPT,
    MESSAGE_OVERHEAD,
    REPLY_TOKENS,
    SAFETY_MARGIN,
    THINKING_TOKENS,
    ExampleTurn,
    GenerationSettings,
    PromptError,
    build_prompt,
    expand_original,
    generation_options,
    greeting_message,
    parse_example_dialogue,
    post_history_text,
    reply_token_budget,
    substitute_macros,
    system_prompt_text,
)
from app.tokens import EstimatingTokenizer, Tokenizer, estimate_tokens

ARIA = Character(
    id="c1",
    name="Aria",
    description="{{char}} keeps the lighthouse. <BOT> likes {{user}}.",
    personality="patient, wry",
    scenario="A storm; <USER> knocks.",
    first_mes="*opens the door* Come in, {{user}}.",
    alternate_greetings=["Evening, {{User}}."],
    mes_example="<START>\n{{user}}: Hi\n{{char}}: Hello.\n*She smiles.*\n<START>\nAria: Again?",
    creator_notes="SECRET-CREATOR-NOTE: never show this to the model",
)


def msg(role: Role, content: str, seq: int = 0, **fields: Any) -> Message:
    return Message(
        id=f"m{seq}-{role}", session_id="s", role=role, swipes=[content], seq=seq, **fields
    )


def chat(*pairs: tuple[Role, str]) -> list[Message]:
    return [msg(role, text, seq) for seq, (role, text) in enumerate(pairs)]


def chars(text: str) -> int:
    """A fake tokenizer: one token per character."""
    return len(text)


def all_text(messages: list[dict[str, str]]) -> str:
    return "\n".join(message["content"] for message in messages)


# --- macros and the system message ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{{char}} and {{user}}", "Aria and Mina", id="basic"),
        pytest.param("{{CHAR}} {{User}} {{ char }}", "Aria Mina Aria", id="case-and-spaces"),
        pytest.param("<BOT> <bot> <CHAR> <USER> <user>", "Aria Aria Aria Mina Mina", id="legacy"),
        pytest.param("{{original}} {{charx}} {char}", "{{original}} {{charx}} {char}", id="others"),
    ],
)
def test_substitute_macros(text: str, expected: str) -> None:
    assert substitute_macros(text, char="Aria", user="Mina") == expected


def test_substitution_is_one_pass() -> None:
    assert substitute_macros("{{user}} meets {{char}}", char="\\1 <USER>", user="{{char}}") == (
        "{{char}} meets \\1 <USER>"
    )


def test_expand_original() -> None:
    assert expand_original("Before. {{original}} After {{ORIGINAL}}", "G\\1") == (
        "Before. G\\1 After G\\1"
    )


def test_default_system_prompt_and_labelled_fields() -> None:
    text = system_prompt_text(ARIA, user_name="Mina")
    assert text.startswith(substitute_macros(DEFAULT_SYSTEM_PROMPT, char="Aria", user="Mina"))
    assert "Aria's description:\nAria keeps the lighthouse. Aria likes Mina." in text
    assert "Aria's personality: patient, wry" in text
    assert "Scenario: A storm; Mina knocks." in text
    assert "{{" not in text
    assert "<BOT>" not in text
    assert "<USER>" not in text
    assert text.index("description") < text.index("personality") < text.index("Scenario")
    assert text.index("Scenario") < text.index("Example dialogue")
    assert "SECRET-CREATOR-NOTE" not in text


def test_card_system_prompt_replaces_the_global_one() -> None:
    card = Character(id="c", name="Bo", system_prompt="Only {{char}} rules here.")
    text = system_prompt_text(card, global_system_prompt="GLOBAL RULES")
    assert text == "Only Bo rules here."


def test_card_system_prompt_can_include_the_original() -> None:
    card = Character(id="c", name="Bo", system_prompt="{{original}}\nAlso: be {{char}}.")
    text = system_prompt_text(card, global_system_prompt="Global for {{user}}.", user_name="Kim")
    assert text == "Global for Kim.\nAlso: be Bo."


def test_blank_card_system_prompt_keeps_the_global_one() -> None:
    card = Character(id="c", name="Bo", system_prompt="  \n")
    assert system_prompt_text(card, global_system_prompt="G") == "G"


def test_example_dialogue_blocks() -> None:
    blocks = parse_example_dialogue(ARIA.mes_example, char="Aria", user="Mina")
    assert blocks == [
        [ExampleTurn("user", "Hi"), ExampleTurn("char", "Hello.\n*She smiles.*")],
        [ExampleTurn("char", "Again?")],
    ]
    text = system_prompt_text(ARIA, user_name="Mina")
    assert "Mina: Hi\nAria: Hello.\n*She smiles.*\n\nAria: Again?" in text


def test_example_dialogue_legacy_macros_narration_and_empty_blocks() -> None:
    text = "<start>\n\n<START>\nA quiet night.\n<USER>: hey\n<BOT>:yo {{user}}\n"
    assert parse_example_dialogue(text, char="Bo", user="Kim") == [
        [
            ExampleTurn("", "A quiet night."),
            ExampleTurn("user", "hey"),
            ExampleTurn("char", "yo Kim"),
        ]
    ]
    assert parse_example_dialogue("", char="Bo", user="Kim") == []


def test_post_history_text() -> None:
    card = Character(id="c", name="Bo", post_history_instructions="{{original}} And be {{char}}.")
    assert post_history_text(card, global_post_history="Be brief.") == "Be brief. And be Bo."
    plain = Character(id="c", name="Bo")
    assert post_history_text(plain, global_post_history="Be brief, {{user}}.", user_name="K") == (
        "Be brief, K."
    )
    assert post_history_text(plain) == ""


# --- build_prompt -----------------------------------------------------------------------------


def test_basic_prompt_shape() -> None:
    history = chat(("assistant", ARIA.first_mes), ("user", "Hi {{char}}!"))
    result = build_prompt(ARIA, history, user_name="Mina")
    roles = [message["role"] for message in result.messages]
    assert roles == ["system", "assistant", "user"]
    assert result.messages[1]["content"] == "*opens the door* Come in, Mina."
    assert result.messages[2]["content"] == "Hi Aria!"
    assert result.dropped_count == 0
    assert not (result.examples_dropped)
    assert not (result.system_truncated)
    assert not (result.last_message_truncated)
    assert result.prompt_tokens == sum(estimate_tokens(m["content"]) + 8 for m in result.messages)


def test_creator_notes_never_enter_the_prompt() -> None:
    card = Character(
        id="c",
        name="Bo",
        creator_notes="SECRET",
        system_prompt="{{original}}",
        post_history_instructions="{{original}} ok",
    )
    result = build_prompt(card, chat(("user", "hello")))
    assert "SECRET" not in json.dumps(result.messages)


def test_post_history_goes_into_the_last_user_message() -> None:
    card = Character(id="c", name="Bo", post_history_instructions="{{original}} Stay as {{char}}.")
    history = chat(("user", "first"), ("assistant", "reply"), ("user", "second"))
    result = build_prompt(card, history, global_post_history="Be brief.")
    assert [m["role"] for m in result.messages].count("system") == 1
    assert result.messages[0]["role"] == "system"
    assert "Be brief" not in result.messages[0]["content"]
    assert result.messages[-1] == {
        "role": "user",
        "content": "second\n\n[System note: Be brief. Stay as Bo.]",
    }
    assert result.messages[1]["content"] == "first"  # only the last one carries the note


def test_no_post_history_no_note() -> None:
    result = build_prompt(ARIA, chat(("user", "plain")))
    assert result.messages[-1]["content"] == "plain"


def test_history_uses_the_shown_swipe_and_never_sends_reasoning() -> None:
    reply = Message(
        id="a",
        session_id="s",
        role="assistant",
        swipes=["first version", "<think>\nsecret plan\n</think>\n\nsecond version"],
        reasoning=["", "secret plan"],
        swipe_index=1,
        seq=1,
    )
    history = [msg("user", "hi", 0), reply, msg("user", "and?", 2)]
    result = build_prompt(ARIA, history)
    assert result.messages[2] == {"role": "assistant", "content": "second version"}
    assert "secret plan" not in json.dumps(result.messages)
    assert "first version" not in json.dumps(result.messages)


def test_system_notices_and_empty_replies_are_skipped() -> None:
    history = chat(
        ("user", "one"),
        ("system", "Model switched"),
        ("assistant", "<think>only thinking</think>"),
        ("assistant", "  "),
        ("user", "two"),
        ("system", "trailing notice"),
    )
    result = build_prompt(ARIA, history)
    assert [m["content"] for m in result.messages[1:]] == ["one", "two"]
    assert result.dropped_count == 0


@pytest.mark.parametrize(
    "history",
    [
        pytest.param([], id="empty"),
        pytest.param(chat(("user", "hi"), ("assistant", "hello")), id="ends-with-assistant"),
        pytest.param(chat(("system", "note")), id="only-system"),
    ],
)
def test_last_message_must_be_the_users(history: list[Message]) -> None:
    with pytest.raises(PromptError, match="last message must be the user's"):
        build_prompt(ARIA, history)


def test_reply_bigger_than_the_window_is_an_error() -> None:
    with pytest.raises(PromptError, match="no room"):
        build_prompt(ARIA, chat(("user", "hi")), context_window=1000, max_reply_tokens=1000)


PLAIN = Character(id="p", name="P", description="D" * 50)  # fixed-size system message


def _system_cost() -> int:
    return chars(system_prompt_text(PLAIN)) + MESSAGE_OVERHEAD


def test_truncation_drops_oldest_first_and_fills_the_window_exactly() -> None:
    roles: list[Role] = ["assistant" if i % 2 or i == 0 else "user" for i in range(21)]
    history = [msg(role, f"{i:02d}" + "x" * 90, i) for i, role in enumerate(roles)]
    # 21 messages of 92 chars = 100 tokens each with the overhead; allow system + 7 messages.
    window = _system_cost() + 7 * 100 + 256 + SAFETY_MARGIN
    result = build_prompt(
        PLAIN, history, context_window=window, max_reply_tokens=256, count_tokens=chars
    )
    sent = [m["content"][:2] for m in result.messages[1:]]
    # The greeting (00) is kept, then the newest messages; the oldest others are dropped.
    assert sent == ["00", "15", "16", "17", "18", "19", "20"]
    assert result.dropped_count == 14
    assert result.prompt_tokens == window - 256 - SAFETY_MARGIN
    assert result.prompt_tokens == sum(
        chars(m["content"]) + MESSAGE_OVERHEAD for m in result.messages
    )

    one_less = build_prompt(
        PLAIN, history, context_window=window - 1, max_reply_tokens=256, count_tokens=chars
    )
    assert [m["content"][:2] for m in one_less.messages[1:]] == ["00", "16", "17", "18", "19", "20"]
    assert one_less.dropped_count == 15


def test_greeting_is_dropped_when_it_does_not_fit_but_newer_messages_do() -> None:
    history = [
        msg("assistant", "G" * 500, 0),
        msg("user", "a" * 40, 1),
        msg("assistant", "b" * 40, 2),
    ]
    history.append(msg("user", "c" * 40, 3))
    window = _system_cost() + 3 * 48 + 100 + SAFETY_MARGIN
    result = build_prompt(
        PLAIN, history, context_window=window, max_reply_tokens=100, count_tokens=chars
    )
    assert [m["content"][0] for m in result.messages[1:]] == ["a", "b", "c"]
    assert result.dropped_count == 1


def test_greeting_is_only_pinned_when_it_opens_the_chat() -> None:
    history = chat(("user", "u" * 40), ("assistant", "a" * 40), ("user", "n" * 40))
    window = _system_cost() + 2 * 48 + 100 + SAFETY_MARGIN
    result = build_prompt(
        PLAIN, history, context_window=window, max_reply_tokens=100, count_tokens=chars
    )
    assert [m["content"][0] for m in result.messages[1:]] == ["a", "n"]


def test_a_huge_last_message_is_cut_from_its_start() -> None:
    card = Character(id="p", name="P", post_history_instructions="END-NOTE")
    text = "".join(f"{i:04d} " for i in range(2000))
    history = chat(("assistant", "greeting"), ("user", "older"), ("user", text))
    window = 2000
    result = build_prompt(
        card, history, context_window=window, max_reply_tokens=200, count_tokens=chars
    )
    last = result.messages[-1]["content"]
    assert result.last_message_truncated
    assert last.startswith("[…] ")
    assert last.endswith("1999 \n\n[System note: END-NOTE]")
    assert result.dropped_count == 2
    assert [m["role"] for m in result.messages] == ["system", "user"]
    assert result.prompt_tokens <= window - 200 - SAFETY_MARGIN
    assert result.prompt_tokens >= window - 200 - SAFETY_MARGIN - 1


def test_examples_go_before_the_system_prompt_is_cut() -> None:
    card = Character(
        id="p", name="P", description="d" * 300, mes_example="<START>\n" + "{{char}}: " + "e" * 900
    )
    history = chat(("user", "u" * 100))
    full = system_prompt_text(card, include_examples=True)
    short = system_prompt_text(card, include_examples=False)
    window = len(short) + 8 + 108 + 100 + SAFETY_MARGIN
    result = build_prompt(
        card, history, context_window=window, max_reply_tokens=100, count_tokens=chars
    )
    assert result.examples_dropped
    assert not result.system_truncated
    assert result.messages[0]["content"] == short != full
    assert not result.last_message_truncated


def test_a_huge_system_prompt_is_cut_to_half_the_room() -> None:
    card = Character(id="p", name="P", description="d" * 20000)
    history = chat(("user", "u" * 100))
    result = build_prompt(
        card, history, context_window=4000, max_reply_tokens=500, count_tokens=chars
    )
    budget = 4000 - 500 - SAFETY_MARGIN
    assert result.system_truncated
    assert not result.last_message_truncated
    assert result.messages[0]["content"].startswith(
        substitute_macros(DEFAULT_SYSTEM_PROMPT, char="P", user="User")
    )
    assert result.messages[0]["content"].endswith(" […]")
    assert chars(result.messages[0]["content"]) + MESSAGE_OVERHEAD <= budget // 2
    assert result.messages[-1]["content"] == "u" * 100


def test_random_histories_always_fit_and_keep_order() -> None:
    rng = random.Random(4242)
    for _ in range(200):
        count = rng.randint(1, 30)
        roles: list[Role] = [rng.choice(["user", "assistant", "system"]) for _ in range(count)]
        roles[-1] = "user"
        history = [msg(role, "w" * rng.randint(0, 400), i) for i, role in enumerate(roles)]
        window = rng.randint(1200, 6000)
        reply = rng.choice(list(REPLY_TOKENS.values()))
        result = build_prompt(
            ARIA, history, context_window=window, max_reply_tokens=reply, count_tokens=chars
        )
        costs = sum(chars(m["content"]) + MESSAGE_OVERHEAD for m in result.messages)
        assert costs == result.prompt_tokens <= window - reply - SAFETY_MARGIN
        assert result.messages[0]["role"] == "system"
        assert result.messages[-1]["role"] == "user"
        assert all(m["role"] != "system" for m in result.messages[1:])
        sendable = [m for m in history[:-1] if m.role != "system" and m.content.strip()]
        assert len(result.messages) - 2 + result.dropped_count == len(sendable)


def test_an_empty_system_message_is_not_sent() -> None:
    blank = Character(id="b", name="B")
    result = build_prompt(blank, chat(("user", "hi")), global_system_prompt="", count_tokens=chars)
    assert result.messages == [{"role": "user", "content": "hi"}]
    assert result.prompt_tokens == 2 + MESSAGE_OVERHEAD


def test_the_real_tokenizer_can_be_passed() -> None:
    class Words:
        def count(self, text: str) -> int:
            return len(text.split())

    tokenizer = Words()
    assert isinstance(tokenizer, Tokenizer)
    result = build_prompt(ARIA, chat(("user", "one two three")), count_tokens=tokenizer.count)
    assert result.prompt_tokens == sum(len(m["content"].split()) + 8 for m in result.messages)


# --- greetings --------------------------------------------------------------------------------


def test_greeting_message_offers_every_greeting_as_a_swipe() -> None:
    message = greeting_message(ARIA, "s1", user_name="Mina", now="2025-01-01T00:00:00.000Z")
    assert message is not None
    assert message.role == "assistant"
    assert message.seq == 0
    assert message.session_id == "s1"
    assert message.swipes == ["*opens the door* Come in, Mina.", "Evening, Mina."]
    assert message.content == "*opens the door* Come in, Mina."
    assert message.reasoning == ["", ""]
    assert greeting_message(Character(id="x", name="Mute"), "s1") is None


# --- generation options -----------------------------------------------------------------------


def test_generation_options_for_qwen3() -> None:
    options = generation_options(
        GenerationSettings(temperature=0.6, top_p=0.95, reply_length="long", thinking=True),
        model_id="Qwen3-8B-q4f16_1-MLC",
    )
    assert options == {
        "temperature": 0.6,
        "top_p": 0.95,
        "max_tokens": 1024 + THINKING_TOKENS,
        "stream": True,
        "stream_options": {"include_usage": True},
        "extra_body": {"enable_thinking": True},
    }
    off = generation_options(GenerationSettings(), model_id="Qwen3-30B-A3B-q4f16_1-MLC")
    assert off["extra_body"] == {"enable_thinking": False}
    assert off["max_tokens"] == REPLY_TOKENS["medium"]


def test_generation_options_for_other_models() -> None:
    options = generation_options(
        GenerationSettings(reply_length="short", thinking=True),
        model_id="Llama-3.2-1B-Instruct-q4f16_1-MLC",
    )
    assert "extra_body" not in options
    assert options["max_tokens"] == 256
    assert reply_token_budget(GenerationSettings(thinking=True), model_id="Qwen2.5-7B") == 512


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"temperature": 1.1}, GenerationSettings(temperature=1.1), id="temperature"),
        pytest.param({"temperature": 9}, GenerationSettings(temperature=2.0), id="clamped-high"),
        pytest.param({"top_p": 0}, GenerationSettings(top_p=0.01), id="clamped-low"),
        pytest.param({"temperature": "hot", "top_p": None}, GenerationSettings(), id="wrong-types"),
        pytest.param({"temperature": True}, GenerationSettings(), id="bool-is-not-a-number"),
        pytest.param({"temperature": float("nan")}, GenerationSettings(), id="nan"),
        pytest.param({"reply_length": "epic"}, GenerationSettings(), id="unknown-length"),
        pytest.param(
            {"reply_length": "long", "thinking": True},
            GenerationSettings(reply_length="long", thinking=True),
            id="length-thinking",
        ),
        pytest.param({"thinking": "yes"}, GenerationSettings(), id="thinking-string"),
    ],
)
def test_settings_overrides(overrides: dict[str, Any], expected: GenerationSettings) -> None:
    assert GenerationSettings().merged(overrides) == expected


def test_settings_round_trip_keeps_unknown_keys() -> None:
    stored = {"temperature": 0.9, "reply_length": "short", "future_knob": [1]}
    settings = GenerationSettings.from_dict(stored)
    assert settings.temperature == 0.9
    assert settings.reply_length == "short"
    assert settings.to_dict() == {**stored, "top_p": 0.8, "thinking": False, "seed": None}
    assert GenerationSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


# --- token estimates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at_least"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("Hello, world! This is a test.", 9, id="english"),
        pytest.param("internationalization", 4, id="long-word"),
        pytest.param("1234567890", 10, id="digits-one-each"),
        pytest.param("안녕하세요 만나서 반갑습니다", 13, id="hangul-one-per-syllable"),
        pytest.param("你好\N{FULLWIDTH COMMA}世界。", 6, id="chinese"),
        pytest.param("こんにちは", 5, id="kana"),
        pytest.param("Привет, как дела?", 9, id="cyrillic"),
        pytest.param("😀🎉👍", 6, id="emoji"),
        pytest.param("a\n\n\nb", 3, id="newlines"),
        pytest.param("{}[]()<>!?", 10, id="punctuation"),
    ],
)
def test_estimate_is_high_enough(text: str, at_least: int) -> None:
    estimate = estimate_tokens(text)
    assert estimate >= at_least
    assert estimate >= -(-len(text.encode()) // 3)


def test_estimate_grows_with_text_and_is_not_absurd_for_prose() -> None:
    prose = "The quick brown fox jumps over the lazy dog. " * 40
    assert 400 <= estimate_tokens(prose) <= 800  # about 400 real tokens
    assert estimate_tokens(prose + "x") >= estimate_tokens(prose)
    assert EstimatingTokenizer().count(prose) == estimate_tokens(prose)
    assert isinstance(EstimatingTokenizer(), Tokenizer)


def test_estimate_handles_lone_surrogates() -> None:
    assert estimate_tokens("a\ud800b") >= 2


# --- message and session records --------------------------------------------------------------


def test_message_swipes() -> None:
    message = Message.new("s", "assistant", "one", seq=3, reasoning="r1", now="t")
    assert (message.content, message.current_reasoning, message.swipe_count) == ("one", "r1", 1)
    two = message.with_swipe("two", stats={"tokens": 5})
    assert (two.content, two.swipe_index, two.stats, two.reasoning) == (
        "two",
        1,
        {"tokens": 5},
        ["r1", ""],
    )
    assert message.swipes == ["one"]  # the original is untouched
    assert two.flipped(-1).content == "one"
    assert two.flipped(-5).swipe_index == 0
    assert two.flipped(9).swipe_index == 1
    assert two.flipped(1) is two
    assert two.selecting(0).content == "one"
    assert two.selecting(7).swipe_index == 1
    edited = two.flipped(-1).edited("ONE")
    assert edited.swipes == ["ONE", "two"]
    assert edited.reasoning == ["r1", ""]
    assert edited.edited("1", reasoning="new").reasoning == ["new", ""]


def test_message_round_trip_and_defaults() -> None:
    message = Message.new("s", "assistant", "a", seq=2).with_swipe(
        "b", reasoning="why", stats={"x": 1}
    )
    stored = json.loads(json.dumps(message.to_dict()))
    assert Message.from_dict(stored) == message
    flat = Message.from_dict({"id": "m", "role": "user", "content": "hi"})
    assert flat.swipes == ["hi"]
    assert flat.reasoning == [""]
    assert flat.seq == 0
    padded = Message(id="m", session_id="s", role="assistant", swipes=["a", "b"])
    assert padded.reasoning == ["", ""]


@pytest.mark.parametrize(
    "record",
    [
        pytest.param({"role": "user", "swipes": ["x"]}, id="no-id"),
        pytest.param({"id": "m", "role": "bot", "swipes": ["x"]}, id="bad-role"),
        pytest.param({"id": "m", "role": "user", "swipes": "x"}, id="swipes-string"),
        pytest.param(
            {"id": "m", "role": "user", "swipes": ["x"], "swipe_index": 3}, id="index-out"
        ),
        pytest.param(
            {"id": "m", "role": "user", "swipes": ["x"], "swipe_index": "0"}, id="index-str"
        ),
        pytest.param({"id": "m", "role": "user", "swipes": ["x"], "seq": 1.5}, id="seq-float"),
        pytest.param({"id": "m", "role": "user", "swipes": ["x"], "stats": [1]}, id="stats-list"),
        pytest.param("nope", id="not-a-dict"),
    ],
)
def test_message_from_bad_record(record: Any) -> None:
    with pytest.raises(ModelError):
        Message.from_dict(record)


def test_message_needs_a_valid_role_and_swipe() -> None:
    with pytest.raises(ModelError):
        Message(id="m", session_id="s", role="robot", swipes=["x"])  # type: ignore[arg-type]
    with pytest.raises(ModelError):
        Message(id="m", session_id="s", role="user", swipes=[])


def test_client_message_ids_are_stable_per_swipe() -> None:
    message = Message.new("s", "assistant", "a", seq=1).with_swipe("b").with_swipe("c")
    assert message.client_message_id(0) == message.id
    ids = {message.client_message_id(i) for i in range(3)}
    assert len(ids) == 3
    assert all(uuid.UUID(value) for value in ids)
    assert message.client_message_id() == message.client_message_id(2)
    again = Message.from_dict(message.to_dict())
    assert [again.client_message_id(i) for i in range(3)] == [
        message.client_message_id(i) for i in range(3)
    ]
    odd = Message(id="not-a-uuid", session_id="s", role="user", swipes=["x", "y"])
    assert uuid.UUID(odd.client_message_id(1))


def test_session_round_trip() -> None:
    session = ChatSession.new(
        "c1",
        title="Storm",
        now="2025-01-01T00:00:00.000Z",
        model_id="Qwen3-8B",
        thinking_enabled=True,
        settings={"temperature": 1.0},
    )
    assert session.created_at == session.updated_at == "2025-01-01T00:00:00.000Z"
    assert ChatSession.from_dict(json.loads(json.dumps(session.to_dict()))) == session
    touched = session.touched("2025-01-02T00:00:00.000Z")
    assert touched.updated_at == "2025-01-02T00:00:00.000Z"
    assert touched.created_at == session.created_at
    with pytest.raises(ModelError):
        ChatSession.from_dict({"character_id": "c1"})
    with pytest.raises(ModelError):
        ChatSession.from_dict({"id": "x", "thinking_enabled": 1})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"seed": 42}, 42, id="set"),
        pytest.param({"seed": None}, None, id="cleared"),
        pytest.param({"seed": -1}, 7, id="negative-ignored"),
        pytest.param({"seed": 2**31}, 7, id="too-big-ignored"),
        pytest.param({"seed": True}, 7, id="bool-ignored"),
        pytest.param({"seed": "3"}, 7, id="string-ignored"),
        pytest.param({}, 7, id="absent-kept"),
    ],
)
def test_seed_override(overrides: dict[str, Any], expected: int | None) -> None:
    assert GenerationSettings(seed=7).merged(overrides).seed == expected


def test_a_seed_reaches_the_request_and_round_trips() -> None:
    seeded = GenerationSettings(seed=1234)

    assert generation_options(seeded)["seed"] == 1234
    assert "seed" not in generation_options(GenerationSettings())
    assert GenerationSettings.from_dict(seeded.to_dict()) == seeded
    assert GenerationSettings.from_dict(GenerationSettings().to_dict()).seed is None
