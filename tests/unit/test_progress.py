"""WebLLM progress reports become percent, phase, megabytes and shards."""

from __future__ import annotations

import pytest

from app.progress import ProgressTracker, human_size, parse_progress


@pytest.mark.parametrize(
    ("report", "phase", "percent", "megabytes", "shard"),
    [
        pytest.param(
            {
                "progress": 0.42,
                "timeElapsed": 8,
                "text": "Fetching param cache[12/28]: 402MB fetched. "
                "42% completed, 8 secs elapsed. It can take a while when we first visit this page.",
            },
            "download",
            42,
            402.0,
            (12, 28),
            id="download",
        ),
        pytest.param(
            {
                "progress": 0.5,
                "timeElapsed": 1,
                "text": "Loading model from cache[3/6]: 120MB loaded. 50% completed",
            },
            "cache",
            50,
            120.0,
            (3, 6),
            id="cache",
        ),
        pytest.param(
            {"progress": 1, "timeElapsed": 3, "text": "Finish loading on WebGPU - swiftshader"},
            "done",
            100,
            None,
            None,
            id="done",
        ),
        pytest.param(
            {"progress": 0.999, "text": "Fetching param cache[9/9]"},
            "download",
            99,
            None,
            (9, 9),
            id="not-yet-100",
        ),
        pytest.param({}, "init", 0, None, None, id="empty"),
    ],
)
def test_parse_progress(
    report: dict[str, object],
    phase: str,
    percent: int,
    megabytes: float | None,
    shard: tuple[int, int] | None,
) -> None:
    progress = parse_progress(report)
    assert (progress.phase, progress.percent, progress.megabytes, progress.shard) == (
        phase,
        percent,
        megabytes,
        shard,
    )


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        pytest.param(0, "0 B", id="nothing"),
        pytest.param(1023, "1023 B", id="bytes"),
        pytest.param(15_097, "14.7 KB", id="kilobytes"),
        pytest.param(4_800_000, "4.6 MB", id="megabytes"),
        pytest.param(300 * 2**20, "300 MB", id="hundreds-no-decimals"),
        pytest.param(int(19.5 * 2**30), "19.5 GB", id="gigabytes"),
        pytest.param(3 * 2**40, "3072 GB", id="no-terabytes-unit"),
    ],
)
def test_human_size(size: int, shown: str) -> None:
    assert human_size(size) == shown


def _reports(*texts_and_fractions: tuple[str, float]) -> list[int]:
    tracker = ProgressTracker()
    return [
        tracker.update(parse_progress({"progress": fraction, "text": text})).percent
        for text, fraction in texts_and_fractions
    ]


def test_a_first_visit_moves_forward_through_every_phase_to_100_only_when_ready() -> None:
    """WebLLM restarts each phase at 0 (and ends the download at 1): the bar must not."""
    percents = _reports(
        ("Start to fetch params", 0.0),
        ("Fetching param cache[1/2]: 1MB fetched. 50% completed", 0.5),
        ("Fetching param cache[2/2]: 2MB fetched. 100% completed", 1.0),
        ("Loading model from cache[2/2]: 2MB loaded. 100% completed", 1.0),
        ("Loading GPU shader modules[7/67]: 10% completed, 3 secs elapsed.", 0.1),
        ("Loading GPU shader modules[67/67]: 100% completed, 9 secs elapsed.", 1.0),
        ("Finish loading on WebGPU - swiftshader", 1.0),
    )

    assert percents == sorted(percents), percents
    assert percents[-1] == 100, percents
    assert 100 not in percents[:-1], percents
    assert percents[1] == 40, percents  # the download dominates
    assert percents[4] == 91, percents


def test_a_cached_load_spends_its_bar_on_loading_and_shaders() -> None:
    percents = _reports(
        ("Start to fetch params", 0.0),
        ("Loading model from cache[1/1]: 1MB loaded. 100% completed", 1.0),
        ("Loading GPU shader modules[33/67]: 50% completed", 0.5),
        ("Finish loading on WebGPU - swiftshader", 1.0),
    )

    assert percents == [0, 40, 70, 100]
