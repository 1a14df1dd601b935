"""Which tab runs the model, and what loading one does: the engine side as a value.

One tab at a time holds the engine lock (a Web Lock, ``app/browser/engine_lock.py``). These
pure transitions decide what the page does when it starts, loads a model, is asked to give the
engine to another tab, or gets the lock back; ``app/browser/controller.py`` performs the
effects. Unit-tested under CPython (``tests/unit/test_engine_state.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum, StrEnum

from app.engine_errors import EngineError, ErrorKind
from app.steps import Step


class Place(StrEnum):
    """Where the engine is, from this tab's side."""

    FREE = "free"
    """Nobody runs it (or this tab has not asked yet)."""
    HERE = "here"
    """This tab holds the lock."""
    OTHER_TAB = "other-tab"
    """Another tab held it when this one asked."""
    MOVED = "moved"
    """This tab had it and gave it to another tab."""


@dataclass(frozen=True)
class EngineState:
    """The lock, the loaded model and a load in progress."""

    place: Place = Place.FREE
    model_id: str | None = None
    loading: str | None = None
    waiting: bool = False
    """Queued for the lock."""

    @property
    def ready(self) -> bool:
        """A model is loaded here and nothing else is loading: the composer is usable."""
        return self.place is Place.HERE and self.model_id is not None and self.loading is None


class Notice(StrEnum):
    """The engine banner when another tab has the engine (its ``data-state``)."""

    OTHER_TAB = "other-tab"
    MOVED = "moved"

    @property
    def key(self) -> str:
        """The message's i18n key."""
        return "engine.moved" if self is Notice.MOVED else "engine.other_tab"


@dataclass(frozen=True)
class Banner:
    """Show the engine banner with ``notice`` and "Use it here" (``None``: hide it)."""

    notice: Notice | None


@dataclass(frozen=True)
class Status:
    """The status line: message ``key`` in state ``kind``, about ``model``."""

    key: str
    kind: str
    model: str = ""


@dataclass(frozen=True)
class ShowError:
    """The engine banner as an error, with "Load" again when ``retry`` is a model id."""

    error: EngineError
    retry: str | None = None


@dataclass(frozen=True)
class Load:
    """Keep ``model_id`` as the model to load next time (and on getting the lock back), then
    download it (or read it from the cache) and load it, with progress."""

    model_id: str


class Task(Enum):
    """The effects that carry nothing."""

    OPEN_COMPOSER = "open-composer"
    """The composer is usable (its placeholder says so)."""
    CLOSE_COMPOSER = "close-composer"
    """The composer is not usable (its placeholder says why)."""
    WAIT_FOR_LOCK = "wait-for-lock"
    """Queue for the lock; ``lock_acquired`` follows when it comes."""
    REQUEST_RELEASE = "request-release"
    """Ask the tab holding the lock to let go."""
    UNLOAD = "unload"
    """Unload the engine here."""
    STOP_REPLY = "stop-reply"
    """Stop a reply that is streaming (it is kept)."""


EngineEffect = Banner | ShowError | Status | Load | Task
EngineStep = Step[EngineState, EngineEffect]


def _queue(state: EngineState) -> tuple[EngineState, tuple[EngineEffect, ...]]:
    """Wait for the lock (once: a tab already queued does not queue again)."""
    if state.waiting:
        return state, ()
    return replace(state, waiting=True), (Task.WAIT_FOR_LOCK,)


def started(state: EngineState, *, held_elsewhere: bool) -> EngineStep:
    """The page has started: if another tab runs the engine, say so and queue for it."""
    if not held_elsewhere:
        return EngineStep(state)
    return _other_tab(state)


def _other_tab(state: EngineState) -> EngineStep:
    state, queued = _queue(replace(state, place=Place.OTHER_TAB))
    return EngineStep(state, (Task.CLOSE_COMPOSER, Banner(Notice.OTHER_TAB), *queued))


def load_requested(state: EngineState, model_id: str, *, lock_held: bool) -> EngineStep:
    """The user chose a model (or the lock came back with one to load). Without the lock
    (another tab has it) nothing loads: the banner offers "Use it here"."""
    if not lock_held:
        return _other_tab(state)
    loading = replace(state, place=Place.HERE, loading=model_id)
    return EngineStep(
        loading,
        (
            Banner(None),
            Task.CLOSE_COMPOSER,
            Status("model.loading", "loading", model_id),
            Load(model_id),
        ),
    )


def loaded(state: EngineState, model_id: str) -> EngineStep:
    """The model is loaded: the composer opens."""
    done = replace(state, model_id=model_id, loading=None)
    return EngineStep(done, (Status("model.loaded", "model-ready", model_id), Task.OPEN_COMPOSER))


def load_failed(state: EngineState, error: EngineError) -> EngineStep:
    """Loading failed or was cancelled: no model here; an error (not a cancel) is shown, with
    "Load" again when trying again can help."""
    failed = replace(state, model_id=None, loading=None)
    if error.kind is ErrorKind.CANCELLED:
        return EngineStep(failed, (Status("engine.error.cancelled", "idle"),))
    retry = state.loading if error.recoverable else None
    return EngineStep(failed, (ShowError(error, retry),))


#: Failures after which the loaded engine cannot generate again until it is loaded anew.
_ENGINE_GONE = frozenset({ErrorKind.DEVICE_LOST, ErrorKind.BAD_MODEL_LIB})


def generation_failed(state: EngineState, error: EngineError) -> EngineStep:
    """A reply failed (its partial text is kept). After a lost device the engine is gone:
    it is unloaded, the chip says no model, and the banner offers to load it again."""
    if error.kind not in _ENGINE_GONE or state.model_id is None:
        return EngineStep(state, (ShowError(error),))
    gone = replace(state, model_id=None, loading=None)
    return EngineStep(gone, (Task.UNLOAD, Task.CLOSE_COMPOSER, ShowError(error, state.model_id)))


def release_requested(state: EngineState) -> EngineStep:
    """Another tab asked for the engine: stop the reply, unload, say where it went, and
    queue to get it back."""
    moved = replace(state, place=Place.MOVED, model_id=None, loading=None, waiting=False)
    moved, queued = _queue(moved)
    return EngineStep(
        moved, (Task.STOP_REPLY, Task.UNLOAD, Task.CLOSE_COMPOSER, Banner(Notice.MOVED), *queued)
    )


def take_over(state: EngineState) -> EngineStep:
    """ "Use it here": queue (if not already) and ask the holder to let go."""
    state, queued = _queue(state)
    return EngineStep(state, (*queued, Task.REQUEST_RELEASE))


def lock_acquired(state: EngineState, *, preferred: str | None) -> EngineStep:
    """The lock came (a takeover, or the holder closed): load the model last used here."""
    here = replace(state, place=Place.HERE, waiting=False)
    if not preferred:
        return EngineStep(here, (Banner(None),))
    step = load_requested(here, preferred, lock_held=True)
    return EngineStep(step.state, step.effects)


def unloaded(state: EngineState, model_id: str) -> EngineStep:
    """A cached model was deleted: if it was the loaded one, the composer closes."""
    if state.model_id != model_id:
        return EngineStep(state)
    return EngineStep(replace(state, model_id=None), (Task.UNLOAD, Task.CLOSE_COMPOSER))
