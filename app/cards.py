"""Character Card import and export: V2/V3 JSON, PNG and (with :mod:`app.charx`) CHARX.

Reading:

- **V2** ``{"spec": "chara_card_v2", "spec_version": "2.0", "data": {...}}`` and **V3**
  (``"spec": "chara_card_v3"``, whose ``data`` is a superset of V2's) become a
  :class:`~app.models.Character`. ``data`` fields we do not model (``character_book``,
  ``nickname``, ``group_only_greetings``, the portable part of ``assets``...) are kept verbatim in
  ``Character.card_extra`` and written back on export. **V1** (flat ``name``, ``description``,
  ``personality``, ``scenario``, ``first_mes``, ``mes_example``, also the old ``char_name``,
  ``char_persona``, ``world_scenario``, ``char_greeting``, ``example_dialogue``) is read too.
- **PNG** cards carry the JSON, base64-encoded, in a text chunk: ``ccv3`` (V3) is preferred over
  ``chara`` (V2) when both are there and readable. The picture becomes the avatar, as a
  ``data:image/png;base64,`` URL of the PNG without its card chunks.
- **CHARX** (a ZIP holding ``card.json`` and ``assets/``) is read by :mod:`app.charx`;
  :func:`app.card_file.import_card_file` tells the formats apart by their first bytes.
- The V3 ``assets`` list: the main icon is the avatar (so it is never kept in ``card_extra``);
  other entries whose files travel with the card (``embeded://``, ``__asset:``) cannot be kept,
  the rest (``https:``, ``data:``, ``ccdefault:``) are.

Two ways to read, sharing one reader:

- **Import** (:func:`app.card_file.import_card_file`, :func:`import_card_json`, :func:`import_png_card`,
  :func:`import_card`) keeps a card with odd fields, dropping or converting each one, and says so
  in :attr:`CardImport.notes` (a :class:`CardNote` per field: its path and a key of
  :data:`NOTE_TEXTS`, which also has the English text). What a user picks goes through here.
- **Parse** (:func:`parse_card_json`, :func:`parse_card`, :func:`read_png_card`) is strict: any
  odd field refuses the card, as before import became lenient.

Both raise :class:`CardError` (a message that can be shown to the user as is, and nothing else)
for what is no card at all: not JSON, not an object, no name. Limits: a card's JSON at most
16 MiB, a PNG at most 32 MiB, one text field at most 1 MiB characters, JSON nested at most 64
levels.

Writing: JSON is V2, every ``data`` field listed, ``extensions`` as imported. A JSON export
carries the avatar (when set) in ``data.extensions.ondevice_chat.avatar``; import moves it back
into ``Character.avatar``, so other extensions stay exactly as they were. A PNG export stores the
card twice, as V2 in a ``chara`` ``tEXt`` chunk and as V3 in a ``ccv3`` one (replacing any
earlier card chunks), in the avatar PNG, or in a generated 64x64 tile coloured from the name when
there is no PNG avatar. Only ``data:image/(png|jpeg|gif|webp);base64`` avatars are accepted from
a card, never a URL: the page must load nothing from elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import colorsys
import copy
import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from app import jsontext
from app.i18n import translate
from app.models import Character, new_id, now_iso
from app.png_text import (
    PNG_SIGNATURE,
    Chunk,
    PngError,
    join_chunks,
    read_chunks,
    read_text_chunks,
    remove_text_chunks,
    solid_png,
    with_text_chunk,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "AVATAR_NAMESPACE",
    "CardError",
    "CardImport",
    "CardNote",
    "NoteKind",
    "as_replacement",
    "avatar_png_bytes",
    "card_data",
    "card_to_dict",
    "card_to_json",
    "card_to_v3_dict",
    "damaged_card",
    "find_duplicate",
    "import_card",
    "import_card_json",
    "import_png_card",
    "load_card_json",
    "main_icon_uri",
    "not_a_card",
    "note_key",
    "parse_card",
    "parse_card_json",
    "placeholder_png",
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
_SPECS = (_V2, _V3)
_CARD_KEYWORDS = ("ccv3", "chara")  # preference order
_ASSET_CHUNKS = "chara-ext-asset_"  # RisuAI's PNG asset chunks, reached by ``__asset:`` URIs
_PORTABLE_URIS = ("https://", "http://", "data:", "ccdefault:")
"""Asset URIs that mean the same in any file; others name a file inside the card's container."""
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

