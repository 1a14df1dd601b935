"""tools/mlc/validate.py: each verdict on small fake artifacts, locally and over HTTP.

The artifacts are tiny stand-ins (a few bytes per shard) with the real file layout, so every
rule WebLLM depends on can be broken one at a time without downloading anything.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
VALIDATE_PY = ROOT / "tools" / "mlc" / "validate.py"
SHARDS = {"params_shard_0.bin": 64, "params_shard_1.bin": 40}
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"]
WASM = b"\0asm\x01\0\0\0" + b"\0" * 24


def _load_validate() -> ModuleType:
    """Import validate.py from its path (tools/ is not an installed package)."""
    spec = importlib.util.spec_from_file_location("mlc_validate_under_test", VALIDATE_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


validate = _load_validate()


def make_model(
    root: Path,
    *,
    context_window_size: int = 16384,
    manifest_name: str = "tensor-cache.json",
    tokenizer_files: list[str] | None = None,
) -> Path:
    """A valid MLC weights directory in miniature."""
    root.mkdir(parents=True, exist_ok=True)
    files = TOKENIZER_FILES if tokenizer_files is None else tokenizer_files
    config = {
        "model_type": "qwen3_moe",
        "quantization": "q4f16_1",
        "context_window_size": context_window_size,
        "prefill_chunk_size": 2048,
        "tokenizer_files": files,
    }
    (root / "mlc-chat-config.json").write_text(json.dumps(config))
    for name in TOKENIZER_FILES:
        (root / name).write_text("{}")
    records = [
        {
            "dataPath": name,
            "format": "raw-shard",
            "nbytes": size,
            "records": [{"name": f"w{i}", "shape": [size], "dtype": "uint8", "byteOffset": 0}],
        }
        for i, (name, size) in enumerate(SHARDS.items())
    ]
    manifest = {"metadata": {"ParamSize": len(SHARDS)}, "records": records}
    (root / manifest_name).write_text(json.dumps(manifest))
    for name, size in SHARDS.items():
        (root / name).write_bytes(b"x" * size)
    return root


def by_name(checks: list[Any]) -> dict[str, Any]:
    return {check.name: check for check in checks}


def statuses(checks: list[Any]) -> dict[str, str]:
    return {check.name: check.status for check in checks}


# --- Local directory ---------------------------------------------------------------------


def test_valid_model_and_lib_pass(tmp_path: Path) -> None:
    model = make_model(tmp_path / "model")
    lib = tmp_path / "lib.wasm"
    lib.write_bytes(WASM)

    checks = validate.validate(str(model), str(lib))

    assert statuses(checks) == {
        "model-dir": "PASS",
        "config": "PASS",
        "context-window-size": "PASS",
        "tokenizer": "PASS",
        "weights-manifest": "PASS",
        "shards": "PASS",
        "lib-url": "PASS",
        "lib-magic": "PASS",
    }
    assert "2 shards, 104 bytes" in by_name(checks)["shards"].message


def _drop_tokenizer(root: Path) -> None:
    (root / "tokenizer.json").unlink()


def _truncate_shard(root: Path) -> None:
    (root / "params_shard_1.bin").write_bytes(b"x" * 39)


def _delete_shard(root: Path) -> None:
    (root / "params_shard_0.bin").unlink()


def _break_config(root: Path) -> None:
    (root / "mlc-chat-config.json").write_text("{not json")


def _drop_manifest(root: Path) -> None:
    (root / "tensor-cache.json").unlink()


@pytest.mark.parametrize(
    ("breakage", "check_name", "fragment"),
    [
        pytest.param(_drop_tokenizer, "tokenizer", "tokenizer.json", id="missing-tokenizer"),
        pytest.param(
            _truncate_shard,
            "shards",
            "params_shard_1.bin is 39 bytes, manifest says 40",
            id="truncated-shard",
        ),
        pytest.param(_delete_shard, "shards", "params_shard_0.bin", id="missing-shard"),
        pytest.param(_break_config, "config", "not valid JSON", id="config-not-json"),
        pytest.param(_drop_manifest, "weights-manifest", "tensor-cache.json", id="no-manifest"),
    ],
)
def test_broken_model_fails_the_right_check(
    tmp_path: Path, breakage: Any, check_name: str, fragment: str
) -> None:
    model = make_model(tmp_path / "model")
    breakage(model)

    checks = by_name(validate.validate(str(model)))

    assert checks[check_name].status == "FAIL"
    assert fragment in checks[check_name].message
    failed = {name for name, check in checks.items() if check.status == "FAIL"}
    assert failed == {check_name}


def test_wrong_context_window_size_fails_unless_asked_for(tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", context_window_size=4096)

    default = by_name(validate.validate(str(model)))["context-window-size"]
    asked = by_name(validate.validate(str(model), context_window_size=4096))["context-window-size"]

    assert default.status == "FAIL"
    assert "4096" in default.message
    assert "16384" in default.message
    assert asked.status == "PASS"


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        pytest.param(["tokenizer_config.json"], "neither tokenizer.json", id="no-loadable"),
        pytest.param(["tokenizer.json", "added_tokens.json"], "added_tokens.json", id="listed"),
        pytest.param(["tokenizer.json", "../secret.json"], "unsafe", id="path-escape"),
    ],
)
def test_tokenizer_files_rules(tmp_path: Path, files: list[str], fragment: str) -> None:
    model = make_model(tmp_path / "model", tokenizer_files=files)

    check = by_name(validate.validate(str(model)))["tokenizer"]

    assert check.status == "FAIL"
    assert fragment in check.message


def test_legacy_manifest_fails_for_webllm_0_2_86_but_can_be_allowed(tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", manifest_name="ndarray-cache.json")

    strict = by_name(validate.validate(str(model)))
    lenient = by_name(validate.validate(str(model), allow_legacy_manifest=True))

    assert strict["weights-manifest"].status == "FAIL"
    assert "tensor-cache.json" in strict["weights-manifest"].message
    assert lenient["weights-manifest"].status == "WARN"
    assert strict["shards"].status == lenient["shards"].status == "PASS"


def test_missing_model_directory_fails(tmp_path: Path) -> None:
    checks = validate.validate(str(tmp_path / "nowhere"))

    assert [(c.name, c.status) for c in checks] == [("model-dir", "FAIL")]


# --- Library rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://huggingface.co/me/libs/blob/main/q.wasm",
            "https://huggingface.co/me/libs/resolve/main/q.wasm",
            id="blob",
        ),
        pytest.param(
            "https://huggingface.co/me/libs/raw/abc123/dir/q.wasm",
            "https://huggingface.co/me/libs/resolve/abc123/dir/q.wasm",
            id="raw-pinned",
        ),
        pytest.param(
            "https://huggingface.co/datasets/me/libs/blob/main/q.wasm",
            "https://huggingface.co/datasets/me/libs/resolve/main/q.wasm",
            id="dataset",
        ),
        pytest.param(
            "https://huggingface.co/me/libs/resolve/main/q.wasm",
            "https://huggingface.co/me/libs/resolve/main/q.wasm",
            id="already-resolve",
        ),
        pytest.param(
            "https://example.com/me/libs/blob/main/q.wasm",
            "https://example.com/me/libs/blob/main/q.wasm",
            id="other-host",
        ),
    ],
)
def test_normalize_hf_url(url: str, expected: str) -> None:
    assert validate.normalize_hf_url(url) == expected


@pytest.mark.parametrize(
    ("url", "status", "fragment"),
    [
        pytest.param(
            "https://huggingface.co/me/libs/blob/main/q.wasm",
            "FAIL",
            "use https://huggingface.co/me/libs/resolve/main/q.wasm",
            id="hf-blob",
        ),
        pytest.param(
            "https://github.com/mlc-ai/binary-mlc-llm-libs/blob/main/web-llm-models/q.wasm",
            "FAIL",
            "use https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/"
            "web-llm-models/q.wasm",
            id="github-blob",
        ),
        pytest.param(
            "https://huggingface.co/me/libs/q.wasm", "FAIL", "resolve/main", id="hf-no-resolve"
        ),
        pytest.param("https://example.com/q.wasm.gz", "FAIL", ".wasm", id="url-not-wasm"),
        pytest.param("/webllm-model-libs/q.bin", "FAIL", ".wasm", id="path-not-wasm"),
        pytest.param("https://huggingface.co/me/libs/resolve/main/q.wasm", "PASS", "", id="hf"),
        pytest.param("/webllm-model-libs/q.wasm", "PASS", "", id="served-path"),
        pytest.param("https://example.com/q.wasm?v=2", "PASS", "", id="query"),
    ],
)
def test_check_lib_url(url: str, status: str, fragment: str) -> None:
    check = validate.check_lib_url(url)

    assert (check.name, check.status) == ("lib-url", status)
    assert fragment in check.message


def test_model_base_url_rules() -> None:
    blob = validate.check_model_url("https://huggingface.co/me/m/tree/main")
    plain = validate.check_model_url("https://huggingface.co/me/m")

    assert blob.status == "FAIL"
    assert "https://huggingface.co/me/m/resolve/main" in blob.message
    assert plain.status == "PASS"
    assert validate.clean_model_url("https://mirror.test/me/m") == (
        "https://mirror.test/me/m/resolve/main/"
    )
    assert validate.clean_model_url("https://mirror.test/me/m/resolve/v1/") == (
        "https://mirror.test/me/m/resolve/v1/"
    )


@pytest.mark.parametrize(
    ("name", "content", "checks"),
    [
        pytest.param("ok.wasm", WASM, {"lib-url": "PASS", "lib-magic": "PASS"}, id="valid"),
        pytest.param(
            "html.wasm", b"<!doctype html>", {"lib-url": "PASS", "lib-magic": "FAIL"}, id="no-magic"
        ),
        pytest.param("short.wasm", b"\0a", {"lib-url": "PASS", "lib-magic": "FAIL"}, id="short"),
        pytest.param("lib.bin", WASM, {"lib-url": "FAIL"}, id="not-wasm"),
    ],
)
def test_local_lib(tmp_path: Path, name: str, content: bytes, checks: dict[str, str]) -> None:
    lib = tmp_path / name
    lib.write_bytes(content)

    assert statuses(validate.validate(lib=str(lib))) == checks


def test_missing_local_lib_fails(tmp_path: Path) -> None:
    check = by_name(validate.validate(lib=str(tmp_path / "gone.wasm")))["lib-magic"]

    assert check.status == "FAIL"
    assert "cannot read" in check.message


# --- CLI -----------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VALIDATE_PY), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_json_reports_failure(tmp_path: Path) -> None:
    model = make_model(tmp_path / "model")
    _truncate_shard(model)
    lib = tmp_path / "lib.wasm"
    lib.write_bytes(WASM)

    result = run_cli(str(model), "--lib", str(lib), "--json")

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert set(report) == {"ok", "checks"}
    assert {"name": "shards", "status": "FAIL"}.items() <= report["checks"][5].items()
    assert all(set(check) == {"name", "status", "message"} for check in report["checks"])
    assert [c["name"] for c in report["checks"] if c["status"] == "FAIL"] == ["shards"]


def test_cli_text_lines_and_success_exit(tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", context_window_size=8192)

    result = run_cli(str(model), "--context-window-size", "8192")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("VERDICT: PASS")
    assert all(line.startswith("PASS ") for line in lines[:-1])
    assert "PASS context-window-size: context_window_size is 8192" in lines


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="nothing-to-check"),
        pytest.param(["x", "--context-window-size", "big"], id="non-numeric-size"),
        pytest.param(["x", "--context-window-size", "0"], id="zero-size"),
    ],
)
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    result = run_cli(*args)

    assert result.returncode == 2
    assert "usage:" in result.stderr


# --- HTTP ----------------------------------------------------------------------------------


@dataclass
class Served:
    """A test server's base URL and the (method, path, Range) of every request it got."""

    url: str
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)


