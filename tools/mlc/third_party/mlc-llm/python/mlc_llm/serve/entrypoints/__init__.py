"""The entrypoints for MLC LLM server."""

from . import (
    debug_entrypoints,
    metrics_entrypoints,
    microserving_entrypoints,
    openai_entrypoints,
)
