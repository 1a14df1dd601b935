"""The tiny model `make tiny-model` built: complete, valid, served as a real preset, cached.

`make test` builds it before pytest runs; without it these fail and say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.presets import CONTEXT_WINDOW_SIZE, build_app_config, parse_preset
from tests.support.live_server import ROOT
from tests.support.model_mirror import TINY_MODEL, tiny_preset
from tools.mlc import tiny_model
from tools.mlc.validate import validate

MODEL_DIR = TINY_MODEL / "mirror" / "local" / tiny_model.MODEL_ID / "resolve" / "main"
LIB = (
    TINY_MODEL
    / "mirror"
    / "local"
    / tiny_model.LIBS_REPO
    / "resolve"
    / "main"
    / tiny_model.LIB_NAME
)


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    if not (TINY_MODEL / ".stamp").is_file():
        pytest.fail("build/tiny-model is missing: run `make tiny-model` (make test does)")


def test_the_artifacts_pass_the_validator() -> None:
    checks = validate(str(MODEL_DIR), str(LIB), context_window_size=CONTEXT_WINDOW_SIZE)

    assert [c for c in checks if c.status == "FAIL"] == []
    assert {c.name for c in checks} >= {"context-window-size", "shards", "tokenizer", "lib-magic"}


def test_config_tokenizer_and_weights_agree() -> None:
    config = json.loads((MODEL_DIR / "mlc-chat-config.json").read_text())
    tokenizer = json.loads((MODEL_DIR / "tokenizer.json").read_text())
    manifest = json.loads((MODEL_DIR / "tensor-cache.json").read_text())

    assert config["context_window_size"] == 16384
    assert config["model_type"] == "llama"
    assert config["quantization"] == "q4f32_1"
    vocab = len(tokenizer["model"]["vocab"]) + len(
        [t for t in tokenizer["added_tokens"] if t["content"] not in tokenizer["model"]["vocab"]]
    )
    assert config["vocab_size"] == vocab
    assert 200 < vocab < 1024  # small: the WebGPU-safe argsort is quadratic in it
    assert manifest["metadata"]["ParamSize"] == sum(len(r["records"]) for r in manifest["records"])


def test_the_preset_is_what_the_page_and_server_accept() -> None:
    preset = tiny_preset()

    assert preset == tiny_model.preset_record()
    assert parse_preset(preset, origin="")["overrides"]["context_window_size"] == 16384
    mirrored = build_app_config([], [preset], mirror="http://127.0.0.1:9")["model_list"][0]
    assert mirrored["model"] == f"http://127.0.0.1:9/local/{tiny_model.MODEL_ID}"
    assert mirrored["model_lib"].endswith(f"/local/{tiny_model.LIBS_REPO}/resolve/main/{LIB.name}")
    assert (TINY_MODEL / "mirror" / mirrored["model_lib"].split("/", 3)[3]).is_file()


def test_a_second_make_does_not_rebuild_it() -> None:
    up_to_date = subprocess.run(
        ["make", "-q", "tiny-model", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert up_to_date.returncode == 0, up_to_date.stdout + up_to_date.stderr


def test_nothing_built_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "build", "*.wasm", "*params_shard_*", "*.bc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert tracked == []
    assert Path(ROOT / ".gitignore").read_text().count("build/") >= 1
