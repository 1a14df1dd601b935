"""MLC LLM artifact tools: the WebGPU library build script and the artifact validator."""

from __future__ import annotations

__all__: list[str] = []
