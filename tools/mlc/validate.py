"""Check MLC LLM artifacts (weights directory and WebGPU model library) before users get them.

A model WebLLM cannot load fails only after the user has downloaded gigabytes, so this tool
checks the cheap things first, the way WebLLM 0.2.86 reads them: ``mlc-chat-config.json``
(context window, ``tokenizer_files``), ``tensor-cache.json`` and every shard's byte size, and the
``.wasm`` library's magic number and URL. It works on a local directory or an HTTP(S) base URL
(standard library only; shards are checked with HEAD requests, never downloaded).

The URL rules are the app's (``app/artifact_urls.py``: no I/O, stdlib only), so what this tool
accepts is what the page's preset validation accepts.

Usage: ``python tools/mlc/validate.py [MODEL] [--lib LIB] [--context-window-size N] [--json]``.
Exit status: 0 when no check failed, 1 when one did, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol
from urllib.parse import quote, urljoin

# The URL rules are the app's own (app/artifact_urls.py), so the page and this check agree.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.artifact_urls import (
    clean_model_url,
    is_url,
    lib_url_problem,
    normalize_github_url,
    normalize_hf_url,
)

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_CONTEXT_WINDOW_SIZE",
    "LEGACY_MANIFEST_FILE",
    "MANIFEST_FILE",
    "WASM_MAGIC",
    "Check",
    "HttpSource",
    "LocalSource",
    "Source",
    "SourceError",
    "check_config",
    "check_context_window_size",
    "check_lib",
    "check_lib_magic",
    "check_lib_url",
    "check_model_url",
    "check_shards",
    "check_tokenizer",
    "check_weights_manifest",
    "clean_model_url",
    "is_url",
    "main",
    "normalize_github_url",
    "normalize_hf_url",
    "validate",
    "validate_model",
    "verdict",
]

Status = Literal["PASS", "WARN", "FAIL"]

CONFIG_FILE = "mlc-chat-config.json"
MANIFEST_FILE = "tensor-cache.json"
LEGACY_MANIFEST_FILE = "ndarray-cache.json"
WASM_MAGIC = b"\0asm"
DEFAULT_CONTEXT_WINDOW_SIZE = 16384
DEFAULT_TIMEOUT = 30.0
HTTP_WORKERS = 8
MAX_LISTED = 5
# Tokenizer files WebLLM 0.2.86 can load, in the order it tries them (asyncLoadTokenizer).
WEBLLM_TOKENIZERS = ("tokenizer.json", "tokenizer.model")


@dataclass(frozen=True)
class Check:
    """One check's outcome; ``name`` is stable so callers and tests can look it up."""

    name: str
    status: Status
    message: str

    def line(self) -> str:
        return f"{self.status} {self.name}: {self.message}"

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _pass(name: str, message: str) -> Check:
    return Check(name, "PASS", message)


def _warn(name: str, message: str) -> Check:
    return Check(name, "WARN", message)


def _fail(name: str, message: str) -> Check:
    return Check(name, "FAIL", message)


# --- URL rules (pure, no I/O) ------------------------------------------------------------


def check_model_url(url: str) -> Check:
    """The model base URL must not name a blob/raw/tree page; report what WebLLM fetches."""
    fixed = normalize_hf_url(url)
    if fixed != url:
        return _fail("model-url", f"{url} is a Hugging Face page URL; use {fixed}")
    return _pass("model-url", f"WebLLM fetches files from {clean_model_url(url)}")


def check_lib_url(url: str) -> Check:
    """Rules for a ``model_lib`` URL or path (:func:`app.artifact_urls.lib_url_problem`)."""
    problem = lib_url_problem(url)
    if problem:
        return _fail("lib-url", f"{problem}; model_lib must be a .wasm file URL")
    return _pass("lib-url", f"{url} is a .wasm {'URL' if is_url(url) else 'path'}")


# --- Artifact sources ----------------------------------------------------------------------


class SourceError(Exception):
    """A file could not be read: missing, HTTP error, unreachable host."""


class Source(Protocol):
    """Where the model files live: a local directory or an HTTP base URL."""

    def where(self, name: str) -> str: ...

    def read(self, name: str) -> bytes: ...

    def size(self, name: str) -> int | None: ...

    def sizes(self, names: Sequence[str]) -> list[int | SourceError | None]: ...


