"""The prompt inspector: the exact messages of the last request, each part's token estimate,
and which world-info entries fired and why (or why not)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.browser.dom import by_id, element
from app.worldinfo import Why

if TYPE_CHECKING:
    from app.i18n import Translate
    from app.prompt import PromptResult
    from app.worldinfo import EntryOutcome

__all__ = ["show_prompt"]


def _entry_line(t: Translate, lang: str, outcome: EntryOutcome) -> Any:
    name = outcome.entry.comment or ", ".join(outcome.entry.keys[:3]) or f"#{outcome.entry.uid}"
    state = "fired" if outcome.fired else "skipped"
    line = element(
        "li", classes=("lore-outcome", state), data_fired="yes" if outcome.fired else "no"
    )
    line.appendChild(element("strong", name))
    reason = outcome.reason
    said = reason.say(lang) if isinstance(reason, Why) else reason
    detail = t(f"inspector.{state}", reason=said, tokens=outcome.tokens)
    line.appendChild(element("span", f" — {detail}"))
    return line


def _parts(t: Translate, result: PromptResult) -> Any:
    table = element("table", classes=("prompt-parts",))
    for part in result.parts:
        row = element("tr", data_part=part.name)
        row.appendChild(element("th", t(f"inspector.part.{part.name}")))
        row.appendChild(element("td", t("inspector.tokens", count=part.tokens)))
        table.appendChild(row)
    total = element("tr", data_part="total")
    total.appendChild(element("th", t("inspector.part.total")))
    total.appendChild(element("td", t("inspector.tokens", count=result.prompt_tokens)))
    table.appendChild(total)
    return table


def show_prompt(t: Translate, result: PromptResult | None, *, lang: str) -> None:
    """Fill ``#prompt-dialog`` with ``result`` (``None``: nothing sent yet) and open it; the
    reasons of world-info entries in ``lang``."""
    body = by_id("prompt-body")
    body.replaceChildren()
    if result is None:
        body.appendChild(element("p", t("inspector.nothing_yet"), classes=("empty",)))
    else:
        body.appendChild(_parts(t, result))
        activation = result.activation
        if activation is not None:
            body.appendChild(element("h3", t("inspector.lore", count=len(activation.fired))))
            entries = element("ul", classes=("lore-outcomes",))
            for outcome in (*activation.fired, *activation.skipped):
                entries.appendChild(_entry_line(t, lang, outcome))
            body.appendChild(entries)
        body.appendChild(element("h3", t("inspector.messages", count=len(result.messages))))
        for message in result.messages:
            block = element("section", classes=("prompt-message",), data_role=message["role"])
            block.appendChild(element("h4", message["role"]))
            block.appendChild(element("pre", message["content"]))
            body.appendChild(block)
    dialog = by_id("prompt-dialog")
    if not dialog.open:
        dialog.showModal()
