"""What a model id says about the model, for a picker a person can read.

WebLLM lists models by raw ids (``Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC``). This reads each
into its family, size, quantisation and kind, so the picker can group a family's sizes and
quantisations together, put chat models first (coding, maths, vision and base models behind a
filter), flag the ``-1k`` builds that were made for a 1,024-token window (the app runs every
model with a 16,384-token one), estimate the download, and search.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.model_choice import ModelChoice
from app.presets import short_model_name

__all__ = [
    "Kind",
    "ModelFacts",
    "PickerFilter",
    "describe_model",
    "download_mb",
    "family_groups",
    "matches",
    "picker_groups",
]

Kind = Literal["chat", "coder", "math", "vision", "base"]

_QUANT = re.compile(r"-(q\d+f\d+(?:_\d+)?)(?:-|$)", re.IGNORECASE)
_SIZE = re.compile(r"(?:^|-)(E?\d+(?:[._]\d+)?[BM])(?=-|$)", re.IGNORECASE)
_KIND_WORDS: tuple[tuple[str, Kind], ...] = (
    ("coder", "coder"),
    ("math", "math"),
    ("vision", "vision"),
    ("base", "base"),
)
#: Words that name the tuning rather than the family.
_TUNING = {"instruct", "it", "chat", "hf"}
#: Bytes a weight takes on disk, by the quantisation's weight bits (group scales included).
_BYTES_PER_WEIGHT = {"0": 0.0, "3": 0.45, "4": 0.56, "16": 2.0, "32": 4.0}


@dataclass(frozen=True)
class ModelFacts:
    """What the id says: ``family`` ("Qwen2.5"), ``size`` ("1.5B", ``""`` when it does not
    say), ``params_b`` (billions), ``quant`` ("q4f16_1"), ``kind`` and whether the build was
    made for a 1k window."""

    model_id: str
    family: str
    size: str
    params_b: float | None
    quant: str
    kind: Kind
    short_window: bool

    @property
    def is_chat(self) -> bool:
        """A model for conversation (not a coding, maths, vision or base model)."""
        return self.kind == "chat"


def _params(size: str) -> float | None:
    match = re.fullmatch(r"E?(\d+(?:[._]\d+)?)([BM])", size, re.IGNORECASE)
    if match is None:
        return None
    number = float(match.group(1).replace("_", "."))
    return number if match.group(2).upper() == "B" else number / 1000


def _kind(words: Sequence[str]) -> Kind:
    """A word that says coder, maths or vision (``WizardMath`` too), or the word ``Base``."""
    lowered = [word.lower() for word in words]
    for key, kind in _KIND_WORDS:
        if any(word == key if key == "base" else key in word for word in lowered):
            return kind
    return "chat"


def describe_model(model_id: str) -> ModelFacts:
    """The facts in ``model_id`` (an id that follows no pattern is its own family)."""
    quant_match = _QUANT.search(model_id)
    quant = quant_match.group(1).lower() if quant_match else ""
    name = short_model_name(model_id)
    size_match = _SIZE.search(name)
    size = size_match.group(1).upper().replace("_", ".") if size_match else ""
    before = name[: size_match.start()] if size_match else name
    words = [word for word in name.split("-") if word]
    family_words = [word for word in before.split("-") if word and word.lower() not in _TUNING]
    return ModelFacts(
        model_id=model_id,
        family=" ".join(family_words) or name,
        size=size,
        params_b=_params(size) if size else None,
        quant=quant,
        kind=_kind(words),
        short_window=model_id.lower().endswith("-1k"),
    )


def download_mb(facts: ModelFacts) -> float | None:
    """About how many megabytes the weights download (``None``: the id gives no size)."""
    bits = re.match(r"q(\d+)f(\d+)", facts.quant)
    if facts.params_b is None or bits is None:
        return None
    weight_bits = bits.group(1) if bits.group(1) != "0" else bits.group(2)
    per_weight = _BYTES_PER_WEIGHT.get(weight_bits)
    if not per_weight:
        return None
    return facts.params_b * 1e9 * per_weight / 2**20


def matches(facts: ModelFacts, query: str) -> bool:
    """Whether every word of ``query`` is in the id or the family (any letter case)."""
    haystack = f"{facts.model_id} {facts.family}".casefold()
    return all(word in haystack for word in query.casefold().split())


def _order(facts: ModelFacts) -> tuple[float, str, str]:
    return (facts.params_b if facts.params_b is not None else 1e9, facts.size, facts.quant)


def family_groups(models: Iterable[ModelFacts]) -> list[tuple[str, list[ModelFacts]]]:
    """``models`` by family, in the order each family first comes, each family's models from
    the smallest; the 1k builds after the others of their size."""
    groups: dict[str, list[ModelFacts]] = {}
    names: dict[str, str] = {}
    for facts in models:
        key = facts.family.casefold()
        names.setdefault(key, facts.family)
        groups.setdefault(key, []).append(facts)
    return [
        (names[key], sorted(rows, key=lambda f: (*_order(f)[:2], f.short_window, f.quant)))
        for key, rows in groups.items()
    ]


@dataclass(frozen=True)
class PickerFilter:
    """What the picker shows: rows matching ``query``; models that cannot run here only with
    ``unavailable``; coding, maths, vision, base and 1k-window builds only with ``special``."""

    query: str = ""
    unavailable: bool = False
    special: bool = False


def _shown(choice: ModelChoice, facts: ModelFacts, wanted: PickerFilter) -> bool:
    if not (choice.available or wanted.unavailable):
        return False
    if not wanted.special and (not facts.is_chat or facts.short_window):
        return False
    return matches(facts, wanted.query)


def picker_groups(
    choices: Iterable[ModelChoice],
    wanted: PickerFilter,
    *,
    recommended: str | None,
    cached: set[str],
) -> list[tuple[str, list[tuple[ModelChoice, ModelFacts]]]]:
    """The picker's families with their rows: the recommended model's family first, then
    families with a downloaded model, then Qwen3 (the app's favourites), then the smaller."""
    rows = [(choice, describe_model(choice.model_id)) for choice in choices]
    shown = [(choice, facts) for choice, facts in rows if _shown(choice, facts, wanted)]
    by_id = {facts.model_id: choice for choice, facts in shown}

    def rank(choice: ModelChoice, facts: ModelFacts) -> tuple[bool, bool, bool, float]:
        favourite = facts.family.startswith("Qwen3")
        return (
            choice.model_id != recommended,
            choice.model_id not in cached,
            not favourite,
            choice.vram_mb,
        )

    groups = family_groups(facts for _, facts in shown)
    groups.sort(key=lambda group: min(rank(by_id[f.model_id], f) for f in group[1]))
    return [(family, [(by_id[f.model_id], f) for f in members]) for family, members in groups]
