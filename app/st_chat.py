"""SillyTavern chat files (``.jsonl``): a session written out for SillyTavern, and read back in.

The format, as SillyTavern's ``saveChat``/``getChat`` (``public/script.js``) and its chat import
(``src/endpoints/chats.js``) write and read it: one JSON object per line. Line 1 is the chat's
metadata, ``{"user_name", "character_name", "create_date", "chat_metadata": {...}}``; every
following line is a message, ``{"name", "is_user", "is_system", "send_date", "mes", "extra"}``,
where ``extra`` holds ``reasoning`` (the model's thinking), ``api``, ``model`` and the like. A
message with versions adds ``swipes`` (every text), ``swipe_id`` (the one shown, whose text is also
``mes``) and ``swipe_info`` (per version ``{"send_date", "extra"}``, ``extra`` again holding that
version's ``reasoning``). Old group chats have no metadata line; both are read.

Dates: ``send_date`` is ISO 8601 in UTC with milliseconds (``2025-01-31T12:00:00.000Z``), what
SillyTavern writes since late 2025 and parses strictly as ISO; ``create_date`` is its
"humanized" form with milliseconds (``2025-01-31@12h00m00s000ms``), which it still writes for
chats and which its older readers match too. SillyTavern writes humanized dates in local time;
we write UTC, and its parser reads them as UTC. On import any date SillyTavern reads is accepted:
ISO 8601, humanized (with or without spaces and milliseconds), ``June 19, 2023 2:20pm``, Unix
milliseconds; dates without a zone are taken as UTC, an unreadable one becomes the import time.

Mapping: ``is_user`` messages are the user's; ``is_system`` ones (SillyTavern's own notes, and
messages hidden from the prompt) become role ``"system"``, which the prompt leaves out; every other
message, whatever its ``name`` (group chats, narrators), is the character's. The author's note
(``note_prompt``/``note_depth``) and the chat's lorebook (``world_info``) travel in
``chat_metadata`` as SillyTavern keeps them; our title and reply stats travel under the
``ondevice_chat`` key, which SillyTavern keeps untouched.

Import is for untrusted files: a bad line is skipped with a note, a text over
:data:`MAX_TEXT` characters is cut, messages past :data:`MAX_MESSAGES` are left out (both with a
note); a text over :data:`MAX_FILE_BYTES`, or one with neither a metadata line nor a message
line, raises :class:`ChatFileError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app import jsontext
from app.conversation import session_title, with_preview
from app.models import Character, ChatSession, Message, Role, new_id, now_iso

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_MESSAGES",
    "MAX_TEXT",
    "ChatFileError",
    "ImportedChat",
    "chat_from_jsonl",
    "chat_to_jsonl",
]

MAX_FILE_BYTES = 32 * 1024 * 1024
"""The largest chat file read (UTF-8 bytes): far beyond any real chat, small for a browser tab."""
MAX_MESSAGES = 20_000
"""Messages kept from one file; later ones are left out with a note."""
MAX_TEXT = 100_000
"""Characters kept of one text (a version, its reasoning, the author's note)."""
MAX_NOTES = 50
"""Notes listed one by one; the rest are counted in a last note."""
MAX_TITLE = 120
MAX_INJECTION_DEPTH = 1000
"""SillyTavern's deepest author's note position (``MAX_INJECTION_DEPTH`` in its script)."""

NAMESPACE = "ondevice_chat"
"""Our key in ``chat_metadata`` and ``extra`` (the one cards use in ``data.extensions``)."""
SYSTEM_NAME = "System"
"""The speaker SillyTavern gives narrator and system lines by default."""
API_NAME = "webllm"
"""``extra.api`` of a version the in-browser model wrote."""
_IN_CHAT = 1
"""SillyTavern's ``extension_prompt_types.IN_CHAT``: the note sits ``note_depth`` messages up."""
_HEADER_KEYS = frozenset({"user_name", "character_name", "create_date", "chat_metadata"})
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ChatFileError(ValueError):
    """A file that cannot be imported as a chat at all; the message can be shown as is."""


@dataclass(frozen=True)
class ImportedChat:
    """A chat read from a SillyTavern file: a new session, its messages, and what was dropped."""

    session: ChatSession
    messages: tuple[Message, ...]
    notes: tuple[str, ...] = ()
    """What was skipped or cut, and why, one sentence each."""


# --- writing ----------------------------------------------------------------------------------


def chat_to_jsonl(
    character: Character,
    session: ChatSession,
    messages: Sequence[Message],
    *,
    user_name: str,
) -> str:
    """The session as a SillyTavern chat file, with every version and its reasoning."""
    header = {
        "user_name": user_name,
        "character_name": character.name,
        "create_date": _humanized(_iso_or_now(session.created_at)),
        "chat_metadata": _chat_metadata(session),
    }
    names = {"user": user_name, "assistant": character.name, "system": SYSTEM_NAME}
    lines = [header] + [
        _message_line(message, names[message.role], session.model_id)
        for message in sorted(messages, key=lambda message: message.seq)
    ]
    # SillyTavern joins its lines with "\n" and ends the file without one.
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)