NoteKind = Literal[
    "number_as_text",
    "list_as_text",
    "dropped_not_text",
    "dropped_too_large",
    "text_as_list",
    "dropped_not_list",
    "items_as_text",
    "items_dropped",
    "items_too_large",
    "dropped_not_object",
    "dropped_unsafe",
    "spec_corrected",
    "newer_version",
    "unreadable_chunk",
    "assets_not_imported",
    "icon_missing",
    "icon_unsupported",
]


def note_key(what: NoteKind) -> str:
    """The catalogue key of a note's sentence (``{label}`` stands for the field's last name)."""
    return f"card.note.{what}"


class CardError(ValueError):
    """A file that cannot be imported as a character card; ``str()`` is a readable reason."""


@dataclass(frozen=True)
class CardNote:
    """One field of an imported card that was converted or left out so the rest could be kept.

    ``field`` is its path in the card (``data.tags``, ``spec``, ``ccv3`` for a PNG chunk) and
    ``what`` a fixed key, so the page can show the note in the user's language.
    """

    field: str
    what: NoteKind

    @property
    def label(self) -> str:
        """The field's last name (``tags``), as the sentence names it."""
        return self.field.rsplit(".", 1)[-1]

    def say(self, lang: str) -> str:
        """The note in ``lang``."""
        return translate(note_key(self.what), lang, label=self.label)

    @property
    def text(self) -> str:
        """The note in English."""
        return self.say("en")


@dataclass(frozen=True)
class CardImport:
    """An imported character and what had to change in its card to import it."""

    character: Character
    notes: tuple[CardNote, ...] = ()


def not_a_card(reason: str) -> CardError:
    return CardError(f"This file is not a character card: {reason}")


def damaged_card(reason: str) -> CardError:
    return CardError(f"This character card is damaged: {reason}")


def _too_large(reason: str) -> CardError:
    return CardError(f"This character card is too large: {reason}")


class _Report:
    """Where the field readers say what they changed: import keeps a note, parse refuses."""

    def __init__(self, *, strict: bool, notes: list[CardNote] | None = None) -> None:
        self.strict = strict
        self.notes: list[CardNote] = [] if notes is None else notes

    def note(self, field: str, what: NoteKind, refusal: CardError | None = None) -> None:
        """Record a change; a strict reader raises ``refusal`` instead (when there is one)."""
        if self.strict and refusal is not None:
            raise refusal
        note = CardNote(field, what)
        if note not in self.notes:
            self.notes.append(note)

    def relaxed(self) -> _Report:
        """The same report, never refusing: for V3 fields the strict reader always kept."""
        return _Report(strict=False, notes=self.notes)


