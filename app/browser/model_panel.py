"""The model picker, the load progress bar and the storage panel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.browser.dom import by_id, delegate, element, on
from app.i18n import Translate
from app.model_catalogue import ModelFacts, PickerFilter, download_mb, picker_groups
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
        for control, event in (("show-unavailable", "change"), ("show-special", "change")):
            on(by_id(control), event, lambda _evt: self._render())
        on(by_id("model-search"), "input", lambda _evt: self._render())
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

    def _filter(self) -> PickerFilter:
        return PickerFilter(
            query=str(by_id("model-search").value),
            unavailable=bool(by_id("show-unavailable").checked),
            special=bool(by_id("show-special").checked),
        )

    def _render(self) -> None:
        """The families that pass the filter, each with its sizes and quantisations."""
        listing = by_id("model-list")
        listing.replaceChildren()
        wanted = self._filter()
        groups = picker_groups(
            self._choices, wanted, recommended=self._recommended, cached=self._cached
        )
        for family, rows in groups:
            group = element("li", classes=("model-family",))
            group.appendChild(element("h3", family, classes=("model-family-name",)))
            inner = element("ul", classes=("model-rows",))
            for choice, facts in rows:
                inner.appendChild(self._row(choice, facts))
            group.appendChild(inner)
            listing.appendChild(group)
        if not groups and wanted.query.strip():
            note = self.t("model.no_match", query=wanted.query.strip())
            listing.appendChild(element("li", note, classes=("model-empty",)))

    def _tags(self, choice: ModelChoice, facts: ModelFacts) -> list[tuple[str, str]]:
        """The row's tags: (text, class)."""
        tags = []
        if choice.model_id == self._recommended:
            tags.append((self.t("model.recommended"), "accent"))
        if choice.model_id in self._cached:
            tags.append((self.t("model.cached"), "cached"))
        if not facts.is_chat:
            tags.append((self.t(f"model.kind.{facts.kind}"), "kind"))
        if facts.short_window:
            tags.append((self.t("model.short_window"), "warn"))
        return tags

    def _row(self, choice: ModelChoice, facts: ModelFacts) -> Any:
        row = element(
            "li",
            classes=("model-row",),
            data_model=choice.model_id,
            data_id=choice.model_id,
            data_available="yes" if choice.available else "no",
        )
        info = element("div", classes=("model-info",))
        title = " · ".join(part for part in (facts.size, facts.quant) if part)
        info.appendChild(element("strong", title or choice.model_id, classes=("model-title",)))
        info.appendChild(element("span", choice.model_id, classes=("model-name",)))
        meta = element("div", classes=("model-meta",))
        size = download_mb(facts)
        if size is not None:
            meta.appendChild(element("span", self.t("model.download", gb=_gb(size))))
        meta.appendChild(element("span", self.t("model.vram", gb=_gb(choice.vram_mb))))
        for text, kind in self._tags(choice, facts):
            tag = element("span", text, classes=("tag", kind))
            if kind == "cached":
                tag.setAttribute("data-cached", "yes")
            meta.appendChild(tag)
        info.appendChild(meta)
        if choice.reason_key:
            info.appendChild(element("p", self.t(choice.reason_key), classes=("model-reason",)))
        row.appendChild(info)
        button = element(
            "button", self.t("model.load"), classes=("load",), type="button", data_action="load"
        )
        button.setAttribute("aria-label", f"{self.t('model.load')} {choice.model_id}")
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
