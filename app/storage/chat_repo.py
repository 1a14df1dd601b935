"""Characters, chat sessions, messages and settings on the app's :class:`Database`.

The chat UI's only way to its history. It reads and writes the model records
(``app.models``) as their ``to_dict`` forms, and keeps the promises the UI relies on:

- ``save_messages`` writes the messages, the touched session and their outbox entries in one
  transaction, so a message is never shown as sent without its log entry (docs/architecture.md, "The outbox");
- deletes cascade (character -> sessions -> messages) in one transaction, and never touch the
  outbox: logs already queued are still sent (deleting a chat here is not deleting it there);
- ``import_all`` checks the whole file before writing anything, then writes it in one
  transaction, so a bad file changes nothing.

Deletes read what to delete, then write; a message another tab adds in between survives as an
orphan (invisible, harmless). Reads see what each store holds at the time of the read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from app.models import Character, ChatSession, Message, ModelError, now_iso
from app.storage.database import (
    CHARACTERS,
    MESSAGES,
    OUTBOX,
    SCHEMA,
    SESSION_MAP,
    SESSIONS,
    SETTINGS,
    UNREADABLE_KEY,
)
from app.storage.outbox_store import outbox_adds, record_owner
from app.storage.owner import NOBODY, Owner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from app.outbox.entries import Entry
    from app.storage.database import Database

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "ChatRepository",
    "ImportSummary",
    "SetAside",
    "StorageImportError",
]

EXPORT_FORMAT = "character-chat-export"
"""The ``format`` field of an export file."""
EXPORT_VERSION = 1
"""The newest export ``version`` this code reads and the one it writes."""


_Record = TypeVar("_Record", Character, ChatSession, Message)


class StorageImportError(ValueError):
    """An import file that cannot be imported; the message says where and why. Nothing was
    written."""


@dataclass(frozen=True)
class ImportSummary:
    """How many records an import wrote (new or overwritten)."""

    characters: int
    sessions: int
    messages: int
    settings: int = 0


def _json_safe(value: Any, where: str) -> None:
    """Settings must be JSON data (they are exported as JSON and stored as structured clones)."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StorageImportError(f"{where} must be a finite number")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _json_safe(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise StorageImportError(f"{where} has a key that is not text")
            _json_safe(item, f"{where}.{key}")
        return
    raise StorageImportError(f"{where} is not JSON data ({type(value).__name__})")


@dataclass(frozen=True)
class SetAside:
    """A stored record that could not be read: kept as it is, out of the app's way."""

    store: str
    key: str | None
    """Its key, when it could be found (then it can be removed)."""
    error: str
    record: Any
    """What was stored (or its JSON text, when even that could not be converted)."""


#: What a record that cannot be read raises on its way to a model (``app.models``).
_UNREADABLE_ERRORS = (ModelError, TypeError, ValueError, KeyError, AttributeError)


