"""Character Card import and export: V2 JSON and PNG, reading V3 and V1 too.

Reading:

- **V2** ``{"spec": "chara_card_v2", "spec_version": "2.0", "data": {...}}`` and **V3**
  (``"spec": "chara_card_v3"``, whose ``data`` is a superset of V2's) become a
  :class:`~app.models.Character`. ``data`` fields we do not model (``character_book``, V3's
  ``assets``, ``nickname``, ``group_only_greetings``...) are kept verbatim in
  ``Character.card_extra`` and written back on export. **V1** (flat ``name``, ``description``,
  ``personality``, ``scenario``, ``first_mes``, ``mes_example``, also the old ``char_name``,
  ``char_persona``, ``world_scenario``, ``char_greeting``, ``example_dialogue``) is read too.
- **PNG** cards carry the JSON, base64-encoded, in a text chunk: ``ccv3`` (V3) is preferred over
  ``chara`` (V2) when both are there and readable. The picture becomes the avatar, as a
  ``data:image/png;base64,`` URL of the PNG without its card chunks.
- Anything malformed raises :class:`CardError` whose message can be shown to the user as is;
  no other exception escapes. Limits: a card's JSON at most 16 MiB, a PNG at most 32 MiB, one text
  field at most 1 MiB characters, JSON nested at most 64 levels.

Writing always produces V2: every ``data`` field listed, ``extensions`` as imported.
A JSON export carries the avatar (when set) in ``data.extensions.ondevice_chat.avatar``; import
moves it back into ``Character.avatar``, so other extensions stay exactly as they were. A PNG
export stores the card as a ``chara`` ``tEXt`` chunk (replacing any ``chara``/``ccv3``) in the
avatar PNG, or in a generated 64x64 tile coloured from the name when there is no PNG avatar.
Only ``data:image/(png|jpeg|gif|webp);base64`` avatars are accepted from a card, never a URL:
the page must load nothing from elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import colorsys
import copy
import hashlib
import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app import jsontext
from app.models import Character, new_id, now_iso
from app.png_text import (
    PNG_SIGNATURE,
    PngError,
    join_chunks,
    read_chunks,
    read_text_chunks,
    remove_text_chunks,
    solid_png,
    with_text_chunk,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AVATAR_NAMESPACE",
    "CardError",
    "avatar_png_bytes",
    "card_data",
    "card_to_dict",
    "card_to_json",
    "parse_card",
    "parse_card_json",
    "placeholder_png",
    "read_card_file",
    "read_png_card",
    "write_png_card",
]

MAX_CARD_JSON_BYTES = 16 * 1024 * 1024
MAX_PNG_BYTES = 32 * 1024 * 1024
MAX_FIELD_CHARS = 1024 * 1024
MAX_DEPTH = jsontext.MAX_DEPTH
AVATAR_NAMESPACE = "ondevice_chat"
"""Our key in ``data.extensions``; a JSON export keeps the avatar under it."""

_V2 = "chara_card_v2"
_V3 = "chara_card_v3"
_CARD_KEYWORDS = ("ccv3", "chara")  # preference order
V2_FIELDS = (
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "alternate_greetings",
    "tags",
    "creator",
    "character_version",
    "extensions",
)
"""The Character Card V2 ``data`` fields, in the spec's order (each is a ``Character`` field)."""
_LIST_FIELDS = ("alternate_greetings", "tags")
_READ_AS_TEXT = tuple(key for key in V2_FIELDS[1:-1] if key not in _LIST_FIELDS)

_V1_ALIASES = {
    "name": "char_name",
    "personality": "char_persona",
    "scenario": "world_scenario",
    "first_mes": "char_greeting",
    "mes_example": "example_dialogue",
}
_SAFE_AVATAR = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]*={0,2}\Z")


class CardError(ValueError):
    """A file that cannot be imported as a character card; ``str()`` is a readable reason."""


def _not_a_card(reason: str) -> CardError:
    return CardError(f"This file is not a character card: {reason}")


# --- reading ----------------------------------------------------------------------------------


