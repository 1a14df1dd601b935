"""The project's own MLC compile toolchain under ``build/mlc-toolchain/``, from registries only.

``make mlc-toolchain`` installs Debian's ``emscripten`` and a venv with PyPI's ``apache-tvm``
(``tools/mlc/requirements-toolchain.txt``), then runs this script with that venv's Python:

- ``tvm``: assemble a TVM source tree from the two wheels (they ship ``include/``,
  ``src/runtime/`` and ``web/``) plus the headers they lack (``third_party/tvm-headers``), and
  build the wasm runtime bitcode WebLLM model libraries link against (``web/dist/wasm/*.bc``);
- ``mlc``: copy the vendored mlc-llm Python (``third_party/mlc-llm``), apply
  :mod:`mlc_compat`, and build ``mlc_wasm_runtime.bc`` from its ``web/emcc`` source.

``tools/mlc/build-webgpu-wasm.sh`` with ``TOOLCHAIN=project`` then compiles against it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mlc_compat

__all__ = ["build_mlc", "build_tvm"]

HERE = Path(__file__).resolve().parent
THIRD_PARTY = HERE / "third_party"
RUNTIME_BC = ("wasm_runtime.bc", "tvmjs_support.bc", "webgpu_runtime.bc")


def _run(argv: list[str], cwd: Path | None = None) -> None:
    print("+", " ".join(argv), flush=True)
    subprocess.run(argv, cwd=cwd, check=True)


def _copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


def build_tvm(out: Path) -> None:
    """``out``: a TVM source tree with its wasm runtime bitcode built."""
    site = Path(sysconfig.get_paths()["purelib"])
    tvm, ffi = site / "tvm", site / "tvm_ffi"
    if not (tvm / "web" / "Makefile").is_file() or not (ffi / "src").is_dir():
        raise SystemExit(f"toolchain: no apache-tvm sources in {site}; run `make mlc-toolchain`")
    shutil.rmtree(out, ignore_errors=True)
    _copy(tvm / "include", out / "include")
    _copy(tvm / "src" / "runtime", out / "src" / "runtime")
    _copy(tvm / "web", out / "web")
    _copy(ffi / "include", out / "3rdparty" / "tvm-ffi" / "include")
    _copy(ffi / "src", out / "3rdparty" / "tvm-ffi" / "src")
    _copy(ffi / "3rdparty" / "dlpack", out / "3rdparty" / "tvm-ffi" / "3rdparty" / "dlpack")
    headers = THIRD_PARTY / "tvm-headers"
    for name in ("include", "src", "3rdparty"):
        _copy(headers / name, out / name)
    # Debian's emscripten ships a prebuilt, read-only sysroot cache: emcc uses it as it is.
    jobs = str(os.cpu_count() or 2)
    _run(
        [
            "make",
            "-s",
            "-C",
            str(out / "web"),
            f"-j{jobs}",
            *(f"dist/wasm/{bc}" for bc in RUNTIME_BC),
        ]
    )


def build_mlc(out: Path) -> None:
    """``out``: the patched mlc-llm copy with ``web/dist/wasm/mlc_wasm_runtime.bc``."""
    shutil.rmtree(out, ignore_errors=True)
    _copy(THIRD_PARTY / "mlc-llm", out)
    mlc_compat.apply(out / "python" / "mlc_llm")
    dist = out / "web" / "dist" / "wasm"
    dist.mkdir(parents=True, exist_ok=True)
    source = out / "web" / "emcc" / "mlc_wasm_runtime.cc"
    _run(
        [
            "emcc",
            "-O3",
            "-std=c++17",
            "-emit-llvm",
            "-c",
            "-o",
            str(dist / "mlc_wasm_runtime.bc"),
            str(source),
        ]
    )


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[1] not in {"tvm", "mlc"}:
        raise SystemExit("usage: toolchain.py tvm|mlc <output dir>")
    if shutil.which("emcc") is None:
        raise SystemExit(
            "toolchain: emcc not found; `make mlc-toolchain` installs Debian's emscripten"
        )
    out = Path(argv[2]).resolve()
    (build_tvm if argv[1] == "tvm" else build_mlc)(out)


if __name__ == "__main__":
    main(sys.argv)
