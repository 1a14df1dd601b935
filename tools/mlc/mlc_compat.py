"""Make a copy of the vendored mlc-llm Python compile against PyPI's apache-tvm 0.27.

The vendored package (``third_party/mlc-llm``, upstream commit in its ``SOURCE``) expects the
TVM and the C++ ``libmlc_llm`` of its own build. Neither is on a registry, so we run its
compile path (``gen_config``, ``compile``) on the ``apache-tvm`` wheel instead, with these small
patches. Each one says why; :func:`apply` refuses to run when the text it replaces is gone (an
upgraded copy), so a patch never silently stops applying.

The result is fit for the tiny test model only: two optional performance passes are off and the
WebGPU-safe argsort below is quadratic in the vocabulary. Real models are built with MLC's own
toolchain (see ``tools/mlc/README.md``).

Usage: ``python tools/mlc/mlc_compat.py <copy>/python/mlc_llm``
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PATCHES", "Patch", "apply"]

#: The package's ``__init__``: without libmlc_llm nothing of ``serve`` can import, and
#: apache-tvm 0.27 moved a few names that the compile passes still use.
INIT = '''"""MLC LLM, compile only (no libmlc_llm, no serve): patched by tools/mlc/mlc_compat.py."""

import tvm
import tvm.ir
import tvm.s_tir
from tvm import relax as _relax

# apache-tvm 0.27 moved these leaf nodes from relax to tvm.ir.
if not hasattr(_relax, "Constant"):
    _relax.Constant = tvm.ir.Constant
if not hasattr(_relax, "StringImm"):
    _relax.StringImm = tvm.ir.StringImm
if not hasattr(_relax, "DataTypeImm"):
    _relax.DataTypeImm = lambda dtype: tvm.ir.StringImm(str(dtype))
# ... and the schedulable-TIR block nodes to tvm.s_tir.
for _name in ("SBlock", "SBlockRealize"):
    if not hasattr(tvm.tirx, _name):
        setattr(tvm.tirx, _name, getattr(tvm.s_tir, _name))
# ... and renamed Var.name_hint to Var.name.
for _cls in (_relax.Var, _relax.DataflowVar, tvm.tirx.Var):
    if not hasattr(_cls, "name_hint"):
        _cls.name_hint = property(lambda self: self.name)

from .libinfo import __version__  # noqa: E402
'''

#: ``mlc_llm.tokenizers`` wraps the C++ tokenizer; ``gen_config`` only asks it how a byte-level
#: BPE tokenizer post-processes tokens, which for our tokenizers is always the same answer.
TOKENIZERS = '''"""Stub of mlc_llm.tokenizers (no libmlc_llm): byte-level BPE info only."""

from dataclasses import dataclass


@dataclass
class TokenizerInfo:
    token_postproc_method: str = "byte_level"
    prepend_space_in_encode: bool = False
    strip_space_in_decode: bool = False


class Tokenizer:
    @staticmethod
    def detect_tokenizer_info(path):
        return TokenizerInfo()
'''

#: topi's GPU sort binds ``blockIdx.z``, which apache-tvm 0.27's WebGPU codegen rejects. This
#: argsort counts, for each probability, how many are larger (ties broken by index): one thread
#: per token and O(V^2) work, fine for a vocabulary of a few hundred.
ARGSORT = """@T.prim_func(s_tir=True)
def _argsort_desc_rank(var_p: T.handle, var_idx: T.handle):
    T.func_attr({"tirx.is_scheduled": 1, "tirx.noalias": True})
    B = T.int64()
    N = T.int64()
    p = T.match_buffer(var_p, (B, N), "float32")
    idx = T.match_buffer(var_idx, (B, N), "int32")
    with T.sblock("kernel"):
        r = T.sblock_alloc_buffer((1,), "int32", scope="local")
        for _by in T.thread_binding(0, B, thread="blockIdx.y"):
            for _bx in T.thread_binding(0, T.ceildiv(N, T.int64(256)), thread="blockIdx.x"):
                for _tx in T.thread_binding(0, T.int64(256), thread="threadIdx.x"):
                    with T.sblock("CTA"):
                        b, bx, tx = T.axis.remap("SSS", [_by, _bx, _tx])
                        T.reads(p[b, 0:N])
                        T.writes(idx[b, 0:N])
                        if bx * T.int64(256) + tx < N:
                            r[0] = 0
                            for k in T.serial(N):
                                if p[b, k] > p[b, bx * T.int64(256) + tx] or (
                                    p[b, k] == p[b, bx * T.int64(256) + tx]
                                    and k < bx * T.int64(256) + tx
                                ):
                                    r[0] = r[0] + 1
                            idx[b, r[0]] = T.Cast("int32", bx * T.int64(256) + tx)


