"""``/api/v1/character-chat/sessions``: the chat-log API the browser's outbox talks to."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from server import contract
from server.accounts.deps import requires_login
from server.accounts.schemas import User
from server.accounts.sessions import SESSION_AND_CSRF, SESSION_ONLY
from server.chat import services
from server.chat.deps import provide_owned_session
from server.chat.schemas import CURSOR_PATTERN
from server.routes import api_get, api_post, created_or_replayed
from server.validation import strict_body

__all__ = ["ChatController"]


class ChatController(Controller):
    """A user's chat sessions and their messages; other users' are ``404``."""

    path = "/character-chat/sessions"
    tags = ("character-chat",)
    guards = (requires_login, strict_body)
    dependencies = {"owned_session_id": Provide(provide_owned_session)}  # noqa: RUF012 - Litestar reads it

    @api_post(
        "/",
        "createChatSession",
        security=SESSION_AND_CSRF,
        errors=(401, 403, 413, 429),
        replay=(contract.SessionOut, "Replay: this clientSessionId is stored; the stored session."),
    )
    async def create_session(
        self, data: JSONBody[contract.SessionIn], current_user: NamedDependency[User]
    ) -> Response[contract.SessionOut]:
        """Create the session, or return the one stored under this ``clientSessionId``."""
        return created_or_replayed(await services.create_session(current_user.id, data))

    @api_get("/", "listChatSessions", security=SESSION_ONLY, errors=(401, 429))
    async def list_sessions(
        self,
        current_user: NamedDependency[User],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
        cursor: Annotated[
            str | None,
            QueryParameter(
                pattern=CURSOR_PATTERN,
                description="`nextCursor` of the previous page.",
            ),
        ] = None,
    ) -> contract.SessionPage:
        """The user's sessions, newest first, ``limit`` at a time."""
        return await services.list_sessions(current_user.id, limit, cursor)

    @api_post(
        "/{session_id:uuid}/messages",
        "appendChatMessage",
        security=SESSION_AND_CSRF,
        errors=(401, 403, 404, 409, 413, 429),
        replay=(contract.MessageOut, "Replay with the same content: the stored message."),
    )
    async def append_message(
        self, data: JSONBody[contract.MessageIn], owned_session_id: NamedDependency[UUID]
    ) -> Response[contract.MessageOut]:
        """Store the message once; ``409 conflict`` if its ``clientMessageId`` holds other content."""
        return created_or_replayed(await services.append_message(owned_session_id, data))

    @api_post(
        "/{session_id:uuid}/messages/batch",
        "appendChatMessages",
        status_code=HTTP_200_OK,
        security=SESSION_AND_CSRF,
        errors=(401, 403, 404, 413, 429),
    )
    async def append_batch(
        self, data: JSONBody[contract.BatchIn], owned_session_id: NamedDependency[UUID]
    ) -> contract.BatchOut:
        """Store many messages, each exactly as the single append would; per-item results."""
        return contract.BatchOut(
            results=await services.append_batch(owned_session_id, data.messages)
        )

    @api_get(
        "/{session_id:uuid}/messages",
        "listChatMessages",
        security=SESSION_ONLY,
        errors=(401, 404, 429),
    )
    async def list_messages(
        self,
        owned_session_id: NamedDependency[UUID],
        after_seq: Annotated[int, QueryParameter(name="afterSeq", ge=-1, le=2**31 - 1)] = -1,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> contract.MessagePage:
        """The session's messages with ``seq > afterSeq``, by ``seq``."""
        return await services.list_messages(owned_session_id, after_seq, limit)
