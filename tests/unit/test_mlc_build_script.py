"""tools/mlc/build-webgpu-wasm.sh (and its Qwen3-30B wrapper): the build plan and its checks.

Only DRY_RUN=1 runs and sandboxed stub runs happen here; the real compile with the project's
toolchain runs in `make tiny-model` (tests/unit/test_tiny_model.py checks its output). PATH holds
just a directory of stubs, so whether python3/emcc "exist" is decided by each test, and the
dry run must work on bash builtins alone.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "mlc" / "build-webgpu-wasm.sh"
WRAPPER = ROOT / "tools" / "mlc" / "build-webgpu-wasm-qwen3-30b-a3b.sh"
PUBLIC_DIR = ROOT / "web" / "webllm-model-libs"
DEFAULT_NAME = "Qwen3-30B-A3B-q4f16_1-ctx16k_cs2k-webgpu.wasm"
BASH = shutil.which("bash") or "/bin/bash"


@dataclass
class Fakes:
    """Fake prerequisites in tmp_path and the environment that points at them."""

    bin: Path
    source: Path
    emsdk: Path
    model: Path
    out: Path
    ran: Path
    env: dict[str, str]


def stub(path: Path, ran: Path) -> Path:
    """An executable that only records that it ran (a dry run must never call it)."""
    path.write_text(f'#!/bin/sh\necho "$0 $*" >> "{ran}"\nexit 97\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def fakes(tmp_path: Path) -> Fakes:
    ran = tmp_path / "ran.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("python3", "git", "cmake", "make", "npm", "mkdir", "cp"):
        stub(bin_dir / tool, ran)
    source = tmp_path / "mlc-llm"
    (source / "web").mkdir(parents=True)
    stub(source / "web" / "prep_emcc_deps.sh", ran)
    emsdk = tmp_path / "emsdk"
    emsdk.mkdir()
    (emsdk / "emsdk_env.sh").write_text(f'echo "sourced emsdk_env.sh" >> "{ran}"\n')
    model = tmp_path / "Qwen3-30B-A3B-q4f16_1-MLC"
    model.mkdir()
    (model / "mlc-chat-config.json").write_text('{"context_window_size": 40960}')
    out = tmp_path / "out"
    env = {
        "PATH": str(bin_dir),
        "HOME": str(tmp_path),
        "DRY_RUN": "1",
        "MLC_LLM_SOURCE_DIR": str(source),
        "EMSDK": str(emsdk),
        "MODEL_DIR": str(model),
        "OUT_DIR": str(out),
        "JOBS": "8",
    }
    return Fakes(bin_dir, source, emsdk, model, out, ran, env)


def run_script(
    env: dict[str, str], *args: str, script: Path = SCRIPT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=env.get("HOME"),
    )


def commands(result: subprocess.CompletedProcess[str]) -> list[list[str]]:
    """The printed plan, each "+ ..." line parsed back into argv."""
    lines = result.stdout.splitlines()
    assert all(line.startswith("+ ") for line in lines), result.stdout
    return [shlex.split(line[2:]) for line in lines]


def find(plan: list[list[str]], *prefix: str) -> int:
    """Index of the single command starting with ``prefix``."""
    hits = [i for i, argv in enumerate(plan) if argv[: len(prefix)] == list(prefix)]
    assert len(hits) == 1, (prefix, plan)
    return hits[0]


def tree(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def test_dry_run_prints_exact_compile_command(fakes: Fakes) -> None:
    before = tree(fakes.source.parent)

    result = run_script(fakes.env)

    assert result.returncode == 0, result.stderr
    plan = commands(result)
    python = str(fakes.bin / "python3")
    compile_argv = plan[find(plan, python, "-m", "mlc_llm", "compile")]
    assert compile_argv == [
        python,
        "-m",
        "mlc_llm",
        "compile",
        f"{fakes.model}/mlc-chat-config.json",
        "--device",
        "webgpu",
        "--overrides",
        "context_window_size=16384;prefill_chunk_size=2048",
        "-o",
        f"{fakes.out}/{DEFAULT_NAME}",
    ]
    assert tree(fakes.source.parent) == before, "a dry run must not create or change files"
    assert not fakes.ran.exists(), fakes.ran.read_text()
    assert "cp" not in {argv[0] for argv in plan}


def test_dry_run_follows_the_documented_flow_in_order(fakes: Fakes) -> None:
    result = run_script(fakes.env)

    assert result.returncode == 0, result.stderr
    plan = commands(result)
    src = str(fakes.source)
    build = find(plan, "cmake", "--build", f"{src}/build", "--parallel", "8")
    configure = find(plan, "cmake", "-S", src, "-B", f"{src}/build")
    emsdk_env = find(plan, "source", f"{fakes.emsdk}/emsdk_env.sh")
    prep = find(plan, "cd", src, "&&", "./web/prep_emcc_deps.sh")
    compile_step = find(plan, str(fakes.bin / "python3"), "-m", "mlc_llm", "compile")
    assert configure < build < emsdk_env < prep < compile_step
    assert ["export", f"MLC_LLM_SOURCE_DIR={src}"] in plan
    assert ["export", f"TVM_SOURCE_DIR={src}/3rdparty/tvm"] in plan
    assert ["export", f"PYTHONPATH={src}/python"] in plan


def test_emsdk_is_installed_when_emsdk_tool_present(fakes: Fakes) -> None:
    stub(fakes.emsdk / "emsdk", fakes.ran)

    plan = commands(run_script(fakes.env))

    tool = str(fakes.emsdk / "emsdk")
    assert find(plan, tool, "install", "3.1.56") < find(plan, tool, "activate", "3.1.56")


def test_sizes_name_and_mlc_llm_bin_are_configurable(fakes: Fakes) -> None:
    env = fakes.env | {
        "CONTEXT_WINDOW_SIZE": "8192",
        "PREFILL_CHUNK_SIZE": "1000",
        "MODEL_ID": "Other-q4f16_1",
        "MLC_LLM_BIN": "/opt/mlc/bin/mlc_llm",
        "SKIP_MLC_BUILD": "1",
        "SKIP_PREP": "1",
    }

    result = run_script(env)

    assert result.returncode == 0, result.stderr
    plan = commands(result)
    compile_argv = plan[find(plan, "/opt/mlc/bin/mlc_llm", "compile")]
    assert compile_argv[1:] == [
        "compile",
        f"{fakes.model}/mlc-chat-config.json",
        "--device",
        "webgpu",
        "--overrides",
        "context_window_size=8192;prefill_chunk_size=1000",
        "-o",
        f"{fakes.out}/Other-q4f16_1-ctx8k_cs1000-webgpu.wasm",
    ]
    programs = {argv[0] for argv in plan}
    assert "cmake" not in programs
    assert "cd" not in programs
    assert not any(argv[:2] == ["export", f"PYTHONPATH={fakes.source}/python"] for argv in plan)


def test_copy_to_public_prints_copy_only(fakes: Fakes) -> None:
    existed = PUBLIC_DIR.exists()
    target = PUBLIC_DIR / DEFAULT_NAME
    had_target = target.exists()

    result = run_script(fakes.env | {"COPY_TO_PUBLIC": "1"})

    assert result.returncode == 0, result.stderr
    plan = commands(result)
    copy = plan[find(plan, "cp")]
    assert copy == ["cp", "--", f"{fakes.out}/{DEFAULT_NAME}", str(target)]
    assert find(plan, "mkdir", "-p", str(PUBLIC_DIR)) < find(plan, "cp")
    assert f"/webllm-model-libs/{DEFAULT_NAME}" in result.stderr
    assert PUBLIC_DIR.exists() == existed
    assert target.exists() == had_target
    assert not fakes.out.exists()
    assert not fakes.ran.exists(), fakes.ran.read_text()


def test_default_out_dir_is_in_the_repo_but_untouched(fakes: Fakes) -> None:
    env = dict(fakes.env)
    del env["OUT_DIR"]
    default_out = ROOT / "tools" / "mlc" / "out"
    existed = default_out.exists()

    plan = commands(run_script(env))

    compile_argv = plan[find(plan, str(fakes.bin / "python3"), "-m", "mlc_llm", "compile")]
    assert compile_argv[-1] == f"{default_out}/{DEFAULT_NAME}"
    assert default_out.exists() == existed


def test_emcc_on_path_replaces_emsdk(fakes: Fakes) -> None:
    stub(fakes.bin / "emcc", fakes.ran)
    env = dict(fakes.env)
    del env["EMSDK"]

    result = run_script(env)

    assert result.returncode == 0, result.stderr
    assert not any(argv[0] == "source" for argv in commands(result))


def _unset(name: str) -> dict[str, str | None]:
    return {name: None}


@pytest.mark.parametrize(
    ("change", "remove", "message"),
    [
        pytest.param(
            _unset("MLC_LLM_SOURCE_DIR"), [], "MLC_LLM_SOURCE_DIR is not set", id="src-unset"
        ),
        pytest.param(
            {"MLC_LLM_SOURCE_DIR": "{tmp}/nowhere"}, [], "is not a directory", id="src-missing"
        ),
        pytest.param(
            {}, ["mlc-llm/web/prep_emcc_deps.sh"], "not an mlc-llm checkout", id="src-bad"
        ),
        pytest.param(_unset("EMSDK"), [], "emcc not found and EMSDK not set", id="no-emcc"),
        pytest.param({}, ["emsdk/emsdk_env.sh"], "has no emsdk_env.sh", id="emsdk-bad"),
        pytest.param({}, ["bin/python3"], "Python 3 not found", id="no-python"),
        pytest.param({"PYTHON": "{tmp}/py/python9"}, [], "is not an executable", id="bad-python"),
        pytest.param(_unset("MODEL_DIR"), [], "MODEL_DIR is not set", id="model-unset"),
        pytest.param(
            {},
            ["Qwen3-30B-A3B-q4f16_1-MLC/mlc-chat-config.json"],
            "mlc-chat-config.json",
            id="no-config",
        ),
        pytest.param({"CONTEXT_WINDOW_SIZE": "16k"}, [], "CONTEXT_WINDOW_SIZE", id="ctx-text"),
        pytest.param({"CONTEXT_WINDOW_SIZE": "0"}, [], "CONTEXT_WINDOW_SIZE", id="ctx-zero"),
        pytest.param({"PREFILL_CHUNK_SIZE": "-1"}, [], "PREFILL_CHUNK_SIZE", id="chunk-neg"),
        pytest.param({"OUT_NAME": "lib.so"}, [], "OUT_NAME", id="name-not-wasm"),
        pytest.param({"MODEL_ID": "a/b"}, [], "MODEL_ID", id="model-id-slash"),
        pytest.param({"DRY_RUN": "maybe"}, [], "DRY_RUN must be 1 or 0", id="dry-run-bad"),
    ],
)
def test_missing_prerequisite_fails_early(
    fakes: Fakes,
    tmp_path: Path,
    change: dict[str, str | None],
    remove: list[str],
    message: str,
) -> None:
    env = dict(fakes.env)
    for name, value in change.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value.format(tmp=tmp_path)
    for relative in remove:
        (tmp_path / relative).unlink()

    result = run_script(env)

    assert result.returncode != 0
    assert message in result.stderr
    assert result.stderr.startswith("build-webgpu-wasm: error:")
    assert result.stdout == "", "nothing may be printed or run before the checks pass"
    assert not fakes.ran.exists()


def test_dry_run_checks_model_config_even_without_toolchain(fakes: Fakes) -> None:
    """DRY_RUN skips toolchain checks (cmake, tvm) but still needs the model config."""
    ok = run_script(fakes.env)
    (fakes.model / "mlc-chat-config.json").unlink()
    missing = run_script(fakes.env)

    assert ok.returncode == 0, ok.stderr
    assert missing.returncode == 1
    assert "mlc-chat-config.json" in missing.stderr


def test_unexpected_argument_is_rejected(fakes: Fakes) -> None:
    result = run_script(fakes.env, "--model", "x")

    assert result.returncode != 0
    assert "environment variables" in result.stderr


def test_help_documents_every_input(fakes: Fakes) -> None:
    result = run_script(fakes.env, "--help")

    assert result.returncode == 0
    for name in (
        "MLC_LLM_SOURCE_DIR",
        "EMSDK",
        "MODEL_DIR",
        "MODEL_ID",
        "CONTEXT_WINDOW_SIZE",
        "PREFILL_CHUNK_SIZE",
        "OUT_DIR",
        "OUT_NAME",
        "COPY_TO_PUBLIC",
        "DRY_RUN",
        "MLC_LLM_BIN",
    ):
        assert name in result.stdout
    assert result.stdout.startswith("Build the WebGPU model library")


@pytest.mark.parametrize("script", [SCRIPT, WRAPPER], ids=["generic", "qwen3-30b"])
def test_script_is_executable(script: Path) -> None:
    assert os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/usr/bin/env bash\n")


def test_model_id_defaults_to_the_model_directory_name(fakes: Fakes, tmp_path: Path) -> None:
    other = tmp_path / "Tiny-q4f32_1-MLC"
    other.mkdir()
    (other / "mlc-chat-config.json").write_text("{}")

    plan = commands(run_script(fakes.env | {"MODEL_DIR": str(other)}))

    compile_argv = plan[find(plan, str(fakes.bin / "python3"), "-m", "mlc_llm", "compile")]
    assert compile_argv[-1] == f"{fakes.out}/Tiny-q4f32_1-ctx16k_cs2k-webgpu.wasm"


def test_qwen_wrapper_is_the_generic_script_with_its_model_id(fakes: Fakes, tmp_path: Path) -> None:
    renamed = tmp_path / "weights"
    fakes.model.rename(renamed)
    env = fakes.env | {"MODEL_DIR": str(renamed)}

    wrapped = run_script(env, script=WRAPPER)
    generic = run_script(env | {"MODEL_ID": "Qwen3-30B-A3B-q4f16_1"})

    assert wrapped.returncode == 0, wrapped.stderr
    assert wrapped.stdout == generic.stdout
    assert f"{fakes.out}/{DEFAULT_NAME}" in wrapped.stdout
    assert run_script(env | {"MODEL_ID": "Mine"}, script=WRAPPER).stdout.count("Mine-ctx16k") == 2


def test_project_toolchain_needs_no_source_build_or_prep(fakes: Fakes, tmp_path: Path) -> None:
    toolchain = tmp_path / "toolchain"
    (toolchain / "mlc-llm" / "python" / "mlc_llm").mkdir(parents=True)
    (toolchain / "mlc-llm" / "python" / "mlc_llm" / "__init__.py").write_text("")
    for bc in ("mlc-llm/web/dist/wasm/mlc_wasm_runtime.bc", "tvm/web/dist/wasm/wasm_runtime.bc"):
        (toolchain / bc).parent.mkdir(parents=True, exist_ok=True)
        (toolchain / bc).write_text("")
    stub(fakes.bin / "emcc", fakes.ran)
    env = {k: v for k, v in fakes.env.items() if k not in {"MLC_LLM_SOURCE_DIR", "EMSDK"}} | {
        "TOOLCHAIN": "project",
        "MLC_LLM_SOURCE_DIR": str(toolchain / "mlc-llm"),
        "TVM_SOURCE_DIR": str(toolchain / "tvm"),
        "PYTHON": str(fakes.bin / "python3"),
    }

    result = run_script(env)

    assert result.returncode == 0, result.stderr
    plan = commands(result)
    assert not [argv for argv in plan if argv[0] in {"cmake", "git", "cd"}]
    assert ["export", "SKIP_LOADING_MLCLLM_SO=1"] in plan
    assert ["export", f"TVM_HOME={toolchain}/tvm"] in plan
    assert find(plan, str(fakes.bin / "python3"), "-m", "mlc_llm", "compile") > find(
        plan, "emcc", "--version"
    )
    unprepared = run_script(env | {"TVM_SOURCE_DIR": str(tmp_path / "nothing")})
    assert unprepared.returncode == 1
    assert "make mlc-toolchain" in unprepared.stderr


def test_shellcheck_clean() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")

    result = subprocess.run(
        [shellcheck, str(SCRIPT), str(WRAPPER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout


@dataclass
class Sandbox:
    """A copy of the script whose "repo root" is in tmp_path, with tool stubs that succeed."""

    script: Path
    repo: Path
    tools: Path
    env: dict[str, str]


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def sandbox(fakes: Fakes, tmp_path: Path) -> Sandbox:
    """The script finds web/webllm-model-libs/ from its own location, so a copy can only write
    into tmp_path; the stubs stand in for git, cmake, make, npm, emcc, tvm and mlc_llm."""
    repo = tmp_path / "repo"
    (repo / "tools" / "mlc").mkdir(parents=True)
    script = repo / "tools" / "mlc" / SCRIPT.name
    shutil.copy2(SCRIPT, script)
    shutil.copy2(SCRIPT.with_name("validate.py"), repo / "tools" / "mlc" / "validate.py")
    (repo / "app").mkdir()  # validate.py uses the app's URL rules
    for name in ("__init__.py", "artifact_urls.py"):
        shutil.copy2(SCRIPT.parents[2] / "app" / name, repo / "app" / name)
    log = fakes.ran
    tools = tmp_path / "tools-ok"
    tools.mkdir()
    for tool in ("git", "cmake", "make", "npm"):
        executable(tools / tool, f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n')
    for real in ("mkdir", "cp"):  # the only external commands the script itself runs
        found = shutil.which(real)
        assert found is not None
        (tools / real).symlink_to(found)
    mlc_llm = executable(
        tools / "mlc_llm",
        f'#!/bin/sh\necho "mlc_llm $*" >> "{log}"\n'
        'while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done\n'
        "printf '\\000asm\\001\\000\\000\\000' > \"$out\"\n",
    )
    python = executable(
        tools / "python-wrapper",
        f'#!/bin/sh\nif [ "$1" = -c ]; then echo "tvm check" >> "{log}"; exit 0; fi\n'
        f'if [ "$1" = -m ] && [ "$2" = mlc_llm ]; then shift 2; exec "{mlc_llm}" "$@"; fi\n'
        f'exec "{sys.executable}" "$@"\n',
    )
    executable(
        fakes.source / "web" / "prep_emcc_deps.sh", f'#!/bin/sh\necho "prep in $(pwd)" >> "{log}"\n'
    )
    emcc_dir = tmp_path / "emcc-bin"
    emcc_dir.mkdir()
    executable(emcc_dir / "emcc", f'#!/bin/sh\necho "emcc $*" >> "{log}"\n')
    (fakes.emsdk / "emsdk_env.sh").write_text(f'export PATH="{emcc_dir}:$PATH"\n')
    env = fakes.env | {
        "DRY_RUN": "0",
        "COPY_TO_PUBLIC": "1",
        "PATH": str(tools),
        "PYTHON": str(python),
    }
    return Sandbox(script, repo, tools, env)


def run_sandbox(box: Sandbox) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(box.script)],
        env=box.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_real_run_in_a_sandbox_copy(fakes: Fakes, sandbox: Sandbox) -> None:
    """The non-dry path end to end: every step runs, in order, and the copy lands in web/."""
    result = run_sandbox(sandbox)

    assert result.returncode == 0, result.stdout + result.stderr
    built = fakes.out / DEFAULT_NAME
    copied = sandbox.repo / "web" / "webllm-model-libs" / DEFAULT_NAME
    assert built.read_bytes().startswith(b"\0asm")
    assert copied.read_bytes() == built.read_bytes()
    assert "PASS lib-magic" in result.stdout
    assert f"+ export PYTHONPATH={fakes.source}/python" in result.stdout.splitlines()
    ran = fakes.ran.read_text().splitlines()
    assert ran[0] == "tvm check"
    assert ran[1] == f"git -C {fakes.source} submodule update --init --recursive"
    assert ran[2].startswith(f"cmake -S {fakes.source} -B {fakes.source}/build")
    assert ran[3:] == [
        f"cmake --build {fakes.source}/build --parallel 8",
        "emcc --version",
        f"prep in {fakes.source}",
        f"mlc_llm compile {fakes.model}/mlc-chat-config.json --device webgpu --overrides "
        f"context_window_size=16384;prefill_chunk_size=2048 -o {built}",
    ]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        pytest.param("cmake", "cmake not found on PATH", id="no-cmake"),
        pytest.param("npm", "npm not found on PATH", id="no-npm"),
        pytest.param("python-wrapper", "cannot import tvm", id="no-tvm"),
    ],
)
def test_real_run_checks_toolchain_first(
    fakes: Fakes, sandbox: Sandbox, broken: str, message: str
) -> None:
    tool = sandbox.tools / broken
    if broken == "python-wrapper":
        executable(tool, "#!/bin/sh\nexit 1\n")
    else:
        tool.unlink()

    result = run_sandbox(sandbox)

    assert result.returncode == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert not fakes.ran.exists()


def test_skip_flags_and_mlc_llm_bin_relax_the_toolchain_checks(
    fakes: Fakes, sandbox: Sandbox
) -> None:
    """Skipped steps need no tools; a given MLC_LLM_BIN brings its own tvm."""
    for tool in ("git", "cmake", "make", "npm"):
        (sandbox.tools / tool).unlink()
    executable(sandbox.tools / "python-wrapper", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    sandbox.env |= {
        "SKIP_MLC_BUILD": "1",
        "SKIP_PREP": "1",
        "MLC_LLM_BIN": str(sandbox.tools / "mlc_llm"),
    }

    result = run_sandbox(sandbox)

    assert result.returncode == 0, result.stdout + result.stderr
    assert fakes.ran.read_text().splitlines() == [
        "emcc --version",
        f"mlc_llm compile {fakes.model}/mlc-chat-config.json --device webgpu --overrides "
        f"context_window_size=16384;prefill_chunk_size=2048 -o {fakes.out}/{DEFAULT_NAME}",
    ]
