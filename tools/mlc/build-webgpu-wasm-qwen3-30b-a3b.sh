#!/usr/bin/env bash
# Build the WebGPU model library (.wasm) for Qwen3-30B-A3B-q4f16_1 with MLC LLM.
#
# A thin wrapper: build-webgpu-wasm.sh beside it does the work, with the same variables
# (see its --help); only MODEL_ID defaults to Qwen3-30B-A3B-q4f16_1 here, so the library is
# named Qwen3-30B-A3B-q4f16_1-ctx16k_cs2k-webgpu.wasm whatever MODEL_DIR is called.
#
# Usage: [VAR=value ...] tools/mlc/build-webgpu-wasm-qwen3-30b-a3b.sh [--help]
set -euo pipefail
export MODEL_ID=${MODEL_ID:-Qwen3-30B-A3B-q4f16_1}
here=${BASH_SOURCE[0]%/*}
[[ "$here" != "${BASH_SOURCE[0]}" ]] || here=.
exec "$BASH" "$here/build-webgpu-wasm.sh" "$@"
