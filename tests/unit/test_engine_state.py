"""The engine side's transitions (``app/engine_state.py``): start, load, takeover, handover."""

from __future__ import annotations

from app import engine_state
from app.engine_errors import EngineError, ErrorKind
from app.engine_state import (
    Banner,
    EngineState,
    Load,
    Notice,
    Place,
    ShowError,
    Status,
    Task,
)
from app.model_choice import storage_check

MODEL = "Qwen3-0.6B-q4f32_1-MLC"


def _kinds(step: engine_state.EngineStep) -> list[type]:
    return [type(effect) for effect in step.effects]


def test_a_page_that_finds_another_tab_running_the_engine_says_so_and_queues() -> None:
    step = engine_state.started(EngineState(), held_elsewhere=True)
    assert step.state.place is Place.OTHER_TAB
    assert step.state.waiting
    assert Task.CLOSE_COMPOSER in step.effects
    assert Banner(Notice.OTHER_TAB) in step.effects
    assert step.effects.count(Task.WAIT_FOR_LOCK) == 1
    assert engine_state.started(EngineState(), held_elsewhere=False).effects == ()


def test_loading_remembers_the_model_and_keeps_the_composer_closed_until_loaded() -> None:
    step = engine_state.load_requested(EngineState(), MODEL, lock_held=True)
    assert step.state.loading == MODEL
    assert step.state.place is Place.HERE
    assert not step.state.ready
    # remembered and everything else shown before the download starts
    assert step.effects[-1] == Load(MODEL)
    assert Task.CLOSE_COMPOSER in step.effects
    assert Banner(None) in step.effects
    done = engine_state.loaded(step.state, MODEL)
    assert done.state.ready
    assert done.state.model_id == MODEL
    assert Task.OPEN_COMPOSER in done.effects
    assert Status("model.loaded", "model-ready", MODEL) in done.effects


def test_without_the_lock_nothing_loads_and_the_tab_queues_only_once() -> None:
    first = engine_state.load_requested(EngineState(), MODEL, lock_held=False)
    assert Load not in _kinds(first)
    assert first.state.place is Place.OTHER_TAB
    assert Task.WAIT_FOR_LOCK in first.effects
    again = engine_state.load_requested(first.state, MODEL, lock_held=False)
    assert Task.WAIT_FOR_LOCK not in again.effects


def test_a_failed_load_is_shown_with_retry_only_when_retrying_can_help() -> None:
    loading = engine_state.load_requested(EngineState(), MODEL, lock_held=True).state
    network = EngineError(ErrorKind.FETCH_FAILED, "reset")
    assert network.recoverable
    step = engine_state.load_failed(loading, network)
    assert step.effects == (ShowError(network, MODEL),)
    assert step.state.loading is None
    assert step.state.model_id is None
    fatal = EngineError(ErrorKind.NEEDS_F16, "")
    assert not fatal.recoverable
    assert engine_state.load_failed(loading, fatal).effects == (ShowError(fatal, None),)


def test_a_cancelled_load_is_not_an_error() -> None:
    loading = engine_state.load_requested(EngineState(), MODEL, lock_held=True).state
    step = engine_state.load_failed(loading, EngineError(ErrorKind.CANCELLED, ""))
    assert ShowError not in _kinds(step)
    assert step.effects == (Status("engine.error.cancelled", "idle"),)


def test_giving_the_engine_to_another_tab_stops_the_reply_first_then_unloads() -> None:
    here = engine_state.loaded(
        engine_state.load_requested(EngineState(), MODEL, lock_held=True).state, MODEL
    ).state
    step = engine_state.release_requested(here)
    assert step.effects.index(Task.STOP_REPLY) < step.effects.index(Task.UNLOAD)
    assert Banner(Notice.MOVED) in step.effects
    assert Task.CLOSE_COMPOSER in step.effects
    assert Task.WAIT_FOR_LOCK in step.effects  # to get it back when the other tab lets go
    assert step.state.place is Place.MOVED
    assert step.state.model_id is None
    assert not step.state.ready


def test_use_it_here_queues_and_asks_the_holder_to_let_go() -> None:
    moved = engine_state.release_requested(EngineState(place=Place.HERE, model_id=MODEL)).state
    step = engine_state.take_over(moved)
    assert step.effects == (Task.REQUEST_RELEASE,)  # already queued: asks, does not queue twice
    fresh = engine_state.take_over(EngineState(place=Place.OTHER_TAB))
    assert fresh.effects == (Task.WAIT_FOR_LOCK, Task.REQUEST_RELEASE)


def test_the_lock_coming_back_loads_the_model_last_used_here() -> None:
    waiting = engine_state.started(EngineState(), held_elsewhere=True).state
    step = engine_state.lock_acquired(waiting, preferred=MODEL)
    assert step.state.place is Place.HERE
    assert not step.state.waiting
    assert Load(MODEL) in step.effects
    assert Banner(None) in step.effects
    none = engine_state.lock_acquired(waiting, preferred=None)
    assert none.effects == (Banner(None),)
    assert none.state.place is Place.HERE


def test_a_lost_device_while_replying_unloads_and_offers_to_load_again() -> None:
    ready = EngineState(place=Place.HERE, model_id=MODEL)
    lost = EngineError(ErrorKind.DEVICE_LOST, "GPU device was lost")
    step = engine_state.generation_failed(ready, lost)
    assert step.state.model_id is None
    assert not step.state.ready
    assert step.effects == (Task.UNLOAD, Task.CLOSE_COMPOSER, ShowError(lost, MODEL))


def test_other_reply_errors_leave_the_model_loaded() -> None:
    ready = EngineState(place=Place.HERE, model_id=MODEL)
    too_long = EngineError(ErrorKind.CONTEXT_TOO_LONG)
    step = engine_state.generation_failed(ready, too_long)
    assert step.state == ready
    assert step.effects == (ShowError(too_long, None),)


def test_deleting_the_loaded_model_closes_the_composer() -> None:
    loaded = EngineState(place=Place.HERE, model_id=MODEL)
    step = engine_state.unloaded(loaded, MODEL)
    assert step.effects == (Task.UNLOAD, Task.CLOSE_COMPOSER)
    assert step.state.model_id is None
    assert engine_state.unloaded(loaded, "another").effects == ()


def test_a_download_larger_than_the_free_space_is_warned_about_once() -> None:
    record = {"model_id": MODEL, "vram_required_MB": 2048}
    check = storage_check(record, free=1 * 2**30, cached=False, confirmed=False)
    assert check.warn
    assert not check.persist
    assert (check.need_gb, check.free_gb) == ("2.0", "1.0")
    confirmed = storage_check(record, free=1 * 2**30, cached=False, confirmed=True)
    assert not confirmed.warn
    assert confirmed.persist  # over 512 MiB: ask the browser to keep it
    cached = storage_check(record, free=0, cached=True, confirmed=False)
    assert not cached.warn
    assert not cached.persist
    small = storage_check({"vram_required_MB": 100}, free=None, cached=False, confirmed=False)
    assert not small.warn
    assert not small.persist
