"""The chat's domain records: characters, chat sessions and messages with swipes.

Plain frozen dataclasses with ``to_dict``/``from_dict`` for IndexedDB storage and for export and
import. ``to_dict`` gives JSON-ready dicts (snake_case keys, lists not tuples); ``from_dict``
fills missing keys with defaults, so records stored by an older version still load, and raises
:class:`ModelError` for a value of the wrong type. Records are immutable: the "change" methods
return a new record (``dataclasses.replace``), never modify one in place. Do not mutate their list
or dict fields either; they may be shared between a record and its successor.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from _typeshed import DataclassInstance

__all__ = [
    "Character",
    "ChatSession",
    "Message",
    "ModelError",
    "Role",
    "builtin_characters",
    "new_id",
    "now_iso",
    "read_fields",
    "retranslated_builtins",
]

Role = Literal["user", "assistant", "system"]
_ROLES: tuple[Role, ...] = ("user", "assistant", "system")


class ModelError(ValueError):
    """A stored record that cannot be read back: a field has the wrong type or value."""


def new_id() -> str:
    """A fresh random UUID string (also the server's ``clientSessionId``/``clientMessageId``)."""
    return str(uuid.uuid4())


def now_iso() -> str:
    """The current UTC time as JavaScript writes it: ``2025-01-31T12:00:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- reading stored dicts ---------------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ModelError(f"{key} must be text, not {type(value).__name__}")
    return value


def _flag(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ModelError(f"{key} must be true or false, not {type(value).__name__}")
    return value


def _int(data: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelError(f"{key} must be a whole number, not {type(value).__name__}")
    return value


def _texts(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ModelError(f"{key} must be a list of texts")
    return list(value)


def _objects(data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ModelError(f"{key} must be a list of objects")
    return copy.deepcopy(value)


def _object(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModelError(f"{key} must be an object, not {type(value).__name__}")
    return copy.deepcopy(value)


def _require_mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ModelError(f"a stored {what} must be an object, not {type(data).__name__}")
    return data


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    return None if data.get(key) is None else _text(data, key)


def _optional_object(data: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    return None if data.get(key) is None else _object(data, key)


_READERS: dict[str, Callable[[Mapping[str, Any], str], Any]] = {
    "str": _text,
    "Role": _text,
    "bool": _flag,
    "int": _int,
    "list[str]": _texts,
    "list[dict[str, Any]]": _objects,
    "dict[str, Any]": _object,
    "str | None": _optional_text,
    "dict[str, Any] | None": _optional_object,
}
"""How a field of each annotated type is read back from a stored dict."""


def read_fields(record: type[Any], data: object, what: str) -> dict[str, Any]:
    """Every field of the dataclass ``record`` read from ``data`` by its annotated type.

    One reader per type instead of one line per field, so a field added to a record is stored
    and read back without touching its codec; a record written before the field existed
    reads as the field's default.
    """
    stored = _require_mapping(data, what)
    return {
        item.name: item.default
        if item.name not in stored and item.default is not MISSING
        else _READERS[str(item.type)](stored, item.name)
        for item in fields(record)
    }


# --- records ----------------------------------------------------------------------------------


class Record:
    """What the stored records share: a JSON-ready deep copy of every field (lists stay lists),
    and the fields read back from one; ``KIND`` names the record in errors."""

    KIND: ClassVar[str] = "record"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy of every field."""
        return asdict(cast("DataclassInstance", self))

    @classmethod
    def stored_fields(cls, data: object, *, need_id: bool = True) -> dict[str, Any]:
        """The fields stored by :meth:`to_dict`; :class:`ModelError` when they are malformed,
        or (``need_id``) when the record has no id."""
        stored = read_fields(cls, data, cls.KIND)
        if need_id and not stored["id"]:
            raise ModelError(f"a stored {cls.KIND} has no id")
        return stored


@dataclass(frozen=True)
class Character(Record):
    """A character the user chats with: the Character Card V2 fields plus our bookkeeping."""

    KIND = "character"

    id: str
    """Random UUID; a built-in character has a fixed one."""
    name: str
    builtin: bool = False
    """Shipped with the app; recreated on every start, so not exported or deleted."""
    avatar: str = ""
    """A ``data:image/...;base64,`` URL, or empty for the generated placeholder."""
    description: str = ""
    personality: str = ""
    scenario: str = ""
    first_mes: str = ""
    """The character's opening message (the chat's first assistant message)."""
    mes_example: str = ""
    """Example dialogue: ``<START>`` blocks of ``{{user}}:``/``{{char}}:`` lines."""
    creator_notes: str = ""
    """For people reading the card; never part of a prompt."""
    system_prompt: str = ""
    """Replaces the app's system prompt when set; ``{{original}}`` stands for the app's one."""
    post_history_instructions: str = ""
    """Instructions placed after the history; ``{{original}}`` stands for the app's ones."""
    alternate_greetings: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    creator: str = ""
    character_version: str = ""
    extensions: dict[str, Any] = field(default_factory=dict)
    """The card's ``data.extensions``, kept verbatim for export."""
    card_extra: dict[str, Any] = field(default_factory=dict)
    """Other ``data`` fields of an imported card (``character_book``, V3-only fields), verbatim."""
    created_at: str = ""
    updated_at: str = ""
    owner: str = ""
    """The account (server user id) it was made under; ``""``: nobody was logged in. Only that
    account sees it on this device (built-in characters are everyone's)."""

    @classmethod
    def new(cls, name: str, *, now: str | None = None, **fields: Any) -> Character:
        """A new character with a fresh id and both timestamps set to ``now``."""
        stamp = now or now_iso()
        return cls(id=new_id(), name=name, created_at=stamp, updated_at=stamp, **fields)

    @property
    def greetings(self) -> list[str]:
        """``first_mes`` then the non-empty alternate greetings (the first message's swipes)."""
        found = [self.first_mes] if self.first_mes.strip() else []
        return found + [text for text in self.alternate_greetings if text.strip()]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Character:
        """The character stored by :meth:`to_dict`; :class:`ModelError` when it is malformed."""
        stored = cls.stored_fields(data, need_id=False)
        return cls(**{**stored, "id": stored["id"] or new_id()})


@dataclass(frozen=True)
class ChatSession(Record):
    """One conversation with one character (the server's ``clientSessionId`` is ``id``)."""

    KIND = "chat session"

    id: str
    character_id: str
    title: str = ""
    created_at: str = ""
    updated_at: str = ""
    model_id: str = ""
    """The model the session last generated with."""
    thinking_enabled: bool = False
    """Whether Qwen3-style models may reason (``<think>``) before replying."""
    user_name: str = ""
    """What ``{{user}}`` becomes in this chat; empty means the app-wide default."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Per-session overrides of the generation settings (``temperature``, ``reply_length``...)."""
    owner: str = ""
    """The account (server user id) this chat was written under; ``""``: nobody was logged in.
    Only that account sees it on this device, and only its outbox sends its logs."""
    preview: str | None = None
    """The sidebar's line for the chat (its last message, plain), kept with every write so
    listing chats reads no messages; ``None`` for records written before it was kept."""
    persona_id: str = ""
    """The persona the user speaks as in this chat (``""``: the character's or the default)."""
    lorebook: str = ""
    """The name of a world-info book bound to this chat, besides the character's own."""
    author_note: str = ""
    """The author's note: a short instruction placed ``author_note_depth`` messages from the
    end (``""``: the card's ``depth_prompt``, if it has one)."""
    author_note_depth: int = 4

    @classmethod
    def new(
        cls, character_id: str, *, title: str = "", now: str | None = None, **fields: Any
    ) -> ChatSession:
        """A new session with a fresh id and both timestamps set to ``now``."""
        stamp = now or now_iso()
        return cls(
            id=new_id(),
            character_id=character_id,
            title=title,
            created_at=stamp,
            updated_at=stamp,
            **fields,
        )

    def touched(self, now: str | None = None) -> ChatSession:
        """This session with ``updated_at`` moved to ``now``."""
        return replace(self, updated_at=now or now_iso())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChatSession:
        """The session stored by :meth:`to_dict`; :class:`ModelError` when it is malformed."""
        return cls(**cls.stored_fields(data))


@dataclass(frozen=True)
class Message(Record):
    """One turn of a chat. An assistant turn may have several versions ("swipes").

    ``swipes[i]`` is a version of the content, ``reasoning[i]`` the model's thinking for it
    (``""`` when none) and ``swipe_stats[i]`` how it was generated (``{}`` when not by the
    model); ``swipe_index`` picks the version shown and sent. ``id`` is the server's
    ``clientMessageId`` for the first version; see :meth:`client_message_id` for the others.
    """

    KIND = "message"

    id: str
    session_id: str
    role: Role
    swipes: list[str] = field(default_factory=lambda: [""])
    swipe_index: int = 0
    reasoning: list[str] = field(default_factory=lambda: [""])
    seq: int = 0
    """Position in the session, from 0; the server orders by it."""
    created_at: str = ""
    swipe_stats: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    """Generation stats of each version (tokens, speed, stopped), as the engine reported them."""

    def __post_init__(self) -> None:
        if self.role not in _ROLES:
            raise ModelError(f"role must be one of {', '.join(_ROLES)}, not {self.role!r}")
        if not self.swipes:
            raise ModelError("a message needs at least one version of its content")
        if not 0 <= self.swipe_index < len(self.swipes):
            raise ModelError(f"swipe_index {self.swipe_index} is outside 0..{len(self.swipes) - 1}")
        if len(self.reasoning) != len(self.swipes):
            # Older records or callers that ignore reasoning: pad or cut to one per swipe.
            fitted = (list(self.reasoning) + [""] * len(self.swipes))[: len(self.swipes)]
            object.__setattr__(self, "reasoning", fitted)
        if len(self.swipe_stats) != len(self.swipes):
            padded = (list(self.swipe_stats) + [{}] * len(self.swipes))[: len(self.swipes)]
            object.__setattr__(self, "swipe_stats", padded)

    @classmethod
    def new(
        cls,
        session_id: str,
        role: Role,
        content: str,
        *,
        seq: int,
        reasoning: str = "",
        now: str | None = None,
        stats: dict[str, Any] | None = None,
    ) -> Message:
        """A new single-version message with a fresh id."""
        return cls(
            id=new_id(),
            session_id=session_id,
            role=role,
            swipes=[content],
            reasoning=[reasoning],
            seq=seq,
            created_at=now or now_iso(),
            swipe_stats=[dict(stats or {})],
        )

    @property
    def content(self) -> str:
        """The version shown and sent to the model."""
        return self.swipes[self.swipe_index]

    @property
    def current_reasoning(self) -> str:
        """The thinking behind the shown version (``""`` when none)."""
        return self.reasoning[self.swipe_index]

    @property
    def stats(self) -> dict[str, Any] | None:
        """How the shown version was generated (``None``: not by the model, or not known)."""
        return self.swipe_stats[self.swipe_index] or None

    @property
    def swipe_count(self) -> int:
        return len(self.swipes)

    def client_message_id(self, swipe_index: int | None = None) -> str:
        """The log's ``clientMessageId`` for a version: ``id`` for the first, a stable UUID5 after.

        The server refuses a known id with different content (409), so each regenerated
        version is logged under its own id, derived from ``id`` so a replay finds it again.
        """
        index = self.swipe_index if swipe_index is None else swipe_index
        if index == 0:
            return self.id
        try:
            namespace = uuid.UUID(self.id)
        except ValueError:
            namespace = uuid.uuid5(uuid.NAMESPACE_URL, self.id)
        return str(uuid.uuid5(namespace, f"swipe:{index}"))

    def with_swipe(
        self, content: str, *, reasoning: str = "", stats: dict[str, Any] | None = None
    ) -> Message:
        """This message with a new version appended and shown (after "regenerate")."""
        return replace(
            self,
            swipes=[*self.swipes, content],
            reasoning=[*self.reasoning, reasoning],
            swipe_stats=[*self.swipe_stats, dict(stats or {})],
            swipe_index=len(self.swipes),
        )

    def flipped(self, step: int) -> Message:
        """This message showing the version ``step`` away, clamped to the first and last."""
        index = min(max(self.swipe_index + step, 0), len(self.swipes) - 1)
        return self if index == self.swipe_index else replace(self, swipe_index=index)

    def selecting(self, index: int) -> Message:
        """This message showing version ``index``, clamped to the versions that exist."""
        return self.flipped(index - self.swipe_index)

    def edited(self, content: str, *, reasoning: str | None = None) -> Message:
        """This message with the shown version's text replaced (reasoning kept unless given)."""
        swipes = list(self.swipes)
        swipes[self.swipe_index] = content
        thoughts = list(self.reasoning)
        if reasoning is not None:
            thoughts[self.swipe_index] = reasoning
        return replace(self, swipes=swipes, reasoning=thoughts)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """The message stored by :meth:`to_dict`; :class:`ModelError` when it is malformed."""
        stored = cls.stored_fields(data)
        if not stored["swipes"] and "content" in data:  # a flat {role, content} record
            stored["swipes"] = [_text(data, "content")]
        swipes = stored["swipes"] or [""]
        if not stored["swipe_stats"] and _optional_object(data, "stats"):
            # written before each version kept its own: the stats were the newest version's
            stored["swipe_stats"] = [{}] * (len(swipes) - 1) + [_object(data, "stats")]
        return cls(**{**stored, "swipes": swipes})


# --- built-in characters ----------------------------------------------------------------------

_BUILTIN_NAMESPACE = uuid.UUID("6f3b8e52-3c1a-4d0e-9a57-0c2f1b7d9e41")
_BUILTIN_STAMP = "2025-01-01T00:00:00.000Z"


def _builtin(slug: str, **fields: Any) -> Character:
    return Character(
        id=str(uuid.uuid5(_BUILTIN_NAMESPACE, slug)),
        builtin=True,
        creator="Character Chat",
        character_version="1.0",
        created_at=_BUILTIN_STAMP,
        updated_at=_BUILTIN_STAMP,
        **fields,
    )


_SHIPPED = Path(__file__).with_name("builtin_characters.json")
"""The built-in characters' texts: ``en``, a list of them by ``slug``, and ``ko``, the same
texts translated by slug (data, kept beside this module and shipped in the app's archive)."""


@cache
def _shipped() -> dict[str, Any]:
    with _SHIPPED.open(encoding="utf-8") as data:
        shipped: dict[str, Any] = json.load(data)
    return shipped


def builtin_characters(lang: str = "en") -> list[Character]:
    """The characters the app ships with, in ``lang`` (fixed ids, so storage never
    duplicates them and a chat keeps its character whatever the language)."""
    shipped = _shipped()
    translated = shipped["ko"] if lang == "ko" else {}
    return [
        _builtin(**{**fields, **translated.get(fields["slug"], {})}) for fields in shipped["en"]
    ]


def retranslated_builtins(stored: Iterable[Character], lang: str) -> list[Character]:
    """The stored built-in characters to write again in ``lang``: those the user left as
    they came, in some other language (an edited one is the user's now and stays)."""
    shipped = {
        character.id: character
        for other in ("en", "ko")
        for character in builtin_characters(other)
        if other != lang
    }
    wanted = {character.id: character for character in builtin_characters(lang)}
    return [
        replace(wanted[character.id], owner=character.owner)
        for character in stored
        if character.id in wanted
        and character.id in shipped
        and replace(character, owner="") == shipped[character.id]
        and character != wanted[character.id]
    ]
