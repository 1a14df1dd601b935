"""The slice of a chat that is rendered: opening, sliding up and down, new messages."""

from __future__ import annotations

import pytest

from app.render_window import LIMIT, PAGE, WINDOW, Window, earlier, later, newest, tail


@pytest.mark.parametrize("total", [0, 1, WINDOW, WINDOW + 1, 2000])
def test_a_chat_opens_with_its_newest_messages(total: int) -> None:
    window = newest(total)
    assert window.end == total
    assert window.end - window.start == min(total, WINDOW)


def test_scrolling_up_renders_the_page_above_and_keeps_the_total_within_the_limit() -> None:
    total = 2000
    window = newest(total)
    seen = set(range(window.start, window.end))
    while window.start > 0:
        step = earlier(window, total)
        assert list(step.add) == list(range(step.window.start, window.start))
        assert len(step.add) <= PAGE
        assert not set(step.add) & set(range(window.start, window.end))  # nothing twice
        assert set(step.drop) <= set(range(window.start, window.end))  # only what was shown
        assert step.window.end - step.window.start <= LIMIT
        seen |= set(step.add)
        window = step.window
    assert seen == set(range(total))  # every message was reachable
    assert earlier(window, total).add == range(0, 0)  # the top: nothing more


def test_scrolling_back_down_renders_the_page_below_until_the_end() -> None:
    total = 500
    window = Window(0, LIMIT)
    while window.end < total:
        step = later(window, total)
        assert list(step.add) == list(range(window.end, step.window.end))
        assert step.window.end - step.window.start <= LIMIT
        assert list(step.drop) == list(range(window.start, step.window.start))
        window = step.window
    assert window.end == total
    assert later(window, total).add == range(0, 0)


def test_a_new_message_grows_a_window_at_the_end_and_drops_its_oldest_past_the_limit() -> None:
    window = Window(0, LIMIT)
    step = tail(window, LIMIT + 2, 2)
    assert step is not None
    assert step.window == Window(2, LIMIT + 2)
    assert list(step.drop) == [0, 1]
    assert list(step.add) == [LIMIT, LIMIT + 1]


def test_a_new_message_while_the_view_is_far_up_starts_the_window_anew() -> None:
    assert tail(Window(100, 160), 2000, 2) is None


def test_a_changed_last_message_renders_in_place() -> None:
    step = tail(Window(10, 40), 40, 1)
    assert step is not None
    assert step.window == Window(10, 40)
    assert list(step.add) == []
    assert list(step.drop) == []
