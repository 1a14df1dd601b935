"""One world-info entry as a form in the world-info sheet, and the values it holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app import lore_form
from app.browser.dom import element

if TYPE_CHECKING:
    from app.i18n import Translate
    from app.worldinfo import LoreEntry

__all__ = ["entry_node", "form_values"]

_LOGICS = ("AND_ANY", "NOT_ALL", "NOT_ANY", "AND_ALL")


def entry_node(t: Translate, entry: LoreEntry) -> Any:
    """One entry as its form (every control names its field in ``data-field``)."""
    values = lore_form.entry_fields(entry)
    node = element("li", classes=("lore-entry",), data_id=str(entry.uid))
    head = element("div", classes=("field-row",))
    head.appendChild(_input(t, "comment", values, "lore.entry_title"))
    head.appendChild(_check(t, "enabled", values, "lore.enabled"))
    head.appendChild(_check(t, "constant", values, "lore.constant"))
    node.appendChild(head)
    node.appendChild(_input(t, "keys", values, "lore.keys"))
    row = element("div", classes=("field-row",))
    row.appendChild(_input(t, "secondary_keys", values, "lore.secondary_keys"))
    logics = [(logic, t(f"lore.logic.{logic}")) for logic in _LOGICS]
    row.appendChild(_select(t, "logic", values, "lore.logic", logics))
    node.appendChild(row)
    node.appendChild(_input(t, "content", values, "lore.content", tag="textarea"))
    place = element("div", classes=("field-row",))
    positions = [(p, t(f"lore.position.{p}")) for p in lore_form.EDITED_POSITIONS]
    if values["position"] not in lore_form.EDITED_POSITIONS:
        positions.append((str(values["position"]), str(values["position"])))
    place.appendChild(_select(t, "position", values, "lore.position", positions))
    place.appendChild(_input(t, "depth", values, "lore.depth", kind="number"))
    place.appendChild(_input(t, "order", values, "lore.order", kind="number"))
    node.appendChild(place)
    matching = element("div", classes=("field-row",))
    tri = [(key, t(f"lore.tri.{key or 'book'}")) for key in ("", "yes", "no")]
    matching.appendChild(_select(t, "case_sensitive", values, "lore.case_sensitive", tri))
    matching.appendChild(_select(t, "match_whole_words", values, "lore.whole_words", tri))
    node.appendChild(matching)
    remove = element("button", t("lore.delete_entry"), type="button")
    remove.setAttribute("data-action", "delete-entry")
    remove.className = "small danger"
    node.appendChild(remove)
    return node


def _input(
    t: Translate,
    name: str,
    values: dict[str, Any],
    label: str,
    *,
    tag: str = "input",
    kind: str = "",
) -> Any:
    box = element("label", classes=("field-block",))
    box.appendChild(element("span", t(label)))
    control = element(tag, data_field=name)
    if kind:
        control.setAttribute("type", kind)
    if tag == "textarea":
        control.setAttribute("rows", "3")
    control.value = str(values[name])
    box.appendChild(control)
    return box


def _check(t: Translate, name: str, values: dict[str, Any], label: str) -> Any:
    box = element("label", classes=("toggle",))
    control = element("input", type="checkbox", data_field=name)
    control.checked = bool(values[name])
    box.appendChild(control)
    box.appendChild(element("span", t(label)))
    return box


def _select(
    t: Translate, name: str, values: dict[str, Any], label: str, choices: list[tuple[str, str]]
) -> Any:
    box = element("label", classes=("field-block",))
    box.appendChild(element("span", t(label)))
    control = element("select", data_field=name)
    for value, text in choices:
        control.appendChild(element("option", text, value=value))
    control.value = str(values[name])
    box.appendChild(control)
    return box


def form_values(node: Any) -> dict[str, object]:
    """What an entry's form says: each ``data-field`` control's value (a box: checked)."""
    values: dict[str, object] = {}
    for control in node.querySelectorAll("[data-field]"):
        field = str(control.getAttribute("data-field"))
        is_box = str(control.type) == "checkbox"
        values[field] = bool(control.checked) if is_box else str(control.value)
    return values
