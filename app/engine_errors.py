"""Engine failures, classified so each becomes one sentence with a next step.

WebLLM raises named errors (``DeviceLostError``, ``WebGPUNotAvailableError``...), the browser
raises ``TypeError: Failed to fetch`` offline and ``QuotaExceededError`` when storage is full.
Only the name, the message and whether the browser is online are needed to tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["EngineError", "ErrorKind", "classify_error"]


class ErrorKind(StrEnum):
    """What went wrong, from the user's point of view."""

    NO_WEBGPU = "no_webgpu"
    NEEDS_F16 = "needs_f16"
    OUT_OF_MEMORY = "out_of_memory"
    DEVICE_LOST = "device_lost"
    OFFLINE_NOT_CACHED = "offline_not_cached"
    FETCH_FAILED = "fetch_failed"
    QUOTA_EXCEEDED = "quota_exceeded"
    CONTEXT_TOO_LONG = "context_too_long"
    BAD_MODEL_LIB = "bad_model_lib"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class EngineError(Exception):
    """A classified engine failure; ``message_key`` is a catalogue key."""

    kind: ErrorKind
    detail: str = ""

    @property
    def message_key(self) -> str:
        """The catalogue key of the sentence shown to the user."""
        return f"engine.error.{self.kind.value}"

    @property
    def recoverable(self) -> bool:
        """False when retrying on this device cannot help (pick another model instead)."""
        return self.kind not in {ErrorKind.NO_WEBGPU, ErrorKind.NEEDS_F16}


_FETCH_HINTS = (
    "failed to fetch",
    "networkerror",
    "load failed",
    "network error",
    "cannot fetch",
    "err_internet_disconnected",
    "request failed",
    "fetch failed",
)


def classify_error(name: str, message: str, *, online: bool = True) -> EngineError:
    """Map a JS error's ``name``/``message`` to an :class:`EngineError`."""
    lowered = message.lower()
    if name == "AbortError" or "cancelled by the user" in lowered:
        kind = ErrorKind.CANCELLED
    elif name in {"WebGPUNotAvailableError", "WebGPUNotFoundError"}:
        kind = ErrorKind.NO_WEBGPU
    elif name == "ShaderF16SupportError" or "shader-f16" in lowered:
        kind = ErrorKind.NEEDS_F16
    elif name == "DeviceLostError" or "device was lost" in lowered:
        oom = "out of memory" in lowered or "(oom)" in lowered or "oom" in lowered.split()
        kind = ErrorKind.OUT_OF_MEMORY if oom else ErrorKind.DEVICE_LOST
    elif "out of memory" in lowered or name == "GPUOutOfMemoryError":
        kind = ErrorKind.OUT_OF_MEMORY
    elif name == "QuotaExceededError" or "quota" in lowered:
        kind = ErrorKind.QUOTA_EXCEEDED
    elif name == "ContextWindowSizeExceededError":
        kind = ErrorKind.CONTEXT_TOO_LONG
    elif (
        name == "MissingModelWasmError"
        or "webassembly" in lowered
        or ("wasm" in lowered and "magic" in lowered)
    ):
        kind = ErrorKind.BAD_MODEL_LIB
    elif any(hint in lowered for hint in _FETCH_HINTS) or name == "NetworkError":
        kind = ErrorKind.FETCH_FAILED if online else ErrorKind.OFFLINE_NOT_CACHED
    else:
        kind = ErrorKind.UNKNOWN
    return EngineError(kind, _short(name, message))


def _short(name: str, message: str, limit: int = 160) -> str:
    """One line for the user: the error's name and the first line of its message."""
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    text = f"{name}: {first}" if name and first else (name or first)
    return text if len(text) <= limit else text[: limit - 1] + "…"