# --- reading fields ---------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text_field(data: Mapping[str, Any], key: str, where: str, report: _Report) -> str:
    field = where + key
    value = data.get(key)
    if value is None:
        return ""
    refusal = damaged_card(f"{field} must be text")
    if _is_number(value):
        if key != "character_version":  # some editors write a number: fine even when strict
            report.note(field, "number_as_text", refusal)
        value = str(value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        report.note(field, "list_as_text", refusal)
        value = "\n".join(value)
    elif not isinstance(value, str):
        report.note(field, "dropped_not_text", refusal)
        return ""
    if len(value) > MAX_FIELD_CHARS:
        report.note(field, "dropped_too_large", _too_large(f"{field} is over 1 MiB"))
        return ""
    return value


def _split_text(key: str, text: str) -> list[str]:
    """A list field given as one text: tags are comma-separated, a greeting is one entry."""
    if key == "tags":
        return [tag.strip() for tag in text.split(",") if tag.strip()]
    return [text] if text.strip() else []


def _list_items(items: list[Any], field: str, report: _Report, refusal: CardError) -> list[str]:
    kept: list[str] = []
    for item in items:
        if _is_number(item):
            report.note(field, "items_as_text", refusal)
            item = str(item)
        if not isinstance(item, str):
            report.note(field, "items_dropped", refusal)
        elif len(item) > MAX_FIELD_CHARS:
            report.note(field, "items_too_large", _too_large(f"an entry of {field} is over 1 MiB"))
        else:
            kept.append(item)
    return kept


def _list_field(data: Mapping[str, Any], key: str, where: str, report: _Report) -> list[str]:
    field = where + key
    value = data.get(key)
    if value is None:
        return []
    refusal = damaged_card(f"{field} must be a list of texts")
    if isinstance(value, str):
        report.note(field, "text_as_list", refusal)
        value = _split_text(key, value)
    elif not isinstance(value, list):
        report.note(field, "dropped_not_list", refusal)
        return []
    return _list_items(value, field, report, refusal)


def _name(data: Mapping[str, Any], where: str, report: _Report) -> str:
    """The card's name, required: without one there is nothing to show or chat with."""
    field = where + "name"
    value = data.get("name")
    if _is_number(value):
        report.note(field, "number_as_text", damaged_card(f"{field} must be text"))
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise damaged_card(f"{field} must be text")
    name = (value or "").strip()
    if not name:
        raise not_a_card(f"missing {field}")
    if len(name) > MAX_FIELD_CHARS:
        raise _too_large(f"{field} is over 1 MiB")
    return name


def _extensions(data: Mapping[str, Any], where: str, report: _Report) -> dict[str, Any]:
    value = data.get("extensions")
    if value is None:
        return {}
    if not isinstance(value, dict):
        refusal = damaged_card(f"{where}extensions must be an object")
        report.note(where + "extensions", "dropped_not_object", refusal)
        return {}
    return copy.deepcopy(value)


def _avatar_from(extensions: dict[str, Any], where: str, report: _Report) -> str:
    """Take our avatar out of ``extensions`` (in place); ``""`` unless it is a safe data URL."""
    ours = extensions.get(AVATAR_NAMESPACE)
    if not isinstance(ours, dict) or "avatar" not in ours:
        return ""
    avatar = ours.pop("avatar")
    if not ours:
        del extensions[AVATAR_NAMESPACE]
    if isinstance(avatar, str) and _SAFE_AVATAR.match(avatar):
        return avatar
    report.note(f"{where}extensions.{AVATAR_NAMESPACE}.avatar", "dropped_unsafe")
    return ""


# --- V3 assets and greetings ------------------------------------------------------------------


def _is_main_icon(entry: Mapping[str, Any]) -> bool:
    return entry.get("type") == "icon" and entry.get("name") == "main"


def _main_icon(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The V3 main icon: the ``icon`` named ``main``, else the first ``icon``."""
    icons = [entry for entry in entries if entry.get("type") == "icon"]
    return next((entry for entry in icons if _is_main_icon(entry)), icons[0] if icons else None)


def _asset_entries(value: object) -> list[dict[str, Any]]:
    """The readable entries of an ``assets`` value: objects with a text ``uri``."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict) and isinstance(item.get("uri"), str)]


def main_icon_uri(card: object) -> str | None:
    """The URI of a decoded V3 card's main icon, for a container to find its picture."""
    data = card.get("data") if isinstance(card, dict) else None
    if not isinstance(data, dict):
        return None
    main = _main_icon(_asset_entries(data.get("assets")))
    return None if main is None else str(main["uri"])


def _icon_avatar(main: Mapping[str, Any], field: str, report: _Report, picture: str | None) -> str:
    """The avatar a main icon gives when the container brought no picture of its own."""
    uri = str(main["uri"])
    if picture is not None or uri == "ccdefault:":
        return ""
    if _SAFE_AVATAR.match(uri):
        return uri
    report.note(field, "assets_not_imported")  # a file we do not have, or a URL we never load
    return ""


def _assets(
    value: object, field: str, report: _Report, picture: str | None
) -> tuple[list[dict[str, Any]], str]:
    """``assets`` without the main icon and what cannot travel with us; the icon's avatar."""
    if not isinstance(value, list):
        report.note(field, "dropped_not_list")
        return [], ""
    entries = _asset_entries(value)
    if len(entries) < len(value):
        report.note(field, "items_dropped")
    main = _main_icon(entries)
    avatar = ""
    if main is not None:
        entries = [entry for entry in entries if entry is not main]
        avatar = _icon_avatar(main, field, report, picture)
    kept = [entry for entry in entries if str(entry["uri"]).startswith(_PORTABLE_URIS)]
    if len(kept) < len(entries):
        report.note(field, "assets_not_imported")
    return kept, avatar


def _extra(
    data: Mapping[str, Any], where: str, report: _Report, picture: str | None
) -> tuple[dict[str, Any], str]:
    """The ``data`` fields we do not model, V3's checked; and the avatar the assets give."""
    extra = {key: copy.deepcopy(value) for key, value in data.items() if key not in V2_FIELDS}
    relaxed = report.relaxed()
    if "group_only_greetings" in extra:
        greetings = _list_field(extra, "group_only_greetings", where, relaxed)
        extra["group_only_greetings"] = greetings
        if not greetings:  # what every V3 export writes: no need to keep it
            del extra["group_only_greetings"]
    avatar = ""
    if "assets" in extra:
        assets, avatar = _assets(extra.pop("assets"), where + "assets", relaxed, picture)
        if assets:
            extra["assets"] = assets
    return extra, avatar


# --- reading cards ----------------------------------------------------------------------------


class _Located(NamedTuple):
    data: Mapping[str, Any]
    where: str
    keep_extra: bool


def _spec(card: Mapping[str, Any], report: _Report) -> str | None:
    """The card's ``spec``; a known one written oddly (``"chara_card_v2 "``) is noted."""
    spec = card.get("spec")
    if spec is None or spec in _SPECS:
        return None if spec is None else str(spec)
    refusal = not_a_card(f"unsupported card format {str(spec)[:40]!r}")
    clean = spec.strip().lower() if isinstance(spec, str) else None
    if clean not in (*_SPECS, ""):
        raise refusal
    report.note("spec", "spec_corrected", refusal)
    return clean or None


def _note_newer_version(card: Mapping[str, Any], report: _Report) -> None:
    """V3 says to tell the user about a card made for a newer ``spec_version``."""
    try:
        newer = float(str(card.get("spec_version"))) > 3.0
    except ValueError:
        newer = False
    if newer:
        report.note("spec_version", "newer_version")


def _locate(card: Mapping[str, Any], report: _Report) -> _Located:
    """Where the card keeps its fields: ``data`` (V2/V3), else the card itself (V1)."""
    spec = _spec(card, report)
    data = card.get("data")
    if spec is not None:
        if not isinstance(data, dict):
            raise not_a_card("missing data (the card's fields)")
        if spec == _V3:
            _note_newer_version(card, report)
        return _Located(data, "data.", keep_extra=True)
    if isinstance(data, dict) and "name" in data:  # V2 without its spec line
        return _Located(data, "data.", keep_extra=True)
    flat = dict(card)
    for key, alias in _V1_ALIASES.items():
        if flat.get(key) is None and alias in flat:
            flat[key] = flat[alias]
    return _Located(flat, "", keep_extra=False)


def _character(
    located: _Located, report: _Report, picture: str | None, now: str | None
) -> Character:
    data, where = located.data, located.where
    name = _name(data, where, report)
    extensions = _extensions(data, where, report)
    avatar = _avatar_from(extensions, where, report)
    extra, icon = _extra(data, where, report, picture) if located.keep_extra else ({}, "")
    found: dict[str, Any] = {key: _text_field(data, key, where, report) for key in _READ_AS_TEXT}
    found |= {key: _list_field(data, key, where, report) for key in _LIST_FIELDS}
    stamp = now or now_iso()
    return Character(
        id=new_id(),
        name=name,
        avatar=picture or avatar or icon,
        **found,
        extensions=extensions,
        card_extra=extra,
        created_at=stamp,
        updated_at=stamp,
    )


def _read(card: object, *, strict: bool, picture: str | None, now: str | None) -> CardImport:
    """The one reader behind import (lenient) and parse (strict)."""
    if not isinstance(card, dict):
        kind = "list" if isinstance(card, list) else type(card).__name__
        raise not_a_card(f"it holds a JSON {kind} instead of an object")
    report = _Report(strict=strict)
    try:
        if jsontext.deeper_than(card, MAX_DEPTH):
            raise not_a_card(f"its JSON is nested more than {MAX_DEPTH} levels deep")
        character = _character(_locate(card, report), report, picture, now)
    except RecursionError as exc:  # defensive: the depth check should have refused it
        raise not_a_card("its JSON is nested too deeply") from exc
    return CardImport(character, tuple(report.notes))


def import_card(card: object, *, picture: str | None = None, now: str | None = None) -> CardImport:
    """The character in a decoded card (V3, V2 or V1 dict), odd fields noted instead of refused.

    ``picture`` is the avatar a container holds (a PNG card's image, a CHARX's icon), ``""``
    when it has none after all; it stands for the card's main icon.
    """
    return _read(card, strict=False, picture=picture, now=now)


def parse_card(card: object, *, now: str | None = None) -> Character:
    """The character in a decoded card (V3, V2 or V1 dict); :class:`CardError` if malformed."""
    return _read(card, strict=True, picture=None, now=now).character


def load_card_json(source: str | bytes) -> object:
    """The decoded JSON of a card file, refused before decoding when too big or too deep."""
    if len(source) > MAX_CARD_JSON_BYTES:
        raise CardError("This character card is too large (over 16 MiB of JSON)")
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise not_a_card("it is not UTF-8 text") from exc
    elif source.startswith("\ufeff"):
        source = source[1:]
    if not source.strip():
        raise not_a_card("the file is empty")
    try:
        return jsontext.loads(source, MAX_DEPTH)
    except jsontext.TooDeep as exc:
        raise not_a_card(str(exc)) from exc
    except ValueError as exc:
        raise not_a_card("it is not valid JSON") from exc


def import_card_json(source: str | bytes, *, now: str | None = None) -> CardImport:
    """The character in a card's JSON text, odd fields noted; :class:`CardError` if no card."""
    return import_card(load_card_json(source), now=now)


def parse_card_json(source: str | bytes, *, now: str | None = None) -> Character:
    """The character in a card's JSON text; :class:`CardError` for anything else."""
    return parse_card(load_card_json(source), now=now)


def _decode_payload(payload: str) -> bytes:
    text = "".join(payload.split())
    if text.startswith("{"):  # a few tools store the JSON itself
        return text.encode("utf-8")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise damaged_card("the data in the PNG is not valid base64") from exc


def _png_payloads(png: bytes) -> tuple[list[Chunk], list[tuple[str, str]]]:
    """The PNG's chunks and its card texts, ``(keyword, text)`` in order of preference."""
    if len(png) > MAX_PNG_BYTES:
        raise CardError("This image is too large to import (over 32 MiB)")
    try:
        chunks = read_chunks(bytes(png))
        texts = {keyword.lower(): text for keyword, text in read_text_chunks(chunks).items()}
    except PngError as exc:
        raise not_a_card(str(exc)) from exc
    payloads = [(keyword, texts[keyword]) for keyword in _CARD_KEYWORDS if keyword in texts]
    if not payloads:
        raise not_a_card("this PNG image has no character data (no 'chara' text chunk)")
    return chunks, payloads


def _png_card(png: bytes, *, strict: bool, now: str | None) -> CardImport:
    chunks, payloads = _png_payloads(png)
    kept = remove_text_chunks(chunks, _CARD_KEYWORDS, prefixes=(_ASSET_CHUNKS,))
    picture = "data:image/png;base64," + base64.b64encode(join_chunks(kept)).decode("ascii")
    failed: list[tuple[str, CardError]] = []
    for keyword, payload in payloads:
        try:
            card = load_card_json(_decode_payload(payload))
            found = _read(card, strict=strict, picture=picture, now=now)
        except CardError as exc:
            failed.append((keyword, exc))
            continue
        skipped = tuple(CardNote(name, "unreadable_chunk") for name, _ in failed)
        return CardImport(found.character, skipped + found.notes)
    raise failed[0][1]


def import_png_card(png: bytes, *, now: str | None = None) -> CardImport:
    """The character in a PNG card, odd fields noted; its picture is the avatar."""
    return _png_card(png, strict=False, now=now)


def read_png_card(png: bytes, *, now: str | None = None) -> Character:
    """The character in a PNG card; its picture (without the card chunks) is the avatar."""
    return _png_card(png, strict=True, now=now).character


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


def card_to_v3_dict(
    character: Character, *, icon_uri: str = "ccdefault:", icon_ext: str = "png"
) -> dict[str, Any]:
    """``character`` as a V3 card whose main icon is ``icon_uri`` (``""``: none), no avatar.

    ``ccdefault:`` is the PNG that holds the card; a CHARX names its file (``embeded://...``).
    Kept assets other than a main icon follow it; ``group_only_greetings`` is always there.
    """
    data = card_data(character)
    greetings = data.get("group_only_greetings")
    ok = isinstance(greetings, list) and all(isinstance(item, str) for item in greetings)
    data["group_only_greetings"] = greetings if ok else []
    assets = [
        entry
        for entry in _asset_entries(data.get("assets"))
        if str(entry["uri"]).startswith(_PORTABLE_URIS) and not _is_main_icon(entry)
    ]
    if icon_uri:
        assets.insert(0, {"type": "icon", "uri": icon_uri, "name": "main", "ext": icon_ext})
    data["assets"] = assets
    return {"spec": _V3, "spec_version": "3.0", "data": data}


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


def _base64_json(card: Mapping[str, Any]) -> str:
    payload = json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(payload).decode("ascii")


def write_png_card(character: Character, png_bytes: bytes | None = None) -> bytes:
    """A PNG card: ``png_bytes`` (else the PNG avatar, else a placeholder) with the card as V2
    (``chara``) for older readers and as V3 (``ccv3``), which readers prefer.

    Card chunks already in the picture are replaced. A JPEG/WebP avatar cannot be embedded here
    (this module does not re-encode pixels): convert it to PNG first and pass it.
    """
    if png_bytes is None:
        png_bytes = avatar_png_bytes(character) or placeholder_png(character.name)
    try:
        chunks = read_chunks(bytes(png_bytes))
    except PngError as exc:
        raise CardError(f"The picture cannot hold a character card: {exc}") from exc
    chunks = remove_text_chunks(chunks, _CARD_KEYWORDS, prefixes=(_ASSET_CHUNKS,))
    chunks = with_text_chunk(
        chunks, "chara", _base64_json(card_to_dict(character, include_avatar=False))
    )
    chunks = with_text_chunk(chunks, "ccv3", _base64_json(card_to_v3_dict(character)))
    return join_chunks(chunks)


# --- duplicates -------------------------------------------------------------------------------


def _definition(character: Character) -> dict[str, Any]:
    """What makes two characters the same card: every card field, as a V3 export writes them
    (so default greetings/icons an older import kept verbatim compare equal)."""
    return dict(card_to_v3_dict(character, icon_uri="")["data"])


def find_duplicate(new: Character, existing: Iterable[Character]) -> Character | None:
    """A stored character (not built in, not ``new`` itself) that is the same card as ``new``:
    same name and fields, whatever its id, timestamps, owner or avatar; else None.

    For the page to offer "replace or keep both" before a re-import adds a second copy.
    """
    wanted: dict[str, Any] | None = None
    for old in existing:
        if old.builtin or old.id == new.id or old.name != new.name:
            continue
        if wanted is None:
            wanted = _definition(new)
        if _definition(old) == wanted:
            return old
    return None


def as_replacement(new: Character, old: Character) -> Character:
    """``new`` taking ``old``'s place: its id (so ``old``'s chats stay with it), creation time
    and owner."""
    return replace(new, id=old.id, created_at=old.created_at, owner=old.owner)
