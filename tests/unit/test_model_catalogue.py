"""The model picker reads WebLLM's ids into families, sizes, quantisations and kinds."""

from __future__ import annotations

import pytest

from app.model_catalogue import (
    PickerFilter,
    describe_model,
    download_mb,
    family_groups,
    matches,
    picker_groups,
)
from app.model_choice import ModelChoice


@pytest.mark.parametrize(
    ("model_id", "family", "size", "quant", "kind", "short"),
    [
        ("Qwen3-0.6B-q4f32_1-MLC", "Qwen3", "0.6B", "q4f32_1", "chat", False),
        ("Llama-3.2-1B-Instruct-q4f16_1-MLC", "Llama 3.2", "1B", "q4f16_1", "chat", False),
        (
            "Qwen2.5-Coder-1.5B-Instruct-q4f16_1-MLC",
            "Qwen2.5 Coder",
            "1.5B",
            "q4f16_1",
            "coder",
            False,
        ),
        ("Qwen2-Math-7B-Instruct-q4f32_1-MLC", "Qwen2 Math", "7B", "q4f32_1", "math", False),
        ("WizardMath-7B-V1.1-q4f16_1-MLC", "WizardMath", "7B", "q4f16_1", "math", False),
        ("Phi-3.5-vision-instruct-q4f16_1-MLC", "Phi 3.5 vision", "", "q4f16_1", "vision", False),
        ("Ministral-3-3B-Base-2512-q4f16_1-MLC", "Ministral 3", "3B", "q4f16_1", "base", False),
        ("gemma-2-2b-it-q4f32_1-MLC-1k", "gemma 2", "2B", "q4f32_1", "chat", True),
        (
            "stablelm-2-zephyr-1_6b-q4f16_1-MLC",
            "stablelm 2 zephyr",
            "1.6B",
            "q4f16_1",
            "chat",
            False,
        ),
        ("SmolLM2-135M-Instruct-q0f32-MLC", "SmolLM2", "135M", "q0f32", "chat", False),
        ("my-model", "my model", "", "", "chat", False),
    ],
)
def test_an_id_reads_as_family_size_quantisation_and_kind(
    model_id: str, family: str, size: str, quant: str, kind: str, short: bool
) -> None:
    facts = describe_model(model_id)
    assert (facts.family, facts.size, facts.quant, facts.kind) == (family, size, quant, kind)
    assert facts.short_window is short


def test_the_download_estimate_follows_size_and_bits() -> None:
    small = download_mb(describe_model("Qwen3-0.6B-q4f32_1-MLC"))
    big = download_mb(describe_model("Qwen3-8B-q4f32_1-MLC"))
    full = download_mb(describe_model("Qwen3-0.6B-q0f32-MLC"))
    half = download_mb(describe_model("Qwen3-0.6B-q0f16-MLC"))
    assert small is not None
    assert big is not None
    assert full is not None
    assert half is not None
    assert 200 < small < 500  # 0.6 B weights at ~4.5 bits
    assert big > 10 * small
    assert full == pytest.approx(2 * half)
    assert download_mb(describe_model("Phi-3.5-mini-instruct-q4f16_1-MLC")) is None


def test_search_matches_every_word_in_any_case() -> None:
    facts = describe_model("Llama-3.2-3B-Instruct-q4f16_1-MLC")
    assert matches(facts, "llama 3b")
    assert matches(facts, "")
    assert not matches(facts, "llama qwen")


def test_families_group_sizes_smallest_first_with_1k_builds_after() -> None:
    ids = [
        "Qwen3-4B-q4f32_1-MLC",
        "gemma-2-2b-it-q4f32_1-MLC-1k",
        "Qwen3-0.6B-q4f32_1-MLC",
        "gemma-2-2b-it-q4f32_1-MLC",
        "Qwen3-0.6B-q4f16_1-MLC",
    ]
    groups = family_groups(describe_model(i) for i in ids)
    assert [(family, [f.model_id for f in rows]) for family, rows in groups] == [
        ("Qwen3", ["Qwen3-0.6B-q4f16_1-MLC", "Qwen3-0.6B-q4f32_1-MLC", "Qwen3-4B-q4f32_1-MLC"]),
        ("gemma 2", ["gemma-2-2b-it-q4f32_1-MLC", "gemma-2-2b-it-q4f32_1-MLC-1k"]),
    ]


def _choice(model_id: str, *, available: bool = True, vram: float = 1000) -> ModelChoice:
    return ModelChoice(model_id, vram, False, available, None if available else "model.reason.vram")


CHOICES = [
    _choice("Llama-3.2-1B-Instruct-q4f32_1-MLC", vram=900),
    _choice("Qwen2.5-Coder-1.5B-Instruct-q4f32_1-MLC"),
    _choice("TinyLlama-1.1B-Chat-v1.0-q4f32_1-MLC-1k"),
    _choice("Qwen3-8B-q4f32_1-MLC", available=False, vram=6000),
    _choice("Qwen3-0.6B-q4f32_1-MLC", vram=1400),
    _choice("SmolLM2-135M-Instruct-q0f32-MLC", vram=600),
]


def _ids(groups: list) -> list[list[str]]:
    return [[choice.model_id for choice, _ in rows] for _, rows in groups]


def test_the_picker_shows_chat_models_that_run_here_recommended_family_first() -> None:
    groups = picker_groups(
        CHOICES, PickerFilter(), recommended="Qwen3-0.6B-q4f32_1-MLC", cached=set()
    )
    assert _ids(groups) == [
        ["Qwen3-0.6B-q4f32_1-MLC"],
        ["SmolLM2-135M-Instruct-q0f32-MLC"],
        ["Llama-3.2-1B-Instruct-q4f32_1-MLC"],
    ]


def test_a_downloaded_model_s_family_comes_before_others() -> None:
    groups = picker_groups(
        CHOICES, PickerFilter(), recommended=None, cached={"Llama-3.2-1B-Instruct-q4f32_1-MLC"}
    )
    assert _ids(groups)[0] == ["Llama-3.2-1B-Instruct-q4f32_1-MLC"]


def test_filters_bring_back_special_and_unavailable_models_and_search_narrows() -> None:
    everything = picker_groups(
        CHOICES, PickerFilter(unavailable=True, special=True), recommended=None, cached=set()
    )
    assert sorted(i for ids in _ids(everything) for i in ids) == sorted(c.model_id for c in CHOICES)
    special = picker_groups(CHOICES, PickerFilter(special=True), recommended=None, cached=set())
    shown = {i for ids in _ids(special) for i in ids}
    assert "Qwen2.5-Coder-1.5B-Instruct-q4f32_1-MLC" in shown
    assert "TinyLlama-1.1B-Chat-v1.0-q4f32_1-MLC-1k" in shown
    assert "Qwen3-8B-q4f32_1-MLC" not in shown
    found = picker_groups(
        CHOICES, PickerFilter(query="qwen3", unavailable=True), recommended=None, cached=set()
    )
    assert _ids(found) == [["Qwen3-0.6B-q4f32_1-MLC", "Qwen3-8B-q4f32_1-MLC"]]
    assert (
        picker_groups(CHOICES, PickerFilter(query="nothing"), recommended=None, cached=set()) == []
    )
