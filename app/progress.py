"""WebLLM's ``initProgressCallback`` reports, turned into what the progress bar shows.

WebLLM reports each phase of a load from 0 to 1 on its own: fetching the weights, loading them
onto the GPU, compiling the shaders, then "Finish loading". :class:`ProgressTracker` maps the
phases onto one bar that only moves forward and reaches 100% only when the model is ready.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["LoadProgress", "ProgressTracker", "human_size", "parse_progress"]

_MB = re.compile(r"(\d+(?:\.\d+)?)\s*MB (?:fetched|loaded)", re.I)
_SHARDS = re.compile(r"\[(\d+)/(\d+)\]")


@dataclass(frozen=True)
class LoadProgress:
    """One progress update: fraction 0..1, phase, megabytes, shards, elapsed seconds."""

    fraction: float
    phase: str
    """``download`` (from the network), ``cache`` (from local storage), ``shaders`` (compiling
    them), ``init`` or ``done``."""
    megabytes: float | None
    shard: tuple[int, int] | None
    elapsed_s: float
    text: str

    @property
    def percent(self) -> int:
        """Whole percent for the bar's label (100 only when done)."""
        return 100 if self.fraction >= 1 else min(99, int(self.fraction * 100))


def parse_progress(report: Mapping[str, Any]) -> LoadProgress:
    """Read ``{progress, timeElapsed, text}``; the text carries MB and shard counts."""
    text = str(report.get("text") or "")
    fraction = max(0.0, min(1.0, float(report.get("progress") or 0.0)))
    lowered = text.lower()
    if "finish loading" in lowered:
        phase = "done"
    elif "shader" in lowered:
        phase = "shaders"
    elif "cache[" in lowered and "fetching" in lowered:
        phase = "download"
    elif "loading model from cache" in lowered or "from cache" in lowered:
        phase = "cache"
    else:
        phase = "init"
    megabytes = float(m.group(1)) if (m := _MB.search(text)) else None
    shard = (int(s.group(1)), int(s.group(2))) if (s := _SHARDS.search(text)) else None
    return LoadProgress(
        fraction, phase, megabytes, shard, float(report.get("timeElapsed") or 0.0), text
    )


#: Where each phase sits on the bar, (start, end): a first visit downloads, so that dominates;
#: a cached model only loads and compiles.
_FIRST_VISIT = {"download": (0.0, 0.8), "cache": (0.8, 0.9), "shaders": (0.9, 1.0)}
_FROM_CACHE = {"cache": (0.0, 0.4), "shaders": (0.4, 1.0)}


class ProgressTracker:
    """One load's reports as one forward-only bar (a new tracker per load)."""

    def __init__(self) -> None:
        self.downloading = False
        self.fraction = 0.0

    def update(self, report: LoadProgress) -> LoadProgress:
        """``report`` with its fraction on the whole load's scale."""
        if report.phase == "download" and report.fraction < 1:
            self.downloading = True
        if report.phase == "done":
            overall = 1.0
        else:
            bands = _FIRST_VISIT if self.downloading else _FROM_CACHE
            start, end = bands.get(report.phase, (0.0, 0.0))
            overall = min(start + (end - start) * report.fraction, 0.999)
        self.fraction = max(self.fraction, overall)
        return replace(report, fraction=self.fraction)


def human_size(size: int) -> str:
    """Bytes as people read them: ``812 KB``, ``4.7 MB``, ``19.5 GB`` (powers of 1024)."""
    if size < 1024:
        return f"{size} B"
    unit, scale = next(
        (unit, scale) for unit, scale in (("KB", 2**10), ("MB", 2**20), ("GB", 2**30))
        if size < 1024 * scale or unit == "GB"
    )  # fmt: skip
    value = size / scale
    return f"{value:.{0 if value >= 100 else 1}f} {unit}"