def _attach_argsort_func(bb: relax.BlockBuilder):
"""


@dataclass(frozen=True)
class Patch:
    """Replace ``old`` with ``new`` once in ``path`` (relative to the package)."""

    path: str
    old: str
    new: str
    why: str


PATCHES: tuple[Patch, ...] = (
    Patch(
        "compiler_pass/attach_embedding_allocator.py",
        "dtype = relax.DataTypeImm(embed_func.ret_ty.dtype.dtype)",
        "dtype = str(embed_func.ret_ty.dtype)",
        "apache-tvm 0.27 has no relax.DataTypeImm; the dtype travels as a string",
    ),
    Patch(
        "compiler_pass/dispatch_kv_cache_creation.py",
        "assert isinstance(args[17], relax.DataTypeImm)",
        "assert isinstance(args[17], tvm.ir.StringImm)",
        "the same dtype argument is a StringImm in apache-tvm 0.27",
    ),
    Patch(
        "compiler_pass/low_batch_specialization.py",
        '        """IRModule-level transformation"""\n',
        '        """IRModule-level transformation"""\n'
        "        return mod  # off: uses TIR APIs apache-tvm 0.27 removed (a speed-up only)\n",
        "optional performance pass built on PrimFunc.buffer_map and tirx.SBlock",
    ),
    Patch(
        "compiler_pass/lift_global_buffer_alloc.py",
        '    """Remove the global buffer allocation for a given TIR PrimFunc."""\n',
        '    """Remove the global buffer allocation for a given TIR PrimFunc."""\n'
        '    if not hasattr(func, "buffer_map"):  # apache-tvm 0.27: nothing to lift\n'
        "        return func, []\n",
        "PrimFunc.buffer_map is gone in apache-tvm 0.27; a small llama allocates no global buffers",
    ),
    Patch(
        "compiler_pass/attach_sampler.py",
        "def full(var_result: T.handle, value: T.int32):",
        "def full(value: T.int64, var_result: T.handle):",
        "apache-tvm 0.27's call_tir maps arguments positionally: inputs first, then outputs",
    ),
    Patch(
        "compiler_pass/attach_sampler.py",
        "            result[vi, 0] = value\n",
        '            result[vi, 0] = T.Cast("int32", value)\n',
        "the value now arrives as int64 (see the argument order above)",
    ),
    Patch(
        "compiler_pass/attach_sampler.py",
        '            sorted_indices = bb.emit(relax.op.argsort(probs, descending=True, dtype="int32"))\n',
        "            sorted_indices = bb.emit(\n"
        "                relax.call_tir(\n"
        '                    bb.add_func(_argsort_desc_rank, "argsort_desc_rank"),\n'
        "                    [probs],\n"
        '                    relax.TensorType((batch_size, vocab_size), "int32"),\n'
        "                )\n"
        "            )\n",
        "topi's GPU argsort binds blockIdx.z, which the WebGPU codegen rejects",
    ),
    Patch(
        "compiler_pass/attach_sampler.py",
        "def _attach_argsort_func(bb: relax.BlockBuilder):\n",
        ARGSORT,
        "the WebGPU-safe argsort used above",
    ),
)


def apply(package: Path) -> None:
    """Patch the mlc_llm package copy at ``package`` in place (idempotent)."""
    (package / "__init__.py").write_text(INIT)
    (package / "tokenizers" / "__init__.py").write_text(TOKENIZERS)
    for patch in PATCHES:
        path = package / patch.path
        text = path.read_text()
        if patch.new in text:
            continue  # applied already
        if patch.old not in text:
            raise SystemExit(f"mlc_compat: {patch.path} no longer contains the text to patch")
        path.write_text(text.replace(patch.old, patch.new, 1))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    apply(Path(sys.argv[1]))
