"""Which messages of a chat are in the page: a window that slides as the user scrolls.

A chat of thousands of messages must open and scroll as fast as a short one, so only a slice
of it is rendered: the newest :data:`WINDOW` when it opens, :data:`PAGE` more above or below as
the view nears either end, and never more than :data:`LIMIT` at once (the far side is removed).
These functions only decide; ``app/browser/chat_window.py`` renders and removes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LIMIT", "PAGE", "WINDOW", "Slide", "Window", "earlier", "later", "newest", "tail"]

WINDOW = 30
"""Messages rendered when a chat opens: a few screens' worth."""
PAGE = 10
"""Messages rendered at a time as the view nears an end of the window."""
LIMIT = 100
"""The most messages rendered at once (far more than both ends' margins hold, so rendering
at one end never brings the other into reach)."""


@dataclass(frozen=True)
class Window:
    """``messages[start:end]`` are rendered."""

    start: int
    end: int

    def holds(self, index: int) -> bool:
        """Whether ``messages[index]`` is rendered."""
        return self.start <= index < self.end


@dataclass(frozen=True)
class Slide:
    """A move of the window: render ``add`` (indices), remove ``drop``."""

    window: Window
    add: range
    drop: range


def newest(total: int) -> Window:
    """The window of a chat just opened: its newest messages."""
    return Window(max(0, total - WINDOW), total)


def earlier(window: Window, total: int) -> Slide:
    """The view nears the top: render the page above, drop what falls out below."""
    start = max(0, window.start - PAGE)
    end = min(window.end, start + LIMIT, total)
    return Slide(Window(start, end), range(start, window.start), range(end, window.end))


def later(window: Window, total: int) -> Slide:
    """The view nears the bottom: render the page below, drop what falls out above."""
    end = min(total, window.end + PAGE)
    start = max(window.start, end - LIMIT)
    return Slide(Window(start, end), range(window.end, end), range(window.start, start))


def tail(window: Window, total: int, count: int) -> Slide | None:
    """The last ``count`` of ``total`` messages changed or were added (the newest must be in
    view): the window grown to the end, its oldest dropped past :data:`LIMIT`; ``None`` when
    it is far from the end and must start anew (:func:`newest`)."""
    if window.end < total - count:
        return None
    start = min(max(window.start, total - LIMIT), total)
    return Slide(
        Window(start, total),
        range(max(window.end, total - count), total),
        range(window.start, start),
    )
