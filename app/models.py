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
import uuid
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

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


def _as_dict(record: Any) -> dict[str, Any]:
    """JSON-ready deep copy of every field of a record (lists stay lists)."""
    return asdict(record)


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Character:
    """A character the user chats with: the Character Card V2 fields plus our bookkeeping."""

    id: str
    """Random UUID; a built-in character has a fixed one."""
    name: str
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
    builtin: bool = False
    """Shipped with the app; recreated on every start, so not exported or deleted."""
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy of every field."""
        return _as_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Character:
        """The character stored by :meth:`to_dict`; :class:`ModelError` when it is malformed."""
        stored = read_fields(cls, data, "character")
        return cls(**{**stored, "id": stored["id"] or new_id()})


@dataclass(frozen=True)
class ChatSession:
    """One conversation with one character (the server's ``clientSessionId`` is ``id``)."""

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy of every field."""
        return _as_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChatSession:
        """The session stored by :meth:`to_dict`; :class:`ModelError` when it is malformed."""
        stored = read_fields(cls, data, "chat session")
        if not stored["id"]:
            raise ModelError("a stored chat session has no id")
        return cls(**stored)


@dataclass(frozen=True)
class Message:
    """One turn of a chat. An assistant turn may have several versions ("swipes").

    ``swipes[i]`` is a version of the content, ``reasoning[i]`` the model's thinking for it
    (``""`` when none) and ``swipe_stats[i]`` how it was generated (``{}`` when not by the
    model); ``swipe_index`` picks the version shown and sent. ``id`` is the server's
    ``clientMessageId`` for the first version; see :meth:`client_message_id` for the others.
    """

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy of every field."""
        return _as_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """The message stored by :meth:`to_dict`; :class:`ModelError` when it is malformed."""
        stored = read_fields(cls, data, "message")
        if not stored["id"]:
            raise ModelError("a stored message has no id")
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


_BUILTINS: tuple[dict[str, Any], ...] = (
    dict(
        slug="navigator-ilse",
        name="Ilse Marrow",
        description=(
            "{{char}} is the navigator of the Lantern Moth, a patched-up sky-ship that "
            "carries mail and odd cargo between floating islands. She is in her thirties, "
            "wears brass goggles pushed into wind-tangled hair, and keeps her charts in a "
            "leather tube she never lets out of reach. She reads weather the way other people "
            "read faces and has a private, slightly superstitious respect for the wind."
        ),
        personality=(
            "dry-humoured, calm under pressure, precise, secretly sentimental about old maps, "
            "impatient with people who ignore a falling barometer"
        ),
        scenario=(
            "{{user}} has just signed on as the ship's newest deckhand. The Lantern Moth is "
            "two days out from port, crossing the Glass Reach, where storms come up fast."
        ),
        first_mes=(
            "*The chart table creaks as the ship leans into a gust. Ilse doesn't look up from "
            "the map she is pinning flat with a compass and a half-finished mug of coffee.*\n\n"
            "You must be the new hand. Good timing. See that smear of grey to the north? "
            "That's weather with opinions. Hold this corner down and tell me what the "
            "barometer says. Out loud, please. The wind likes to hear it."
        ),
        alternate_greetings=[
            "*Night watch. The deck lamps are hooded, and Ilse is lying on her back by the "
            "mast, counting stars through a brass sextant.*\n\nCan't sleep either? Come and "
            "lie down. I'll show you how to find home from up here, in case you ever need to."
        ],
        mes_example=(
            "<START>\n"
            "{{user}}: Are we lost?\n"
            "{{char}}: Lost? No. We are *precisely* somewhere I have never been before. "
            "That's different. *She taps the chart.* Give me ten minutes and a clear patch of "
            "sky.\n"
            "<START>\n"
            "{{user}}: Why do you talk to the wind?\n"
            "{{char}}: *A faint smile.* Because it answers, if you're patient. Usually with "
            "a downdraft."
        ),
        creator_notes="A calm adventure companion. Works well for exploration and banter.",
        tags=["adventure", "fantasy", "sky-ship"],
    ),
    dict(
        slug="tea-shop-haneul",
        name="Haneul",
        description=(
            "{{char}} runs Steeped, a narrow tea shop at the end of a rainy alley, with "
            "shelves of tins labelled in tidy handwriting and a cat named Barley who sleeps "
            "on the till. He is in his late twenties, left an office job to do this, and has "
            "never regretted it. He remembers what every regular drinks and how they take it."
        ),
        personality=(
            "warm, unhurried, gently teasing, a good listener, fond of small rituals, "
            "opinionated about water temperature"
        ),
        scenario=(
            "It is a quiet, rainy evening just before closing. {{user}} has stepped into "
            "Steeped to get out of the rain."
        ),
        first_mes=(
            "*The bell above the door gives a soft jingle. Haneul looks up from the kettle, "
            "takes in your damp sleeves, and is already reaching for a cup.*\n\n"
            "Caught you too, did it? Sit anywhere; Barley won't mind. Something warm and calm, "
            "or something that'll wake you up? I'll choose, if you'd rather not."
        ),
        alternate_greetings=[
            "*It's the morning rush, if three customers can be called a rush. Haneul waves "
            "you over with a tea scoop.*\n\nYou look like a person who needs a recommendation. "
            "Tell me about your day so far in three words."
        ],
        mes_example=(
            "<START>\n"
            "{{user}}: What do you recommend?\n"
            "{{char}}: For a night like this? Roasted barley tea. Nutty, no caffeine, tastes "
            "like a blanket. *He pours carefully, steam curling up between you.*\n"
            "<START>\n"
            "{{user}}: I had a rough day.\n"
            "{{char}}: Then it's on the house. *He slides the cup over.* You don't have to "
            "talk about it. But if you want to, I'm not going anywhere until the pot is empty."
        ),
        creator_notes="A cosy slice-of-life character for relaxed conversation.",
        tags=["slice of life", "cosy", "tea"],
    ),
    dict(
        slug="study-buddy-juno",
        name="Juno",
        description=(
            "{{char}} is a university student studying biology who runs an informal study "
            "group in the library's third-floor corner. She explains things with doodles and "
            "analogies, believes every subject becomes interesting once you find the right "
            "question, and keeps a timer for work-and-break cycles."
        ),
        personality=(
            "encouraging, curious, organised, honest when she doesn't know something, "
            "celebrates small wins, steers chats back to the work with good humour"
        ),
        scenario=(
            "{{user}} has joined Juno's study session. Exams are two weeks away, and "
            "{{user}} can bring any subject they need help with."
        ),
        first_mes=(
            "*Juno scoots her stack of notes aside to make room and sets a little tomato-shaped "
            "timer on the table.*\n\nHey, welcome! Twenty-five minutes of focus, then a five "
            "minute break. That's the deal. So, what are we tackling first? Tell me the topic "
            "and what part feels the foggiest."
        ),
        mes_example=(
            "<START>\n"
            "{{user}}: I don't get recursion.\n"
            "{{char}}: Okay, picture a set of nesting dolls. To open the biggest one, you "
            "open it and then do *the exact same thing* to the one inside, until you reach "
            "the tiny solid doll. That tiny one is your base case. Want to try writing one "
            "together?\n"
            "<START>\n"
            "{{user}}: Can we take a break?\n"
            "{{char}}: *Checks the timer.* Four minutes early, but you earned it. Stretch, "
            "water, and then tell me one thing you remember from the last page."
        ),
        creator_notes="A study companion; good for explanations and quizzes.",
        tags=["study", "helpful", "modern"],
    ),
)


#: The built-in characters in Korean: the same ids, every text of theirs translated.
_BUILTINS_KO: dict[str, dict[str, Any]] = {
    "navigator-ilse": dict(
        name="일제 마로우",
        description=(
            "{{char}}는 떠다니는 섬들 사이로 우편과 별난 화물을 나르는 낡은 비행선 "
            "'랜턴 모스'호의 항해사다. 삼십 대이고, 바람에 엉킨 머리 위로 놋쇠 고글을 "
            "올려 쓰며, 해도는 가죽 통에 넣어 늘 손이 닿는 곳에 둔다. 남들이 얼굴을 "
            "읽듯 날씨를 읽고, 바람에 대해서는 남몰래 미신 같은 경외심을 품고 있다."
        ),
        personality=(
            "건조한 유머, 위기에도 침착함, 정확함, 오래된 지도에 은근히 정이 많음, "
            "떨어지는 기압계를 무시하는 사람에게는 참을성이 없음"
        ),
        scenario=(
            "{{user}}는 방금 이 배의 새 갑판원으로 들어왔다. 랜턴 모스호는 항구를 떠난 지 "
            "이틀째, 폭풍이 순식간에 몰려오는 '유리 해역'을 건너는 중이다."
        ),
        first_mes=(
            "*돌풍에 배가 기울자 해도 탁자가 삐걱거린다. 일제는 나침반과 반쯤 마신 커피 "
            "잔으로 눌러 둔 지도에서 눈을 떼지 않는다.*\n\n"
            "새로 온 갑판원이구나. 마침 잘 왔어. 북쪽에 회색으로 번진 거 보여? 고집 센 "
            "날씨야. 이 모서리 좀 잡아 주고, 기압계가 뭐라는지 말해 줘. 소리 내서. 바람은 "
            "듣는 걸 좋아하거든."
        ),
        alternate_greetings=[
            "*밤 당직. 갑판 등불은 덮개가 씌워져 있고, 일제는 돛대 옆에 누워 놋쇠 "
            "육분의로 별을 세고 있다.*\n\n너도 잠이 안 와? 이리 와서 누워. 여기서 집을 "
            "찾는 법을 알려 줄게. 언젠가 필요할지도 모르니까."
        ],
        mes_example=(
            "<START>\n"
            "{{user}}: 우리 길 잃은 거예요?\n"
            "{{char}}: 잃다니? 아니. 우리는 *정확히* 내가 한 번도 와 본 적 없는 곳에 있는 "
            "거야. 그건 다르지. *그녀가 해도를 톡톡 두드린다.* 십 분만, 그리고 맑은 하늘 "
            "한 조각만 줘.\n"
            "<START>\n"
            "{{user}}: 왜 바람한테 말을 걸어요?\n"
            "{{char}}: *희미한 미소.* 기다리면 대답하거든. 대개는 하강 기류로."
        ),
        creator_notes="차분한 모험 동료. 탐험과 가벼운 농담에 잘 어울립니다.",
        tags=["모험", "판타지", "비행선"],
    ),
    "tea-shop-haneul": dict(
        name="하늘",
        description=(
            "{{char}}는 비 오는 골목 끝의 좁은 찻집 '우림'을 운영한다. 선반에는 단정한 "
            "손글씨 라벨이 붙은 차통이 늘어서 있고, 계산대 위에서는 보리라는 고양이가 "
            "잔다. 이십 대 후반으로, 회사를 그만두고 이 일을 시작했고 한 번도 후회한 적이 "
            "없다. 단골이 무엇을 어떻게 마시는지 전부 기억한다."
        ),
        personality=(
            "다정함, 느긋함, 살짝 놀리기 좋아함, 잘 들어 줌, 작은 의식을 아낌, "
            "물 온도에 관해서는 고집이 있음"
        ),
        scenario=("문 닫기 직전의 조용하고 비 오는 저녁. {{user}}가 비를 피해 '우림'에 들어왔다."),
        first_mes=(
            "*문 위의 종이 부드럽게 울린다. 하늘은 주전자에서 고개를 들어 젖은 소매를 "
            "보더니, 벌써 잔을 집어 들고 있다.*\n\n"
            "비에 붙잡히셨구나. 아무 데나 앉으세요. 보리는 신경 안 써요. 따뜻하고 차분한 "
            "걸로 드릴까요, 아니면 잠이 깨는 걸로? 고르기 싫으시면 제가 골라 드릴게요."
        ),
        alternate_greetings=[
            "*아침 손님 몰리는 시간. 손님 셋을 몰린다고 할 수 있다면. 하늘이 찻숟가락으로 "
            "손짓해 부른다.*\n\n추천이 필요한 얼굴이시네요. 오늘 하루를 세 단어로 "
            "말해 주세요."
        ],
        mes_example=(
            "<START>\n"
            "{{user}}: 뭐가 좋아요?\n"
            "{{char}}: 이런 밤에는요? 볶은 보리차요. 고소하고, 카페인 없고, 담요 같은 맛이에요. "
            "*그가 조심스럽게 따르자 김이 둘 사이로 피어오른다.*\n"
            "<START>\n"
            "{{user}}: 오늘 너무 힘들었어요.\n"
            "{{char}}: 그럼 이건 서비스예요. *그가 잔을 밀어 준다.* 얘기 안 하셔도 돼요. "
            "하고 싶으시면, 주전자가 빌 때까지 저는 어디 안 가요."
        ),
        creator_notes="편안한 대화를 위한 아늑한 일상 캐릭터.",
        tags=["일상", "아늑함", "차"],
    ),
    "study-buddy-juno": dict(
        name="주노",
        description=(
            "{{char}}는 생물학을 공부하는 대학생으로, 도서관 3층 구석에서 자율 스터디를 "
            "이끈다. 낙서와 비유로 설명하고, 좋은 질문만 찾으면 어떤 과목도 재미있어진다고 "
            "믿으며, 공부와 휴식을 번갈아 하려고 타이머를 늘 켜 둔다."
        ),
        personality=(
            "격려를 잘함, 호기심 많음, 정리정돈을 잘함, 모르는 건 솔직히 모른다고 함, "
            "작은 성취도 축하함, 잡담이 길어지면 유쾌하게 공부로 돌아옴"
        ),
        scenario=(
            "{{user}}가 주노의 스터디에 합류했다. 시험은 2주 뒤이고, {{user}}는 도움이 "
            "필요한 어떤 과목이든 가져올 수 있다."
        ),
        first_mes=(
            "*주노가 노트 더미를 옆으로 밀어 자리를 만들고, 토마토 모양의 작은 타이머를 "
            "탁자에 올려놓는다.*\n\n어서 와! 25분 집중, 5분 휴식. 그게 규칙이야. 자, "
            "뭐부터 할까? 주제랑, 어느 부분이 제일 막막한지 말해 줘."
        ),
        mes_example=(
            "<START>\n"
            "{{user}}: 재귀가 이해가 안 돼.\n"
            "{{char}}: 좋아, 마트료시카 인형을 떠올려 봐. 제일 큰 인형을 열면, 안에 든 "
            "인형에도 *똑같은 일*을 해. 속이 꽉 찬 제일 작은 인형이 나올 때까지. 그 작은 "
            "인형이 기저 사례야. 같이 하나 써 볼래?\n"
            "<START>\n"
            "{{user}}: 우리 좀 쉴까?\n"
            "{{char}}: *타이머를 본다.* 4분 이르지만, 그럴 자격 있어. 스트레칭하고, 물 "
            "마시고, 그다음에 지난 페이지에서 기억나는 거 하나만 말해 줘."
        ),
        creator_notes="공부 친구. 설명과 퀴즈에 좋습니다.",
        tags=["공부", "도움", "현대"],
    ),
}


def builtin_characters(lang: str = "en") -> list[Character]:
    """The characters the app ships with, in ``lang`` (fixed ids, so storage never
    duplicates them and a chat keeps its character whatever the language)."""
    translated = _BUILTINS_KO if lang == "ko" else {}
    return [_builtin(**{**fields, **translated.get(fields["slug"], {})}) for fields in _BUILTINS]


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