def _handler(root: Path, log: list[tuple[str, str, str | None]]) -> type:
    class Handler(SimpleHTTPRequestHandler):
        """Static files, plus ``/redirect/<path>`` -> ``/<path>`` and ``Range: bytes=0-N``."""

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _record(self) -> bool:
            log.append((self.command, self.path, self.headers.get("Range")))
            if self.path.startswith("/redirect/"):
                self.send_response(302)
                self.send_header("Location", self.path[len("/redirect") :])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True
            return False

        def do_HEAD(self) -> None:
            if not self._record():
                super().do_HEAD()

        def do_GET(self) -> None:
            if self._record():
                return
            wanted = self.headers.get("Range", "")
            path = Path(self.translate_path(self.path))
            if wanted.startswith("bytes=0-") and path.is_file():
                end = int(wanted[len("bytes=0-") :])
                body = path.read_bytes()[: end + 1]
                self.send_response(206)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    return functools.partial(Handler, directory=str(root))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    root = tmp_path / "www"
    root.mkdir()
    log: list[tuple[str, str, str | None]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, log))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mirror_model(tmp_path: Path) -> Path:
    """The model laid out like a mirror host: <owner>/<repo>/resolve/main/<file>."""
    return make_model(tmp_path / "www" / "me" / "Qwen-MLC" / "resolve" / "main")