def _chat_metadata(session: ChatSession) -> dict[str, Any]:
    """What SillyTavern keeps per chat that we have too, and our title under our own key."""
    metadata: dict[str, Any] = {NAMESPACE: {"title": session.title}}
    if session.author_note:
        metadata.update(
            note_prompt=session.author_note,
            note_interval=1,
            note_depth=session.author_note_depth,
            note_position=_IN_CHAT,
            note_role=0,
        )
    if session.lorebook:
        metadata["world_info"] = session.lorebook
    return metadata


def _message_line(message: Message, name: str, model_id: str) -> dict[str, Any]:
    """One message as SillyTavern stores it: the shown version in ``mes``/``extra``, all of
    them in ``swipes``/``swipe_info`` (always for the character's, as SillyTavern does)."""
    send_date = _iso_or_now(message.created_at)
    line: dict[str, Any] = {
        "name": name,
        "is_user": message.role == "user",
        "is_system": message.role == "system",
        "send_date": send_date,
        "mes": message.content,
        "extra": _extra(message, message.swipe_index, model_id),
    }
    if message.role == "assistant" or message.swipe_count > 1:
        line["swipe_id"] = message.swipe_index
        line["swipes"] = list(message.swipes)
        line["swipe_info"] = [
            {"send_date": send_date, "extra": _extra(message, index, model_id)}
            for index in range(message.swipe_count)
        ]
    return line


def _extra(message: Message, index: int, model_id: str) -> dict[str, Any]:
    """A version's ``extra``: its reasoning and, when the model wrote it, how."""
    extra: dict[str, Any] = {}
    if message.reasoning[index]:
        extra["reasoning"] = message.reasoning[index]
    stats = message.swipe_stats[index]
    if stats:
        extra["api"] = API_NAME
        if model_id:
            extra["model"] = model_id
        extra[NAMESPACE] = {"stats": dict(stats)}
    return extra


def _iso_or_now(stamp: str) -> str:
    """``stamp`` as the ISO form SillyTavern reads; records without a date get the current one."""
    return _parse_date(stamp) or now_iso()


def _humanized(iso: str) -> str:
    """SillyTavern's humanized date, ``2025-01-31@12h00m00s000ms``, of an ISO date (UTC)."""
    at = datetime.fromisoformat(iso)
    date = f"{at.year:04d}-{at.month:02d}-{at.day:02d}"
    return f"{date}@{at.hour:02d}h{at.minute:02d}m{at.second:02d}s{at.microsecond // 1000:03d}ms"


# --- reading dates ----------------------------------------------------------------------------

