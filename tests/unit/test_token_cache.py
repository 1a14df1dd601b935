"""The count cache behind the prompt: the same counts as counting afresh, held within bounds."""

from __future__ import annotations

from app.models import Message
from app.prompt import build_prompt
from app.tokens import CountCache, estimate_tokens
from tests.unit.test_prompt import ARIA


class CountingCounter:
    """``estimate_tokens`` that records which texts it was asked to count."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, text: str) -> int:
        self.seen.append(text)
        return estimate_tokens(text)


def test_a_text_is_counted_once_and_gives_the_same_count() -> None:
    counter = CountingCounter()
    cache = CountCache(counter)
    text = "Haneul pours the tea. " * 50
    assert cache(text) == estimate_tokens(text)
    assert cache(text) == estimate_tokens(text)
    assert counter.seen == [text]


def test_the_cache_holds_no_more_text_than_its_bound_dropping_the_least_recent() -> None:
    counter = CountingCounter()
    cache = CountCache(counter, max_chars=100)
    first, second, third = "a" * 40, "b" * 40, "c" * 40
    for text in (first, second, first, third):  # first used again: second is the oldest
        cache(text)
    assert cache.held_chars <= 100
    counter.seen.clear()
    cache(first)
    cache(third)
    assert counter.seen == []
    cache(second)
    assert counter.seen == [second]


def test_a_text_longer_than_the_bound_is_counted_but_not_held() -> None:
    cache = CountCache(estimate_tokens, max_chars=10)
    assert cache("x" * 50) == estimate_tokens("x" * 50)
    assert cache.held_chars == 0


def test_the_prompt_counts_each_history_turn_once_across_turns() -> None:
    counter = CountingCounter()
    history: list[Message] = []
    for seq in range(21):
        role = "user" if seq % 2 == 0 else "assistant"
        history.append(Message.new("s", role, f"turn {seq} " * 30, seq=seq))
    first = build_prompt(ARIA, history[:19], count_tokens=counter)
    counted_once = len(counter.seen)
    counter.seen.clear()
    again = build_prompt(ARIA, history[:19], count_tokens=counter)
    assert again == first
    assert counter.seen == []  # nothing new to count
    build_prompt(ARIA, history, count_tokens=counter)  # one more turn (user's): counted
    assert 0 < len(counter.seen) < counted_once