class ChatRepository:
    """The chat history and settings (see the module docstring for the guarantees).

    Chats belong to the account they were written under (:attr:`owner`): lists show only the
    current owner's. A record that cannot be read is set aside (:attr:`set_aside`) instead of
    stopping the app; every record is read back before it is written, so a record this code
    wrote can always be read.
    """

    def __init__(
        self, db: Database, *, now: Callable[[], str] = now_iso, owner: Owner | None = None
    ) -> None:
        self.db = db
        self._now = now
        self.owner = owner or Owner()
        self.set_aside: dict[tuple[str, str], SetAside] = {}
        """Unreadable records found so far, by (store, key or a stand-in)."""

    def _read(
        self, store: str, records: Iterable[Any], read: Callable[[Mapping[str, Any]], _Record]
    ) -> list[_Record]:
        """The records that read as models; the others are set aside."""
        models: list[_Record] = []
        for data in records:
            try:
                models.append(read(data))
            except _UNREADABLE_ERRORS as exc:
                self._put_aside(store, data, exc)
        return models

    async def _read_one(
        self, store: str, key: str, read: Callable[[Mapping[str, Any]], _Record]
    ) -> _Record | None:
        """The record under ``key`` as a model; ``None`` when there is none, or when it cannot
        be read (then it is set aside)."""
        data = await self.db.get(store, key)
        found = self._read(store, [data] if data is not None else [], read)
        return found[0] if found else None

    def _put_aside(self, store: str, data: Any, exc: Exception) -> None:
        if isinstance(data, dict) and UNREADABLE_KEY in data:
            key, record, error = None, data.get("raw"), str(data[UNREADABLE_KEY])
        else:
            found = data.get(SCHEMA[store].key_path) if isinstance(data, dict) else None
            key = found if isinstance(found, str) else None
            record, error = data, str(exc)
        slot = key if key is not None else f"?{len(self.set_aside)}:{str(record)[:64]}"
        self.set_aside.setdefault((store, slot), SetAside(store, key, error, record))

    async def scan(self) -> int:
        """Read every character and session once (at start), so any that cannot be read is
        set aside and reported, not only those of the chat on screen; how many are aside."""
        self._read(CHARACTERS, await self.db.get_all(CHARACTERS), Character.from_dict)
        self._read(SESSIONS, await self.db.get_all(SESSIONS), ChatSession.from_dict)
        return len(self.set_aside)

    async def drop_set_aside(self) -> int:
        """Delete the set-aside records that have a key; how many were deleted."""
        deletes = [(item.store, item.key) for item in self.set_aside.values() if item.key]
        if deletes:
            await self.db.write(deletes=deletes)
        self.set_aside = {slot: item for slot, item in self.set_aside.items() if item.key is None}
        return len(deletes)

    def set_aside_export(self) -> dict[str, Any]:
        """The set-aside records as one JSON-ready file, for the user to keep."""
        return {
            "format": "character-chat-unreadable",
            "exportedAt": self._now(),
            "records": [
                {"store": item.store, "key": item.key, "error": item.error, "record": item.record}
                for item in self.set_aside.values()
            ],
        }

    # -- characters ---------------------------------------------------------------------------

    async def list_characters(self) -> list[Character]:
        """The built-in characters and the current owner's, by name (case-insensitive), then
        id."""
        characters = [
            c
            for c in self._read(CHARACTERS, await self.db.get_all(CHARACTERS), Character.from_dict)
            if c.builtin or c.owner == self.owner.account
        ]
        characters.sort(key=lambda c: (c.name.casefold(), c.id))
        return characters

    async def get_character(self, character_id: str) -> Character | None:
        """One character, or ``None``."""
        return await self._read_one(CHARACTERS, character_id, Character.from_dict)

    async def save_character(self, character: Character) -> None:
        """Insert or overwrite a character (:class:`ModelError` if it would not read back); a
        new one belongs to the current owner."""
        if not character.builtin and not character.owner:
            character = replace(character, owner=self.owner.account)
        await self.db.write(puts=[(CHARACTERS, _readable(character.to_dict(), Character))])

    async def delete_character(self, character_id: str) -> None:
        """Delete a character with its sessions and their messages (not their outbox entries)."""
        sessions = await self.db.get_all(SESSIONS, index="characterId", value=character_id)
        deletes = [(CHARACTERS, character_id)]
        for session in sessions:
            deletes += await self._session_deletes(session["id"])
        await self.db.write(deletes=deletes)

    # -- sessions -----------------------------------------------------------------------------

    async def list_sessions(self, character_id: str | None = None) -> list[ChatSession]:
        """The current owner's sessions (of one character, or all), most recently updated
        first."""
        if character_id is None:
            records = await self.db.get_all(SESSIONS)
        else:
            records = await self.db.get_all(SESSIONS, index="characterId", value=character_id)
        owner = self.owner.account
        sessions = [
            s for s in self._read(SESSIONS, records, ChatSession.from_dict) if s.owner == owner
        ]
        sessions.sort(key=lambda s: s.id)
        sessions.sort(key=lambda s: s.updated_at, reverse=True)
        return sessions

    async def get_session(self, session_id: str) -> ChatSession | None:
        """One session, or ``None``."""
        return await self._read_one(SESSIONS, session_id, ChatSession.from_dict)

    async def save_session(self, session: ChatSession) -> None:
        """Insert or overwrite a session (:class:`ModelError` if it would not read back)."""
        session = await self._as_stored_owner(session)
        await self.db.write(puts=[(SESSIONS, _readable(session.to_dict(), ChatSession))])

    async def delete_session(self, session_id: str) -> None:
        """Delete a session and its messages (not their outbox entries)."""
        await self.db.write(deletes=await self._session_deletes(session_id))

    async def _session_deletes(self, session_id: str) -> list[tuple[str, str]]:
        messages = await self.db.get_all(MESSAGES, index="sessionId", value=session_id)
        return [(SESSIONS, session_id)] + [(MESSAGES, data["id"]) for data in messages]

    # -- messages -----------------------------------------------------------------------------

    async def list_messages(self, session_id: str) -> list[Message]:
        """A session's messages by ``seq`` (then creation time, then id)."""
        records = await self.db.get_all(MESSAGES, index="sessionId", value=session_id)
        messages = self._read(MESSAGES, records, Message.from_dict)
        messages.sort(key=lambda m: (m.seq, m.created_at, m.id))
        return messages

    async def next_seq(self, session_id: str) -> int:
        """The ``seq`` for a session's next message: one past the highest, 0 when empty."""
        records = await self.db.get_all(MESSAGES, index="sessionId", value=session_id)
        seqs = [data.get("seq") for data in records]
        return max((s + 1 for s in seqs if isinstance(s, int)), default=0)

    async def save_messages(
        self,
        messages: Sequence[Message],
        *,
        session: ChatSession | None = None,
        outbox: Sequence[Entry] = (),
    ) -> list[str]:
        """Write messages, the session (e.g. ``touched()``) and outbox entries in ONE
        transaction; return the outbox keys added (an entry already queued is left alone).

        Each entry belongs to the owner of its chat, whoever is logged in by the time it is
        written (a reply that finishes after a logout is still the old account's).
        """
        puts = [(MESSAGES, _readable(message.to_dict(), Message)) for message in messages]
        if session is not None:
            session = await self._as_stored_owner(session)
            puts.append((SESSIONS, _readable(session.to_dict(), ChatSession)))
        owners: dict[str, str] = {session.id: session.owner} if session is not None else {}
        for entry in outbox:
            if entry.client_session_id not in owners:
                stored = await self.get_session(entry.client_session_id)
                owners[entry.client_session_id] = stored.owner if stored else self.owner.account
        adds = []
        for entry in outbox:
            adds += outbox_adds([entry], owner=owners[entry.client_session_id])
        return await self.db.write(puts=puts, adds=adds)

    async def delete_message(self, message_id: str, *, session: ChatSession | None = None) -> None:
        """Delete one message (not its outbox entry), writing ``session`` (its new preview) in
        the same transaction."""
        puts = []
        if session is not None:
            session = await self._as_stored_owner(session)
            puts.append((SESSIONS, _readable(session.to_dict(), ChatSession)))
        await self.db.write(puts=puts, deletes=[(MESSAGES, message_id)])

    async def _as_stored_owner(self, session: ChatSession) -> ChatSession:
        """``session`` with the owner its stored record has: a copy read before an adoption
        (the open chat, at login) must not give the chat back to nobody when it is saved."""
        stored = await self.get_session(session.id)
        if stored is None or stored.owner == session.owner:
            return session
        return replace(session, owner=stored.owner)

    # -- accounts -----------------------------------------------------------------------------

    async def sessions_of(self, account: str) -> list[ChatSession]:
        """Every session written under ``account`` (``NOBODY``: while logged out)."""
        records = await self.db.get_all(SESSIONS)
        return [
            s for s in self._read(SESSIONS, records, ChatSession.from_dict) if s.owner == account
        ]

    async def adopt(self, account: str, *, written: bool = True) -> int:
        """Give chats written while logged out to ``account``, with their outbox entries, in
        one transaction; how many chats. ``written=False``: only the untouched ones (a
        greeting and nothing the user wrote), which need no asking; ``True``: all of them
        (the user said so)."""
        sessions = await self.sessions_of(NOBODY)
        if not written:
            sessions = [s for s in sessions if not await self._has_user_messages(s.id)]
            if not sessions:
                return 0
        chosen = {s.id for s in sessions}
        entries = [
            record
            for record in await self.db.get_all(OUTBOX)
            if record_owner(record) == NOBODY
            and (written or record.get("clientSessionId") in chosen)
        ]
        puts = [(SESSIONS, {**s.to_dict(), "owner": account}) for s in sessions]
        if written:
            puts += [
                (CHARACTERS, {**c.to_dict(), "owner": account}) for c in await self._made_by(NOBODY)
            ]
        replaces = [(OUTBOX, {**record, "owner": account}) for record in entries]
        if puts or replaces:
            await self.db.write(puts=puts, replaces=replaces)
        return len(sessions)

    async def _made_by(self, account: str) -> list[Character]:
        """The characters (not built-in) made under ``account``."""
        records = await self.db.get_all(CHARACTERS)
        return [
            c
            for c in self._read(CHARACTERS, records, Character.from_dict)
            if not c.builtin and c.owner == account
        ]

    async def written_while_logged_out(self) -> list[ChatSession | Character]:
        """Chats of nobody in which the user wrote something, and characters made while
        logged out (those need the user's say)."""
        chats: list[ChatSession | Character] = [
            s for s in await self.sessions_of(NOBODY) if await self._has_user_messages(s.id)
        ]
        return chats + list(await self._made_by(NOBODY))

    async def _has_user_messages(self, session_id: str) -> bool:
        records = await self.db.get_all(MESSAGES, index="sessionId", value=session_id)
        return any(isinstance(r, dict) and r.get("role") == "user" for r in records)

    async def remove_account_data(self, account: str) -> int:
        """Delete ``account``'s chats, their messages, its characters and its unsent outbox
        entries from this device, in one transaction; how many chats."""
        sessions = await self.sessions_of(account)
        deletes: list[tuple[str, str]] = []
        for session in sessions:
            deletes += await self._session_deletes(session.id)
            deletes.append((SESSION_MAP, session.id))
        deletes += [
            (OUTBOX, str(r["key"]))
            for r in await self.db.get_all(OUTBOX)
            if record_owner(r) == account and isinstance(r.get("key"), str)
        ]
        deletes += [(CHARACTERS, c.id) for c in await self._made_by(account)]
        if deletes:
            await self.db.write(deletes=deletes)
        return len(sessions)

    async def unsent_of(self, account: str) -> int:
        """How many outbox entries of ``account`` still wait (or failed) on this device."""
        return sum(1 for r in await self.db.get_all(OUTBOX) if record_owner(r) == account)

    # -- settings -----------------------------------------------------------------------------

    async def get_setting(self, key: str, default: Any = None) -> Any:
        """A stored setting, or ``default``."""
        data = await self.db.get(SETTINGS, key)
        return data.get("value", default) if data is not None else default

    async def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON-ready setting."""
        await self.db.write(puts=[(SETTINGS, {"key": key, "value": value})])

    async def all_settings(self) -> dict[str, Any]:
        """Every setting by key."""
        return {data["key"]: data.get("value") for data in await self.db.get_all(SETTINGS)}

    # -- export and import --------------------------------------------------------------------

    async def export_all(self) -> dict[str, Any]:
        """Everything the user made, as one JSON-ready dict (no outbox, no built-in characters:
        those are recreated on every start). Only the current owner's chats: another
        account's never leave the device through this one."""
        characters = [c.to_dict() for c in await self.list_characters() if not c.builtin]
        owned = await self.list_sessions()
        sessions = [s.to_dict() for s in owned]
        messages = []
        for session in owned:
            messages += await self.list_messages(session.id)
        messages.sort(key=lambda m: (m.session_id, m.seq, m.created_at, m.id))
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exportedAt": self._now(),
            "characters": characters,
            "sessions": sessions,
            "messages": [m.to_dict() for m in messages],
            "settings": await self.all_settings(),
        }

    async def _check_sessions_known(self, messages: list[Message], known: set[str]) -> None:
        """Every imported message's session is in the file or already on this device."""
        for index, message in enumerate(messages):
            if message.session_id in known:
                continue
            if await self.db.get(SESSIONS, message.session_id) is None:
                raise StorageImportError(
                    f"messages[{index}]: its chat session {message.session_id!r} is neither "
                    "in the file nor on this device."
                )
            known.add(message.session_id)

    async def import_all(self, data: Any) -> ImportSummary:
        """Merge an export into the database by id (existing ids are overwritten).

        Everything is checked first; any problem raises :class:`StorageImportError` naming the
        record and field, and nothing is written. Then one transaction writes it all. Imported
        messages are history, not new logs: they are not queued for the server.
        """
        _check_export_header(data)
        characters = [
            replace(character, owner=self.owner.account)
            for character in _records(data, "characters", Character.from_dict)
        ]
        sessions = [
            replace(session, owner=self.owner.account)  # the importing user's from now on
            for session in _records(data, "sessions", ChatSession.from_dict)
        ]
        messages = _records(data, "messages", Message.from_dict)
        settings = _export_settings(data)
        await self._check_sessions_known(messages, {s.id for s in sessions})
        puts = (
            [(CHARACTERS, c.to_dict()) for c in characters]
            + [(SESSIONS, s.to_dict()) for s in sessions]
            + [(MESSAGES, m.to_dict()) for m in messages]
            + [(SETTINGS, {"key": key, "value": value}) for key, value in settings.items()]
        )
        if puts:
            await self.db.write(puts=puts)
        return ImportSummary(len(characters), len(sessions), len(messages), len(settings))


