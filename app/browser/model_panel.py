"""The model picker, the load progress bar and the storage panel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.browser.dom import by_id, delegate, element, on
from app.i18n import Translate
from app.model_choice import ModelChoice
from app.presets import short_model_name
from app.progress import LoadProgress

__all__ = ["ModelPanel"]


def _gb(megabytes: float) -> str:
    return f"{megabytes / 1024:.1f}"


class ModelPanel:
    """Renders model rows and load progress; the controller decides what happens."""

    def __init__(
        self, t: Translate, on_pick: Callable[[str], Any], on_cancel: Callable[[], Any]
    ) -> None:
        self.t = t
        self._on_pick = on_pick
        self._choices: list[ModelChoice] = []
        self._recommended: str | None = None
        self._cached: set[str] = set()
        self._current: str | None = None
        self.dialog = by_id("model-dialog")
        on(by_id("model-button"), "click", lambda _evt: self.open())
        on(by_id("show-unavailable"), "change", lambda _evt: self._render())
        on(by_id("load-cancel"), "click", lambda _evt: on_cancel())
        delegate(by_id("model-list"), {"load": lambda model_id, _t: self._on_pick(model_id)})
        self.relabel()

    def relabel(self) -> None:
        """Texts built here, in the current language (static ones carry ``data-i18n``)."""
        self.set_current(self._current)
        if self.dialog.open:
            self._render()

    def open(self) -> None:
        """Show the picker as a modal sheet."""
        self._render()
        if not self.dialog.open:
            self.dialog.showModal()

    def close(self) -> None:
        """Hide the picker."""
        if self.dialog.open:
            self.dialog.close()

    def set_models(
        self, choices: list[ModelChoice], recommended: str | None, cached: set[str]
    ) -> None:
        """New verdicts (after the capability check or a cache change)."""
        self._choices, self._recommended, self._cached = choices, recommended, cached
        by_id("model-button").removeAttribute("disabled")
        if self.dialog.open:
            self._render()

    def set_current(self, model_id: str | None) -> None:
        """The chip in the header shows the loaded model."""
        self._current = model_id
        label = model_id or self.t("model.none")
        by_id("model-label").textContent = label
        short = short_model_name(model_id) if model_id else self.t("model.none_short")
        by_id("model-short").textContent = short
        button = by_id("model-button")
        button.setAttribute("data-loaded", "yes" if model_id else "no")
        button.setAttribute("aria-label", label)

    def warn(self, text: str | None) -> None:
        """A warning above the list (e.g. a download larger than free storage)."""
        box = by_id("model-warning")
        box.textContent = text or ""
        box.hidden = not text

    def _ordered(self) -> list[ModelChoice]:
        show_all = bool(by_id("show-unavailable").checked)
        rows = [choice for choice in self._choices if choice.available or show_all]

        def rank(choice: ModelChoice) -> tuple[int, int, int, float]:
            return (
                choice.model_id != self._recommended,
                choice.model_id not in self._cached,
                not choice.model_id.startswith("Qwen3-"),
                choice.vram_mb,
            )

        return sorted(rows, key=rank)

    def _render(self) -> None:
        listing = by_id("model-list")
        listing.replaceChildren()
        for choice in self._ordered():
            listing.appendChild(self._row(choice))

    def _row(self, choice: ModelChoice) -> Any:
        row = element(
            "li",
            classes=("model-row",),
            data_model=choice.model_id,
            data_id=choice.model_id,
            data_available="yes" if choice.available else "no",
        )
        info = element("div", classes=("model-info",))
        info.appendChild(element("strong", choice.model_id, classes=("model-name",)))
        meta = element("div", classes=("model-meta",))
        meta.appendChild(element("span", self.t("model.vram", gb=_gb(choice.vram_mb))))
        if choice.model_id == self._recommended:
            meta.appendChild(
                element("span", self.t("model.recommended"), classes=("tag", "accent"))
            )
        if choice.model_id in self._cached:
            meta.appendChild(
                element("span", self.t("model.cached"), classes=("tag",), data_cached="yes")
            )
        info.appendChild(meta)
        if choice.reason_key:
            info.appendChild(element("p", self.t(choice.reason_key), classes=("model-reason",)))
        row.appendChild(info)
        button = element(
            "button", self.t("model.load"), classes=("load",), type="button", data_action="load"
        )
        if not choice.available:
            button.setAttribute("disabled", "")
        row.appendChild(button)
        return row

    def show_progress(self, model_id: str, progress: LoadProgress | None) -> None:
        """The bar under the header: percent, megabytes or phase, elapsed time, cancel."""
        panel = by_id("load-panel")
        panel.hidden = False
        by_id("load-title").textContent = self.t("model.loading", model=model_id)
        bar = by_id("load-progress")
        if progress is None:
            bar.removeAttribute("value")  # indeterminate until the first report
            by_id("load-detail").textContent = ""
            panel.setAttribute("data-percent", "0")
            return
        bar.value = progress.percent
        if progress.phase == "download" and progress.megabytes is not None:
            detail = self.t("model.progress.download", mb=f"{progress.megabytes:.0f}")
        elif progress.phase == "download" and progress.shard:
            detail = self.t(
                "model.progress.shards", done=progress.shard[0], total=progress.shard[1]
            )
        else:
            detail = self.t(f"model.progress.{progress.phase}")
        by_id("load-detail").textContent = self.t(
            "model.progress",
            percent=progress.percent,
            detail=detail,
            elapsed=f"{progress.elapsed_s:.0f}",
        )
        panel.setAttribute("data-percent", str(progress.percent))

    def hide_progress(self) -> None:
        """Loading ended (loaded, failed or cancelled)."""
        by_id("load-panel").hidden = True