def _text_field(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if (
        key == "character_version"
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        value = str(value)  # some editors write a number
    if not isinstance(value, str):
        raise CardError(f"This character card is damaged: {where}{key} must be text")
    if len(value) > MAX_FIELD_CHARS:
        raise CardError(f"This character card is too large: {where}{key} is over 1 MiB")
    return value


def _list_field(data: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CardError(f"This character card is damaged: {where}{key} must be a list of texts")
    if any(len(item) > MAX_FIELD_CHARS for item in value):
        raise CardError(f"This character card is too large: an entry of {where}{key} is over 1 MiB")
    return list(value)


def _avatar_from(extensions: dict[str, Any]) -> str:
    """Take our avatar out of ``extensions`` (in place); ``""`` unless it is a safe data URL."""
    ours = extensions.get(AVATAR_NAMESPACE)
    if not isinstance(ours, dict) or "avatar" not in ours:
        return ""
    avatar = ours.pop("avatar")
    if not ours:
        del extensions[AVATAR_NAMESPACE]
    if isinstance(avatar, str) and _SAFE_AVATAR.match(avatar):
        return avatar
    return ""


def _card_fields(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The card's text and list fields, each checked (``name`` and ``extensions`` aside)."""
    found: dict[str, Any] = {key: _text_field(data, key, where) for key in _READ_AS_TEXT}
    return found | {key: _list_field(data, key, where) for key in _LIST_FIELDS}


def _character(
    data: Mapping[str, Any], *, where: str, keep_extra: bool, now: str | None
) -> Character:
    name = _text_field(data, "name", where).strip()
    if not name:
        raise _not_a_card(f"missing {where}name")
    extensions = data.get("extensions")
    if extensions is None:
        extensions = {}
    if not isinstance(extensions, dict):
        raise CardError(f"This character card is damaged: {where}extensions must be an object")
    extensions = copy.deepcopy(extensions)
    avatar = _avatar_from(extensions)
    extra = (
        {key: copy.deepcopy(value) for key, value in data.items() if key not in V2_FIELDS}
        if keep_extra
        else {}
    )
    stamp = now or now_iso()
    return Character(
        id=new_id(),
        name=name,
        avatar=avatar,
        **_card_fields(data, where),
        extensions=extensions,
        card_extra=extra,
        created_at=stamp,
        updated_at=stamp,
    )


def parse_card(card: object, *, now: str | None = None) -> Character:
    """The character in a decoded card (V3, V2 or V1 dict); :class:`CardError` if malformed."""
    if not isinstance(card, dict):
        kind = "list" if isinstance(card, list) else type(card).__name__
        raise _not_a_card(f"it holds a JSON {kind} instead of an object")
    try:
        if jsontext.deeper_than(card, MAX_DEPTH):
            raise _not_a_card(f"its JSON is nested more than {MAX_DEPTH} levels deep")
        spec = card.get("spec")
        if spec is not None:
            if spec not in (_V2, _V3):
                raise _not_a_card(f"unsupported card format {str(spec)[:40]!r}")
            data = card.get("data")
            if not isinstance(data, dict):
                raise _not_a_card("missing data (the card's fields)")
            return _character(data, where="data.", keep_extra=True, now=now)
        data = card.get("data")
        if isinstance(data, dict) and "name" in data:  # V2 without its spec line
            return _character(data, where="data.", keep_extra=True, now=now)
        flat = dict(card)
        for key, alias in _V1_ALIASES.items():
            if flat.get(key) is None and alias in flat:
                flat[key] = flat[alias]
        return _character(flat, where="", keep_extra=False, now=now)
    except RecursionError as exc:  # defensive: the depth check should have refused it
        raise _not_a_card("its JSON is nested too deeply") from exc


def parse_card_json(source: str | bytes, *, now: str | None = None) -> Character:
    """The character in a card's JSON text; :class:`CardError` for anything else."""
    if len(source) > MAX_CARD_JSON_BYTES:
        raise CardError("This character card is too large (over 16 MiB of JSON)")
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _not_a_card("it is not UTF-8 text") from exc
    elif source.startswith("\ufeff"):
        source = source[1:]
    if not source.strip():
        raise _not_a_card("the file is empty")
    try:
        card = jsontext.loads(source, MAX_DEPTH)
    except jsontext.TooDeep as exc:
        raise _not_a_card(str(exc)) from exc
    except ValueError as exc:
        raise _not_a_card("it is not valid JSON") from exc
    return parse_card(card, now=now)


def _decode_payload(payload: str) -> bytes:
    text = "".join(payload.split())
    if text.startswith("{"):  # a few tools store the JSON itself
        return text.encode("utf-8")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CardError(
            "This character card is damaged: the data in the PNG is not valid base64"
        ) from exc


def read_png_card(png: bytes, *, now: str | None = None) -> Character:
    """The character in a PNG card; its picture (without the card chunks) is the avatar."""
    if len(png) > MAX_PNG_BYTES:
        raise CardError("This image is too large to import (over 32 MiB)")
    try:
        chunks = read_chunks(bytes(png))
        texts = {keyword.lower(): text for keyword, text in read_text_chunks(chunks).items()}
    except PngError as exc:
        raise _not_a_card(str(exc)) from exc
    payloads = [texts[keyword] for keyword in _CARD_KEYWORDS if keyword in texts]
    if not payloads:
        raise _not_a_card("this PNG image has no character data (no 'chara' text chunk)")
    failures: list[CardError] = []
    for payload in payloads:
        try:
            character = parse_card_json(_decode_payload(payload), now=now)
        except CardError as exc:
            failures.append(exc)
            continue
        picture = join_chunks(remove_text_chunks(chunks, _CARD_KEYWORDS))
        avatar = "data:image/png;base64," + base64.b64encode(picture).decode("ascii")
        return replace(character, avatar=avatar)
    raise failures[0]


def read_card_file(content: bytes) -> Character:
    """A card from a file's bytes, PNG or JSON, told apart by the PNG signature."""
    if bytes(content[: len(PNG_SIGNATURE)]) == PNG_SIGNATURE:
        return read_png_card(content)
    return parse_card_json(content)


# --- writing ----------------------------------------------------------------------------------


def card_data(character: Character) -> dict[str, Any]:
    """The V2 ``data`` object of ``character`` (no avatar): what an export/import keeps."""
    data: dict[str, Any] = {key: copy.deepcopy(getattr(character, key)) for key in V2_FIELDS}
    for key, value in character.card_extra.items():
        if key not in data:
            data[key] = copy.deepcopy(value)
    return data


def card_to_dict(character: Character, *, include_avatar: bool = True) -> dict[str, Any]:
    """``character`` as a V2 card; the avatar goes in our extension when ``include_avatar``."""
    data = card_data(character)
    if include_avatar and character.avatar:
        ours = data["extensions"].get(AVATAR_NAMESPACE)
        ours = dict(ours) if isinstance(ours, dict) else {}
        ours["avatar"] = character.avatar
        data["extensions"][AVATAR_NAMESPACE] = ours
    return {"spec": _V2, "spec_version": "2.0", "data": data}


def card_to_json(character: Character, *, include_avatar: bool = True) -> str:
    """``character`` as V2 card JSON text (UTF-8 friendly, indented)."""
    card = card_to_dict(character, include_avatar=include_avatar)
    return json.dumps(card, ensure_ascii=False, indent=2)


def avatar_png_bytes(character: Character) -> bytes | None:
    """The avatar's bytes when it is a PNG data URL, else None."""
    prefix = "data:image/png;base64,"
    if not character.avatar.startswith(prefix):
        return None
    try:
        png = base64.b64decode(character.avatar[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    return png if png.startswith(PNG_SIGNATURE) else None


def placeholder_png(name: str, size: int = 64) -> bytes:
    """A ``size`` x ``size`` tile in a soft colour derived from ``name`` (same name, same colour)."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    red, green, blue = colorsys.hls_to_rgb(hue, 0.62, 0.45)
    return solid_png(size, size, (round(red * 255), round(green * 255), round(blue * 255)))


def write_png_card(character: Character, png_bytes: bytes | None = None) -> bytes:
    """A PNG card: ``png_bytes`` (else the PNG avatar, else a placeholder) with a ``chara`` chunk.

    Any ``chara``/``ccv3`` chunks already in the picture are replaced. A JPEG/WebP avatar cannot
    be embedded here (this module does not re-encode pixels): convert it to PNG first and pass it.
    """
    if png_bytes is None:
        png_bytes = avatar_png_bytes(character) or placeholder_png(character.name)
    try:
        chunks = read_chunks(bytes(png_bytes))
    except PngError as exc:
        raise CardError(f"The picture cannot hold a character card: {exc}") from exc
    card = card_to_dict(character, include_avatar=False)
    payload = json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    encoded = base64.b64encode(payload).decode("ascii")
    chunks = with_text_chunk(remove_text_chunks(chunks, _CARD_KEYWORDS), "chara", encoded)
    return join_chunks(chunks)
