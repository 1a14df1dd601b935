"""Assemble the browser runtime we serve ourselves: Pyodide, PyScript, WebLLM and wheels.

The page must never reach a CDN, so everything PyScript and Pyodide would fetch from one is
copied out of ``node_modules`` (installed by ``npm ci`` from the lock file) into a git-ignored
folder, and the pure-Python wheels are downloaded by pip (pinned with hashes). Pyodide's npm
package lists ``micropip`` and ``packaging`` in ``pyodide-lock.json`` without shipping them, and
PyPI's builds of the same versions hash differently, so our served lock gets their real hashes.
Last, Node (which npm needs anyway) builds the Python memory snapshot the page starts from
(``tools/pyodide_snapshot.mjs``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = [
    "PREBUILT_CONFIG",
    "ROOT",
    "RUNTIME_DIR",
    "build_runtime",
    "main",
    "write_prebuilt_config",
]

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
RUNTIME_DIR = ROOT / "build" / "runtime"
WHEELS_REQUIREMENTS = ROOT / "requirements" / "pyodide-wheels.txt"
SNAPSHOT_SCRIPT = ROOT / "tools" / "pyodide_snapshot.mjs"
#: Where web/pyodide-boot.mjs looks for the snapshot.
SNAPSHOT_NAME = "snapshot.bin.gz"

PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
#: Wheels that Pyodide loads by name through its lock (must sit beside pyodide.mjs).
LOCKED_WHEELS = ("micropip", "packaging")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_tree(src: Path, dst: Path, *, skip_suffixes: tuple[str, ...] = ()) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.is_file() and not item.name.endswith(skip_suffixes):
            shutil.copy2(item, dst / item.name)


def _download_wheels(dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.13",
            "--require-hashes",
            "-r",
            str(WHEELS_REQUIREMENTS),
            "-d",
            str(dest),
        ],
        check=True,
    )
    return sorted(dest.glob("*.whl"))


def _rewrite_lock(lock_path: Path, wheels: list[Path]) -> None:
    """Point the lock's micropip/packaging entries at the wheels we actually serve."""
    lock = json.loads(lock_path.read_text())
    by_name = {w.name.split("-")[0].replace("_", "-").lower(): w for w in wheels}
    for name in LOCKED_WHEELS:
        wheel = by_name[name]
        entry = lock["packages"][name]
        entry["file_name"] = wheel.name
        entry["sha256"] = _sha256(wheel)
    lock_path.write_text(json.dumps(lock, separators=(",", ":")))


def _build_snapshot(pyodide: Path, wheels: list[Path]) -> None:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is missing: it comes with npm, which `make` needs anyway")
    subprocess.run(
        [
            node,
            str(SNAPSHOT_SCRIPT),
            str(pyodide),
            str(pyodide / SNAPSHOT_NAME),
            "--app",
            str(ROOT / "app"),
            *map(str, wheels),
        ],
        check=True,
    )


def rebuild_snapshot(out: Path = RUNTIME_DIR) -> None:
    """Only the snapshot again (the app's modules changed), from the runtime already built."""
    _build_snapshot(out / "pyodide", sorted((out / "wheels").glob("*.whl")))


#: WebLLM's built-in model list, read out of its module at setup: the page needs the list to
#: start, and importing the 7 MB module itself is left until an engine or cache call needs it.
PREBUILT_CONFIG = "prebuilt-app-config.json"
_READ_PREBUILT = (
    "import(process.argv[1]).then((m) => process.stdout.write(JSON.stringify(m.prebuiltAppConfig)))"
)


def write_prebuilt_config(web_llm: Path) -> dict[str, object]:
    """``prebuiltAppConfig`` of ``web_llm/index.js`` as JSON beside it."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is missing: it comes with npm, which `make` needs anyway")
    module = (web_llm / "index.js").resolve().as_uri()
    out = subprocess.run(
        [node, "--input-type=module", "-e", _READ_PREBUILT, module],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    config = json.loads(out)
    if not isinstance(config, dict) or not isinstance(config.get("model_list"), list):
        raise SystemExit(f"{module}: prebuiltAppConfig has no model_list")
    (web_llm / PREBUILT_CONFIG).write_text(json.dumps(config, separators=(",", ":")))
    return config


#: The list of the app's wheels that web/pyodide-boot.mjs unpacks (no micropip at boot).
WHEEL_INDEX = "index.json"


def write_wheel_index(wheels_dir: Path) -> list[str]:
    """List the wheels in ``wheels_dir`` (by file name) in its ``index.json``."""
    names = sorted(path.name for path in wheels_dir.glob("*.whl"))
    (wheels_dir / WHEEL_INDEX).write_text(json.dumps(names))
    return names


def build_runtime(out: Path = RUNTIME_DIR) -> Path:
    """Build ``out`` from node_modules and pinned wheels; safe to run again."""
    if not NODE_MODULES.is_dir():
        raise SystemExit("node_modules is missing: run `npm ci` first")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    pyodide = tmp / "pyodide"
    pyodide.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(NODE_MODULES / "pyodide" / name, pyodide / name)
    _copy_tree(
        NODE_MODULES / "@pyscript" / "core" / "dist", tmp / "pyscript", skip_suffixes=(".map",)
    )
    _copy_tree(
        NODE_MODULES / "@mlc-ai" / "web-llm" / "lib", tmp / "web-llm", skip_suffixes=(".map", ".ts")
    )
    write_prebuilt_config(tmp / "web-llm")

    wheels = _download_wheels(tmp / "wheels")
    for wheel in wheels:
        if wheel.name.split("-")[0].lower() in LOCKED_WHEELS:
            shutil.move(wheel, pyodide / wheel.name)
    locked = [pyodide / w.name for w in wheels if (pyodide / w.name).exists()]
    _rewrite_lock(pyodide / "pyodide-lock.json", locked)
    _build_snapshot(pyodide, sorted((tmp / "wheels").glob("*.whl")))
    write_wheel_index(tmp / "wheels")

    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main() -> None:
    if sys.argv[1:] == ["--snapshot"]:
        rebuild_snapshot()
        return
    out = build_runtime()
    print(f"runtime assets ready in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
