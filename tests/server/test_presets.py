"""Custom presets from a JSON file, validated by the server with the page's own rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.presets import load_presets
from server.settings import Settings


def _write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "presets.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


GOOD = {
    "model_id": "Mine-q4f32_1-MLC",
    "model": "https://huggingface.co/me/Mine-q4f32_1-MLC",
    "model_lib": "https://huggingface.co/me/libs/blob/main/Mine-webgpu.wasm",
    "vram_required_MB": 3000,
}


def test_valid_records_are_normalised_and_bad_ones_explained(tmp_path: Path) -> None:
    local = {**GOOD, "model_id": "Local", "model_lib": "/webllm-model-libs/local-webgpu.wasm"}
    bad_lib = {
        **GOOD,
        "model_id": "BadLib",
        "model_lib": "https://huggingface.co/me/libs/blob/main/readme.md",
    }
    loaded = load_presets(_write(tmp_path, [GOOD, local, bad_lib, {**GOOD}, "nope"]))
    assert [p["model_id"] for p in loaded.presets] == ["Mine-q4f32_1-MLC", "Local"]
    assert loaded.presets[0]["model_lib"].endswith("/resolve/main/Mine-webgpu.wasm")
    assert loaded.presets[1]["model_lib"] == "/webllm-model-libs/local-webgpu.wasm"
    assert all(p["overrides"]["context_window_size"] == 16384 for p in loaded.presets)
    reasons = {problem.index: problem.message for problem in loaded.errors}
    assert set(reasons) == {2, 3, 4}
    assert ".wasm" in reasons[2]
    assert "Duplicate" in reasons[3]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "not valid JSON", id="broken-json"),
        pytest.param({"presets": "x"}, "list of presets", id="not-a-list"),
    ],
)
def test_broken_files_are_one_clear_error(tmp_path: Path, content: object, message: str) -> None:
    loaded = load_presets(_write(tmp_path, content))
    assert loaded.presets == []
    assert message in loaded.errors[0].message


def test_missing_file_means_no_presets(tmp_path: Path) -> None:
    loaded = load_presets(tmp_path / "absent.json")
    assert (loaded.presets, loaded.errors) == ([], [])


async def test_endpoint_serves_presets_and_the_mirror(tmp_path: Path, database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        presets_file=_write(tmp_path, {"presets": [GOOD]}),
        model_mirror_base_url="https://models.example",
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/model-presets.json")
    assert response.status_code == 200
    body = response.json()
    assert body["mirrorBaseUrl"] == "https://models.example"
    assert [p["model_id"] for p in body["presets"]] == ["Mine-q4f32_1-MLC"]
    assert body["errors"] == []
