"""WebLLM progress reports become percent, phase, megabytes and shards."""

from __future__ import annotations

import pytest

from app.progress import parse_progress


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
