"""Seqs, log entries and regeneration history."""

from __future__ import annotations

import pytest

from app.conversation import history_for_reply, log_entries, log_message_id, next_seq, session_title
from app.models import Character, ChatSession, Message
from app.outbox.entries import MessageEntry, SessionEntry

CHAR = Character.new("Haneul", first_mes="Welcome in.")
SESSION = ChatSession.new(CHAR.id, title="Tea talk")


def test_next_seq() -> None:
    assert next_seq([]) == 0
    messages = [
        Message.new(SESSION.id, "assistant", "hi", seq=0),
        Message.new(SESSION.id, "user", "yo", seq=1),
    ]
    assert next_seq(messages) == 2


def test_log_entries_create_the_session_then_each_message() -> None:
    greeting = Message.new(SESSION.id, "assistant", "Welcome in.", seq=0)
    said = Message.new(SESSION.id, "user", "Hello!", seq=1)
    entries = log_entries(SESSION, CHAR, [greeting, said], model_id="Qwen3-0.6B-q4f32_1-MLC")
    assert isinstance(entries[0], SessionEntry)
    assert entries[0].body()["characterName"] == "Haneul"
    assert entries[0].body()["title"] == "Tea talk"
    messages = [e for e in entries if isinstance(e, MessageEntry)]
    assert [(e.seq, e.payload.role, e.payload.content) for e in messages] == [
        (0, "assistant", "Welcome in."),
        (1, "user", "Hello!"),
    ]
    assert messages[1].client_message_id == said.id
    assert messages[0].body()["modelId"] == "Qwen3-0.6B-q4f32_1-MLC"
    assert "modelId" not in messages[1].body()


def test_each_version_and_each_edit_gets_its_own_stable_log_id() -> None:
    reply = Message.new(SESSION.id, "assistant", "first", seq=2)
    again = reply.with_swipe("second")
    ids = {log_message_id(reply), log_message_id(again)}
    assert len(ids) == 2
    assert log_message_id(again) == log_message_id(reply.with_swipe("second"))  # replay-safe
    edited = again.edited("second, fixed")
    assert log_message_id(edited, edited=True) not in ids
    assert log_message_id(edited, edited=True) == log_message_id(
        again.edited("second, fixed"), edited=True
    )
    assert log_message_id(edited, edited=True) != log_message_id(again.edited("other"), edited=True)


@pytest.mark.parametrize(
    ("regenerate", "sent", "target"),
    [
        pytest.param(False, 3, None, id="reply"),
        pytest.param(True, 2, "an answer", id="regenerate"),
    ],
)
def test_history_for_reply(regenerate: bool, sent: int, target: str | None) -> None:
    messages = [
        Message.new(SESSION.id, "assistant", "hello", seq=0),
        Message.new(SESSION.id, "user", "question", seq=1),
        Message.new(SESSION.id, "assistant", "an answer", seq=2),
    ]
    if not regenerate:
        messages.append(Message.new(SESSION.id, "user", "more", seq=3))
        sent = 4
    history, to_extend = history_for_reply(messages, regenerate=regenerate)
    assert len(history) == sent
    assert history[-1].role == "user"
    assert (to_extend.content if to_extend else None) == target


def test_session_title_from_first_user_message() -> None:
    assert session_title(CHAR, []) == "Haneul"
    long = Message.new(SESSION.id, "user", "  word " * 40, seq=1)
    title = session_title(CHAR, [long])
    assert len(title) <= 60
    assert title.endswith("…")


def test_preview_line_is_the_last_message_plain_and_short() -> None:
    from app.conversation import PREVIEW_LENGTH, preview_line

    first = Message.new("s", "user", "hello", seq=0)
    last = Message.new(
        "s", "assistant", "<think>hmm</think>*waves*\n\n  Hi   there " + "x" * 300, seq=1
    )
    line = preview_line([first, last])
    assert line.startswith("waves Hi there x")
    assert "hmm" not in line
    assert len(line) == PREVIEW_LENGTH
    assert preview_line([]) == ""


def test_preview_line_shows_text_not_the_inline_html_it_renders_with() -> None:
    from app.conversation import preview_line

    reply = 'She <b>smiles</b>.<br><span style="color:red">~~No~~ yes.</span> a < b <div>'
    line = preview_line([Message.new("s", "assistant", reply, seq=0)])
    assert line == "She smiles. No yes. a < b <div>"


def test_a_sessions_preview_survives_its_record_and_old_records_have_none() -> None:
    from app.conversation import with_preview

    session = with_preview(ChatSession.new("c"), [Message.new("s", "user", "a line", seq=0)])
    assert session.preview == "a line"
    assert ChatSession.from_dict(session.to_dict()) == session
    old = {k: v for k, v in session.to_dict().items() if k != "preview"}
    assert ChatSession.from_dict(old).preview is None  # read once by the sidebar, then kept