def _check_export_header(data: Any) -> None:
    """An export of ours, in a version this app reads; else :class:`StorageImportError`."""
    if not isinstance(data, dict):
        raise StorageImportError("The file is not a Character Chat export (not an object).")
    if data.get("format") != EXPORT_FORMAT:
        raise StorageImportError("The file is not a Character Chat export (wrong format).")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StorageImportError("The export has no valid version number.")
    if version > EXPORT_VERSION:
        raise StorageImportError(
            f"The export is version {version}; this app reads up to {EXPORT_VERSION}. "
            "Update the app first."
        )


def _export_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The export's settings object (absent or null: none)."""
    settings = data.get("settings", {})
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise StorageImportError("settings must be an object.")
    _json_safe(settings, "settings")
    return settings


def _records(
    data: Mapping[str, Any], name: str, read: Callable[[Mapping[str, Any]], _Record]
) -> list[_Record]:
    """Read one list of the export, naming the first bad record; ids must be unique."""
    raw = data.get(name, [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise StorageImportError(f"{name} must be a list.")
    records: list[_Record] = []
    for index, item in enumerate(raw):
        try:
            records.append(read(item))
        except (ModelError, TypeError) as exc:
            raise StorageImportError(f"{name}[{index}]: {exc}.") from exc
    _unique(name, (record.id for record in records))
    return records


def _unique(name: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for record_id in ids:
        if record_id in seen:
            raise StorageImportError(f"{name}: the id {record_id!r} appears twice.")
        seen.add(record_id)


def _readable(
    record: dict[str, Any], model: type[Character] | type[ChatSession] | type[Message]
) -> dict[str, Any]:
    """``record`` after checking that it reads back as ``model`` (else :class:`ModelError`):
    nothing is stored that would fail to load on the next start."""
    model.from_dict(record)
    return record
