"""The conversation's transitions (``app/chat_state.py``): each user action's next state and
effects, checked without a browser."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app import chat_state
from app.chat_state import (
    ChatState,
    Draw,
    Forget,
    Generate,
    Outcome,
    Preferences,
    ReplyPlan,
    Step,
    StopReply,
    Store,
)
from app.i18n import translate
from app.models import Character, ChatSession, Message
from app.outbox.entries import MessageEntry, SessionEntry
from app.prompt import GenerationSettings, PromptError


def T(key: str, **values: object) -> str:
    return translate(key, "en", **values)


MODEL = "Qwen3-0.6B-q4f32_1-MLC"


def _chat(*texts: tuple[str, str], session: ChatSession | None = None) -> ChatState:
    character = Character.new("Aria", description="A guide.")
    session = session or ChatSession.new(character.id)
    messages = tuple(
        Message.new(session.id, role, text, seq=i)  # type: ignore[arg-type]
        for i, (role, text) in enumerate(texts)
    )
    return ChatState(character=character, session=session, messages=messages)


def _effects(step: Step, kind: type) -> list:
    return [effect for effect in step.effects if isinstance(effect, kind)]


def _stored(step: Step) -> Store:
    (store,) = _effects(step, Store)
    return store


# -- send ---------------------------------------------------------------------------------


def test_send_stores_the_message_with_its_log_entries_then_draws_and_asks_for_a_reply() -> None:
    state = _chat(("assistant", "Hello, traveller."))
    step = chat_state.send(state, "  Where am I?  ", model_id=MODEL)
    store = _stored(step)
    (message,) = store.messages
    assert (message.role, message.content, message.seq) == ("user", "Where am I?", 1)
    assert step.state.messages == (*state.messages, message)
    # written before the view shows it, and the reply comes last
    kinds = [type(effect) for effect in step.effects]
    assert kinds.index(Store) < kinds.index(Draw) < kinds.index(Generate)
    assert _effects(step, Generate) == [Generate(regenerate=False)]
    assert store.session is step.state.session
    assert step.state.session is not None
    assert step.state.session.preview == "Where am I?"


def test_the_first_turn_also_logs_the_greeting_it_answers() -> None:
    state = _chat(("assistant", "Hello, traveller."))
    outbox = _stored(chat_state.send(state, "Hi", model_id=MODEL)).outbox
    logged = [e.payload.content for e in outbox if isinstance(e, MessageEntry)]
    assert logged == ["Hello, traveller.", "Hi"]
    assert sum(isinstance(e, SessionEntry) for e in outbox) == 1


def test_later_turns_log_only_the_new_message() -> None:
    state = _chat(("assistant", "Hello."), ("user", "Hi"), ("assistant", "Welcome."))
    outbox = _stored(chat_state.send(state, "Thanks", model_id=MODEL)).outbox
    assert [e.payload.content for e in outbox if isinstance(e, MessageEntry)] == ["Thanks"]


def test_send_titles_an_untitled_chat_and_records_the_model() -> None:
    state = _chat(("assistant", "Hello."))
    session = chat_state.send(state, "Tell me about the harbour", model_id=MODEL).state.session
    assert session is not None
    assert session.title == "Tell me about the harbour"
    assert session.model_id == MODEL
    titled = _chat(session=replace(ChatSession.new("x"), title="Mine", model_id="other"))
    kept = chat_state.send(titled, "Hi", model_id=MODEL).state.session
    assert kept is not None
    assert (kept.title, kept.model_id) == ("Mine", "other")


@pytest.mark.parametrize(
    "state",
    [
        replace(_chat(("assistant", "Hello.")), streaming=True),
        ChatState(),
        replace(_chat(), session=None),
    ],
    ids=["while-streaming", "no-character", "no-chat"],
)
def test_send_does_nothing_while_a_reply_streams_or_with_no_chat(state: ChatState) -> None:
    step = chat_state.send(state, "Hi", model_id=MODEL)
    assert not step.changed
    assert step.state is state


def test_blank_text_is_not_sent() -> None:
    assert not chat_state.send(_chat(), " \n\t", model_id=MODEL).changed


# -- the reply ----------------------------------------------------------------------------


def _plan(state: ChatState, *, regenerate: bool = False) -> ReplyPlan:
    return chat_state.plan_reply(
        state, Preferences(), model_id=MODEL, context_window=16384, regenerate=regenerate
    )


def test_a_finished_reply_is_stored_logged_and_drawn_with_its_stats() -> None:
    state = chat_state.start_reply(_chat(("assistant", "Hello."), ("user", "Hi")))
    usage = {
        "completion_tokens": 12,
        "prompt_tokens": 80,
        "extra": {"decode_tokens_per_s": 31.25, "prefill_tokens_per_s": 400},
    }
    step = chat_state.finish_reply(
        state,
        _plan(state),
        answer=" Welcome. ",
        reasoning="",
        usage=usage,
        outcome=Outcome.DONE,
        t=T,
    )
    assert not step.state.streaming
    store = _stored(step)
    (reply,) = store.messages
    assert (reply.role, reply.content, reply.seq) == ("assistant", "Welcome.", 2)
    assert reply.stats is not None
    assert reply.stats["completionTokens"] == 12
    assert reply.stats["decodeTokensPerS"] == 31.25
    assert reply.stats["stopped"] is False
    assert "31.2" in reply.stats["label"] or "31.3" in reply.stats["label"]
    assert [e.payload.content for e in store.outbox if isinstance(e, MessageEntry)] == ["Welcome."]
    assert step.state.messages[-1] == reply


def test_a_stopped_reply_keeps_its_partial_text_marked_stopped() -> None:
    state = chat_state.start_reply(_chat(("user", "Hi")))
    step = chat_state.finish_reply(
        state, _plan(state), answer="Half a", reasoning="", usage=None, outcome=Outcome.STOPPED, t=T
    )
    (reply,) = _stored(step).messages
    assert reply.content == "Half a"
    assert reply.stats == {"stopped": True}


def test_a_reply_that_failed_with_no_text_stores_nothing_and_ends_streaming() -> None:
    state = chat_state.start_reply(_chat(("user", "Hi")))
    step = chat_state.finish_reply(
        state, _plan(state), answer="  ", reasoning="", usage=None, outcome=Outcome.ERROR, t=T
    )
    assert _effects(step, Store) == []
    assert not step.state.streaming
    assert step.state.messages == state.messages
    assert _effects(step, Draw)  # the message the stream was drawn over comes back


def test_reasoning_is_kept_beside_the_answer() -> None:
    state = chat_state.start_reply(_chat(("user", "Hi")))
    step = chat_state.finish_reply(
        state, _plan(state), answer="Yes.", reasoning="Hmm.", usage=None, outcome=Outcome.DONE, t=T
    )
    (reply,) = _stored(step).messages
    assert (reply.content, reply.current_reasoning) == ("Yes.", "Hmm.")


def test_the_thinking_switch_and_the_chats_own_settings_shape_the_request() -> None:
    state = _chat(("user", "Hi"))
    assert state.session is not None
    session = replace(state.session, thinking_enabled=True, settings={"temperature": 1.5})
    plan = _plan(replace(state, session=session))
    assert plan.options["temperature"] == 1.5
    plain = chat_state.plan_reply(
        state,
        Preferences(settings=GenerationSettings(temperature=0.2)),
        model_id=MODEL,
        context_window=16384,
        regenerate=False,
    )
    assert plain.options["temperature"] == 0.2
    assert plan.options != plain.options


def test_a_prompt_that_cannot_fit_is_refused() -> None:
    state = _chat(("user", "word " * 5000))
    with pytest.raises(PromptError):
        chat_state.plan_reply(
            state, Preferences(), model_id=MODEL, context_window=512, regenerate=False
        )


# -- regenerate, swipes -------------------------------------------------------------------


def test_regenerate_is_offered_only_on_the_last_reply() -> None:
    state = _chat(("assistant", "Hello."), ("user", "Hi"), ("assistant", "Welcome."))
    last, earlier = state.messages[-1].id, state.messages[0].id
    assert _effects(chat_state.regenerate(state, last), Generate) == [Generate(regenerate=True)]
    assert not chat_state.regenerate(state, earlier).changed
    assert not chat_state.regenerate(replace(state, streaming=True), last).changed
    only_user = _chat(("user", "Hi"))
    assert not chat_state.regenerate(only_user, only_user.messages[-1].id).changed


def test_a_finished_reply_is_announced_as_plain_text_without_its_reasoning() -> None:
    state = _chat(("user", "Hi"), ("assistant", "<think>hmm</think>*Waves.* <b>Hello</b>"))
    assert chat_state.reply_announcement(state, T) == "Aria replied: Waves. Hello"
    stopped = state.messages[-1].edited("Half")
    stopped = Message.from_dict({**stopped.to_dict(), "swipe_stats": [{"stopped": True}]})
    text = chat_state.reply_announcement(replace(state, messages=(stopped,)), T)
    assert text == "Aria's reply, stopped: Half"
    assert chat_state.reply_announcement(ChatState(), T) == ""


def test_a_last_user_message_can_get_its_reply_again() -> None:
    state = _chat(("assistant", "Hello."), ("user", "Hi"))
    last = state.messages[-1].id
    assert _effects(chat_state.retry(state, last), Generate) == [Generate(regenerate=False)]
    assert not chat_state.retry(state, state.messages[0].id).changed
    assert not chat_state.retry(replace(state, streaming=True), last).changed
    answered = _chat(("user", "Hi"), ("assistant", "Welcome."))
    assert not chat_state.retry(answered, answered.messages[-1].id).changed


def test_each_message_offers_the_buttons_that_can_act_on_it() -> None:
    state = _chat(("assistant", "Hello."), ("user", "Hi"), ("assistant", "Welcome."))
    greeting, user, reply = state.messages
    everywhere = ("copy", "edit", "branch", "delete")
    assert chat_state.message_actions(state, reply) == ("regenerate", "continue", *everywhere)
    assert chat_state.message_actions(state, user) == everywhere
    assert chat_state.message_actions(state, greeting) == everywhere
    unanswered = replace(state, messages=(greeting, user))
    assert chat_state.message_actions(unanswered, user)[0] == "retry"
    only_greeting = replace(state, messages=(greeting,))
    assert chat_state.message_actions(only_greeting, greeting) == ("continue", *everywhere)
    assert chat_state.message_actions(replace(state, streaming=True), reply) == ()


def test_continue_asks_for_the_rest_and_appends_it_to_the_shown_version() -> None:
    state = _chat(("user", "Hi"), ("assistant", "Welcome to the"))
    last = state.messages[-1]
    assert _effects(chat_state.continue_reply(state, last.id), Generate) == [
        Generate(regenerate=False, continuing=True)
    ]
    assert not chat_state.continue_reply(state, state.messages[0].id).changed
    plan = chat_state.plan_reply(
        state,
        Preferences(),
        model_id=MODEL,
        context_window=16384,
        regenerate=False,
        continuing=True,
    )
    sent = [m for m in plan.prompt.messages if m["role"] != "system"]
    assert sent[-2] == {"role": "assistant", "content": "Welcome to the"}
    assert sent[-1]["role"] == "user"
    assert "Continue Aria's last message" in sent[-1]["content"]
    step = chat_state.finish_reply(
        chat_state.start_reply(state),
        plan,
        answer="lighthouse.",
        reasoning="",
        usage=None,
        outcome=Outcome.DONE,
        t=T,
    )
    (reply,) = _stored(step).messages
    assert (reply.id, reply.content, reply.swipe_count) == (
        last.id,
        "Welcome to the lighthouse.",
        1,
    )
    assert len(step.state.messages) == 2  # the nudge is never stored
    (entry,) = [e for e in _stored(step).outbox if isinstance(e, MessageEntry)]
    assert entry.payload.content == "Welcome to the lighthouse."
    assert entry.client_message_id != last.client_message_id()  # logged as an edit


@pytest.mark.parametrize(
    ("existing", "addition", "expected"),
    [
        ("Welcome to the", "lighthouse.", "Welcome to the lighthouse."),
        ("It was late", ", and dark.", "It was late, and dark."),
        ("Line one. ", "\nLine two.", "Line one.\nLine two."),
        ("Done", "", "Done"),
    ],
)
def test_a_continuation_joins_like_writing(existing: str, addition: str, expected: str) -> None:
    assert chat_state.joined(existing, addition) == expected


def test_a_branch_is_a_new_chat_up_to_that_message_logged_as_its_own() -> None:
    session = replace(
        ChatSession.new("c", title="Storm"), persona_id="p", author_note="Terse.", lorebook="W"
    )
    state = _chat(("assistant", "Hello."), ("user", "Hi"), ("assistant", "Yes."), session=session)
    step = chat_state.branch(state, state.messages[1].id, title="Storm (branch)", model_id=MODEL)
    new = step.state.session
    assert new is not None
    assert new.id != session.id
    assert (new.title, new.persona_id, new.author_note, new.lorebook) == (
        "Storm (branch)",
        "p",
        "Terse.",
        "W",
    )
    copies = step.state.messages
    assert [m.content for m in copies] == ["Hello.", "Hi"]
    assert all(m.session_id == new.id for m in copies)
    assert not {m.id for m in copies} & {m.id for m in state.messages}
    store = _stored(step)
    assert store.messages == copies
    logged = [e.payload.content for e in store.outbox if isinstance(e, MessageEntry)]
    assert logged == ["Hello.", "Hi"]
    assert any(isinstance(e, SessionEntry) for e in store.outbox)
    assert new.preview == "Hi"
    assert not chat_state.branch(state, "missing", title="x", model_id=MODEL).changed


def test_a_regenerated_reply_becomes_another_version_of_the_last_one() -> None:
    state = _chat(("user", "Hi"), ("assistant", "Welcome."))
    plan = _plan(state, regenerate=True)
    assert plan.target == state.messages[-1]
    assert [m["content"] for m in plan.prompt.messages if m["role"] != "system"][-1] == "Hi"
    step = chat_state.finish_reply(
        chat_state.start_reply(state),
        plan,
        answer="Greetings.",
        reasoning="",
        usage=None,
        outcome=Outcome.DONE,
        t=T,
    )
    (reply,) = _stored(step).messages
    assert reply.id == state.messages[-1].id
    assert (reply.swipes, reply.swipe_index) == (["Welcome.", "Greetings."], 1)
    assert len(step.state.messages) == 2
    # logged as its own version: a new clientMessageId
    (entry,) = [e for e in _stored(step).outbox if isinstance(e, MessageEntry)]
    assert entry.client_message_id != state.messages[-1].client_message_id()


def test_a_regenerate_that_brings_no_text_leaves_the_old_version() -> None:
    state = _chat(("user", "Hi"), ("assistant", "Welcome."))
    step = chat_state.finish_reply(
        chat_state.start_reply(state),
        _plan(state, regenerate=True),
        answer="",
        reasoning="",
        usage=None,
        outcome=Outcome.STOPPED,
        t=T,
    )
    assert step.state.messages == state.messages
    assert _effects(step, Draw) == [Draw("tail", count=1, sidebar=True)]


def test_flip_shows_another_version_stores_the_choice_and_logs_nothing() -> None:
    state = _chat(("user", "Hi"), ("assistant", "Welcome."))
    two = state.messages[-1].with_swipe("Greetings.")
    state = replace(state, messages=(state.messages[0], two))
    back = chat_state.flip(state, two.id, -1)
    store = _stored(back)
    assert store.outbox == ()
    assert back.state.messages[-1].content == "Welcome."
    assert back.state.session is not None
    assert back.state.session.preview == "Welcome."
    assert _effects(back, Draw) == [Draw("one", message_id=two.id)]
    # at the first version already: nothing to do
    assert not chat_state.flip(back.state, two.id, -1).changed
    assert not chat_state.flip(replace(state, streaming=True), two.id, -1).changed
    assert not chat_state.flip(state, "missing", 1).changed


def test_each_version_keeps_its_own_stats_and_flipping_shows_them() -> None:
    state = _chat(("user", "Hi"))
    first = chat_state.finish_reply(
        chat_state.start_reply(state),
        _plan(state),
        answer="Welcome.",
        reasoning="",
        usage={"completion_tokens": 5, "extra": {"decode_tokens_per_s": 10}},
        outcome=Outcome.DONE,
        t=T,
    ).state
    second = chat_state.finish_reply(
        chat_state.start_reply(first),
        _plan(first, regenerate=True),
        answer="Greet",
        reasoning="",
        usage={"completion_tokens": 2, "extra": {"decode_tokens_per_s": 20}},
        outcome=Outcome.STOPPED,
        t=T,
    ).state
    reply = second.messages[-1]
    assert reply.stats is not None
    assert (reply.stats["completionTokens"], reply.stats["stopped"]) == (2, True)
    back = chat_state.flip(second, reply.id, -1).state.messages[-1]
    assert back.stats is not None
    assert (back.stats["completionTokens"], back.stats["stopped"]) == (5, False)
    assert Message.from_dict(back.to_dict()).swipe_stats == back.swipe_stats


def test_a_message_stored_before_versions_kept_their_own_stats_gives_them_to_the_newest() -> None:
    record = Message.new("s", "assistant", "one", seq=1).with_swipe("two").to_dict()
    del record["swipe_stats"]
    record["stats"] = {"completionTokens": 7}
    old = Message.from_dict(record)
    assert old.swipe_stats == [{}, {"completionTokens": 7}]
    assert old.stats == {"completionTokens": 7}
    assert old.flipped(-1).stats is None


# -- stop, edit, delete -------------------------------------------------------------------


def test_stop_asks_the_engine_only_while_a_reply_streams() -> None:
    state = _chat(("user", "Hi"))
    assert not chat_state.stop(state).changed
    assert chat_state.stop(chat_state.start_reply(state)).effects == (StopReply(),)


def test_edit_replaces_the_shown_text_and_logs_the_edit_as_its_own_entry() -> None:
    state = _chat(("user", "Hi"), ("assistant", "Welcome."))
    target = state.messages[-1]
    step = chat_state.edit(state, target.id, "  Welcome back.  ", model_id=MODEL)
    store = _stored(step)
    (edited,) = store.messages
    assert edited.content == "Welcome back."
    assert edited.id == target.id
    (entry,) = [e for e in store.outbox if isinstance(e, MessageEntry)]
    assert entry.client_message_id != target.client_message_id()
    assert entry.payload.content == "Welcome back."
    assert step.state.messages[-1] == edited
    assert not chat_state.edit(
        replace(state, streaming=True), target.id, "x", model_id=MODEL
    ).changed
    assert not chat_state.edit(state, "missing", "x", model_id=MODEL).changed


def test_delete_forgets_the_message_and_keeps_the_preview_true() -> None:
    state = _chat(("user", "Hi"), ("assistant", "Welcome."))
    gone = state.messages[-1]
    step = chat_state.delete(state, gone.id)
    (forget,) = _effects(step, Forget)
    assert forget.message_id == gone.id
    assert forget.session is not None
    assert forget.session.preview == "Hi"
    assert step.state.messages == state.messages[:1]
    assert not chat_state.delete(replace(state, streaming=True), gone.id).changed
    assert not chat_state.delete(state, "missing").changed


# -- opening and catching up ----------------------------------------------------------------


def test_opening_a_chat_draws_it_and_the_sidebar() -> None:
    state = _chat()
    other = ChatSession.new("c")
    messages = [Message.new(other.id, "assistant", "Hello.", seq=0)]
    step = chat_state.open_chat(state, other, messages)
    assert step.state.session == other
    assert step.state.messages == tuple(messages)
    assert step.effects == (Draw("all", sidebar=True),)
    assert not chat_state.open_chat(replace(state, streaming=True), other, messages).changed


def test_catch_up_takes_what_another_tab_wrote_to_this_chat() -> None:
    state = _chat(("user", "Hi"))
    assert state.session is not None
    newer = (*state.messages, Message.new(state.session.id, "assistant", "From tab two", seq=1))
    step = chat_state.catch_up(state, state.session.id, newer)
    assert step.state.messages == newer
    assert step.effects == (Draw("all"),)
    # the same messages: nothing to draw
    assert not chat_state.catch_up(state, state.session.id, state.messages).changed
    # the user moved to another chat, or a reply started, while IndexedDB was read
    assert not chat_state.catch_up(state, "another chat", newer).changed
    assert not chat_state.catch_up(replace(state, streaming=True), state.session.id, newer).changed


def test_catch_up_sees_a_swipe_chosen_in_another_tab() -> None:
    state = _chat(("user", "Hi"), ("assistant", "One"))
    assert state.session is not None
    two = state.messages[-1].with_swipe("Two")
    mine = replace(state, messages=(state.messages[0], two))
    theirs = (state.messages[0], two.flipped(-1))
    assert chat_state.catch_up(mine, state.session.id, theirs).changed


def test_the_thinking_switch_is_kept_with_the_chat() -> None:
    state = _chat()
    step = chat_state.toggle_thinking(state, True)
    assert step.state.session is not None
    assert step.state.session.thinking_enabled
    assert _stored(step).session == step.state.session
    assert not chat_state.toggle_thinking(step.state, True).changed
    assert not chat_state.toggle_thinking(ChatState(), True).changed


def test_chat_options_are_kept_with_the_chat_and_redraw_it() -> None:
    state = _chat(("user", "Hi"))
    step = chat_state.set_chat_options(
        state, persona_id="p1", lorebook="World", author_note="  Be terse. ", author_note_depth=500
    )
    store = _stored(step)
    assert store.session is not None
    assert (store.session.persona_id, store.session.lorebook) == ("p1", "World")
    assert (store.session.author_note, store.session.author_note_depth) == ("Be terse.", 100)
    assert store.messages == ()
    assert Draw("all") in step.effects
    same = chat_state.set_chat_options(
        step.state,
        persona_id="p1",
        lorebook="World",
        author_note="Be terse.",
        author_note_depth=100,
    )
    assert not same.changed
    busy = replace(state, streaming=True)
    assert not chat_state.set_chat_options(
        busy, persona_id="", lorebook="", author_note="x", author_note_depth=4
    ).changed


def test_impersonation_asks_for_the_users_next_message_without_storing_the_ask() -> None:
    state = _chat(("assistant", "Hello."), ("user", "Hi"), ("assistant", "What now?"))
    plan = chat_state.plan_impersonation(
        state, Preferences(user_name="Mina"), model_id=MODEL, context_window=16384
    )
    last = plan.prompt.messages[-1]
    assert last["role"] == "user"
    assert "Write Mina's next message" in last["content"]
    assert plan.prompt.messages[-2]["content"] == "What now?"
    assert plan.target is None
    assert len(state.messages) == 3  # the ask is never part of the chat
    assert plan.options.get("extra_body", {}).get("enable_thinking") in (None, False)


def test_an_imported_chat_joins_the_selected_character_stored_and_logged() -> None:
    state = _chat(("assistant", "Hello."))
    assert state.character is not None
    other = ChatSession.new("someone-else", title="From a file")
    messages = tuple(
        Message.new(other.id, role, text, seq=i)  # type: ignore[arg-type]
        for i, (role, text) in enumerate([("assistant", "Hi."), ("user", "Yo")])
    )
    step = chat_state.open_imported(state, other, messages, owner="acct", model_id=MODEL)
    store = _stored(step)
    assert store.session is not None
    assert (store.session.character_id, store.session.owner) == (state.character.id, "acct")
    assert store.session.preview == "Yo"
    assert store.messages == messages
    logged = [e.payload.content for e in store.outbox if isinstance(e, MessageEntry)]
    assert logged == ["Hi.", "Yo"]
    assert Draw("all", sidebar=True) in step.effects
    busy = replace(state, streaming=True)
    assert not chat_state.open_imported(busy, other, messages, owner="", model_id="").changed
