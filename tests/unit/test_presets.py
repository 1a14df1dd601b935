"""Presets as data: one AppConfig builder, 16384 everywhere, URLs that actually download."""

from __future__ import annotations

import pytest

from app.presets import (
    CONTEXT_WINDOW_SIZE,
    CUSTOM_PRESETS,
    PresetError,
    apply_mirror,
    build_app_config,
    chat_options,
    needs_f16,
    normalize_hf_url,
    parse_preset,
    validate_lib_url,
)

PREBUILT = [
    {
        "model": "https://huggingface.co/mlc-ai/Llama-3.2-1B-Instruct-q4f32_1-MLC",
        "model_id": "Llama-3.2-1B-Instruct-q4f32_1-MLC",
        "model_lib": "https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/"
        "web-llm-models/v0_2_86/base/Llama-3.2-1B-Instruct-q4f32_1_cs1k-webgpu.wasm",
        "vram_required_MB": 1128.82,
        "overrides": {"context_window_size": 4096, "sliding_window_size": -1},
    },
    {
        "model": "https://huggingface.co/mlc-ai/Qwen3-4B-q4f16_1-MLC",
        "model_id": "Qwen3-4B-q4f16_1-MLC",
        "model_lib": "https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/"
        "web-llm-models/v0_2_86/base/Qwen3-4B-q4f16_1_cs1k-webgpu.wasm",
        "vram_required_MB": 3431.59,
        "overrides": {"context_window_size": 4096},
    },
]


def test_every_record_gets_a_16k_context_window_keeping_other_overrides() -> None:
    config = build_app_config(PREBUILT)
    assert config["model_list"]
    assert all(
        r["overrides"]["context_window_size"] == CONTEXT_WINDOW_SIZE for r in config["model_list"]
    )
    llama = next(r for r in config["model_list"] if r["model_id"].startswith("Llama"))
    assert llama["overrides"]["sliding_window_size"] == -1
    assert chat_options() == {"context_window_size": 16384}


def test_custom_presets_extend_and_replace_prebuilt_ones() -> None:
    config = build_app_config(PREBUILT)
    ids = [r["model_id"] for r in config["model_list"]]
    assert len(ids) == len(set(ids))
    assert "Qwen3-30B-A3B-q4f16_1-MLC" in ids
    assert "Llama-3.2-1B-Instruct-q4f32_1-MLC" in ids
    qwen4b = next(r for r in config["model_list"] if r["model_id"] == "Qwen3-4B-q4f16_1-MLC")
    assert qwen4b["required_features"] == ["shader-f16"]  # our record won


def test_the_30b_preset_uses_its_remote_lib_and_mlc_weights() -> None:
    record = next(p for p in CUSTOM_PRESETS if p["model_id"] == "Qwen3-30B-A3B-q4f16_1-MLC")
    assert record["model"] == "https://huggingface.co/mlc-ai/Qwen3-30B-A3B-q4f16_1-MLC"
    assert record["model_lib"] == (
        "https://huggingface.co/gwak2837/webllm-model-libs/resolve/main/"
        "Qwen3-30B-A3B-q4f16_1-ctx40k_cs2k-webgpu.wasm"
    )
    assert needs_f16(record)


def test_cache_backend_is_a_setting() -> None:
    assert build_app_config(PREBUILT, cache_backend="indexeddb")["cacheBackend"] == "indexeddb"
    assert build_app_config(PREBUILT)["cacheBackend"] == "cache"
    assert "useIndexedDBCache" not in build_app_config(PREBUILT)
    with pytest.raises(PresetError):
        build_app_config(PREBUILT, cache_backend="localstorage")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://huggingface.co/gwak2837/webllm-model-libs/blob/main/x-webgpu.wasm",
            "https://huggingface.co/gwak2837/webllm-model-libs/resolve/main/x-webgpu.wasm",
            id="blob-to-resolve",
        ),
        pytest.param(
            "https://huggingface.co/o/r/blob/v1.2/sub/dir/lib.wasm",
            "https://huggingface.co/o/r/resolve/v1.2/sub/dir/lib.wasm",
            id="other-revision-and-subdir",
        ),
        pytest.param(
            "  https://huggingface.co/o/r/resolve/main/lib.wasm ",
            "https://huggingface.co/o/r/resolve/main/lib.wasm",
            id="already-resolve",
        ),
        pytest.param(
            "https://example.org/o/r/blob/main/lib.wasm",
            "https://example.org/o/r/blob/main/lib.wasm",
            id="not-hugging-face",
        ),
    ],
)
def test_normalize_hf_url(url: str, expected: str) -> None:
    assert normalize_hf_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://huggingface.co/o/r/blob/main/lib.wasm.html", id="html"),
        pytest.param("https://huggingface.co/o/r/resolve/main/", id="folder"),
        pytest.param("", id="empty"),
        pytest.param("https://example.org/lib.wasm.zip", id="zip"),
    ],
)
def test_lib_url_that_is_not_wasm_is_refused_with_a_sentence(url: str) -> None:
    with pytest.raises(PresetError, match=r"must be a WebGPU \.wasm file"):
        validate_lib_url(url)


