"""WebLLM's ``initProgressCallback`` reports, turned into what the progress bar shows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LoadProgress", "parse_progress"]

_MB = re.compile(r"(\d+(?:\.\d+)?)\s*MB (?:fetched|loaded)", re.I)
_SHARDS = re.compile(r"\[(\d+)/(\d+)\]")


@dataclass(frozen=True)
class LoadProgress:
    """One progress update: fraction 0..1, phase, megabytes, shards, elapsed seconds."""

    fraction: float
    phase: str
    """``download`` (from the network), ``cache`` (from local storage), ``init`` or ``done``."""
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
    if fraction >= 1 or "finish loading" in lowered:
        phase = "done"
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
