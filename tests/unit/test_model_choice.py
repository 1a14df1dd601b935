"""Which models can run here, why not, and the recommendation."""

from __future__ import annotations

from app.gpu import GpuReport, GpuState
from app.model_choice import assess_models, recommend
from app.presets import CUSTOM_PRESETS, build_app_config

RECORDS = build_app_config([], CUSTOM_PRESETS)["model_list"] + [
    {"model_id": "snowflake-arctic-embed-m-q0f32-MLC-b4", "model_type": 1, "vram_required_MB": 500},
    {"model_id": "Huge-q4f32_1-MLC", "vram_required_MB": 100, "buffer_size_required_bytes": 2**33},
]
SWIFTSHADER = GpuReport(GpuState.ADAPTER, has_f16=False, max_buffer_size=2**30, is_fallback=True)
DISCRETE_F16 = GpuReport(GpuState.ADAPTER, has_f16=True, max_buffer_size=2**32)


def _by_id(report: GpuReport, memory: float | None = None) -> dict[str, object]:
    return {c.model_id: c for c in assess_models(RECORDS, report, memory)}


def test_f16_models_are_unavailable_without_shader_f16() -> None:
    choices = _by_id(SWIFTSHADER)
    assert choices["Qwen3-4B-q4f16_1-MLC"].reason_key == "model.reason.needs_f16"  # type: ignore[attr-defined]
    assert choices["Qwen3-4B-q4f32_1-MLC"].available  # type: ignore[attr-defined]


def test_embedding_models_are_not_offered_for_chat() -> None:
    assert "snowflake-arctic-embed-m-q0f32-MLC-b4" not in _by_id(DISCRETE_F16)


def test_buffer_limit_and_memory_heuristics() -> None:
    assert _by_id(DISCRETE_F16)["Huge-q4f32_1-MLC"].reason_key == "model.reason.buffer"  # type: ignore[attr-defined]
    choices = _by_id(DISCRETE_F16, memory=4)
    assert choices["Qwen3-8B-q4f16_1-MLC"].reason_key == "model.reason.vram"  # type: ignore[attr-defined]
    assert _by_id(DISCRETE_F16, memory=8)["Qwen3-4B-q4f16_1-MLC"].available  # type: ignore[attr-defined]


def test_nothing_runs_without_webgpu() -> None:
    choices = assess_models(RECORDS, GpuReport(GpuState.NO_ADAPTER))
    assert choices
    assert not any(c.available for c in choices)
    assert recommend(choices, GpuReport(GpuState.NO_ADAPTER)) is None


def test_recommendation_fits_the_device() -> None:
    assert recommend(assess_models(RECORDS, SWIFTSHADER), SWIFTSHADER) == "Qwen3-0.6B-q4f32_1-MLC"
    big = recommend(assess_models(RECORDS, DISCRETE_F16), DISCRETE_F16)
    small = recommend(assess_models(RECORDS, DISCRETE_F16, 8), DISCRETE_F16, 8)
    assert big is not None
    assert big.endswith("q4f16_1-MLC")
    assert small is not None
    sizes = {c.model_id: c.vram_mb for c in assess_models(RECORDS, DISCRETE_F16)}
    assert sizes[small] < sizes[big]
