"""Restore: bring the account's logged chats from the server into this browser's history.

The server keeps an append-only log (docs/architecture.md, "The server"): one row per version
of a message the user saw finish, each under its own ``clientMessageId``
(``Message.client_message_id`` for a regenerated version,
``conversation.log_message_id(..., edited=True)`` for an edit). Restoring turns those rows
back into local records without ever losing or rewriting what this browser already holds:

- a remote session is the local ``ChatSession`` whose id is its ``clientSessionId``;
- a character missing here gets a placeholder (a built-in one gets its built-in record);
- the rows of one ``(seq, role)`` are one message; each distinct text is one version (swipe);
- a local message at that ``(seq, role)`` only gains the versions it does not hold yet.

A version counts as held when its text is one of the message's swipes, or when its row's id
is one this message logged itself (``client_message_id(i)`` or an edit of it): the text was
since edited here, and bringing the old text back would undo the edit.

:func:`merge_remote` is the pure rule (what to write), :func:`pull_history` the loop that pages
through the API and writes with the repository; the browser passes it ``api_json``. Restored
records are history, not new logs: nothing is queued in the outbox.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from app.contract import ContractError, MessageOut, SessionOut, from_wire, parse_timestamp
from app.conversation import log_message_id, with_preview
from app.models import Character, ChatSession, Message, ModelError, builtin_characters
from app.outbox.ports import NetworkError, Response
from app.storage.database import DatabaseError

if TYPE_CHECKING:
    from app.storage.chat_repo import ChatRepository

__all__ = [
    "MESSAGES_PAGE",
    "PLACEHOLDER_DESCRIPTION",
    "SESSIONS_PAGE",
    "RestorePlan",
    "RestoreSummary",
    "Send",
    "merge_remote",
    "messages_path",
    "pull_history",
    "restored_message_id",
    "sessions_path",
]

PLACEHOLDER_DESCRIPTION = "Restored from your account."
"""The description of a character made up for a restored chat (the server keeps only names)."""

SESSIONS_PAGE = 100
"""Sessions per request (the server's maximum)."""
MESSAGES_PAGE = 500
"""Messages per request (the server's maximum)."""
_MAX_PAGES = 10_000
"""A guard against a server that keeps answering with more pages."""

_API = "/api/v1/character-chat/sessions"
_RESTORED = uuid.UUID("0b8f9d1e-5a6c-4f3e-9c2d-7e1a4b6c8d90")
"""Namespace of the ids of messages made by a restore (see :func:`restored_message_id`)."""

Send = Callable[[str, str], Awaitable[Response]]
"""``send(method, path)``: one API call, every HTTP answer returned, ``NetworkError`` raised
when none came (``app.browser.http.api_json`` fits)."""


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestorePlan:
    """The records to write locally: each is new or an existing one with versions added."""

    characters: list[Character] = field(default_factory=list)
    sessions: list[ChatSession] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    skipped: int = 0
    """Remote items that were malformed (wrong types, unknown role) and left out."""

    @property
    def empty(self) -> bool:
        """Nothing to write."""
        return not (self.characters or self.sessions or self.messages)


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore wrote; ``error`` says why it stopped early (what was written stays)."""

    characters: int = 0
    sessions: int = 0
    """Sessions created here."""
    messages: int = 0
    """Messages written: new ones and local ones that gained versions."""
    remote_sessions: int = 0
    """Sessions the server listed."""
    skipped: int = 0
    """Malformed remote items left out."""
    error: str | None = None
    """``None`` when every session was restored; otherwise the reason, for the user."""
    status: int | None = None
    """The HTTP status that stopped it (401 means: log in again), ``None`` otherwise."""

    @property
    def complete(self) -> bool:
        """Every listed session was read and merged."""
        return self.error is None


# --- reading the wire shapes ------------------------------------------------------------------


def _js_time(value: object) -> str:
    """A timestamp as the app writes it (``...T12:00:00.000Z``), so local sorting by text works.

    The server answers RFC 3339 in its own spelling (``+00:00``, microseconds); text that does
    not parse is kept as it is.
    """
    if not isinstance(value, str):
        return ""
    moment = parse_timestamp(value)
    if moment is None:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return value
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _read_session(item: object) -> SessionOut | None:
    """A ``SessionOut`` (``app/contract.py``), its times in the app's spelling; ``None`` when
    the item is not one."""
    try:
        remote = from_wire(SessionOut, item)
    except ContractError:
        return None
    created = _js_time(remote.created_at)
    return replace(remote, created_at=created, updated_at=_js_time(remote.updated_at) or created)


def _read_row(item: object) -> MessageOut | None:
    """A ``MessageOut``, its time in the app's spelling; ``None`` when the item is not one."""
    try:
        row = from_wire(MessageOut, item)
    except ContractError:
        return None
    return replace(row, created_at=_js_time(row.created_at), stats=row.stats or None)


# --- versions of one message ------------------------------------------------------------------


def _probe(client_id: str, content: str) -> Message:
    """A stand-in message whose first version is ``client_id``, to derive ids the app's way."""
    return Message(id=client_id, session_id="", role="user", swipes=[content])


def _is_edit_of(row: MessageOut, version_id: str) -> bool:
    """Whether ``row`` is an edit logged for the version logged under ``version_id``."""
    return row.client_message_id == log_message_id(_probe(version_id, row.content), edited=True)


def _logged_by(row: MessageOut, message: Message) -> bool:
    """Whether ``message`` logged this row: under one of its version ids, or as an edit of one.

    Sound for restored messages too: their ids are new (:func:`restored_message_id`), so the
    only rows under their version ids are ones this browser logged from them.
    """
    versions = {message.client_message_id(i) for i in range(message.swipe_count)}
    if row.client_message_id in versions:
        return True
    return any(_is_edit_of(row, version_id) for version_id in versions)


def _ordered(rows: Sequence[MessageOut]) -> list[MessageOut]:
    """One ``(seq, role)`` group in the order its versions were made.

    All versions of one message share its ``createdAt``, and the server's row ids are random,
    so ``createdAt`` and id alone would shuffle swipes. The ids say more: a regenerated version
    is logged under ``uuid5(first id, "swipe:i")`` and an edit under an id made from the edited
    version's id and its text. Rows are ordered by (``createdAt``, the message they belong to,
    version index, edit after original, server id); a row the ids say nothing about is a message
    of its own (e.g. one deleted here and sent again at the same ``seq``).
    """
    by_id = {row.client_message_id: row for row in rows}
    place: dict[str, tuple[str, int, int]] = {}
    for row in sorted(rows, key=lambda r: (r.created_at, r.client_message_id)):
        probe = _probe(row.client_message_id, row.content)
        for index in range(1, len(rows) + 2):
            derived = probe.client_message_id(index)
            if derived in by_id and derived not in place:
                place[derived] = (row.client_message_id, index, 0)
    for row in rows:
        if row.client_message_id in place:
            continue
        for version_id in by_id:
            if version_id != row.client_message_id and _is_edit_of(row, version_id):
                base, index, _ = place.get(version_id, (version_id, 0, 0))
                place[row.client_message_id] = (base, index, 1)
                break
    first_seen: dict[str, str] = {}
    for row in rows:
        base = place.get(row.client_message_id, (row.client_message_id, 0, 0))[0]
        when = first_seen.get(base)
        first_seen[base] = row.created_at if when is None else min(when, row.created_at)

    def key(row: MessageOut) -> tuple[str, str, int, int, str, str]:
        base, index, edit = place.get(row.client_message_id, (row.client_message_id, 0, 0))
        return (first_seen[base], base, index, edit, row.created_at, row.id)

    return sorted(rows, key=key)


def restored_message_id(client_session_id: str, first_client_message_id: str) -> str:
    """The local id of a message made by a restore: stable, and never a logged id.

    Not the logged ``clientMessageId`` itself: a restored message's versions are in a new
    order, so ``client_message_id(i)`` of it must not name another version already on the
    server (a regeneration here would collide with one made on the first device: 409).
    """
    return str(uuid.uuid5(_RESTORED, f"{client_session_id}/{first_client_message_id}"))


def _distinct(rows: Iterable[MessageOut]) -> list[MessageOut]:
    """The first row of each distinct text, in order."""
    seen: set[str] = set()
    kept: list[MessageOut] = []
    for row in rows:
        if row.content not in seen:
            seen.add(row.content)
            kept.append(row)
    return kept


def _new_message(session_id: str, rows: Sequence[MessageOut]) -> Message:
    versions = _distinct(rows)
    return Message(
        id=restored_message_id(session_id, rows[0].client_message_id),
        session_id=session_id,
        role="assistant" if rows[0].role == "assistant" else "user",
        swipes=[row.content for row in versions],
        swipe_index=len(versions) - 1,
        reasoning=[""] * len(versions),
        seq=rows[0].seq,
        created_at=rows[0].created_at,
        swipe_stats=[_stats_of(row.content, rows) for row in versions],
    )


def _stats_of(content: str, rows: Sequence[MessageOut]) -> dict[str, Any]:
    """The stats of the newest row that logged this version's text (``{}``: none)."""
    last = next(row for row in reversed(rows) if row.content == content)
    return dict(last.stats) if last.stats else {}


def _target(candidates: Sequence[Message], rows: Sequence[MessageOut]) -> Message:
    """The local message to add versions to: one that logged some rows, else the newest."""
    for message in candidates:
        if any(_logged_by(row, message) for row in rows):
            return message
    return max(candidates, key=lambda m: (m.created_at, m.id))


# --- the merge --------------------------------------------------------------------------------


def _placeholder(remote: SessionOut) -> Character:
    builtin = {c.id: c for c in builtin_characters()}.get(remote.character_id)
    if builtin is not None:
        return builtin
    return Character(
        id=remote.character_id,
        name=remote.character_name or "?",
        description=PLACEHOLDER_DESCRIPTION,
        created_at=remote.created_at,
        updated_at=remote.created_at,
    )


def _new_session(remote: SessionOut) -> ChatSession:
    return ChatSession(
        id=remote.client_session_id,
        character_id=remote.character_id,
        title=remote.title or "",
        created_at=remote.created_at,
        updated_at=remote.updated_at or remote.created_at,
        # log_entries writes "unknown" when no model was known: that is no model here.
        model_id="" if remote.model_id == "unknown" else remote.model_id,
    )


def _read_sessions(items: Iterable[Mapping[str, Any]]) -> tuple[list[SessionOut], int]:
    """The readable sessions, one per client id, oldest first; and how many were not."""
    remotes: dict[str, SessionOut] = {}
    skipped = 0
    for item in items:
        remote = _read_session(item)
        if remote is None:
            skipped += 1
        elif remote.client_session_id not in remotes:
            remotes[remote.client_session_id] = remote
    ordered = sorted(remotes.values(), key=lambda r: (r.created_at, r.client_session_id))
    return ordered, skipped


def _read_groups(
    items: Iterable[Mapping[str, Any]],
) -> tuple[dict[tuple[int, str], list[MessageOut]], int]:
    """A session's readable rows by ``(seq, role)``; and how many were not readable."""
    groups: dict[tuple[int, str], list[MessageOut]] = defaultdict(list)
    skipped = 0
    for item in items:
        row = _read_row(item)
        if row is None:
            skipped += 1
        else:
            groups[(row.seq, row.role)].append(row)
    return groups, skipped


def _grown(candidates: list[Message], rows: list[MessageOut]) -> tuple[Message, Message] | None:
    """The local message that gains the rows' versions it lacks, and it grown; None: no gain."""
    held = {text for message in candidates for text in message.swipes}
    held |= {row.content for row in rows if any(_logged_by(row, message) for message in candidates)}
    missing = [row for row in _distinct(rows) if row.content not in held]
    if not missing:
        return None
    target = _target(candidates, rows)
    grown = replace(
        target,
        swipes=[*target.swipes, *(row.content for row in missing)],
        reasoning=[*target.reasoning, *([""] * len(missing))],
    )
    return target, grown


def merge_remote(
    local_characters: Iterable[Character],
    local_sessions: Iterable[ChatSession],
    local_messages: Iterable[Message],
    remote_sessions: Iterable[Mapping[str, Any]],
    remote_messages_by_session: Mapping[str, Sequence[Mapping[str, Any]]],
) -> RestorePlan:
    """The local writes that make this browser hold everything the server logged.

    ``remote_sessions`` are the API's session items; ``remote_messages_by_session`` maps a
    session's server ``id`` (or its ``clientSessionId``) to its message items. Local records
    are never changed except to gain versions, so what the user did here (edits, the shown
    swipe) wins; applying the plan and merging again gives an empty plan. Pure and deterministic: the same inputs give the same plan.
    """
    characters = {character.id for character in local_characters}
    sessions = {session.id: session for session in local_sessions}
    messages_by_session: dict[str, list[Message]] = defaultdict(list)
    for message in local_messages:
        messages_by_session[message.session_id].append(message)
    plan_characters: list[Character] = []
    plan_sessions: list[ChatSession] = []
    plan_messages: list[Message] = []
    ordered, skipped = _read_sessions(remote_sessions)
    for remote in ordered:
        session_id = remote.client_session_id
        if remote.character_id not in characters:
            characters.add(remote.character_id)
            plan_characters.append(_placeholder(remote))
        if session_id not in sessions:
            sessions[session_id] = _new_session(remote)
            plan_sessions.append(sessions[session_id])

        items = remote_messages_by_session.get(remote.id)
        if items is None:
            items = remote_messages_by_session.get(session_id, ())
        groups, unreadable = _read_groups(items)
        skipped += unreadable
        local = messages_by_session[session_id]
        for (seq, role), group in sorted(groups.items()):
            rows = _ordered(group)
            candidates = [m for m in local if m.seq == seq and m.role == role]
            if not candidates:
                made = _new_message(session_id, rows)
                local.append(made)
                plan_messages.append(made)
                continue
            found = _grown(candidates, rows)
            if found is None:
                continue
            target, grown = found
            local[local.index(target)] = grown
            plan_messages = [m for m in plan_messages if m.id != grown.id] + [grown]

    return RestorePlan(plan_characters, plan_sessions, plan_messages, skipped)


# --- paging through the API and writing -------------------------------------------------------


def sessions_path(cursor: str | None = None, *, limit: int = SESSIONS_PAGE) -> str:
    """The URL of one page of the account's sessions."""
    path = f"{_API}?limit={limit}"
    return f"{path}&cursor={quote(cursor, safe='')}" if cursor else path


def messages_path(session_id: str, after_seq: int = -1, *, limit: int = MESSAGES_PAGE) -> str:
    """The URL of one page of a session's messages (``seq`` greater than ``after_seq``)."""
    return f"{_API}/{quote(session_id, safe='')}/messages?afterSeq={after_seq}&limit={limit}"


class _Stop(Exception):
    """Why the restore stops; carries the text and HTTP status for the summary."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


async def _page(send: Send, path: str) -> Mapping[str, Any]:
    try:
        response = await send("GET", path)
    except NetworkError as exc:
        raise _Stop(f"The server could not be reached ({exc}).") from exc
    body = response.body
    if response.status != 200:
        code = body.get("code") if isinstance(body, Mapping) else None
        message = body.get("message") if isinstance(body, Mapping) else None
        raise _Stop(
            f"The server answered {response.status}: {message or code or 'error'}.", response.status
        )
    if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
        raise _Stop("The server's answer was not a page of items.", response.status)
    return body


async def _remote_sessions(send: Send) -> list[Mapping[str, Any]]:
    items: list[Mapping[str, Any]] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(_MAX_PAGES):
        page = await _page(send, sessions_path(cursor))
        items += page["items"]
        cursor = page.get("nextCursor")
        if not isinstance(cursor, str) or not cursor:
            return items
        if cursor in seen:
            raise _Stop("The server repeated a page of sessions.")
        seen.add(cursor)
    raise _Stop("The server listed too many pages of sessions.")


async def _remote_messages(send: Send, session_id: str) -> list[Mapping[str, Any]]:
    items: list[Mapping[str, Any]] = []
    after = -1
    for _ in range(_MAX_PAGES):
        page = await _page(send, messages_path(session_id, after))
        items += page["items"]
        following = page.get("nextAfterSeq")
        if following is None:
            return items
        if isinstance(following, bool) or not isinstance(following, int) or following <= after:
            raise _Stop("The server's message pages do not move forward.")
        after = following
    raise _Stop("The server listed too many pages of messages.")


async def _write_plan(repo: ChatRepository, plan: RestorePlan) -> ChatSession | None:
    """Write one session's plan (the session with its messages in one transaction); the
    session it created, if any, now the current account's."""
    for character in plan.characters:
        await repo.save_character(character)
    session = plan.sessions[0] if plan.sessions else None
    if session is not None:  # new here, so the plan holds all of its messages
        ordered = sorted(plan.messages, key=lambda m: (m.seq, m.created_at, m.id))
        # restored into the account it was pulled from
        session = with_preview(replace(session, owner=repo.owner.account), ordered)
    if plan.messages:
        await repo.save_messages(plan.messages, session=session)
    elif session is not None:
        await repo.save_session(session)
    return session


async def pull_history(repo: ChatRepository, send: Send) -> RestoreSummary:
    """Page through the account's sessions and messages, merge, write; never raises.

    Sessions are restored one at a time, each in its own transaction (the session with its
    messages), so a stop part-way keeps every session finished before it. Network errors and
    non-200 answers stop it with ``error`` set; so does a storage error.
    """
    counts = {"characters": 0, "sessions": 0, "messages": 0, "skipped": 0}
    listed = 0

    def summary(error: str | None = None, status: int | None = None) -> RestoreSummary:
        return RestoreSummary(remote_sessions=listed, error=error, status=status, **counts)

    try:
        remote_sessions = await _remote_sessions(send)
        listed = len(remote_sessions)
        characters = await repo.list_characters()
        local_sessions = {session.id: session for session in await repo.list_sessions()}
        for item in remote_sessions:
            remote = _read_session(item)
            if remote is None:
                counts["skipped"] += 1
                continue
            rows = await _remote_messages(send, remote.id)
            local = local_sessions.get(remote.client_session_id)
            messages = await repo.list_messages(local.id) if local is not None else []
            plan = merge_remote(
                characters, local_sessions.values(), messages, [item], {remote.id: rows}
            )
            session = await _write_plan(repo, plan)
            characters += plan.characters
            if session is not None:
                local_sessions[session.id] = session
            counts["characters"] += len(plan.characters)
            counts["sessions"] += int(session is not None)
            counts["messages"] += len(plan.messages)
            counts["skipped"] += plan.skipped
    except _Stop as stop:
        return summary(stop.reason, stop.status)
    except (DatabaseError, ModelError) as exc:
        return summary(f"The history on this device could not be read or written ({exc}).")
    return summary()
