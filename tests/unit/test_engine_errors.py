"""Engine failures become one sentence with a next step."""

from __future__ import annotations

import pytest

from app.engine_errors import ErrorKind, classify_error
from app.i18n import CATALOGUE


@pytest.mark.parametrize(
    ("name", "message", "online", "kind"),
    [
        pytest.param(
            "TypeError", "Failed to fetch", True, ErrorKind.FETCH_FAILED, id="fetch-online"
        ),
        pytest.param(
            "TypeError", "Failed to fetch", False, ErrorKind.OFFLINE_NOT_CACHED, id="fetch-offline"
        ),
        pytest.param(
            "TypeError", "Load failed", False, ErrorKind.OFFLINE_NOT_CACHED, id="safari-offline"
        ),
        pytest.param(
            "DeviceLostError",
            "The WebGPU device was lost while loading the model. This issue often occurs due to "
            "running out of memory (OOM).",
            True,
            ErrorKind.OUT_OF_MEMORY,
            id="oom",
        ),
        pytest.param(
            "DeviceLostError", "The WebGPU device was lost.", True, ErrorKind.DEVICE_LOST, id="lost"
        ),
        pytest.param(
            "QuotaExceededError",
            "The quota has been exceeded.",
            True,
            ErrorKind.QUOTA_EXCEEDED,
            id="quota",
        ),
        pytest.param(
            "WebGPUNotAvailableError",
            "WebGPU is not supported",
            True,
            ErrorKind.NO_WEBGPU,
            id="webgpu",
        ),
        pytest.param(
            "ShaderF16SupportError", "needs shader-f16", True, ErrorKind.NEEDS_F16, id="f16"
        ),
        pytest.param(
            "ContextWindowSizeExceededError",
            "Prompt tokens exceed",
            True,
            ErrorKind.CONTEXT_TOO_LONG,
            id="ctx",
        ),
        pytest.param("AbortError", "aborted", True, ErrorKind.CANCELLED, id="abort"),
        pytest.param("Error", "something odd", True, ErrorKind.UNKNOWN, id="unknown"),
    ],
)
def test_classification(name: str, message: str, online: bool, kind: ErrorKind) -> None:
    error = classify_error(name, message, online=online)
    assert error.kind is kind
    assert error.message_key in CATALOGUE


def test_detail_is_one_short_line_never_a_traceback() -> None:
    trace = "Traceback (most recent call last):\n  File x\nKeyError: 'mb'\n" + "x" * 500
    error = classify_error("PythonError", trace)
    assert "\n" not in error.detail
    assert len(error.detail) <= 160


def test_no_webgpu_is_not_worth_retrying() -> None:
    assert not classify_error("WebGPUNotAvailableError", "").recoverable
    assert classify_error("TypeError", "Failed to fetch").recoverable