_HUMANIZED = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2}) ?@(\d{1,2})h ?(\d{1,2})m ?(\d{1,2})s(?: ?(\d{1,3})ms)?"
)
_MERIDIEM = re.compile(r"([a-z]{3,9})\.? (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{1,2}) ?([ap]m)", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _parse_date(value: object) -> str | None:
    """Any date SillyTavern reads, as our ISO form in UTC; ``None`` when it is none of them."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = _from_unix_ms(value)
        elif isinstance(value, str) and 0 < len(value) <= 64:
            moment = _from_text(value.strip())
        else:
            return None
        if moment is None:
            return None
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _from_unix_ms(value: float) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if value >= 0 else None


def _from_text(text: str) -> datetime | None:
    """The date in ``text``, tried in SillyTavern's order: Unix time, ISO, its own two forms."""
    if text.isdigit():
        return _from_unix_ms(int(text))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    return _from_humanized(text) or _from_meridiem(text)


def _from_humanized(text: str) -> datetime | None:
    """``2024-7-12@01h31m37s``, ``2024-6-5 @14h 56m 50s 682ms``, ``2025-11-23@14h05m03s123ms``."""
    found = _HUMANIZED.search(text)
    if not found:
        return None
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    milli = int(found.group(7) or 0)
    return datetime(year, month, day, hour, minute, second, milli * 1000)


def _from_meridiem(text: str) -> datetime | None:
    """``June 19, 2023 2:20pm``: SillyTavern's ``send_date`` until late 2025."""
    found = _MERIDIEM.search(text)
    if not found or found.group(1)[:3].lower() not in _MONTHS:
        return None
    name, day, year, hour, minute, meridiem = found.groups()
    clock = int(hour) % 12 + (12 if meridiem.lower() == "pm" else 0)
    month = _MONTHS.index(name[:3].lower()) + 1
    return datetime(int(year), month, int(day), clock, int(minute))


# --- reading a file ---------------------------------------------------------------------------


@dataclass
class _Notes:
    """The import's notes, listed up to :data:`MAX_NOTES` and counted past that."""

    listed: list[str] = field(default_factory=list)
    more: int = 0

    def add(self, note: str, *, always: bool = False) -> None:
        """Keep ``note``; past :data:`MAX_NOTES` only counted, unless it must ``always`` show."""
        if always or len(self.listed) < MAX_NOTES:
            self.listed.append(note)
        else:
            self.more += 1

    def final(self) -> tuple[str, ...]:
        extra = [f"{self.more} more problems were found and are not listed."] if self.more else []
        return (*self.listed, *extra)


def chat_from_jsonl(
    text: str,
    *,
    character: Character,
    user_name: str,
    session_id: str | None = None,
    now: str | None = None,
) -> ImportedChat:
    """A SillyTavern chat file as a new session with ``character``; :class:`ChatFileError`
    when the file is too large or is no chat at all."""
    _check_size(text)
    stamp = now or now_iso()
    notes = _Notes()
    session_id = session_id or new_id()
    header, messages = _read_lines(text, session_id, stamp, notes)
    if header is None and not messages:
        raise ChatFileError(
            "This file is not a SillyTavern chat: it has no chat metadata line and no messages."
        )
    metadata = header.get("chat_metadata") if header else None
    session = _session(
        header or {},
        metadata if isinstance(metadata, dict) else {},
        messages,
        character=character,
        user_name=user_name,
        session_id=session_id,
        stamp=stamp,
        notes=notes,
    )
    return ImportedChat(session=session, messages=messages, notes=notes.final())


def _check_size(text: str) -> None:
    """Refuse a file over :data:`MAX_FILE_BYTES` before any work is spent on it."""
    if len(text) > MAX_FILE_BYTES or (
        len(text) * 4 > MAX_FILE_BYTES
        and len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES
    ):
        raise ChatFileError(
            f"This chat file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
            "it cannot be imported."
        )


def _read_lines(
    text: str, session_id: str, stamp: str, notes: _Notes
) -> tuple[dict[str, Any] | None, tuple[Message, ...]]:
    """The metadata line (the first JSON object, when it is one) and the messages, seq from 0,
    in file order; other lines get a note. Past :data:`MAX_MESSAGES` messages, lines are only
    counted, never parsed."""
    header: dict[str, Any] | None = None
    messages: list[Message] = []
    seen = False
    rows = text.removeprefix("\ufeff").split("\n")
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        if len(messages) >= MAX_MESSAGES:
            _note_left_out(rows[number - 1 :], notes)
            break
        line = _json_object(number, row, notes)
        if line is None:
            continue
        if not seen and _is_header(line):
            header = line
        else:
            message = _message(number, line, session_id, len(messages), stamp, notes)
            messages += [] if message is None else [message]
        seen = True
    hidden = sum(message.role == "system" for message in messages)
    if hidden:
        notes.add(
            f"Messages marked as system or hidden in SillyTavern ({hidden}) were kept; "
            "the model does not read them.",
            always=True,
        )
    return header, tuple(messages)


def _json_object(number: int, row: str, notes: _Notes) -> dict[str, Any] | None:
    """Line ``number`` as a JSON object, or ``None`` with a note saying why it is not one."""
    try:
        value = jsontext.loads(row)
    except ValueError:
        notes.add(f"Line {number} is not valid JSON; it was skipped.")
        return None
    if not isinstance(value, dict):
        notes.add(f"Line {number} is not a JSON object; it was skipped.")
        return None
    return value


def _note_left_out(rest: Sequence[str], notes: _Notes) -> None:
    left = sum(1 for row in rest if row.strip())
    notes.add(
        f"The chat has more than {MAX_MESSAGES} messages; its last {left} lines were left out.",
        always=True,
    )


def _is_header(line: dict[str, Any]) -> bool:
    """Whether a line is the metadata line (SillyTavern's import looks for ``user_name``)."""
    return "mes" not in line and not _HEADER_KEYS.isdisjoint(line)


def _message(
    number: int, line: dict[str, Any], session_id: str, seq: int, stamp: str, notes: _Notes
) -> Message | None:
    """One message line as a message, or ``None`` (with a note) when it has no text."""
    mes = _text(line.get("mes"))
    if mes is None:
        what = "a metadata line out of place" if _is_header(line) else "not a message"
        notes.add(f"Line {number} is {what}; it was skipped.")
        return None
    versions, shown, infos = _versions(line, mes)
    extras = [_extra_of(info) for info in infos]
    if isinstance(line.get("extra"), dict):
        extras[shown] = line["extra"]
    texts = [*versions, *(_text(extra.get("reasoning")) or "" for extra in extras)]
    if any(len(text) > MAX_TEXT for text in texts):
        notes.add(f"Line {number} has a text longer than {MAX_TEXT} characters; it was cut.")
    texts = [text[:MAX_TEXT] for text in texts]
    return Message(
        id=new_id(),
        session_id=session_id,
        role=_role(line),
        swipes=texts[: len(versions)],
        swipe_index=shown,
        reasoning=texts[len(versions) :],
        seq=seq,
        created_at=_parse_date(line.get("send_date")) or stamp,
        swipe_stats=[_stats(extra) for extra in extras],
    )


def _versions(line: dict[str, Any], mes: str) -> tuple[list[str], int, list[object]]:
    """Every readable version, the shown one's index and each version's ``swipe_info`` entry.

    SillyTavern shows ``mes``, so the shown version's text is ``mes``; when ``swipe_id`` points
    at no readable version, ``mes`` is that version, or is added as the last one.
    """
    swipes = line.get("swipes")
    if not isinstance(swipes, list) or not swipes:
        return [mes], 0, [None]
    info = line.get("swipe_info")
    infos: list[object] = info if isinstance(info, list) else []
    chosen = line.get("swipe_id")
    kept = [
        (index, text, infos[index] if index < len(infos) else None)
        for index, item in enumerate(swipes)
        if (text := _text(item)) is not None
    ]
    texts = [text for _, text, _ in kept]
    positions = [position for position, (index, _, _) in enumerate(kept) if index == chosen]
    if not positions and mes in texts:
        positions = [texts.index(mes)]
    if not positions:
        texts.append(mes)
        kept.append((len(swipes), mes, None))
        positions = [len(texts) - 1]
    texts[positions[0]] = mes
    return texts, positions[0], [entry for _, _, entry in kept]


def _text(value: object) -> str | None:
    """A text field: a string, or Chub's ``{"message": ...}`` (which SillyTavern flattens).

    JSON may escape half a surrogate pair, which no UTF-8 store or page can take; it becomes
    U+FFFD (the decoder already joins whole pairs into one character).
    """
    if isinstance(value, dict):
        value = value.get("message")
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else None


def _extra_of(info: object) -> dict[str, Any]:
    extra = info.get("extra") if isinstance(info, dict) else None
    return extra if isinstance(extra, dict) else {}


def _stats(extra: dict[str, Any]) -> dict[str, Any]:
    """Our reply stats from a version's ``extra``: plain values only, since the file is not ours."""
    ours = extra.get(NAMESPACE)
    stats = ours.get("stats") if isinstance(ours, dict) else None
    if not isinstance(stats, dict):
        return {}
    return {
        (_text(key) or "")[:64]: _text(value) if isinstance(value, str) else value
        for key, value in list(stats.items())[:32]
        if isinstance(value, bool | int)
        or (isinstance(value, float) and math.isfinite(value))
        or (isinstance(value, str) and len(value) <= 200)
    }


def _role(line: dict[str, Any]) -> Role:
    if line.get("is_system") is True:
        return "system"
    return "user" if line.get("is_user") is True else "assistant"


# --- reading the metadata ---------------------------------------------------------------------


def _session(
    header: dict[str, Any],
    metadata: dict[str, Any],
    messages: Sequence[Message],
    *,
    character: Character,
    user_name: str,
    session_id: str,
    stamp: str,
    notes: _Notes,
) -> ChatSession:
    """The new session: the file's title, author's note and lorebook where it has them."""
    ours = metadata.get(NAMESPACE)
    title = _text(ours.get("title")) if isinstance(ours, dict) else None
    lorebook = _text(metadata.get("world_info")) or ""
    note, depth = _author_note(metadata, notes)
    session = ChatSession(
        id=session_id,
        character_id=character.id,
        title=" ".join((title or "").split())[:MAX_TITLE] or session_title(character, messages),
        created_at=_parse_date(header.get("create_date")) or stamp,
        updated_at=stamp,
        user_name=user_name,
        author_note=note,
        author_note_depth=depth,
        lorebook=lorebook[:200],
    )
    return with_preview(session, messages)


def _author_note(metadata: dict[str, Any], notes: _Notes) -> tuple[str, int]:
    """SillyTavern's author's note and its depth; a note it had switched off is left out."""
    default = ChatSession(id="", character_id="").author_note_depth
    note = _text(metadata.get("note_prompt")) or ""
    interval = metadata.get("note_interval")
    if note.strip() and type(interval) is int and interval <= 0:
        notes.add("The author's note was switched off in SillyTavern; it was left out.")
        return "", default
    depth = metadata.get("note_depth")
    if isinstance(depth, bool) or not isinstance(depth, int):
        depth = default
    if len(note) > MAX_TEXT:
        notes.add(f"The author's note is longer than {MAX_TEXT} characters; it was cut.")
    return note[:MAX_TEXT], min(max(depth, 0), MAX_INJECTION_DEPTH)