class LocalSource:
    """Model files in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def where(self, name: str) -> str:
        return str(self.root / name)

    def read(self, name: str) -> bytes:
        try:
            return (self.root / name).read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read {self.where(name)}: {exc.strerror}") from exc

    def size(self, name: str) -> int | None:
        path = self.root / name
        if not path.is_file():
            raise SourceError(f"{self.where(name)} is missing")
        return path.stat().st_size

    def sizes(self, names: Sequence[str]) -> list[int | SourceError | None]:
        return [_capture(self.size, name) for name in names]


class _KeepMethodRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects with the original method: urllib would turn HEAD into a full GET."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.method = req.get_method()
        return new


_OPENER = urllib.request.build_opener(_KeepMethodRedirects)


def _open(request: urllib.request.Request, timeout: float) -> Any:
    try:
        return _OPENER.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise SourceError(f"{request.full_url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"{request.full_url}: cannot fetch ({reason})") from exc


def http_read(url: str, timeout: float, limit: int | None = None) -> bytes:
    """GET a URL; with ``limit`` ask for a byte range and read no more than that."""
    headers = {"Range": f"bytes=0-{limit - 1}"} if limit else {}
    with _open(urllib.request.Request(url, headers=headers), timeout) as response:
        return response.read(limit) if limit else response.read()


def http_size(url: str, timeout: float) -> int | None:
    """HEAD a URL: its Content-Length (None when absent); SourceError unless status 200."""
    with _open(urllib.request.Request(url, method="HEAD"), timeout) as response:
        if response.status != 200:
            raise SourceError(f"{url}: HTTP {response.status}, expected 200")
        length = response.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None


class HttpSource:
    """Model files under an HTTP(S) base URL (already cleaned, ending in ``/``)."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout

    def where(self, name: str) -> str:
        return urljoin(self.base_url, quote(name))

    def read(self, name: str) -> bytes:
        return http_read(self.where(name), self.timeout)

    def size(self, name: str) -> int | None:
        return http_size(self.where(name), self.timeout)

    def sizes(self, names: Sequence[str]) -> list[int | SourceError | None]:
        with ThreadPoolExecutor(max_workers=HTTP_WORKERS) as pool:
            return list(pool.map(lambda name: _capture(self.size, name), names))


def _capture(fn: Callable[[str], int | None], name: str) -> int | SourceError | None:
    try:
        return fn(name)
    except SourceError as exc:
        return exc


# --- Model checks ----------------------------------------------------------------------------


def _load_json(source: Source, name: str) -> Any:
    data = source.read(name)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{source.where(name)} is not valid JSON: {exc}") from exc


def check_config(source: Source) -> tuple[Check, dict[str, Any] | None]:
    """``mlc-chat-config.json`` exists and is a JSON object."""
    try:
        config = _load_json(source, CONFIG_FILE)
    except SourceError as exc:
        return _fail("config", str(exc)), None
    if not isinstance(config, dict):
        return _fail("config", f"{source.where(CONFIG_FILE)} is not a JSON object"), None
    summary = ", ".join(
        f"{key}={config[key]}" for key in ("model_type", "quantization") if key in config
    )
    return _pass("config", f"{CONFIG_FILE} parses ({summary or 'no model_type'})"), config


def check_context_window_size(config: dict[str, Any], expected: int) -> Check:
    """The config's ``context_window_size`` equals the one the library was built for."""
    actual = config.get("context_window_size")
    if actual == expected:
        return _pass("context-window-size", f"context_window_size is {expected}")
    return _fail("context-window-size", f"context_window_size is {actual!r}, expected {expected}")


