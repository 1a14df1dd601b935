"""One chat message in the DOM, with its actions: swipes, regenerate, edit, delete.

Model output is untrusted: replies are rendered as sanitised markdown, reasoning as plain text.
"""

from __future__ import annotations

from typing import Any

from app.browser.dom import element
from app.chat_state import ChatState, Preferences, message_actions, persona_of
from app.i18n import Translate
from app.markdown import render_markdown
from app.models import Message

__all__ = ["StreamingReply", "message_node", "render_message", "start_edit"]


def _button(label: str, action: str, **attrs: str) -> Any:
    """An action button; the chat's one delegated listener runs ``action`` for its message."""
    return element(
        "button", label, classes=("msg-action", action), type="button", data_action=action, **attrs
    )


def _thinking(t: Translate, reasoning: str, *, live: bool) -> Any:
    details = element("details", classes=("thinking",), data_live="yes" if live else "no")
    details.appendChild(element("summary", t("chat.thinking_now" if live else "chat.thought")))
    body = element("div", classes=("thinking-text",))
    body.textContent = reasoning
    details.appendChild(body)
    return details


def _apply_colours(body: Any) -> None:
    """Set the colours the sanitiser kept: the CSP refuses ``style`` attributes, not the CSSOM
    (which also ignores a value that is no colour)."""
    for node in body.querySelectorAll("[data-color]"):
        node.style.color = node.dataset.color


def render_message(
    message: Message,
    t: Translate,
    *,
    speaker: str,
    avatar: str,
    actions: tuple[str, ...],
) -> Any:
    """An ``<article>`` for ``message`` with the buttons ``actions`` names
    (``app/chat_state.py`` ``message_actions``)."""
    node = element(
        "article",
        classes=("message", message.role),
        data_role=message.role,
        data_id=message.id,
        data_state="stopped" if message.stats and message.stats.get("stopped") else "done",
        data_swipe=f"{message.swipe_index + 1}/{message.swipe_count}",
    )
    head = element("div", classes=("msg-head",))
    if avatar:
        head.appendChild(element("img", classes=("avatar", "tiny"), src=avatar, alt=""))
    head.appendChild(element("span", speaker, classes=("speaker",)))
    node.appendChild(head)
    if message.role == "assistant" and message.current_reasoning:
        node.appendChild(_thinking(t, message.current_reasoning, live=False))
    body = element("div", classes=("content",))
    if message.role == "assistant":
        html = render_markdown(message.content)
        body.innerHTML = html
        if " data-color=" in html:
            _apply_colours(body)
    else:
        body.textContent = message.content
    node.appendChild(body)

    node.appendChild(_actions(message, t, actions))
    return node


def message_node(state: ChatState, prefs: Preferences, t: Translate, message: Message) -> Any:
    """``message`` in the open chat: the character's or the persona's name and picture, and
    the buttons ``app/chat_state.py`` offers it."""
    character = state.character
    assert character is not None
    persona = persona_of(state, prefs)
    mine = message.role != "assistant"
    return render_message(
        message,
        t,
        speaker=persona.name if mine else character.name,
        avatar=persona.avatar if mine else character.avatar,
        actions=message_actions(state, message),
    )


def _swipes(message: Message, t: Translate) -> Any:
    """The arrows between the versions of a message, and "2/3"."""
    nav = element("span", classes=("swipes",))
    previous = "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}"
    following = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"
    count = f"{message.swipe_index + 1}/{message.swipe_count}"
    nav.appendChild(_button(previous, "prev", aria_label=t("chat.previous")))
    nav.appendChild(element("span", count, classes=("swipe-count",)))
    nav.appendChild(_button(following, "next", aria_label=t("chat.next")))
    return nav


def _actions(message: Message, t: Translate, actions: tuple[str, ...]) -> Any:
    """The message's bar: its versions, its buttons, and how the shown version was made."""
    bar = element("div", classes=("msg-actions",))
    if message.swipe_count > 1:
        bar.appendChild(_swipes(message, t))
    for action in actions:
        bar.appendChild(_button(t(f"chat.{action}"), action))
    stats = message.stats if message.role == "assistant" else None
    if stats and stats.get("stopped"):
        bar.appendChild(element("span", t("chat.stopped"), classes=("stopped-label",)))
    if stats and stats.get("label"):
        bar.appendChild(
            element(
                "span",
                str(stats.get("label", "")),
                classes=("stats",),
                data_decode=str(stats.get("decodeTokensPerS", "")),
                data_prefill=str(stats.get("prefillTokensPerS", "")),
                data_tokens=str(stats.get("completionTokens", "")),
            )
        )
    return bar


def start_edit(node: Any, message: Message, t: Translate) -> None:
    """Swap the text of the rendered ``node`` for a textarea with Save / Cancel."""
    body = node.querySelector(".content")
    if not body or node.querySelector(".editor"):
        return
    editor = element("div", classes=("editor",))
    area = element("textarea", classes=("edit-text",), rows="4", aria_label=t("chat.edit"))
    area.value = message.content
    editor.appendChild(area)
    row = element("div", classes=("editor-actions",))
    row.appendChild(_button(t("chat.cancel"), "cancel-edit"))
    row.appendChild(_button(t("chat.save"), "save-edit"))
    editor.appendChild(row)
    node.replaceChild(editor, body)
    area.focus()


class StreamingReply:
    """A reply being written: reasoning in a collapsed box, the answer as plain text until done."""

    def __init__(self, t: Translate, *, speaker: str, avatar: str) -> None:
        self.t = t
        self.node = element(
            "article",
            classes=("message", "assistant"),
            data_role="assistant",
            data_state="streaming",
        )
        head = element("div", classes=("msg-head",))
        if avatar:
            head.appendChild(element("img", classes=("avatar", "tiny"), src=avatar, alt=""))
        head.appendChild(element("span", speaker, classes=("speaker",)))
        self.node.appendChild(head)
        self._thinking: Any = None
        self._reasoning_node: Any = None
        self.body = element("div", classes=("content",))
        self.node.appendChild(self.body)
        from pyscript import document

        self._answer = self.body.appendChild(document.createTextNode(""))

    def add(self, reasoning: str, answer: str) -> None:
        """What this frame brought (one DOM write per part, however many tokens)."""
        if reasoning:
            if self._thinking is None:
                self._thinking = _thinking(self.t, "", live=True)
                self.node.insertBefore(self._thinking, self.body)
                self._reasoning_node = self._thinking.querySelector(".thinking-text")
            self._reasoning_node.appendChild(_text(reasoning))
        if answer:
            if self._thinking is not None and self._thinking.getAttribute("data-live") == "yes":
                self._thinking.setAttribute("data-live", "no")
                self._thinking.querySelector("summary").textContent = self.t("chat.thought")
            self._answer.appendData(answer)

    def finish(self, state: str) -> None:
        """Mark the end (``done``, ``stopped`` or ``error``); the controller re-renders it."""
        self.node.setAttribute("data-state", state)


def _text(value: str) -> Any:
    from pyscript import document

    return document.createTextNode(value)
