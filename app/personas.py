"""Personas: who the user is in a chat. Its name is ``{{user}}``, its description tells the
character about them, its picture heads the user's messages.

A persona is chosen per chat, else per character, else the default one; with none at all the
user is the app-wide name from Settings with no description (what the app did before
personas). Stored as plain dicts in the settings store, so "export all data" carries them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from app.models import ModelError, new_id, read_fields

__all__ = [
    "MAX_PERSONAS",
    "Persona",
    "PersonaBook",
    "active_persona",
]

MAX_PERSONAS = 100
MAX_NAME = 60
MAX_DESCRIPTION = 20_000
_SAFE_AVATAR = tuple(f"data:image/{kind};base64," for kind in ("png", "jpeg", "gif", "webp"))


@dataclass(frozen=True)
class Persona:
    """One persona: ``name`` becomes ``{{user}}``, ``description`` goes into the prompt."""

    id: str
    name: str
    description: str = ""
    avatar: str = ""
    """A ``data:image/...;base64,`` URL, or empty."""

    @classmethod
    def new(cls, name: str, **fields: Any) -> Persona:
        """A new persona with a fresh id."""
        return cls(id=new_id(), name=name, **fields)

    @classmethod
    def read(cls, data: object) -> Persona | None:
        """The persona stored as ``data``, cut to size; ``None`` when it is not one."""
        try:
            stored = read_fields(cls, data, "persona")
        except ModelError:
            return None
        name = stored["name"].strip()[:MAX_NAME]
        if not stored["id"] or not name:
            return None
        avatar = stored["avatar"] if stored["avatar"].startswith(_SAFE_AVATAR) else ""
        description = stored["description"][:MAX_DESCRIPTION]
        return cls(id=stored["id"], name=name, description=description, avatar=avatar)


@dataclass(frozen=True)
class PersonaBook:
    """Every persona, the default one and the character each is chosen for."""

    personas: tuple[Persona, ...] = ()
    default_id: str = ""
    by_character: Mapping[str, str] = field(default_factory=dict)
    """character id -> persona id."""

    def get(self, persona_id: str) -> Persona | None:
        """The persona with ``persona_id`` (``None``: no such one)."""
        return next((p for p in self.personas if p.id == persona_id), None)

    def to_dict(self) -> dict[str, Any]:
        """What the settings store keeps."""
        return {
            "personas": [asdict(persona) for persona in self.personas],
            "default": self.default_id,
            "byCharacter": dict(self.by_character),
        }

    @classmethod
    def read(cls, data: object) -> PersonaBook:
        """The book stored by :meth:`to_dict`; what cannot be read is left out."""
        if not isinstance(data, Mapping):
            return cls()
        raw = data.get("personas")
        found = [Persona.read(item) for item in raw[:MAX_PERSONAS]] if isinstance(raw, list) else []
        personas = tuple(persona for persona in found if persona is not None)
        known = {persona.id for persona in personas}
        links = data.get("byCharacter")
        by_character = {
            str(key): value
            for key, value in (links.items() if isinstance(links, Mapping) else ())
            if isinstance(value, str) and value in known
        }
        default = data.get("default")
        return cls(personas, default if default in known else "", by_character)

    def saved(self, persona: Persona, *, default: bool | None = None) -> PersonaBook:
        """This book with ``persona`` added or changed in place (and made the default or not;
        the first persona becomes the default)."""
        if self.get(persona.id) is None:
            personas = (*self.personas, persona)[:MAX_PERSONAS]
        else:
            personas = tuple(persona if p.id == persona.id else p for p in self.personas)
        default_id = self.default_id
        if default is True or (default is None and not default_id):
            default_id = persona.id
        elif default is False and default_id == persona.id:
            default_id = ""
        return replace(self, personas=personas, default_id=default_id)

    def removed(self, persona_id: str) -> PersonaBook:
        """This book without the persona (and every choice of it)."""
        links = {k: v for k, v in self.by_character.items() if v != persona_id}
        return PersonaBook(
            tuple(p for p in self.personas if p.id != persona_id),
            "" if self.default_id == persona_id else self.default_id,
            links,
        )

    def chosen_for(self, character_id: str, persona_id: str) -> PersonaBook:
        """This book with ``persona_id`` chosen for the character (``""``: no choice)."""
        links = {k: v for k, v in self.by_character.items() if k != character_id}
        if persona_id and self.get(persona_id):
            links[character_id] = persona_id
        return replace(self, by_character=links)


def active_persona(
    book: PersonaBook, *, chat_choice: str, character_id: str, fallback_name: str
) -> Persona:
    """Who the user is in a chat: the chat's choice, else the character's, else the default,
    else a persona with the app-wide name and nothing more."""
    links = book.by_character
    for persona_id in (chat_choice, links.get(character_id, ""), book.default_id):
        persona = book.get(persona_id) if persona_id else None
        if persona is not None:
            return persona
    return Persona(id="", name=fallback_name or "User")
