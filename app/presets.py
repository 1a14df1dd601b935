"""Model presets as data, and the one builder of the AppConfig handed to WebLLM.

A preset is a WebLLM 0.2.86 ``ModelRecord`` (``model``, ``model_id``, ``model_lib``,
``vram_required_MB``, ``required_features``, ``overrides``...). WebLLM's own
``prebuiltAppConfig`` models come first; our custom presets (the Qwen3 family, including a
30B mixture-of-experts with a remote model lib) replace or extend them. Every record runs with
``context_window_size = 16384``. The same validation runs in the page and on the server.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from app import artifact_urls
from app.artifact_urls import is_wasm, lib_url_problem, normalize_github_url

__all__ = [
    "CACHE_BACKENDS",
    "CONTEXT_WINDOW_SIZE",
    "CUSTOM_PRESETS",
    "PresetError",
    "apply_mirror",
    "build_app_config",
    "chat_options",
    "needs_f16",
    "normalize_hf_url",
    "parse_preset",
    "short_model_name",
    "validate_lib_url",
]

CONTEXT_WINDOW_SIZE = 16384
#: WebLLM 0.2.86 ``AppConfig.cacheBackend`` values (``useIndexedDBCache`` no longer exists).
CACHE_BACKENDS = ("cache", "indexeddb", "opfs")

_HF = "https://huggingface.co"
_QWEN3_LIBS = (
    "https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base"
)


def _qwen3(size: str, quant: str, vram_mb: float) -> dict[str, Any]:
    record: dict[str, Any] = {
        "model": f"{_HF}/mlc-ai/Qwen3-{size}-{quant}-MLC",
        "model_id": f"Qwen3-{size}-{quant}-MLC",
        "model_lib": f"{_QWEN3_LIBS}/Qwen3-{size}-{quant}_cs1k-webgpu.wasm",
        "vram_required_MB": vram_mb,
        "low_resource_required": vram_mb < 4096,
        "overrides": {"context_window_size": CONTEXT_WINDOW_SIZE},
    }
    if "f16" in quant:
        record["required_features"] = ["shader-f16"]
    return record


#: Our presets. VRAM figures include the KV cache for a 16k context (fp16 KV, 2 x layers x
#: kv_heads x head_dim x 16384 tokens) on top of WebLLM's published 4k-context estimate.
CUSTOM_PRESETS: tuple[dict[str, Any], ...] = (
    _qwen3("0.6B", "q4f16_1", 3195.0),
    _qwen3("0.6B", "q4f32_1", 3717.0),
    _qwen3("1.7B", "q4f16_1", 3829.0),
    _qwen3("1.7B", "q4f32_1", 4428.0),
    _qwen3("4B", "q4f16_1", 5736.0),
    _qwen3("4B", "q4f32_1", 6632.0),
    _qwen3("8B", "q4f16_1", 8000.0),
    _qwen3("8B", "q4f32_1", 9157.0),
    {
        "model": f"{_HF}/mlc-ai/Qwen3-30B-A3B-q4f16_1-MLC",
        "model_id": "Qwen3-30B-A3B-q4f16_1-MLC",
        "model_lib": f"{_HF}/gwak2837/webllm-model-libs/resolve/main/"
        "Qwen3-30B-A3B-q4f16_1-ctx40k_cs2k-webgpu.wasm",
        "vram_required_MB": 19500.0,
        "low_resource_required": False,
        "required_features": ["shader-f16"],
        "overrides": {"context_window_size": CONTEXT_WINDOW_SIZE, "prefill_chunk_size": 2048},
    },
)


class PresetError(ValueError):
    """A preset or URL the app refuses, with a message fit to show the user."""


_F16 = re.compile(r"(^|[-_])q\d+f16(_\d+)?($|[-_])")


_BUILD_SUFFIX = re.compile(r"(?:-q\d+f\d+(?:_\d+)?)?(?:-MLC)?(?:-\d+k)?$", re.IGNORECASE)


def short_model_name(model_id: str) -> str:
    """``Qwen3-0.6B-q4f32_1-MLC`` as ``Qwen3-0.6B``: the model without its build (for a
    phone's header; the full id stays its accessible name)."""
    return _BUILD_SUFFIX.sub("", model_id) or model_id


def normalize_hf_url(url: str) -> str:
    """A Hugging Face or GitHub page URL (``blob``, ``raw``, ``tree``) as the URL of its file
    (:mod:`app.artifact_urls`, the rules ``tools/mlc/validate.py`` checks too)."""
    return normalize_github_url(artifact_urls.normalize_hf_url(url.strip()))


def validate_lib_url(url: str) -> str:
    """Normalise a model lib URL and insist it names a ``.wasm`` file."""
    url = normalize_hf_url(url)
    if not is_wasm(url):
        raise PresetError(
            f"The model library must be a WebGPU .wasm file, but this URL is not: {url or '(empty)'}"
        )
    problem = lib_url_problem(url)
    if problem:
        raise PresetError(f"The model library URL cannot be used: {problem}.")
    return url


def needs_f16(record: Mapping[str, Any]) -> bool:
    """True when the model needs ``shader-f16`` (listed, or implied by a q*f16 quantisation)."""
    if "shader-f16" in (record.get("required_features") or ()):
        return True
    return bool(_F16.search(str(record.get("model_id", ""))))


_HF_HOST = "https://huggingface.co/"
_GITHUB_RAW = re.compile(r"^https://raw\.githubusercontent\.com/([^/]+)/([^/]+)/([^/]+)/(.+)$")


def apply_mirror(url: str, mirror: str) -> str:
    """Point an artifact URL at ``mirror`` in Hugging Face layout, keeping file names.

    ``huggingface.co/<o>/<r>/...`` → ``<mirror>/<o>/<r>/...`` and GitHub raw
    ``<o>/<r>/<branch>/<path>`` → ``<mirror>/<o>/<r>/resolve/<branch>/<path>``, so one host
    laid out like Hugging Face serves every artifact (see tools/mlc/README.md).
    """
    if not mirror:
        return url
    base = mirror.rstrip("/")
    if url.startswith(_HF_HOST):
        return f"{base}/{url[len(_HF_HOST) :]}"
    github = _GITHUB_RAW.match(url)
    if github:
        owner, repo, branch, path = github.groups()
        return f"{base}/{owner}/{repo}/resolve/{branch}/{path}"
    return url


def _absolute(url: str, origin: str) -> str:
    """Local libs (``/webllm-model-libs/x.wasm``) become absolute: WebLLM needs full URLs.

    With no ``origin`` (the server validating a presets file) the URL stays as written.
    """
    if urlsplit(url).scheme or not origin:
        return url
    return urljoin(origin.rstrip("/") + "/", url)


def parse_preset(raw: Mapping[str, Any], *, origin: str = "http://localhost") -> dict[str, Any]:
    """Validate one preset (e.g. from ``web/presets.json``) into a normalised ModelRecord."""
    if not isinstance(raw, Mapping):
        raise PresetError("A preset must be a JSON object.")
    model_id = raw.get("model_id")
    if not isinstance(model_id, str) or not re.fullmatch(r"[A-Za-z0-9][\w.\-]{0,127}", model_id):
        raise PresetError("A preset needs a model_id of letters, digits, '.', '_' or '-'.")
    model = raw.get("model")
    if not isinstance(model, str) or not model.strip():
        raise PresetError(f"Preset {model_id}: 'model' (the weights base URL) is missing.")
    lib = raw.get("model_lib")
    if not isinstance(lib, str):
        raise PresetError(f"Preset {model_id}: 'model_lib' (the .wasm URL) is missing.")
    record: dict[str, Any] = copy.deepcopy(dict(raw))
    record["model"] = _absolute(normalize_hf_url(model).rstrip("/"), origin)
    try:
        record["model_lib"] = _absolute(validate_lib_url(lib), origin)
    except PresetError as exc:
        raise PresetError(f"Preset {model_id}: {exc}") from None
    vram = record.get("vram_required_MB")
    if vram is not None and (
        not isinstance(vram, (int, float)) or isinstance(vram, bool) or vram < 0
    ):
        raise PresetError(f"Preset {model_id}: vram_required_MB must be a positive number.")
    features = record.get("required_features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise PresetError(f"Preset {model_id}: required_features must be a list of names.")
    overrides = record.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        raise PresetError(f"Preset {model_id}: overrides must be an object.")
    record["overrides"] = {**overrides, "context_window_size": CONTEXT_WINDOW_SIZE}
    return record


def build_app_config(
    prebuilt: Iterable[Mapping[str, Any]],
    custom: Iterable[Mapping[str, Any]] = CUSTOM_PRESETS,
    *,
    mirror: str = "",
    cache_backend: str = "cache",
    origin: str = "http://localhost",
) -> dict[str, Any]:
    """The AppConfig for WebLLM: prebuilt then custom records (custom wins on equal ids)."""
    if cache_backend not in CACHE_BACKENDS:
        raise PresetError(f"Unknown cache backend {cache_backend!r}; use one of {CACHE_BACKENDS}.")
    merged: dict[str, dict[str, Any]] = {}
    for raw in [*prebuilt, *custom]:
        record = parse_preset(raw, origin=origin)
        record["model"] = apply_mirror(record["model"], mirror)
        record["model_lib"] = apply_mirror(record["model_lib"], mirror)
        merged[record["model_id"]] = record
    return {"model_list": list(merged.values()), "cacheBackend": cache_backend}


def chat_options() -> dict[str, Any]:
    """ChatOptions passed with every load, so prebuilt models match our window too."""
    return {"context_window_size": CONTEXT_WINDOW_SIZE}
