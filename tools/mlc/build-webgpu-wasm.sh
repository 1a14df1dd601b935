#!/usr/bin/env bash
# Build the WebGPU model library (.wasm) for any MLC model directory with MLC LLM.
#
# WebLLM runs a model from two artifacts: the converted weights directory
# (mlc-chat-config.json, tensor-cache.json, params_shard_*.bin, tokenizer files)
# and a WebGPU model library compiled for the same context window. This script
# produces the library, following MLC LLM's documented flow:
#   1. build mlc_llm from source        (MLC_LLM_SOURCE_DIR, cmake)
#   2. install/activate emsdk            (EMSDK, provides emcc)
#   3. prepare the wasm runtime          (cd MLC_LLM_SOURCE_DIR && ./web/prep_emcc_deps.sh)
#   4. mlc_llm compile <MODEL_DIR>/mlc-chat-config.json --device webgpu \
#        --overrides "context_window_size=N;prefill_chunk_size=M" -o <OUT_DIR>/<OUT_NAME>
#   5. optionally copy it to web/webllm-model-libs/ (served at /webllm-model-libs/<file>)
#
# With TOOLCHAIN=project it compiles with the project's own toolchain instead (`make
# mlc-toolchain`: Debian's emscripten, PyPI's apache-tvm, the vendored and patched mlc-llm
# Python under build/mlc-toolchain/); steps 1 and 3 are then already done and emcc is on PATH.
# That toolchain is meant for small models (tools/mlc/README.md says why).
#
# Usage: [VAR=value ...] tools/mlc/build-webgpu-wasm.sh [--help]
#
# Environment (all inputs are environment variables):
#   TOOLCHAIN            source (default: MLC LLM's own build flow, steps 1-5) or project
#   MLC_LLM_SOURCE_DIR   mlc-llm checkout, required with TOOLCHAIN=source:
#                        git clone --recursive https://github.com/mlc-ai/mlc-llm.git
#                        (TOOLCHAIN=project: build/mlc-toolchain/mlc-llm)
#   TVM_SOURCE_DIR       TVM source used for the web runtime
#                        (default: $MLC_LLM_SOURCE_DIR/3rdparty/tvm;
#                        TOOLCHAIN=project: build/mlc-toolchain/tvm)
#   EMSDK                emsdk directory (git clone https://github.com/emscripten-core/emsdk.git);
#                        its emsdk_env.sh is sourced. May be unset when emcc is already on PATH.
#   EMSDK_VERSION        emsdk version installed and activated when $EMSDK/emsdk exists
#                        (default: 3.1.56, the version MLC's docs recommend; empty = skip)
#   MODEL_DIR            required. Converted weights directory containing mlc-chat-config.json.
#   MODEL_ID             default: MODEL_DIR's name without a trailing -MLC
#   CONTEXT_WINDOW_SIZE  default: 16384 (positive integer)
#   PREFILL_CHUNK_SIZE   default: 2048 (positive integer)
#   OUT_DIR              default: tools/mlc/out (in this repository)
#   OUT_NAME             default: ${MODEL_ID}-ctx<ctx>_cs<cs>-webgpu.wasm, where a number
#                        divisible by 1024 is written as <n/1024>k (16384 -> 16k, 2048 -> 2k)
#   COPY_TO_PUBLIC       1 = copy the result to web/webllm-model-libs/<OUT_NAME> (default: 0)
#   PYTHON               Python 3 interpreter (default: python3, else python, from PATH;
#                        TOOLCHAIN=project: build/mlc-toolchain/venv/bin/python)
#   MLC_LLM_BIN          mlc_llm executable to use instead of "$PYTHON -m mlc_llm"
#                        (PYTHONPATH then is left alone)
#   JOBS                 parallel build jobs (default: nproc)
#   SKIP_MLC_BUILD       1 = skip step 1 (mlc_llm already built in MLC_LLM_SOURCE_DIR/build)
#   SKIP_PREP            1 = skip step 3 (wasm runtime already prepared)
#   DRY_RUN              1 = print every command ("+ " then the shell-quoted command, one per
#                        line, on stdout) and run nothing.
#
# Checks. Always, also with DRY_RUN=1, before anything is printed or run: the numbers are
# positive integers; MLC_LLM_SOURCE_DIR is an mlc-llm checkout (web/prep_emcc_deps.sh exists;
# with TOOLCHAIN=project: the prepared toolchain exists); EMSDK holds emsdk_env.sh, or emcc is
# on PATH when EMSDK is unset; a Python interpreter exists; MODEL_DIR/mlc-chat-config.json
# exists; OUT_NAME ends in .wasm. Only real runs also require, for the steps not skipped, git
# and cmake (build), make and npm (prep), an importable tvm (TVM Unity compiler, unless
# MLC_LLM_BIN is set), and a working emcc after emsdk_env.sh.
# A failed check exits 1 with a message on stderr naming what to install or set.
set -euo pipefail

