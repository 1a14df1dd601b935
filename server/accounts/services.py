"""Accounts: argon2 password hashes, registration and authentication. No HTTP here."""

from __future__ import annotations

import datetime
from uuid import UUID

import argon2
import argon2.profiles
from anyio import to_thread
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_409_CONFLICT

from server.accounts.schemas import User
from server.accounts.tables import Account
from server.errors import ApiError

__all__ = [
    "AccountService",
    "InvalidCredentials",
    "UsernameTaken",
    "password_hasher",
    "username_key",
]


class UsernameTaken(ApiError):
    """Someone registered this username already."""

    status_code = HTTP_409_CONFLICT
    code = "username_taken"


class InvalidCredentials(ApiError):
    """Unknown username or wrong password (never says which)."""

    status_code = HTTP_401_UNAUTHORIZED
    code = "invalid_credentials"


def password_hasher(profile: str) -> argon2.PasswordHasher:
    """An argon2id hasher with the parameters of an ``argon2.profiles`` name."""
    parameters = getattr(argon2.profiles, profile, None)
    if not isinstance(parameters, argon2.Parameters):
        raise ValueError(f"unknown argon2 profile {profile!r}")
    return argon2.PasswordHasher.from_parameters(parameters)


def username_key(username: str) -> str:
    """What makes two usernames the same account: letter case does not."""
    return username.lower()


class AccountService:
    """Create accounts and check passwords."""

    def __init__(self, hasher: argon2.PasswordHasher) -> None:
        # Hashing takes tens of milliseconds of CPU, so it runs in a worker thread.
        self._hasher = hasher
        self._nobody_hash: str | None = None

    async def _hash_for_unknown_users(self) -> str:
        """Verified against when the username is unknown, so both cases take as long."""
        if self._nobody_hash is None:
            self._nobody_hash = await to_thread.run_sync(self._hasher.hash, "nobody's password")
        return self._nobody_hash

    async def register(self, username: str, password: str) -> User:
        """Create the account; :class:`UsernameTaken` if the name exists (decided by the database)."""
        password_hash = await to_thread.run_sync(self._hasher.hash, password)
        account = Account(
            username=username,
            username_key=username_key(username),
            password_hash=password_hash,
            created_at=datetime.datetime.now(datetime.UTC),
        )
        rows = await (
            Account.insert(account)
            .on_conflict(target=Account.username_key, action="DO NOTHING")
            .returning(Account.id)
        )
        if not rows:
            raise UsernameTaken("This username is taken.")
        return User(id=rows[0]["id"], username=username)

    async def authenticate(self, username: str, password: str) -> User:
        """The account for these credentials, or :class:`InvalidCredentials`."""
        # The exact spelling first: an account whose name collided with an older one in
        # another case before names were case-insensitive is only reachable that way.
        rows = await Account.select(Account.id, Account.username, Account.password_hash).where(
            (Account.username_key == username_key(username)) | (Account.username == username)
        )
        row = next((r for r in rows if r["username"] == username), rows[0] if rows else None)
        stored = row["password_hash"] if row else await self._hash_for_unknown_users()
        try:
            await to_thread.run_sync(self._hasher.verify, stored, password)
        except argon2.exceptions.VerificationError:
            row = None
        if row is None:
            raise InvalidCredentials("Wrong username or password.")
        if self._hasher.check_needs_rehash(stored):
            new_hash = await to_thread.run_sync(self._hasher.hash, password)
            await Account.update({Account.password_hash: new_hash}).where(Account.id == row["id"])
        return User(id=row["id"], username=row["username"])

    async def get(self, account_id: UUID) -> User | None:
        """The account with this id, if it still exists."""
        row = await Account.select(Account.username).where(Account.id == account_id).first()
        return User(id=account_id, username=row["username"]) if row else None
