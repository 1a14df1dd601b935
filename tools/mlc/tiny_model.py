"""Build the tiny test model end to end: tokenizer, config, seeded random weights, model lib.

A llama-architecture chat model small enough to compile on two CPU cores and to run on a
software WebGPU adapter (hidden size 64, 2 layers, a byte-level BPE vocabulary of ~400 tokens).
Its text is noise (random weights), but everything else is the real engine's: tokenizer,
prefill, decode, KV cache, sampling, interrupt and usage. The tests serve it as a preset.

Run with the toolchain's Python (``make tiny-model`` does)::

    build/mlc-toolchain/venv/bin/python tools/mlc/tiny_model.py build/tiny-model

The output folder is a model mirror in Hugging Face layout (``MODEL_MIRROR_BASE_URL`` can point
at it as it is) plus ``preset.json``, the ModelRecord to serve::

    mirror/local/tiny-llama-q4f32_1-MLC/resolve/main/   weights, config and tokenizer
    mirror/local/tiny-llama-libs/resolve/main/<lib>.wasm the WebGPU model library

Every step is deterministic: two builds give byte-identical files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["MODEL_ID", "build", "preset_record"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TOOLCHAIN = ROOT / "build" / "mlc-toolchain"

QUANTIZATION = "q4f32_1"
MODEL_ID = f"tiny-llama-{QUANTIZATION}-MLC"
OWNER = "local"
LIBS_REPO = "tiny-llama-libs"
CONTEXT_WINDOW_SIZE = 16384
PREFILL_CHUNK_SIZE = 256
LIB_NAME = f"tiny-llama-{QUANTIZATION}-ctx16k_cs256-webgpu.wasm"
SEED = 20261201
SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
#: What the tokenizer learns its merges from: English chat words, so English text takes fewer
#: tokens than bytes while other scripts stay byte-level (one token per UTF-8 byte).
CORPUS = (
    "You are a helpful character in a story. Hello! How are you today? I am fine, thank you.",
    "The quick brown fox jumps over the lazy dog. 0123456789 .,;:!?'\"()[]{}<>-_=+*/\\",
    "user assistant system roleplay character chat message reply name persona",
)


def model_config(vocab_size: int, bos: int, eos: int) -> dict[str, Any]:
    """A Hugging Face ``config.json`` for a 2-layer llama with tied embeddings."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "vocab_size": vocab_size,
        "max_position_embeddings": CONTEXT_WINDOW_SIZE,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "bos_token_id": bos,
        "eos_token_id": eos,
        "torch_dtype": "float32",
    }


def write_hf_dir(out: Path) -> None:
    """``config.json`` and a byte-level BPE tokenizer trained on :data:`CORPUS`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=1024,
        special_tokens=list(SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(CORPUS) * 200, trainer=trainer)
    tokenizer.save(str(out / "tokenizer.json"))
    bos, eos = tokenizer.token_to_id(SPECIALS[0]), tokenizer.token_to_id(SPECIALS[2])
    config = model_config(tokenizer.get_vocab_size(), bos, eos)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    tokenizer_config = {
        "bos_token": SPECIALS[0],
        "eos_token": SPECIALS[2],
        "model_max_length": CONTEXT_WINDOW_SIZE,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": False,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    generation = {"bos_token_id": bos, "eos_token_id": eos}
    (out / "generation_config.json").write_text(json.dumps(generation) + "\n")


def write_weights(model_dir: Path, seed: int = SEED) -> None:
    """Seeded random weights in WebLLM's tensor-cache format (no torch, no checkpoint)."""
    import numpy as np
    from mlc_llm.model import MODELS
    from mlc_llm.quantization import QUANTIZATION as SCHEMES
    from tvm.contrib import tvmjs

    config = json.loads((model_dir / "mlc-chat-config.json").read_text())
    info = MODELS[config["model_type"]]
    model_config_ = info.config.from_dict(config["model_config"])
    scheme = SCHEMES[config["quantization"]]
    model, _ = info.quantize[scheme.kind](model_config_, scheme)
    _, named, _ = model.export_tvm(spec=model.get_default_spec(), allow_extern=True)
    rng = np.random.default_rng(seed)
    params: dict[str, Any] = {}
    for name, param in named:
        shape = [
            getattr(model_config_, dim.name) if hasattr(dim, "name") else int(dim)
            for dim in param.shape
        ]
        dtype = str(param.dtype)
        if name.endswith("norm.weight"):
            array = np.ones(shape, dtype)
        elif dtype.startswith("float"):
            array = (rng.standard_normal(shape) * 0.5).astype(dtype)
        else:  # packed quantized weights
            array = rng.integers(0, 2**31, size=shape, dtype=np.int64).astype(dtype)
        params[name] = array
    nbytes = sum(a.nbytes for a in params.values())
    count = sum(a.size for a in params.values())
    meta = {"ParamSize": len(params), "ParamBytes": nbytes, "BitsPerParam": nbytes * 8.0 / count}
    tvmjs.dump_tensor_cache(
        params, str(model_dir), encode_format="raw", meta_data=meta, show_progress=False
    )


