"""SillyTavern chat files: our export read back, a file as SillyTavern writes it, and every
way a broken or hostile file is cut down or refused."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from app.models import Character, ChatSession, Message
from app.st_chat import (
    MAX_FILE_BYTES,
    MAX_MESSAGES,
    MAX_TEXT,
    ChatFileError,
    ImportedChat,
    chat_from_jsonl,
    chat_to_jsonl,
)

NOW = "2026-03-01T09:00:00.000Z"
ILSE = Character(id="char-ilse", name="Ilse Marrow")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HUMANIZED = re.compile(r"^\d{4}-\d{2}-\d{2}@\d{2}h\d{2}m\d{2}s\d{3}ms$")


def session(**fields: Any) -> ChatSession:
    base: dict[str, Any] = {
        "id": "session-1",
        "character_id": ILSE.id,
        "title": "Across the Glass Reach",
        "created_at": "2025-01-31T12:00:00.250Z",
        "updated_at": "2025-01-31T12:30:00.000Z",
        "model_id": "Qwen3-1.7B-q4f16_1-MLC",
        "author_note": "Keep replies short.",
        "author_note_depth": 2,
        "lorebook": "Sky charts",
    }
    return ChatSession(**{**base, **fields})


def messages() -> list[Message]:
    """A greeting with two versions (the second shown), a user turn, a reply with reasoning
    on each of its three versions, and a system note."""
    at = "2025-01-31T12:0{}:00.000Z".format
    return [
        Message(
            id="m0",
            session_id="session-1",
            role="assistant",
            swipes=["*The chart table creaks.* You're the new hand?", "Night watch. Can't sleep?"],
            swipe_index=1,
            seq=0,
            created_at=at(0),
        ),
        Message.new("session-1", "user", "Hold this corner.\nWhat now? 바람", seq=1, now=at(1)),
        Message(
            id="m2",
            session_id="session-1",
            role="assistant",
            swipes=["Storm north.", "Barometer's falling.", "Tie everything down."],
            swipe_index=2,
            reasoning=["Weather first.", "", "They are new; be clear."],
            seq=2,
            created_at=at(2),
            swipe_stats=[{}, {"completionTokens": 12}, {"completionTokens": 30, "stopped": True}],
        ),
        Message.new("session-1", "system", "The ship enters the storm.", seq=3, now=at(3)),
    ]


def export(msgs: list[Message] | None = None, **fields: Any) -> str:
    return chat_to_jsonl(
        ILSE, session(**fields), messages() if msgs is None else msgs, user_name="Ann"
    )


def read(text: str, **options: Any) -> ImportedChat:
    return chat_from_jsonl(text, character=ILSE, user_name="Ann", now=NOW, **options)


def jsonl(*lines: object) -> str:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)


HEADER = {"user_name": "Ann", "character_name": "Ilse Marrow", "create_date": "2024-7-12@01h31m37s"}


# --- export, then import ----------------------------------------------------------------------


def test_round_trip_keeps_texts_versions_choice_reasoning_and_roles() -> None:
    original = messages()

    imported = read(export(original), session_id="session-2")

    assert [m.role for m in imported.messages] == [m.role for m in original]
    assert [m.swipes for m in imported.messages] == [m.swipes for m in original]
    assert [m.swipe_index for m in imported.messages] == [m.swipe_index for m in original]
    assert [m.reasoning for m in imported.messages] == [m.reasoning for m in original]
    assert [m.swipe_stats for m in imported.messages] == [m.swipe_stats for m in original]
    assert [m.created_at for m in imported.messages] == [m.created_at for m in original]
    assert [m.seq for m in imported.messages] == [0, 1, 2, 3]
    assert {m.session_id for m in imported.messages} == {"session-2"}
    assert imported.notes == (
        "Messages marked as system or hidden in SillyTavern (1) were kept; the model does not read them.",
    )


def test_round_trip_keeps_the_session_fields_sillytavern_has() -> None:
    imported = read(export(), session_id="session-2")

    assert imported.session.id == "session-2"
    assert imported.session.character_id == ILSE.id
    assert imported.session.user_name == "Ann"
    assert imported.session.title == "Across the Glass Reach"
    assert imported.session.author_note == "Keep replies short."
    assert imported.session.author_note_depth == 2
    assert imported.session.lorebook == "Sky charts"
    assert imported.session.created_at == "2025-01-31T12:00:00.250Z"
    assert imported.session.updated_at == NOW
    assert imported.session.preview == "The ship enters the storm."


def test_import_makes_new_ids_unless_given() -> None:
    first, second = read(export()), read(export())

    assert first.session.id != second.session.id
    assert uuid.UUID(first.session.id)
    assert len({m.id for m in first.messages + second.messages}) == 8
    assert {m.session_id for m in first.messages} == {first.session.id}


def test_export_is_one_json_object_per_line_in_seq_order() -> None:
    text = export(list(reversed(messages())))
    lines = text.split("\n")

    assert len(lines) == 5  # the metadata and four messages; the newline in a text is escaped
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(value, dict) for value in objects)
    assert [value["mes"] for value in objects[1:]] == [m.content for m in messages()]
    assert "바람" in text  # written as is, not as \\u escapes
    assert not text.endswith("\n")  # as SillyTavern writes it


def test_export_metadata_line() -> None:
    header = json.loads(export().split("\n")[0])

    assert header["user_name"] == "Ann"
    assert header["character_name"] == "Ilse Marrow"
    assert header["create_date"] == "2025-01-31@12h00m00s250ms"
    assert HUMANIZED.match(header["create_date"])
    assert header["chat_metadata"] == {
        "ondevice_chat": {"title": "Across the Glass Reach"},
        "note_prompt": "Keep replies short.",
        "note_interval": 1,
        "note_depth": 2,
        "note_position": 1,
        "note_role": 0,
        "world_info": "Sky charts",
    }


def test_export_leaves_out_an_empty_author_note_and_lorebook() -> None:
    header = json.loads(export(author_note="", lorebook="").split("\n")[0])

    assert set(header["chat_metadata"]) == {"ondevice_chat"}


def test_export_messages_as_sillytavern_stores_them() -> None:
    greeting, user, reply, note = (json.loads(line) for line in export().split("\n")[1:])

    assert (greeting["name"], greeting["is_user"], greeting["is_system"]) == (
        "Ilse Marrow",
        False,
        False,
    )
    assert (user["name"], user["is_user"], user["is_system"]) == ("Ann", True, False)
    assert (note["name"], note["is_user"], note["is_system"]) == ("System", False, True)
    assert reply["swipes"] == ["Storm north.", "Barometer's falling.", "Tie everything down."]
    assert reply["swipe_id"] == 2
    assert reply["mes"] == reply["swipes"][reply["swipe_id"]]
    assert reply["extra"]["reasoning"] == "They are new; be clear."
    assert [info["extra"].get("reasoning") for info in reply["swipe_info"]] == [
        "Weather first.",
        None,
        "They are new; be clear.",
    ]
    assert reply["extra"] == reply["swipe_info"][2]["extra"]
    assert reply["extra"]["api"] == "webllm"
    assert reply["extra"]["model"] == "Qwen3-1.7B-q4f16_1-MLC"
    assert "api" not in reply["swipe_info"][0]["extra"]  # not written by the model
    assert ISO.match(reply["send_date"])
    assert all(ISO.match(info["send_date"]) for info in reply["swipe_info"])
    assert "swipes" not in user  # as SillyTavern writes a user turn
    assert "swipe_id" not in user
    assert greeting["swipe_id"] == 1
    assert len(greeting["swipe_info"]) == 2


def test_export_dates_a_message_without_one() -> None:
    undated = Message(id="x", session_id="session-1", role="user", swipes=["hi"])

    line = json.loads(export([undated]).split("\n")[1])

    assert ISO.match(line["send_date"])


# --- a file as SillyTavern writes it ----------------------------------------------------------

ST_FILE = jsonl(
    {
        "user_name": "Ann",
        "character_name": "Ilse Marrow",
        "create_date": "2025-11-23@14h05m03s123ms",
        "chat_metadata": {
            "integrity": "2b1f1c6e-6a0e-4c3e-9a4b-5f1f0d3b8a11",
            "chat_id_hash": 8214638410394417,
            "note_prompt": "Ilse is tired.",
            "note_interval": 1,
            "note_position": 1,
            "note_depth": 6,
            "note_role": 0,
            "world_info": "Glass Reach",
            "tainted": True,
        },
    },
    # The greeting as getFirstMessage writes it: alternate greetings, an empty swipe_info.
    {
        "name": "Ilse Marrow",
        "is_user": False,
        "is_system": False,
        "send_date": "June 19, 2023 2:20pm",
        "mes": "You must be the new hand.",
        "extra": {},
        "swipe_id": 0,
        "swipes": ["You must be the new hand.", "Night watch. Can't sleep either?"],
        "swipe_info": [],
    },
    {
        "name": "Ann",
        "is_user": True,
        "is_system": False,
        "send_date": "2024-6-5 @14h 56m 50s 682ms",
        "mes": "What does the barometer say?",
        "extra": {"isSmallSys": False, "token_count": 7},
        "force_avatar": "User Avatars/ann.png",
    },
    # A reply regenerated twice, the second version shown; newer ST keeps reasoning in extra.
    {
        "name": "Ilse Marrow",
        "is_user": False,
        "is_system": False,
        "send_date": "2025-11-23T14:06:10.000Z",
        "gen_started": "2025-11-23T14:06:01.000Z",
        "gen_finished": "2025-11-23T14:06:10.000Z",
        "mes": "Falling. Fast.",
        "extra": {
            "api": "openai",
            "model": "deepseek-reasoner",
            "reasoning": "The pressure dropped; warn them.",
            "reasoning_duration": 4200,
            "token_count": 5,
        },
        "swipe_id": 1,
        "swipes": ["Steady, for now.", "Falling. Fast."],
        "swipe_info": [
            {
                "send_date": "2025-11-23T14:05:50.000Z",
                "gen_started": "2025-11-23T14:05:40.000Z",
                "gen_finished": "2025-11-23T14:05:50.000Z",
                "extra": {"api": "openai", "model": "deepseek-reasoner", "reasoning": "Calm them."},
            },
            {
                "send_date": "2025-11-23T14:06:10.000Z",
                "extra": {"api": "openai", "reasoning": "The pressure dropped; warn them."},
            },
        ],
    },
    # Another member of a group chat: not the user, so the character's.
    {
        "name": "Captain Vey",
        "is_user": False,
        "is_system": False,
        "send_date": 1732370800000,
        "mes": "All hands!",
        "force_avatar": "characters/vey.png",
        "original_avatar": "vey.png",
        "extra": {"gen_id": 1732370799000},
    },
    # SillyTavern's own note, and a user message hidden from the prompt with /hide.
    {
        "name": "SillyTavern System",
        "force_avatar": "img/five.png",
        "is_user": False,
        "is_system": True,
        "send_date": "2025-11-23T14:07:00.000Z",
        "mes": "Chat renamed.",
        "extra": {"type": "narrator", "isSmallSys": True},
    },
    {
        "name": "Ann",
        "is_user": True,
        "is_system": True,
        "send_date": "2025-11-23T14:08:00.000Z",
        "mes": "(out of character: brb)",
        "extra": {},
    },
)


def test_a_sillytavern_file() -> None:
    imported = read(ST_FILE)
    greeting, user, reply, vey, system, hidden = imported.messages

    assert [m.role for m in imported.messages] == [
        "assistant",
        "user",
        "assistant",
        "assistant",
        "system",
        "system",
    ]
    assert greeting.swipes == ["You must be the new hand.", "Night watch. Can't sleep either?"]
    assert (greeting.swipe_index, greeting.reasoning) == (0, ["", ""])
    assert user.swipes == ["What does the barometer say?"]
    assert reply.swipes == ["Steady, for now.", "Falling. Fast."]
    assert reply.swipe_index == 1
    assert reply.reasoning == ["Calm them.", "The pressure dropped; warn them."]
    assert reply.swipe_stats == [{}, {}]  # another app's extras are not our stats
    assert vey.content == "All hands!"
    assert (system.content, hidden.content) == ("Chat renamed.", "(out of character: brb)")
    assert imported.notes == (
        "Messages marked as system or hidden in SillyTavern (2) were kept; the model does not read them.",
    )


def test_a_sillytavern_file_dates_and_metadata() -> None:
    imported = read(ST_FILE)

    assert [m.created_at for m in imported.messages] == [
        "2023-06-19T14:20:00.000Z",
        "2024-06-05T14:56:50.682Z",
        "2025-11-23T14:06:10.000Z",
        "2024-11-23T14:06:40.000Z",
        "2025-11-23T14:07:00.000Z",
        "2025-11-23T14:08:00.000Z",
    ]
    assert imported.session.created_at == "2025-11-23T14:05:03.123Z"
    assert imported.session.title == "What does the barometer say?"  # the first user message
    assert imported.session.author_note == "Ilse is tired."
    assert imported.session.author_note_depth == 6
    assert imported.session.lorebook == "Glass Reach"


def test_an_old_group_chat_without_a_metadata_line() -> None:
    imported = read(jsonl(*[line for line in ST_FILE.split("\n")[1:]]))

    assert len(imported.messages) == 6
    assert imported.session.created_at == NOW
    assert imported.session.author_note == ""


def test_a_chub_chat_with_message_objects() -> None:
    text = jsonl(
        HEADER,
        {
            "name": "Ilse Marrow",
            "is_user": False,
            "mes": {"message": "Second."},
            "swipe_id": 1,
            "swipes": [{"message": "First."}, {"message": "Second."}],
        },
    )

    (message,) = read(text).messages

    assert (message.swipes, message.swipe_index) == (["First.", "Second."], 1)


@pytest.mark.parametrize(
    ("swipe_id", "mes", "swipes", "index"),
    [
        (5, "Shown.", ["A.", "B."], 2),  # out of range: the shown text becomes a version
        (None, "B.", ["A.", "B."], 1),  # missing: the version that is shown
        (0, "Edited.", ["A.", "B."], 0),  # the shown text wins over its stale version
        (1, "B.", ["A.", 7, "B."], 1),  # an unreadable version is dropped
        (0, "Only.", [], 0),
    ],
)
def test_odd_swipes(swipe_id: object, mes: str, swipes: list[object], index: int) -> None:
    line = {"name": "Ilse", "is_user": False, "mes": mes, "swipes": swipes, "swipe_id": swipe_id}

    (message,) = read(jsonl(HEADER, line)).messages

    assert message.swipe_index == index
    assert message.content == mes
    assert len(message.reasoning) == len(message.swipes)


@pytest.mark.parametrize(
    ("send_date", "created_at"),
    [
        ("2025-01-31T12:00:00.000Z", "2025-01-31T12:00:00.000Z"),
        ("2025-01-31T14:00:00+02:00", "2025-01-31T12:00:00.000Z"),
        ("2024-7-12@01h31m37s", "2024-07-12T01:31:37.000Z"),
        ("2025-11-23@14h05m03s123ms", "2025-11-23T14:05:03.123Z"),
        ("2024-6-5 @14h 56m 50s 682ms", "2024-06-05T14:56:50.682Z"),
        ("June 19, 2023 12:05am", "2023-06-19T00:05:00.000Z"),
        ("December 1, 2023 12:30pm", "2023-12-01T12:30:00.000Z"),
        (1700000000000, "2023-11-14T22:13:20.000Z"),
        ("1700000000000", "2023-11-14T22:13:20.000Z"),
        ("yesterday", NOW),
        ("Smarch 3, 2023 2:20pm", NOW),
        ("2024-13-40@99h00m00s", NOW),
        (-5, NOW),
        (1e300, NOW),
        (True, NOW),
        (None, NOW),
        ("0001-01-01T00:00:00+05:00", NOW),
    ],
)
def test_dates_sillytavern_reads(send_date: object, created_at: str) -> None:
    line = {"name": "Ilse", "is_user": False, "mes": "Hi.", "send_date": send_date}

    (message,) = read(jsonl(HEADER, line)).messages

    assert message.created_at == created_at


# --- untrusted files --------------------------------------------------------------------------


def test_bad_lines_are_skipped_with_a_note() -> None:
    good = {"name": "Ann", "is_user": True, "mes": "Hello."}
    text = jsonl(
        HEADER,
        "{not json",
        "[1, 2, 3]",
        "42",
        {"name": "Ilse", "is_user": False},
        {"name": "Ilse", "mes": ["not", "text"]},
        "[" * 100 + "]" * 100,
        good,
        {"user_name": "Ann", "chat_metadata": {}},
        "",
        "   ",
    )

    imported = read(text)

    assert [m.content for m in imported.messages] == ["Hello."]
    assert imported.notes == (
        "Line 2 is not valid JSON; it was skipped.",
        "Line 3 is not a JSON object; it was skipped.",
        "Line 4 is not a JSON object; it was skipped.",
        "Line 5 is not a message; it was skipped.",
        "Line 6 is not a message; it was skipped.",
        "Line 7 is not valid JSON; it was skipped.",
        "Line 9 is a metadata line out of place; it was skipped.",
    )


def test_windows_line_ends_and_a_byte_order_mark() -> None:
    text = "\ufeff" + jsonl(HEADER, {"name": "Ann", "is_user": True, "mes": "Hi."}).replace(
        "\n", "\r\n"
    )

    imported = read(text + "\r\n")

    assert [m.content for m in imported.messages] == ["Hi."]
    assert imported.session.created_at == "2024-07-12T01:31:37.000Z"
    assert imported.notes == ()


def test_a_long_text_is_cut_with_a_note() -> None:
    line = {
        "name": "Ilse",
        "is_user": False,
        "mes": "a" * (MAX_TEXT + 10),
        "extra": {"reasoning": "r" * (MAX_TEXT + 1)},
    }

    imported = read(jsonl(HEADER, line))

    (message,) = imported.messages
    assert len(message.content) == MAX_TEXT
    assert len(message.current_reasoning) == MAX_TEXT
    assert imported.notes == (f"Line 2 has a text longer than {MAX_TEXT} characters; it was cut.",)


def test_messages_past_the_limit_are_left_out_with_a_note() -> None:
    line = json.dumps({"name": "Ann", "is_user": True, "mes": "x"})
    text = "\n".join([json.dumps(HEADER), *[line] * (MAX_MESSAGES + 5)])

    imported = read(text)

    assert len(imported.messages) == MAX_MESSAGES
    assert imported.messages[-1].seq == MAX_MESSAGES - 1
    assert imported.notes == (
        f"The chat has more than {MAX_MESSAGES} messages; its last 5 lines were left out.",
    )


def test_notes_are_capped() -> None:
    text = jsonl(HEADER, *["{bad"] * 80, {"name": "Ann", "is_user": True, "mes": "Hi."})

    imported = read(text)

    assert len(imported.notes) == 51
    assert imported.notes[-1] == "30 more problems were found and are not listed."
    assert [m.content for m in imported.messages] == ["Hi."]


def test_a_file_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ChatFileError, match="larger than 32 MiB"):
        read(json.dumps(HEADER) + "\n" + " " * MAX_FILE_BYTES)


def test_the_size_limit_counts_utf8_bytes() -> None:
    wide = "한" * (MAX_FILE_BYTES // 3 + 1)  # fewer characters than the limit, more bytes
    with pytest.raises(ChatFileError, match="larger than 32 MiB"):
        read(jsonl(HEADER, {"name": "Ann", "is_user": True, "mes": wide}))


def test_a_large_file_under_the_limit_is_read() -> None:
    big = "a" * (MAX_FILE_BYTES // 4 + 1)  # past the cheap check, under the limit in bytes

    (message,) = read(jsonl(HEADER, {"name": "Ann", "is_user": True, "mes": big})).messages

    assert len(message.content) == MAX_TEXT


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "hello world",
        "null",
        "[1, 2]",
        json.dumps({"spec": "chara_card_v2", "data": {"name": "Ilse", "first_mes": "Hi"}}),
        json.dumps({"spec": "chara_card_v2", "data": {"name": "Ilse"}}, indent=2),
        jsonl({"name": "Ilse", "is_user": False}, {"mes": 3}),
    ],
)
def test_what_is_no_chat_is_refused(text: str) -> None:
    with pytest.raises(ChatFileError, match="not a SillyTavern chat"):
        read(text)


def test_a_metadata_line_alone_is_an_empty_chat() -> None:
    imported = read(json.dumps(HEADER))

    assert imported.messages == ()
    assert imported.session.title == ILSE.name
    assert imported.session.created_at == "2024-07-12T01:31:37.000Z"


def test_a_switched_off_author_note_is_left_out() -> None:
    header = {**HEADER, "chat_metadata": {"note_prompt": "Be grim.", "note_interval": 0}}

    imported = read(json.dumps(header))

    assert imported.session.author_note == ""
    assert imported.notes == (
        "The author's note was switched off in SillyTavern; it was left out.",
    )


@pytest.mark.parametrize(("depth", "kept"), [(9999, 1000), (-3, 0), ("2", 4), (True, 4)])
def test_author_note_depth_is_kept_in_range(depth: object, kept: int) -> None:
    header = {**HEADER, "chat_metadata": {"note_prompt": "Be grim.", "note_depth": depth}}

    assert read(json.dumps(header)).session.author_note_depth == kept


def test_odd_metadata_values_are_ignored() -> None:
    header = {
        **HEADER,
        "create_date": {"when": "now"},
        "chat_metadata": {
            "ondevice_chat": {"title": ["not", "text"]},
            "note_prompt": 12,
            "world_info": None,
        },
    }
    line = {"name": "Ann", "is_user": True, "mes": "  First   words\nhere  "}

    session_read = read(jsonl(header, line)).session

    assert session_read.title == "First words here"
    assert (session_read.author_note, session_read.lorebook) == ("", "")
    assert session_read.created_at == NOW


def test_a_long_title_is_shortened() -> None:
    header = {**HEADER, "chat_metadata": {"ondevice_chat": {"title": "t" * 500}}}

    assert len(read(json.dumps(header)).session.title) == 120


def test_stats_from_a_file_keep_plain_values_only() -> None:
    stats = {
        "completionTokens": 12,
        "decodeTokensPerS": 31.5,
        "stopped": False,
        "label": "12 tokens",
        "nested": {"a": 1},
        "list": [1],
        "long": "x" * 201,
        "nan": float("nan"),
    }
    line = {
        "name": "Ilse",
        "is_user": False,
        "mes": "Hi.",
        "extra": {"ondevice_chat": {"stats": stats}},
    }

    (message,) = read(jsonl(HEADER, line)).messages

    assert message.stats == {
        "completionTokens": 12,
        "decodeTokensPerS": 31.5,
        "stopped": False,
        "label": "12 tokens",
    }


def test_notes_past_the_cap_still_say_what_was_kept_apart() -> None:
    system = {"name": "SillyTavern System", "is_user": False, "is_system": True, "mes": "Note."}

    imported = read(jsonl(HEADER, *["{bad"] * 60, system))

    assert imported.notes[-2:] == (
        "Messages marked as system or hidden in SillyTavern (1) were kept; "
        "the model does not read them.",
        "10 more problems were found and are not listed.",
    )


def test_half_a_surrogate_pair_becomes_a_replacement_character() -> None:
    text = (
        json.dumps(HEADER) + '\n{"name": "Ann", "is_user": true, "mes": "a\\ud800b \\ud83d\\ude00"}'
    )

    (message,) = read(text).messages

    assert message.content == "a\ufffdb \U0001f600"


def test_the_shown_version_takes_the_message_extra() -> None:
    line = {
        "name": "Ilse",
        "is_user": False,
        "mes": "B.",
        "extra": {"reasoning": "edited thought"},
        "swipe_id": 1,
        "swipes": ["A.", "B."],
        "swipe_info": [{"extra": {"reasoning": "first"}}, {"extra": {"reasoning": "stale"}}],
    }

    (message,) = read(jsonl(HEADER, line)).messages

    assert message.reasoning == ["first", "edited thought"]