def test_lib_url_with_query_string_is_fine() -> None:
    assert validate_lib_url("https://h.example/lib.wasm?download=1").endswith("download=1")


def test_server_side_validation_keeps_local_paths() -> None:
    record = parse_preset(
        {
            "model_id": "Mine",
            "model": "https://huggingface.co/me/Mine",
            "model_lib": "/webllm-model-libs/m.wasm",
        },
        origin="",
    )
    assert record["model_lib"] == "/webllm-model-libs/m.wasm"


def test_preset_urls_are_normalised_and_local_libs_made_absolute() -> None:
    record = parse_preset(
        {
            "model_id": "Mine-q4f32_1-MLC",
            "model": "https://huggingface.co/me/Mine-q4f32_1-MLC/",
            "model_lib": "/webllm-model-libs/Mine-q4f32_1-webgpu.wasm",
        },
        origin="http://127.0.0.1:8000",
    )
    assert record["model"] == "https://huggingface.co/me/Mine-q4f32_1-MLC"
    assert record["model_lib"] == "http://127.0.0.1:8000/webllm-model-libs/Mine-q4f32_1-webgpu.wasm"
    assert record["overrides"] == {"context_window_size": 16384}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param([], "JSON object", id="not-object"),
        pytest.param({"model": "m", "model_lib": "l.wasm"}, "model_id", id="no-id"),
        pytest.param(
            {"model_id": "x y", "model": "m", "model_lib": "l.wasm"}, "model_id", id="bad-id"
        ),
        pytest.param({"model_id": "x", "model_lib": "l.wasm"}, "weights base URL", id="no-model"),
        pytest.param({"model_id": "x", "model": "m"}, "model_lib", id="no-lib"),
        pytest.param(
            {"model_id": "x", "model": "m", "model_lib": "l.js"}, ".wasm", id="lib-not-wasm"
        ),
        pytest.param(
            {"model_id": "x", "model": "m", "model_lib": "l.wasm", "vram_required_MB": "big"},
            "vram_required_MB",
            id="vram-type",
        ),
        pytest.param(
            {
                "model_id": "x",
                "model": "m",
                "model_lib": "l.wasm",
                "required_features": "shader-f16",
            },
            "required_features",
            id="features-type",
        ),
    ],
)
def test_invalid_presets_are_refused(raw: object, message: str) -> None:
    with pytest.raises(PresetError, match=message):
        parse_preset(raw)  # type: ignore[arg-type]


def test_mirror_rewrites_hosts_and_keeps_paths() -> None:
    config = build_app_config(PREBUILT, mirror="https://models.example/mirror/")
    for record in config["model_list"]:
        assert record["model"].startswith("https://models.example/mirror/")
        assert record["model_lib"].startswith("https://models.example/mirror/")
    qwen = next(r for r in config["model_list"] if r["model_id"] == "Qwen3-30B-A3B-q4f16_1-MLC")
    assert qwen["model"] == "https://models.example/mirror/mlc-ai/Qwen3-30B-A3B-q4f16_1-MLC"
    assert qwen["model_lib"].endswith(
        "/gwak2837/webllm-model-libs/resolve/main/Qwen3-30B-A3B-q4f16_1-ctx40k_cs2k-webgpu.wasm"
    )
    llama = next(r for r in config["model_list"] if r["model_id"].startswith("Llama"))
    assert llama["model_lib"] == (
        "https://models.example/mirror/mlc-ai/binary-mlc-llm-libs/resolve/main/"
        "web-llm-models/v0_2_86/base/Llama-3.2-1B-Instruct-q4f32_1_cs1k-webgpu.wasm"
    )
    assert apply_mirror("http://127.0.0.1/webllm-model-libs/a.wasm", "https://m") == (
        "http://127.0.0.1/webllm-model-libs/a.wasm"
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param({"model_id": "Qwen3-4B-q4f16_1-MLC"}, True, id="q4f16-id"),
        pytest.param({"model_id": "Llama-3.2-1B-Instruct-q0f16-MLC"}, True, id="q0f16-id"),
        pytest.param({"model_id": "Qwen3-4B-q4f32_1-MLC"}, False, id="q4f32"),
        pytest.param({"model_id": "x", "required_features": ["shader-f16"]}, True, id="declared"),
        pytest.param({"model_id": "gemma-2-2b-it-q4f32_1-MLC-1k"}, False, id="suffix-f32"),
    ],
)
def test_needs_f16(record: dict[str, object], expected: bool) -> None:
    assert needs_f16(record) is expected


@pytest.mark.parametrize(
    ("model_id", "short"),
    [
        ("Qwen3-0.6B-q4f32_1-MLC", "Qwen3-0.6B"),
        ("Llama-3.2-1B-Instruct-q4f16_1-MLC-1k", "Llama-3.2-1B-Instruct"),
        ("SmolLM2-135M-Instruct-q0f32-MLC", "SmolLM2-135M-Instruct"),
        ("my-own-model", "my-own-model"),
        ("-MLC", "-MLC"),
    ],
)
def test_short_model_name_drops_the_build(model_id: str, short: str) -> None:
    from app.presets import short_model_name

    assert short_model_name(model_id) == short