def shard_gets(served: Served) -> list[str]:
    return [path for method, path, _ in served.requests if method == "GET" and ".bin" in path]


def test_http_valid_model_and_lib(tmp_path: Path, served: Served) -> None:
    mirror_model(tmp_path)
    (tmp_path / "www" / "libs").mkdir()
    (tmp_path / "www" / "libs" / "q.wasm").write_bytes(WASM)

    checks = validate.validate(f"{served.url}/me/Qwen-MLC", f"{served.url}/libs/q.wasm")

    assert {c.status for c in checks} == {"PASS"}, [c.line() for c in checks]
    assert f"{served.url}/me/Qwen-MLC/resolve/main/" in by_name(checks)["model-url"].message
    assert shard_gets(served) == []
    heads = {path for method, path, _ in served.requests if method == "HEAD"}
    assert "/me/Qwen-MLC/resolve/main/params_shard_0.bin" in heads
    assert ("GET", "/libs/q.wasm", "bytes=0-3") in served.requests


@pytest.mark.parametrize(
    ("breakage", "fragment"),
    [
        pytest.param(_truncate_shard, "39 bytes, manifest says 40", id="truncated-shard"),
        pytest.param(_delete_shard, "HTTP 404", id="missing-shard"),
    ],
)
def test_http_bad_shard_fails(tmp_path: Path, served: Served, breakage: Any, fragment: str) -> None:
    breakage(mirror_model(tmp_path))

    checks = by_name(validate.validate(f"{served.url}/me/Qwen-MLC/"))

    assert checks["shards"].status == "FAIL"
    assert fragment in checks["shards"].message
    assert shard_gets(served) == []


