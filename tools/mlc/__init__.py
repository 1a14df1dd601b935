"""MLC LLM artifact tools: the WebGPU library build, its toolchain, the tiny test model, the
artifact validator and a minimal mirror server."""

from __future__ import annotations

__all__: list[str] = []