def check_tokenizer(source: Source, config: dict[str, Any]) -> Check:
    """Every file in ``tokenizer_files`` exists, and WebLLM has one it can load."""
    files = config.get("tokenizer_files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return _fail("tokenizer", f"{CONFIG_FILE} has no tokenizer_files list (WebLLM reads it)")
    usable = [name for name in WEBLLM_TOKENIZERS if name in files]
    if not usable:
        return _fail(
            "tokenizer",
            f"tokenizer_files {files} lists neither tokenizer.json nor tokenizer.model",
        )
    unsafe = [name for name in files if not _safe_relative(name)]
    if unsafe:
        return _fail("tokenizer", f"unsafe tokenizer_files entries: {_listing(unsafe)}")
    missing = [str(r) for r in source.sizes(files) if isinstance(r, SourceError)]
    if missing:
        return _fail("tokenizer", "; ".join(missing))
    return _pass("tokenizer", f"{', '.join(files)} present (WebLLM loads {usable[0]})")


def _manifest_records(manifest: Any) -> list[tuple[str, int]] | None:
    """``(dataPath, nbytes)`` per shard, or None when the manifest is malformed."""
    records = manifest.get("records") if isinstance(manifest, dict) else None
    if not isinstance(records, list):
        return None
    shards: list[tuple[str, int]] = []
    for record in records:
        if not isinstance(record, dict):
            return None
        path, nbytes = record.get("dataPath"), record.get("nbytes")
        if not isinstance(path, str) or not isinstance(nbytes, int) or isinstance(nbytes, bool):
            return None
        shards.append((path, nbytes))
    return shards


def check_weights_manifest(
    source: Source, allow_legacy: bool = False
) -> tuple[Check, list[tuple[str, int]] | None]:
    """Find and parse the weights manifest; WebLLM 0.2.86 only fetches ``tensor-cache.json``."""
    name, error = MANIFEST_FILE, None
    try:
        manifest = _load_json(source, MANIFEST_FILE)
    except SourceError as exc:
        error = exc
        name = LEGACY_MANIFEST_FILE
        try:
            manifest = _load_json(source, LEGACY_MANIFEST_FILE)
        except SourceError:
            return _fail("weights-manifest", f"{error} (and no {LEGACY_MANIFEST_FILE})"), None
    shards = _manifest_records(manifest)
    if shards is None:
        message = f"{source.where(name)} has no valid records list of {{dataPath, nbytes}}"
        return _fail("weights-manifest", message), None
    if name == LEGACY_MANIFEST_FILE:
        message = (
            f"only {LEGACY_MANIFEST_FILE} found; WebLLM 0.2.86 fetches {MANIFEST_FILE} "
            "(publish a copy under that name)"
        )
        return (_warn if allow_legacy else _fail)("weights-manifest", message), shards
    return _pass("weights-manifest", f"{name} lists {len(shards)} shards"), shards


def _safe_relative(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path


def _shard_problems(
    shards: Sequence[tuple[str, int]], sizes: Sequence[int | SourceError | None]
) -> tuple[list[str], list[str]]:
    failures: list[str] = []
    unknown: list[str] = []
    for (path, nbytes), size in zip(shards, sizes, strict=True):
        if isinstance(size, SourceError):
            failures.append(str(size))
        elif size is None:
            unknown.append(path)
        elif size != nbytes:
            failures.append(f"{path} is {size} bytes, manifest says {nbytes}")
    return failures, unknown


def _listing(items: Sequence[str]) -> str:
    more = f"; and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return "; ".join(items[:MAX_LISTED]) + more


def check_shards(source: Source, shards: Sequence[tuple[str, int]]) -> Check:
    """Every shard in the manifest exists with exactly ``nbytes`` bytes."""
    unsafe = [path for path, _ in shards if not _safe_relative(path)]
    if unsafe:
        return _fail("shards", f"unsafe dataPath entries: {_listing(unsafe)}")
    if not shards:
        return _fail("shards", "the manifest lists no shards")
    sizes = source.sizes([path for path, _ in shards])
    failures, unknown = _shard_problems(shards, sizes)
    if failures:
        return _fail("shards", f"{len(failures)} of {len(shards)} bad: {_listing(failures)}")
    total = sum(nbytes for _, nbytes in shards)
    if unknown:
        message = f"no Content-Length for {len(unknown)} shards: {_listing(unknown)}"
        return _warn("shards", message)
    return _pass("shards", f"{len(shards)} shards, {total} bytes, sizes match")


def validate_model(
    source: Source,
    context_window_size: int = DEFAULT_CONTEXT_WINDOW_SIZE,
    allow_legacy_manifest: bool = False,
) -> list[Check]:
    """All model-directory checks against one source, in order."""
    checks: list[Check] = []
    config_check, config = check_config(source)
    checks.append(config_check)
    if config is not None:
        checks.append(check_context_window_size(config, context_window_size))
        checks.append(check_tokenizer(source, config))
    manifest_check, shards = check_weights_manifest(source, allow_legacy_manifest)
    checks.append(manifest_check)
    if shards is not None:
        checks.append(check_shards(source, shards))
    return checks


# --- Library checks --------------------------------------------------------------------------


def check_lib_magic(lib: str, timeout: float = DEFAULT_TIMEOUT) -> Check:
    """The library starts with the WebAssembly magic ``\\0asm`` (reads 4 bytes only)."""
    try:
        if is_url(lib):
            head = http_read(lib, timeout, limit=len(WASM_MAGIC))
        else:
            with open(lib, "rb") as handle:
                head = handle.read(len(WASM_MAGIC))
    except SourceError as exc:
        return _fail("lib-magic", str(exc))
    except OSError as exc:
        return _fail("lib-magic", f"cannot read {lib}: {exc.strerror}")
    if head != WASM_MAGIC:
        return _fail("lib-magic", f"{lib} starts with {head!r}, not the wasm magic {WASM_MAGIC!r}")
    return _pass("lib-magic", f"{lib} starts with the wasm magic")


def check_lib(lib: str, timeout: float = DEFAULT_TIMEOUT) -> list[Check]:
    """URL rules, then (only if they pass) the magic number."""
    rule = check_lib_url(lib)
    return [rule] if rule.failed else [rule, check_lib_magic(lib, timeout)]


# --- Entry points ----------------------------------------------------------------------------


def _model_checks(
    model: str, context_window_size: int, allow_legacy_manifest: bool, timeout: float
) -> list[Check]:
    if is_url(model):
        url_check = check_model_url(model)
        if url_check.failed:
            return [url_check]
        source: Source = HttpSource(clean_model_url(model), timeout)
        return [url_check, *validate_model(source, context_window_size, allow_legacy_manifest)]
    root = Path(model)
    if not root.is_dir():
        return [_fail("model-dir", f"{model} is not a directory")]
    checks = [_pass("model-dir", f"{root} is a directory")]
    return checks + validate_model(LocalSource(root), context_window_size, allow_legacy_manifest)


def validate(
    model: str | None = None,
    lib: str | None = None,
    context_window_size: int = DEFAULT_CONTEXT_WINDOW_SIZE,
    allow_legacy_manifest: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Check]:
    """Every check for a model (local directory or base URL) and/or a library."""
    checks: list[Check] = []
    if model is not None:
        checks += _model_checks(model, context_window_size, allow_legacy_manifest, timeout)
    if lib is not None:
        checks += check_lib(lib, timeout)
    return checks


def verdict(checks: Iterable[Check]) -> str:
    """The final summary line."""
    checks = list(checks)
    failed = sum(check.failed for check in checks)
    warned = sum(check.status == "WARN" for check in checks)
    if failed:
        return f"VERDICT: FAIL ({failed} of {len(checks)} checks failed, {warned} warnings)"
    return f"VERDICT: PASS ({len(checks)} checks, {warned} warnings)"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="validate.py",
        description="Check an MLC model directory/URL and/or WebGPU .wasm library for WebLLM.",
        epilog="Exit status: 0 no check failed, 1 a check failed, 2 usage error.",
    )
    parser.add_argument(
        "model",
        nargs="?",
        help="model directory, or its base URL (WebLLM adds resolve/main/ when absent)",
    )
    parser.add_argument("--lib", help="model library: local .wasm path or URL")
    parser.add_argument(
        "--context-window-size",
        type=_positive_int,
        default=DEFAULT_CONTEXT_WINDOW_SIZE,
        metavar="N",
        help=f"expected context_window_size (default {DEFAULT_CONTEXT_WINDOW_SIZE})",
    )
    parser.add_argument(
        "--allow-legacy-manifest",
        action="store_true",
        help="only warn when the weights manifest is ndarray-cache.json (older WebLLM)",
    )
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="HTTP timeout in seconds"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.model is None and args.lib is None:
        parser.error("give a model directory/URL, --lib, or both")
    checks = validate(
        args.model, args.lib, args.context_window_size, args.allow_legacy_manifest, args.timeout
    )
    ok = not any(check.failed for check in checks)
    if args.json:
        print(json.dumps({"ok": ok, "checks": [check.to_dict() for check in checks]}, indent=2))
    else:
        for check in checks:
            print(check.line())
        print(verdict(checks))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
