"""Qwen3.5 GatedDeltaNet hybrid model."""
