"""Compiler passes used in MLC LLM."""

from . import pipeline as _pipeline
