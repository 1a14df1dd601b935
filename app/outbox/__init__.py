"""The offline outbox: chat logs wait here, durably, until the server has stored them.

Plain Python with its store, transport, clock and random source injected (``ports``), so the
policy and the sync loop run unchanged under CPython tests and in Pyodide. See docs/architecture.md, "The outbox".
"""

from __future__ import annotations

from app.outbox.entries import (
    ENTRY_FORMAT_VERSION,
    Entry,
    EntryState,
    ErrorInfo,
    MessageEntry,
    MessagePayload,
    SessionEntry,
    SessionPayload,
    entry_from_dict,
    message_key,
    session_key,
)
from app.outbox.policy import (
    BAD_RESPONSE,
    NETWORK_ERROR,
    SESSION_MISSING,
    Backoff,
    Decision,
    Outcome,
    batch_outcomes,
    classify,
    error_info,
    parse_retry_after,
)
from app.outbox.ports import (
    Clock,
    NetworkError,
    Random,
    Response,
    Store,
    SystemClock,
    Transport,
)
from app.outbox.state import SUMMARY_KEYS, OutboxState
from app.outbox.sync import MAX_BATCH_SIZE, FlushResult, SyncWorker

__all__ = [
    "BAD_RESPONSE",
    "ENTRY_FORMAT_VERSION",
    "MAX_BATCH_SIZE",
    "NETWORK_ERROR",
    "SESSION_MISSING",
    "SUMMARY_KEYS",
    "Backoff",
    "Clock",
    "Decision",
    "Entry",
    "EntryState",
    "ErrorInfo",
    "FlushResult",
    "MessageEntry",
    "MessagePayload",
    "NetworkError",
    "OutboxState",
    "Outcome",
    "Random",
    "Response",
    "SessionEntry",
    "SessionPayload",
    "Store",
    "SyncWorker",
    "SystemClock",
    "Transport",
    "batch_outcomes",
    "classify",
    "entry_from_dict",
    "error_info",
    "message_key",
    "parse_retry_after",
    "session_key",
]