def preset_record() -> dict[str, Any]:
    """The ModelRecord that serves this model through a mirror (``MODEL_MIRROR_BASE_URL``)."""
    hub = "https://huggingface.co"
    return {
        "model_id": MODEL_ID,
        "model": f"{hub}/{OWNER}/{MODEL_ID}",
        "model_lib": f"{hub}/{OWNER}/{LIBS_REPO}/resolve/main/{LIB_NAME}",
        "vram_required_MB": 64,
        "low_resource_required": True,
        "required_features": [],
        "overrides": {"context_window_size": CONTEXT_WINDOW_SIZE},
    }


def _toolchain_env() -> dict[str, str]:
    mlc = TOOLCHAIN / "mlc-llm"
    return {
        **os.environ,
        "SKIP_LOADING_MLCLLM_SO": "1",
        "TVM_HOME": str(TOOLCHAIN / "tvm"),
        "MLC_LLM_SOURCE_DIR": str(mlc),
        "PYTHONPATH": str(mlc / "python"),
    }


def _run(argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    """Run a step, its output in ``log``; on failure show the log's end and stop."""
    print("+", " ".join(argv), flush=True)
    with log.open("w") as out:
        done = subprocess.run(
            argv, env={**_toolchain_env(), **(env or {})}, stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode:
        tail = log.read_text().splitlines()[-40:]
        raise SystemExit("\n".join([*tail, f"tiny-model: step failed, full log: {log}"]))


def build(out: Path) -> None:
    """Every artifact under ``out`` (which is replaced)."""
    python = sys.executable
    shutil.rmtree(out, ignore_errors=True)
    logs = out / "logs"
    logs.mkdir(parents=True)
    hf = out / "hf"
    model_dir = out / "mirror" / OWNER / MODEL_ID / "resolve" / "main"
    libs_dir = out / "mirror" / OWNER / LIBS_REPO / "resolve" / "main"
    write_hf_dir(hf)
    # gen_config writes mlc-chat-config.json and copies the tokenizer files next to it.
    _run(
        [python, "-m", "mlc_llm", "gen_config", str(hf), "--quantization", QUANTIZATION,
         "--conv-template", "chatml", "--context-window-size", str(CONTEXT_WINDOW_SIZE),
         "--prefill-chunk-size", str(PREFILL_CHUNK_SIZE), "--max-batch-size", "1",
         "-o", str(model_dir)],
        logs / "gen_config.log",
    )  # fmt: skip
    _run([python, __file__, "--weights", str(model_dir)], logs / "weights.log")
    build_env = {
        "TOOLCHAIN": "project",
        "PYTHON": python,
        "MODEL_DIR": str(model_dir),
        "MODEL_ID": f"tiny-llama-{QUANTIZATION}",
        "CONTEXT_WINDOW_SIZE": str(CONTEXT_WINDOW_SIZE),
        "PREFILL_CHUNK_SIZE": str(PREFILL_CHUNK_SIZE),
        "OUT_DIR": str(libs_dir),
        "OUT_NAME": LIB_NAME,
    }
    _run(["bash", str(HERE / "build-webgpu-wasm.sh")], logs / "compile.log", build_env)
    # The whole model, as the app will fetch it: context 16384, shards, tokenizer, lib magic.
    _run(
        [python, str(HERE / "validate.py"), str(model_dir), "--lib", str(libs_dir / LIB_NAME)],
        logs / "validate.log",
    )
    print((logs / "validate.log").read_text(), end="")
    (out / "preset.json").write_text(json.dumps([preset_record()], indent=2) + "\n")


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[1] == "--weights":
        write_weights(Path(argv[2]))
    elif len(argv) == 2:
        build(Path(argv[1]).resolve())
    else:
        raise SystemExit("usage: tiny_model.py <output dir>")


if __name__ == "__main__":
    main(sys.argv)
