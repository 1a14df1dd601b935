"""What every pure transition returns: the next state and the effects that make it real.

The state modules (``app/chat_state.py``, ``app/engine_state.py``, ``app/account_state.py``)
each name their own ``Step[State, Effect]``; a browser adapter puts ``state`` in place and
performs ``effects`` in order (see ``docs/architecture.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S")
E = TypeVar("E")


@dataclass(frozen=True)
class Step(Generic[S, E]):
    """The next state and its effects, in order (none: the event changed nothing)."""

    state: S
    effects: tuple[E, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the event asked for anything to be done."""
        return bool(self.effects)