def test_http_missing_tokenizer_and_wrong_context(tmp_path: Path, served: Served) -> None:
    model = mirror_model(tmp_path)
    _drop_tokenizer(model)

    checks = by_name(validate.validate(f"{served.url}/me/Qwen-MLC", context_window_size=4096))

    assert checks["tokenizer"].status == "FAIL"
    assert "HTTP 404" in checks["tokenizer"].message
    assert checks["context-window-size"].status == "FAIL"


def test_http_redirects_keep_head(tmp_path: Path, served: Served) -> None:
    mirror_model(tmp_path)

    checks = validate.validate(f"{served.url}/redirect/me/Qwen-MLC")

    assert by_name(checks)["shards"].status == "PASS"
    assert ("HEAD", "/me/Qwen-MLC/resolve/main/params_shard_1.bin", None) in served.requests
    assert shard_gets(served) == []


def test_http_lib_without_magic_and_missing(tmp_path: Path, served: Served) -> None:
    (tmp_path / "www" / "page.wasm").write_bytes(b"<html>")

    bad = by_name(validate.validate(lib=f"{served.url}/page.wasm"))["lib-magic"]
    gone = by_name(validate.validate(lib=f"{served.url}/gone.wasm"))["lib-magic"]

    assert bad.status == "FAIL"
    assert "<htm" in bad.message
    assert gone.status == "FAIL"
    assert "HTTP 404" in gone.message


def test_http_cli_json(tmp_path: Path, served: Served) -> None:
    mirror_model(tmp_path)

    result = run_cli(f"{served.url}/me/Qwen-MLC", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == [
        "model-url",
        "config",
        "context-window-size",
        "tokenizer",
        "weights-manifest",
        "shards",
    ]
