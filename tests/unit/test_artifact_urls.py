"""One set of artifact URL rules: the page's preset check and tools/mlc/validate.py agree."""

from __future__ import annotations

import pytest

from app.artifact_urls import lib_url_problem, normalize_hf_url
from app.presets import PresetError, validate_lib_url
from tools.mlc import validate

HF = "https://huggingface.co/me/libs"


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        pytest.param(f"{HF}/resolve/main/m-webgpu.wasm", True, id="resolve"),
        pytest.param(f"{HF}/resolve/main/M-WEBGPU.WASM", True, id="capital-suffix"),
        pytest.param(f"{HF}/blob/main/m-webgpu.wasm", True, id="blob-page-fixed"),
        pytest.param(f"{HF}/raw/main/m-webgpu.wasm", True, id="raw-lfs-pointer-fixed"),
        pytest.param("https://hf.co/me/libs/tree/main/m.wasm", True, id="short-host-tree"),
        pytest.param("https://github.com/me/libs/blob/main/m.wasm", True, id="github-page"),
        pytest.param("https://raw.githubusercontent.com/me/libs/main/m.wasm", True, id="gh-raw"),
        pytest.param("/webllm-model-libs/m.wasm", True, id="local-path"),
        pytest.param(f"{HF}/resolve/main/m.js", False, id="not-wasm"),
        pytest.param(f"{HF}/m.wasm", False, id="hf-names-no-file"),
        pytest.param("", False, id="empty"),
    ],
)
def test_the_page_and_the_validator_agree(url: str, usable: bool) -> None:
    fixed = validate.normalize_github_url(normalize_hf_url(url))
    try:
        used = validate_lib_url(url)
    except PresetError:
        used = None
    assert (used is not None) is usable
    if used is not None:
        assert used == fixed  # the page fetches the file, never the page or an LFS pointer
    assert (not validate.check_lib_url(fixed).failed) is usable
    assert (lib_url_problem(fixed) is None) is usable


@pytest.mark.parametrize("kind", ["blob", "raw", "tree"])
def test_the_validator_names_the_fix_for_a_page_url(kind: str) -> None:
    check = validate.check_lib_url(f"{HF}/{kind}/main/m.wasm")
    assert check.failed
    assert f"{HF}/resolve/main/m.wasm" in check.message
