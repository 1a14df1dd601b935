"""Logging in and out as transitions (``app/account_state.py``), the sync chip, and the
page's preferences (``app/preferences.py``)."""

from __future__ import annotations

import pytest

from app import account_state, preferences
from app.account import UNKNOWN, AccountUser
from app.account_state import (
    AccountState,
    Become,
    CheckStatus,
    Chore,
    ForAccount,
)
from app.outbox.state import OutboxState, sync_chip

ALICE = AccountUser("a-1", "alice")
BOB = AccountUser("b-2", "bob")


def _types(step: account_state.AccountStep) -> list[type]:
    return [type(effect) for effect in step.effects]


def test_a_login_switches_owner_resumes_the_outbox_offers_adoption_and_restores() -> None:
    step = account_state.logged_in(AccountState(), ALICE)
    assert step.state.user == ALICE
    assert step.state.known
    assert step.state.changes == 1
    assert step.effects == (
        Become(ALICE, changed=True, broadcast=True),
        ForAccount(Chore.ASK_ADOPTION, ALICE),
        ForAccount(Chore.RESUME_OUTBOX, ALICE),
        ForAccount(Chore.RESTORE, ALICE),
    )


def test_the_status_check_at_page_load_offers_adoption_only_unasked() -> None:
    step = account_state.status_answered(AccountState(user=ALICE), ALICE, asked_at=0)
    assert ForAccount(Chore.OFFER_ADOPTION, ALICE) in step.effects
    assert Become(ALICE, changed=False, broadcast=False) in step.effects  # same user: no redraw
    assert step.state.known


def test_an_unclear_status_answer_is_never_taken_for_logged_out() -> None:
    state = AccountState(user=ALICE)
    # None: nothing is decided (the user stays as known so far) and the page asks again
    assert account_state.status_answered(state, UNKNOWN, asked_at=0) is None


def test_a_slow_status_answer_cannot_undo_a_login_made_meanwhile() -> None:
    asked_at = AccountState().changes
    after_login = account_state.logged_in(AccountState(), ALICE).state
    step = account_state.status_answered(after_login, None, asked_at=asked_at)
    assert step.effects == ()
    assert step.state.user == ALICE


def test_the_server_saying_nobody_signs_out_the_remembered_user() -> None:
    step = account_state.status_answered(AccountState(user=ALICE), None, asked_at=0)
    assert step.state.user is None
    assert step.effects == (Become(None, changed=True, broadcast=False),)


@pytest.mark.parametrize("remove", [False, True])
def test_logout_keeps_or_removes_the_accounts_chats_before_saying_signed_out(
    remove: bool,
) -> None:
    state = account_state.logged_in(AccountState(), ALICE).state
    step = account_state.logged_out(state, remove=remove)
    assert step.state.user is None
    assert step.state.changes == state.changes + 1
    assert step.effects[-1] == Become(None, changed=True, broadcast=True)
    assert (ForAccount(Chore.REMOVE_DATA, ALICE) in step.effects) is remove
    if remove:
        assert _types(step).index(ForAccount) < _types(step).index(Become)


def test_another_tabs_login_or_logout_is_followed_here() -> None:
    state = AccountState(user=ALICE, known=True)
    out = account_state.other_tab(state, logged_in=False, user=None)
    assert out.state.user is None
    assert out.effects == (Become(None, changed=True, broadcast=False),)
    switched = account_state.other_tab(out.state, logged_in=True, user=BOB)
    assert switched.state.user == BOB
    assert switched.state.changes == 2
    # an older tab says only "logged in": ask the server who
    vague = account_state.other_tab(state, logged_in=True, user=None)
    assert vague.effects == (CheckStatus(),)
    assert vague.state.user == ALICE


def test_coming_back_online_asks_only_if_the_server_has_not_said() -> None:
    assert account_state.reconnected(AccountState()).effects == (CheckStatus(),)
    assert account_state.reconnected(AccountState(known=True)).effects == ()


def test_answering_the_adoption_question() -> None:
    state = AccountState(user=ALICE, known=True)
    yes = account_state.adoption_answered(state, yes=True)
    assert yes.effects[0] == ForAccount(Chore.ADOPT, ALICE)
    assert (
        ForAccount(Chore.RESUME_OUTBOX, ALICE) in yes.effects
    )  # the adopted chats' logs go out now
    assert Become(ALICE, changed=True, broadcast=False) in yes.effects  # drawn again
    assert account_state.adoption_answered(state, yes=False).effects == (
        ForAccount(Chore.KEEP_APART, ALICE),
    )
    assert account_state.adoption_answered(AccountState(), yes=True).effects == ()


def test_the_servers_refusal_reads_as_one_line() -> None:
    body = {"message": "Validation failed", "details": [{"message": "too short"}, {"x": 1}]}
    assert account_state.error_text(400, body) == "too short"
    assert account_state.error_text(401, {"message": "Wrong password"}) == "Wrong password"
    assert account_state.error_text(502, "<html>") == "502"
    assert account_state.error_text(400, {"details": "odd"}) == "400"


def test_the_sync_chip() -> None:
    waiting = OutboxState(waiting=3)
    chip = sync_chip(waiting, online=True, signed_in=True)
    assert (chip.key, chip.count, chip.hidden) == ("waiting", 3, False)
    paused = OutboxState(waiting=2, paused=True)
    offline = sync_chip(paused, online=False, signed_in=False)
    assert offline.key == "offline"  # offline, not "log in": a login can't be checked
    assert not offline.state.paused
    failed = sync_chip(OutboxState(waiting=1, failed=4), online=True, signed_in=True)
    assert (failed.key, failed.count) == ("failed", 4)
    assert sync_chip(OutboxState(), online=True, signed_in=False).hidden
    # logged out with nothing waiting: no "log in to save 0"
    assert sync_chip(OutboxState(paused=True), online=True, signed_in=False).hidden
    assert not sync_chip(OutboxState(paused=True, waiting=2), online=True, signed_in=False).hidden
    assert not sync_chip(OutboxState(), online=True, signed_in=True).hidden


def test_only_usable_preferences_are_imported() -> None:
    data = {
        preferences.LANGUAGE: "ko",
        preferences.CACHE_BACKEND: "indexeddb",
        preferences.MODEL: "Qwen3-0.6B-q4f32_1-MLC",
        preferences.LAST_USER: '{"id": "x", "username": "mallory"}',  # never imported
        "other": "x",
    }
    assert preferences.importable(data) == {
        preferences.LANGUAGE: "ko",
        preferences.CACHE_BACKEND: "indexeddb",
        preferences.MODEL: "Qwen3-0.6B-q4f32_1-MLC",
    }
    odd = {
        preferences.LANGUAGE: "xx",
        preferences.CACHE_BACKEND: "floppy",
        preferences.MODEL: 7,
    }
    assert preferences.importable(odd) == {}
    assert preferences.importable([1, 2]) == {}
    assert preferences.importable({preferences.MODEL: "m" * 1000}) == {}
    assert set(preferences.EXPORTED) < {
        preferences.LANGUAGE,
        preferences.MODEL,
        preferences.CACHE_BACKEND,
        preferences.LAST_USER,
    }