readonly PROG="build-webgpu-wasm"

die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

note() {
  printf '%s: %s\n' "$PROG" "$*" >&2
}

usage() {
  local line
  while IFS= read -r line; do
    case "$line" in
      '#!'*) continue ;;
      '#'*)
        line=${line#\#}
        printf '%s\n' "${line# }"
        ;;
      *) break ;;
    esac
  done <"$SCRIPT_PATH"
}

# Quote one word the way Python's shlex.quote does, so printed commands can be parsed back.
quote() {
  local word=$1
  if [[ -z "$word" ]]; then
    printf "''"
  elif [[ "$word" =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
    printf '%s' "$word"
  else
    printf "'%s'" "${word//\'/\'\"\'\"\'}"
  fi
}

# The arguments, each quoted, joined by spaces.
quoted_words() {
  local sep='' word
  for word in "$@"; do
    printf '%s' "$sep"
    quote "$word"
    sep=' '
  done
}

print_cmd() {
  printf '+ %s\n' "$(quoted_words "$@")"
}

# Print a command, then run it unless DRY_RUN.
run() {
  print_cmd "$@"
  ((DRY)) || "$@"
}

# Print "cd DIR && command", then run the command inside DIR unless DRY_RUN.
run_in() {
  local dir=$1
  shift
  printf '+ cd %s && %s\n' "$(quote "$dir")" "$(quoted_words "$@")"
  ((DRY)) || (cd "$dir" && "$@")
}

# Print and perform an export (exports are part of the reproducible command list).
export_var() {
  print_cmd export "$1=$2"
  export "$1=$2"
}

as_bool() {
  local name=$1 value=$2
  case "$value" in
    1 | true | yes) printf 1 ;;
    '' | 0 | false | no) printf 0 ;;
    *) die "$name must be 1 or 0, got '$value'" ;;
  esac
}

positive_int() {
  local name=$1 value=$2
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive integer, got '$value'"
}

# 16384 -> 16k, 2048 -> 2k, 1000 -> 1000 (the naming WebLLM's prebuilt libraries use).
size_tag() {
  local n=$1
  if ((n % 1024 == 0)); then
    printf '%sk' "$((n / 1024))"
  else
    printf '%s' "$n"
  fi
}

absolute() {
  case "$1" in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$PWD" "$1" ;;
  esac
}

