"""The <think> parser splits reasoning from the answer whatever the streaming chunks look like."""

from __future__ import annotations

import random

import pytest

from app.think import ThinkDelta, ThinkParser, split_reasoning, strip_reasoning

SAMPLE = "<think>\nThe user greets me.\nI should answer warmly.\n</think>\n\nHello there! <b>Hi</b>"
SAMPLE_REASONING = "The user greets me.\nI should answer warmly."
SAMPLE_ANSWER = "Hello there! <b>Hi</b>"


def stream(chunks: list[str], **options: bool) -> tuple[str, str]:
    parser = ThinkParser(**options)
    reasoning: list[str] = []
    answer: list[str] = []
    for chunk in chunks:
        delta = parser.feed(chunk)
        reasoning.append(delta.reasoning)
        answer.append(delta.answer)
    tail = parser.finish()
    reasoning.append(tail.reasoning)
    answer.append(tail.answer)
    result = ("".join(reasoning), "".join(answer))
    assert result == (parser.reasoning, parser.answer)
    return result


def random_chunks(text: str, rng: random.Random) -> list[str]:
    chunks = []
    pos = 0
    while pos < len(text):
        size = rng.randint(1, 9)
        chunks.append(text[pos : pos + size])
        pos += size
    return chunks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(SAMPLE, (SAMPLE_REASONING, SAMPLE_ANSWER), id="thinking"),
        pytest.param("Just an answer.", ("", "Just an answer."), id="no-think"),
        pytest.param("<think>\n\n</think>\n\nHi.", ("", "Hi."), id="empty-think-from-webllm"),
        pytest.param("<think>still going", ("still going", ""), id="unclosed"),
        pytest.param("<think>a</think>", ("a", ""), id="no-answer"),
        pytest.param("\n  <think>a</think>b", ("a", "b"), id="whitespace-before-think"),
        pytest.param(
            "Answer first <think>x</think>", ("", "Answer first <think>x"), id="late-open"
        ),
        pytest.param("Hi</think> there", ("", "Hi there"), id="stray-close"),
        pytest.param("<think>a <think> b</think>c", ("a <think> b", "c"), id="nested-open"),
        pytest.param("<think>a</think><think>b</think>c", ("a\n\nb", "c"), id="two-blocks"),
        pytest.param("<thin", ("", "<thin"), id="partial-open-at-end"),
        pytest.param("<think>x</thi", ("x</thi", ""), id="partial-close-at-end"),
        pytest.param("a < b and c <think>", ("", "a < b and c <think>"), id="lone-brackets"),
        pytest.param("<think>  1 <  2  </think>  3 < 4 ", ("1 <  2", "3 < 4 "), id="trims"),
        pytest.param("<THINK>x</THINK>y", ("", "<THINK>x</THINK>y"), id="case-sensitive"),
        pytest.param("", ("", ""), id="empty"),
        pytest.param(
            "<think>생각 중…</think>\n안녕하세요!", ("생각 중…", "안녕하세요!"), id="korean"
        ),
    ],
)
def test_split_reasoning(text: str, expected: tuple[str, str]) -> None:
    assert split_reasoning(text) == expected
    assert stream(list(text)) == expected


def test_start_in_reasoning_for_templates_that_open_think() -> None:
    text = "planning...\n</think>\n\nDone."
    assert split_reasoning(text, start_in_reasoning=True) == ("planning...", "Done.")
    assert stream([text[:5], text[5:14], text[14:]], start_in_reasoning=True) == (
        "planning...",
        "Done.",
    )


TEXTS = [
    pytest.param(SAMPLE, id="sample"),
    pytest.param("<think>a</think>b", id="tiny"),
    pytest.param("<think>x<y</th</think>  ans </think> wer <", id="tricky"),
    pytest.param("no tags < at </ all <t", id="no-tags"),
    pytest.param("<think> open forever <", id="unclosed"),
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_single_split_point_gives_the_same_result(text: str) -> None:
    expected = split_reasoning(text)
    for cut in range(len(text) + 1):
        assert stream([text[:cut], text[cut:]]) == expected, cut


@pytest.mark.parametrize("text", TEXTS)
def test_every_pair_of_split_points_gives_the_same_result(text: str) -> None:
    expected = split_reasoning(text)
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1):
            chunks = [text[:first], text[first:second], text[second:]]
            assert stream(chunks) == expected, (first, second)


@pytest.mark.parametrize("text", TEXTS)
def test_random_chunkings_give_the_same_result(text: str) -> None:
    rng = random.Random(20250101)
    expected = split_reasoning(text)
    for _ in range(300):
        assert stream(random_chunks(text, rng)) == expected


def test_tag_split_is_held_back_then_released() -> None:
    parser = ThinkParser()
    assert parser.feed("<th") == ThinkDelta("", "")
    assert parser.feed("ink>Hmm") == ThinkDelta("Hmm", "")
    assert parser.in_reasoning
    assert parser.feed(".</thi") == ThinkDelta(".", "")
    assert parser.feed("nk>\n\nYes") == ThinkDelta("", "Yes")
    assert not parser.in_reasoning
    assert parser.feed(" <") == ThinkDelta("", " ")
    assert parser.feed("3") == ThinkDelta("", "<3")
    assert parser.finish() == ThinkDelta("", "")


def test_reasoning_whitespace_is_emitted_once_more_text_follows() -> None:
    parser = ThinkParser()
    assert parser.feed("<think>a\n") == ThinkDelta("a", "")
    assert parser.feed("\nb") == ThinkDelta("\n\nb", "")


def test_feed_after_finish_is_an_error() -> None:
    parser = ThinkParser()
    parser.finish()
    assert parser.finish() == ThinkDelta("", "")
    with pytest.raises(RuntimeError):
        parser.feed("x")


def test_long_streams_stay_linear() -> None:
    """Each delta is handled on its own: the held-back text never grows past a tag's length."""
    parser = ThinkParser()
    parser.feed("<think>")
    for _ in range(20000):
        parser.feed("thinking <")
        assert len(parser._held) <= len("</think>")
    parser.feed("/think>")
    assert parser.feed("answer") == ThinkDelta("", "answer")
    assert parser.reasoning.count("thinking") == 20000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(SAMPLE, SAMPLE_ANSWER, id="with-think"),
        pytest.param("  plain text\n", "  plain text\n", id="untouched-without-tags"),
        pytest.param("<think>only thoughts</think>", "", id="only-thoughts"),
    ],
)
def test_strip_reasoning(text: str, expected: str) -> None:
    assert strip_reasoning(text) == expected
