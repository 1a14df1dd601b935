"""The WebLLM engine, driven from Python: load with progress, stream, stop.

The engine lives in a Web Worker (``web/webllm-worker.js``) so inference never blocks the
page. Token streams are drained in JS by ``web/engine-glue.js`` and handed to Python once per
animation frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from pyscript import window
from pyscript.ffi import create_proxy
from pyscript.js_modules import engine_glue

from app.browser.jsbridge import js_object, to_py
from app.engine_errors import EngineError, ErrorKind, classify_error
from app.presets import chat_options
from app.progress import LoadProgress, ProgressTracker, parse_progress

__all__ = ["WORKER_URL", "Engine", "StreamBatch"]

WORKER_URL = "/static/webllm-worker.js"


@dataclass(frozen=True)
class StreamBatch:
    """What arrived during one animation frame."""

    text: str
    done: bool
    finish: str | None = None
    usage: dict[str, Any] | None = None


async def _await(awaitable: Any) -> Any:
    """A JS promise as a coroutine, so asyncio can race it against cancellation."""
    return await awaitable


def _online() -> bool:
    return bool(window.navigator.onLine)


class Engine:
    """One WebLLM engine in one worker; at most one per browser (see ``engine_lock``)."""

    def __init__(
        self, app_config: dict[str, Any], on_progress: Callable[[LoadProgress], None]
    ) -> None:
        self.app_config = app_config
        self.on_progress = on_progress
        self.model_id: str | None = None
        self._engine: Any = None
        self._worker: Any = None
        self._progress_proxy: Any = None
        self._tracker = ProgressTracker()
        self._load_token = 0
        self._cancelled: asyncio.Future[tuple[str, str] | None] | None = None
        self._worker_error: Any = None

    @property
    def ready(self) -> bool:
        """A model is loaded and can generate."""
        return self._engine is not None and self.model_id is not None

    def _progress(self, report: Any) -> None:
        # Called from WebLLM: an exception here would abort the load, so never raise.
        try:
            self.on_progress(self._tracker.update(parse_progress(to_py(report) or {})))
        except Exception as exc:  # noqa: BLE001
            window.console.warn(f"progress display failed: {exc!r}")

    def prepare(self) -> None:
        """Start the worker ahead of the first load, so loading a cached model works offline."""
        if self._worker is None:
            self._worker = window.Worker.new(WORKER_URL, js_object({"type": "module"}))
            self._worker_error = create_proxy(self._on_worker_error)
            self._worker.addEventListener("error", self._worker_error)

    def _on_worker_error(self, event: Any) -> None:
        # The worker script itself failed (e.g. offline before it was ever loaded).
        if self._cancelled is not None and not self._cancelled.done():
            self._cancelled.set_result(
                ("NetworkError", str(getattr(event, "message", "") or "worker failed"))
            )

    async def load(self, model_id: str) -> None:
        """Load (or switch to) ``model_id``; raises :class:`EngineError`."""
        self._load_token += 1
        token = self._load_token
        if self._engine is not None:
            await engine_glue.settle(self._engine, "unload")
            self._engine = None
            self.model_id = None
        self.prepare()
        self._tracker = ProgressTracker()
        self._progress_proxy = create_proxy(self._progress)
        config = {"appConfig": self.app_config}
        engine_config = js_object(config)
        engine_config.initProgressCallback = self._progress_proxy
        creating = asyncio.ensure_future(
            _await(
                engine_glue.settle(
                    engine_glue,
                    "createEngine",  # WebLLM's CreateWebWorkerMLCEngine, module imported first
                    self._worker,
                    model_id,
                    engine_config,
                    js_object(chat_options()),
                )
            )
        )
        self._cancelled = asyncio.get_event_loop().create_future()
        await asyncio.wait([creating, self._cancelled], return_when=asyncio.FIRST_COMPLETED)
        if not creating.done() or token != self._load_token:  # the ended worker never answers
            creating.cancel()
            failure = self._cancelled.result() if self._cancelled.done() else None
            if failure:
                self._terminate()
                raise classify_error(failure[0], failure[1], online=_online())
            raise EngineError(ErrorKind.CANCELLED)
        outcome = creating.result()
        if not outcome.ok:  # the worker stays usable: WebLLM reloads from scratch next time
            raise classify_error(str(outcome.name), str(outcome.message), online=_online())
        engine = outcome.value
        if token != self._load_token:  # cancelled (or superseded) while loading
            raise EngineError(ErrorKind.CANCELLED)
        self._engine = engine
        self.model_id = model_id

    def cancel_load(self) -> None:
        """Abandon a load in progress: WebLLM cannot abort one, so end its worker."""
        self._load_token += 1
        self._terminate()
        if self._cancelled is not None and not self._cancelled.done():
            self._cancelled.set_result(None)
        self.prepare()  # a fresh worker for the next load

    def _terminate(self) -> None:
        if self._worker is not None:
            self._worker.terminate()
        self._worker = None
        self._engine = None
        self.model_id = None

    async def unload(self) -> None:
        """Free the GPU; the worker stays, ready for the next load."""
        if self._engine is not None:
            await engine_glue.settle(self._engine, "unload")
        self._engine = None
        self.model_id = None

    async def stream(
        self, messages: list[dict[str, str]], options: dict[str, Any]
    ) -> AsyncIterator[StreamBatch]:
        """Generate a reply: batches of text per frame, the last with ``done`` and usage."""
        if not self.ready:
            raise EngineError(ErrorKind.UNKNOWN, "no model loaded")
        request = {
            **options,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        created = await engine_glue.settle(
            self._engine.chat.completions, "create", js_object(request)
        )
        if not created.ok:
            raise classify_error(str(created.name), str(created.message), online=_online())
        drain = engine_glue.pump(created.value)
        while True:
            batch = to_py(await drain.take())
            if batch.get("error"):
                error = batch["error"]
                raise classify_error(
                    error.get("name", ""), error.get("message", ""), online=_online()
                )
            yield StreamBatch(
                batch["text"], bool(batch["done"]), batch.get("finish"), batch.get("usage")
            )
            if batch["done"]:
                return

    def stop(self) -> None:
        """Interrupt the reply being generated; what was streamed so far stays."""
        if self._engine is not None:
            self._engine.interruptGenerate()