script_dir() {
  local src=${BASH_SOURCE[0]}
  case "$src" in
    */*) (cd "${src%/*}" && pwd) ;;
    *) pwd ;;
  esac
}

find_python() {
  if [[ -n "${PYTHON:-}" ]]; then
    command -v "$PYTHON" || die "PYTHON='$PYTHON' is not an executable; install Python 3 or fix PYTHON"
    return
  fi
  command -v python3 || command -v python ||
    die "Python 3 not found: install Python 3 (python3 on PATH) or set PYTHON=/path/to/python3"
}

# Dies unless the variable named $1 is set; $2 says what to set it to.
need_var() {
  [[ -n "${!1:-}" ]] || die "$1 is not set: $2"
}

# Dies with the message $2 unless the file $1 exists.
need_file() {
  [[ -f "$1" ]] || die "$2"
}

check_project_toolchain() {
  local prepare="run \`make mlc-toolchain\` first"
  local mlc="TOOLCHAIN=project: no prepared mlc-llm in '$MLC_LLM_SOURCE_DIR': $prepare"
  need_file "$MLC_LLM_SOURCE_DIR/python/mlc_llm/__init__.py" "$mlc"
  need_file "$MLC_LLM_SOURCE_DIR/web/dist/wasm/mlc_wasm_runtime.bc" "$mlc"
  need_file "$TVM_SOURCE_DIR/web/dist/wasm/wasm_runtime.bc" \
    "TOOLCHAIN=project: no TVM wasm runtime in '$TVM_SOURCE_DIR': $prepare"
}

check_source_dir() {
  local clone="git clone --recursive https://github.com/mlc-ai/mlc-llm.git"
  need_var MLC_LLM_SOURCE_DIR "$clone and set MLC_LLM_SOURCE_DIR to it"
  [[ -d "$MLC_LLM_SOURCE_DIR" ]] ||
    die "MLC_LLM_SOURCE_DIR='$MLC_LLM_SOURCE_DIR' is not a directory: $clone"
  need_file "$MLC_LLM_SOURCE_DIR/web/prep_emcc_deps.sh" \
    "MLC_LLM_SOURCE_DIR='$MLC_LLM_SOURCE_DIR' is not an mlc-llm checkout (no web/prep_emcc_deps.sh): $clone"
}

check_emsdk() {
  if [[ -n "${EMSDK:-}" ]]; then
    need_file "$EMSDK/emsdk_env.sh" \
      "EMSDK='$EMSDK' has no emsdk_env.sh: install emsdk (git clone https://github.com/emscripten-core/emsdk.git) and set EMSDK to that directory"
  else
    command -v emcc >/dev/null ||
      die "emcc not found and EMSDK not set: install emsdk (git clone https://github.com/emscripten-core/emsdk.git; ./emsdk install 3.1.56; ./emsdk activate 3.1.56) and set EMSDK=/path/to/emsdk"
  fi
}

check_model_dir() {
  need_var MODEL_DIR "set it to the converted MLC weights directory (with mlc-chat-config.json)"
  need_file "$MODEL_DIR/mlc-chat-config.json" \
    "MODEL_DIR='$MODEL_DIR' has no mlc-chat-config.json: convert the weights (mlc_llm convert_weight + gen_config) or clone a *-MLC repository"
}

need_tool() {
  command -v "$1" >/dev/null || die "$1 not found on PATH: install $1 (needed to $2)"
}

# Checks that need the real toolchain, for the steps that will run; skipped in DRY_RUN so the
# plan can be printed anywhere.
check_toolchain() {
  if ((!SKIP_BUILD)); then
    need_tool git "update the mlc-llm submodules"
    need_tool cmake "build mlc_llm"
  fi
  if ((!SKIP_PREP_STEP)); then
    need_tool make "prepare the wasm runtime (web/prep_emcc_deps.sh)"
    need_tool npm "prepare the wasm runtime (web/prep_emcc_deps.sh)"
  fi
  if [[ -z "${MLC_LLM_BIN:-}" ]]; then
    "$PYTHON_BIN" -c 'import tvm' 2>/dev/null ||
      die "'$PYTHON_BIN' cannot import tvm: install the TVM Unity compiler (https://llm.mlc.ai/docs/install/tvm.html)"
  fi
}

build_mlc_llm() {
  local build_dir="$MLC_LLM_SOURCE_DIR/build"
  run git -C "$MLC_LLM_SOURCE_DIR" submodule update --init --recursive
  # Non-interactive equivalent of cmake/gen_cmake_config.py with every GPU backend off:
  # compiling for WebGPU needs only the host library.
  run cmake -S "$MLC_LLM_SOURCE_DIR" -B "$build_dir" \
    "-DTVM_SOURCE_DIR=$TVM_SOURCE_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DUSE_CUDA=OFF -DUSE_CUTLASS=OFF -DUSE_CUBLAS=OFF -DUSE_ROCM=OFF \
    -DUSE_VULKAN=OFF -DUSE_METAL=OFF -DUSE_OPENCL=OFF
  run cmake --build "$build_dir" --parallel "$JOBS"
}

setup_emsdk() {
  if [[ -n "${EMSDK:-}" ]]; then
    if [[ -n "$EMSDK_VERSION" && -x "$EMSDK/emsdk" ]]; then
      run "$EMSDK/emsdk" install "$EMSDK_VERSION"
      run "$EMSDK/emsdk" activate "$EMSDK_VERSION"
    fi
    print_cmd source "$EMSDK/emsdk_env.sh"
    if ((!DRY)); then
      set +u
      # shellcheck disable=SC1091 # emsdk's own environment script, not in this repository
      source "$EMSDK/emsdk_env.sh" >&2
      set -u
    fi
  else
    note "EMSDK not set; using emcc from PATH"
  fi
  run emcc --version ||
    die "emcc does not run: install and activate emsdk (./emsdk install 3.1.56; ./emsdk activate 3.1.56) and set EMSDK"
}

main() {
  if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    usage
    exit 0
  fi
  [[ $# -eq 0 ]] || die "unexpected argument '$1' (all inputs are environment variables; see --help)"

  DRY=$(as_bool DRY_RUN "${DRY_RUN:-0}")
  COPY=$(as_bool COPY_TO_PUBLIC "${COPY_TO_PUBLIC:-0}")
  SKIP_BUILD=$(as_bool SKIP_MLC_BUILD "${SKIP_MLC_BUILD:-0}")
  SKIP_PREP_STEP=$(as_bool SKIP_PREP "${SKIP_PREP:-0}")

  CONTEXT_WINDOW_SIZE=${CONTEXT_WINDOW_SIZE:-16384}
  PREFILL_CHUNK_SIZE=${PREFILL_CHUNK_SIZE:-2048}
  positive_int CONTEXT_WINDOW_SIZE "$CONTEXT_WINDOW_SIZE"
  positive_int PREFILL_CHUNK_SIZE "$PREFILL_CHUNK_SIZE"
  if [[ -z "${JOBS:-}" ]]; then
    JOBS=$(nproc 2>/dev/null || printf 4)
  fi
  positive_int JOBS "$JOBS"
  EMSDK_VERSION=${EMSDK_VERSION-3.1.56}

  local repo_root
  repo_root=$(cd "$(script_dir)/../.." && pwd)
  TOOLCHAIN=${TOOLCHAIN:-source}
  case "$TOOLCHAIN" in
    source) check_source_dir ;;
    project)
      # The project's toolchain (make mlc-toolchain): mlc_llm needs no build or prep there,
      # and runs without its C++ library.
      MLC_LLM_SOURCE_DIR=${MLC_LLM_SOURCE_DIR:-$repo_root/build/mlc-toolchain/mlc-llm}
      TVM_SOURCE_DIR=${TVM_SOURCE_DIR:-$repo_root/build/mlc-toolchain/tvm}
      PYTHON=${PYTHON:-$repo_root/build/mlc-toolchain/venv/bin/python}
      SKIP_BUILD=1
      SKIP_PREP_STEP=1
      check_project_toolchain
      ;;
    *) die "TOOLCHAIN must be source or project, got '$TOOLCHAIN'" ;;
  esac
  check_emsdk
  PYTHON_BIN=$(find_python)
  check_model_dir

  if [[ -z "${MODEL_ID:-}" ]]; then
    MODEL_ID=${MODEL_DIR%/}
    MODEL_ID=${MODEL_ID##*/}
    MODEL_ID=${MODEL_ID%-MLC}
  fi
  [[ "$MODEL_ID" =~ ^[A-Za-z0-9._-]+$ ]] || die "MODEL_ID must match [A-Za-z0-9._-]+, got '$MODEL_ID'"
  local default_name
  default_name="${MODEL_ID}-ctx$(size_tag "$CONTEXT_WINDOW_SIZE")_cs$(size_tag "$PREFILL_CHUNK_SIZE")-webgpu.wasm"
  OUT_NAME=${OUT_NAME:-$default_name}
  [[ "$OUT_NAME" == *.wasm && "$OUT_NAME" != */* ]] ||
    die "OUT_NAME must be a file name ending in .wasm, got '$OUT_NAME'"
  ((DRY)) || check_toolchain

  MLC_LLM_SOURCE_DIR=$(cd "$MLC_LLM_SOURCE_DIR" && pwd)
  MODEL_DIR=$(cd "$MODEL_DIR" && pwd)
  TVM_SOURCE_DIR=$(absolute "${TVM_SOURCE_DIR:-$MLC_LLM_SOURCE_DIR/3rdparty/tvm}")
  local public_dir out_dir out_path
  public_dir="$repo_root/web/webllm-model-libs"
  out_dir=$(absolute "${OUT_DIR:-$repo_root/tools/mlc/out}")
  out_path="$out_dir/$OUT_NAME"

  ((DRY)) && note "DRY_RUN=1: printing commands only"

  # mlc_llm finds libmlc_llm and mlc_wasm_runtime.bc through MLC_LLM_SOURCE_DIR, the TVM web
  # runtime through TVM_SOURCE_DIR (older docs call them MLC_LLM_HOME and TVM_HOME).
  export_var MLC_LLM_SOURCE_DIR "$MLC_LLM_SOURCE_DIR"
  export_var MLC_LLM_HOME "$MLC_LLM_SOURCE_DIR"
  export_var TVM_SOURCE_DIR "$TVM_SOURCE_DIR"
  export_var TVM_HOME "$TVM_SOURCE_DIR"
  [[ "$TOOLCHAIN" == project ]] && export_var SKIP_LOADING_MLCLLM_SO 1

  ((SKIP_BUILD)) || build_mlc_llm
  local -a mlc_llm
  if [[ -n "${MLC_LLM_BIN:-}" ]]; then
    mlc_llm=("$MLC_LLM_BIN")
  else
    export_var PYTHONPATH "$MLC_LLM_SOURCE_DIR/python${PYTHONPATH:+:$PYTHONPATH}"
    mlc_llm=("$PYTHON_BIN" -m mlc_llm)
  fi

  setup_emsdk
  ((SKIP_PREP_STEP)) || run_in "$MLC_LLM_SOURCE_DIR" ./web/prep_emcc_deps.sh

  run mkdir -p "$out_dir"
  run "${mlc_llm[@]}" compile "$MODEL_DIR/mlc-chat-config.json" --device webgpu \
    --overrides "context_window_size=${CONTEXT_WINDOW_SIZE};prefill_chunk_size=${PREFILL_CHUNK_SIZE}" \
    -o "$out_path"
  run "$PYTHON_BIN" "$(script_dir)/validate.py" --lib "$out_path"

  if ((COPY)); then
    run mkdir -p "$public_dir"
    run cp -- "$out_path" "$public_dir/$OUT_NAME"
    note "model_lib URL: /webllm-model-libs/$OUT_NAME"
  fi
  note "library: $out_path"
}

SCRIPT_PATH=${BASH_SOURCE[0]}
main "$@"
