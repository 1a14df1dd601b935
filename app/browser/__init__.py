"""Thin adapters over browser APIs (DOM, WebGPU, WebLLM); imported only inside the page."""

from __future__ import annotations

__all__: list[str] = []
