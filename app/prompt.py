"""The messages sent to WebLLM for a character's next reply, and the request's options.

``build_prompt`` turns a character and the chat so far into OpenAI-style messages:

1. **One system message, first**: the app's system prompt, or the card's ``system_prompt``
   when it has one (``{{original}}`` in it stands for the app's), then the character's
   description, personality, scenario and example dialogue (``mes_example``). The card's
   ``creator_notes`` are for people and never enter a prompt.
2. **The history**: the shown version of each message; an assistant's ``<think>`` reasoning is
   never sent. Messages with role ``system`` are notices for the reader and are skipped.
3. **The last message must be the user's** (WebLLM refuses anything else; to regenerate, pass
   the history without the reply being replaced). The post-history instructions (the card's,
   replacing the app's, ``{{original}}`` expanding to the app's) are appended to that message as
   a ``[System note: …]`` paragraph: WebLLM accepts a system message only in first place, and
   text at the very end of the prompt is what the model follows most closely.

Everywhere ``{{char}}``/``{{user}}`` (any case, inner spaces allowed) and the legacy ``<BOT>``,
``<CHAR>``, ``<USER>`` become the character's and the user's names, in one pass (a name that
contains a macro is not expanded again).

**Fitting the context window**: the prompt, the reply (``max_reply_tokens``) and a safety margin
must fit in ``context_window``. Tokens are counted with ``count_tokens`` (the engine's tokenizer
when the page has it, else the over-estimate of :mod:`app.tokens`) plus a per-message allowance
for the chat template. When it does not fit, in this order: the oldest history messages are
dropped, newest kept (the chat's opening greeting is kept while it fits, since it sets the scene
and voice; a gap after it is fine); if even the system prompt and the last user message alone do
not fit, the example dialogue goes, then the system prompt is cut to half the room (its start,
with the instructions, is kept), and finally the last user message is cut from its start (its end
and the post-history note are kept). :class:`PromptResult` says what was dropped or cut.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from app.macros import substitute_macros
from app.models import Message, new_id, now_iso
from app.think import strip_reasoning
from app.tokens import CountCache, estimate_tokens

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from app.models import Character
    from app.worldinfo import Activation, Lorebook

__all__ = [
    "CONTEXT_WINDOW",
    "DEFAULT_POST_HISTORY",
    "DEFAULT_SYSTEM_PROMPT",
    "REPLY_TOKENS",
    "ExampleTurn",
    "GenerationSettings",
    "PromptError",
    "PromptExtras",
    "PromptPart",
    "PromptResult",
    "build_prompt",
    "expand_original",
    "generation_options",
    "greeting_message",
    "parse_example_dialogue",
    "post_history_text",
    "reply_token_budget",
    "substitute_macros",
    "supports_thinking",
    "system_prompt_text",
]

DEFAULT_SYSTEM_PROMPT = (
    "You are {{char}}, in an ongoing roleplay conversation with {{user}}. Stay in character: "
    "write only {{char}}'s next reply, in {{char}}'s voice, with actions in *asterisks* when "
    "they help. Never speak or act for {{user}}. Keep replies natural and varied, and reply in "
    "the language {{user}} writes in."
)
"""The app's system prompt; a card's ``system_prompt`` replaces it (``{{original}}`` keeps it)."""
DEFAULT_POST_HISTORY = ""
"""The app's post-history instructions (none by default)."""
CONTEXT_WINDOW = 16384
"""Every preset runs with this context window (DESIGN §1)."""
REPLY_TOKENS = {"short": 256, "medium": 512, "long": 1024}
"""``max_tokens`` for each reply-length setting."""
THINKING_TOKENS = 1024
"""Extra reply budget when a model reasons before answering (its reasoning counts as output)."""
MESSAGE_OVERHEAD = 8
"""Template tokens around one message (``<|im_start|>role\\n`` ... ``<|im_end|>\\n``), rounded up."""
SAFETY_MARGIN = 64
"""Slack for the generation prompt and estimate errors."""
MAX_SEED = 2**31 - 1
"""The largest sampling seed (WebLLM takes a 32-bit integer)."""

_ORIGINAL = re.compile(r"\{\{\s*original\s*\}\}", re.IGNORECASE)
_START = re.compile(r"^[ \t]*<start>[ \t]*$", re.IGNORECASE | re.MULTILINE)
_SPEAKER = re.compile(
    r"^\s*(\{\{\s*(?:char|user)\s*\}\}|<(?:bot|char|user)>)\s*:\s?", re.IGNORECASE
)
_CUT_MARK = "[…] "


class PromptError(ValueError):
    """The chat cannot be turned into a request (e.g. it does not end with the user's message)."""


@dataclass(frozen=True)
class ExampleTurn:
    """One line of example dialogue: who speaks (``""`` for narration) and what, substituted."""

    speaker: Literal["user", "char", ""]
    text: str


@dataclass(frozen=True)
class PromptResult:
    """The request's ``messages`` and what had to give way to fit the context window."""

    messages: list[dict[str, str]]
    dropped_count: int = 0
    """History messages left out (oldest first), not counting skipped empty/system ones."""
    prompt_tokens: int = 0
    """The prompt's size as counted (with the per-message allowance)."""
    examples_dropped: bool = False
    """The example dialogue was left out of the system message."""
    system_truncated: bool = False
    """The system message was cut (its end removed)."""
    last_message_truncated: bool = False
    """The user's last message was cut (its start removed)."""
    activation: Activation | None = None
    """Which world-info entries fired and why (``None``: no books)."""
    parts: tuple[PromptPart, ...] = ()
    """The prompt's parts with their token estimates."""


# --- text -------------------------------------------------------------------------------------


def expand_original(text: str, original: str) -> str:
    """``text`` with each ``{{original}}`` replaced by ``original``."""
    return _ORIGINAL.sub(lambda _match: original, text)


def _speaker_of(line: str, char: str, user: str) -> tuple[Literal["user", "char", ""], str]:
    match = _SPEAKER.match(line)
    if match:
        macro = match.group(1).strip("{}<> \t").lower()
        return ("user" if macro == "user" else "char"), line[match.end() :]
    stripped = line.lstrip()
    if char and stripped.startswith(char + ":"):
        return "char", stripped[len(char) + 1 :].lstrip(" ")
    if user and stripped.startswith(user + ":"):
        return "user", stripped[len(user) + 1 :].lstrip(" ")
    return "", line


def parse_example_dialogue(mes_example: str, *, char: str, user: str) -> list[list[ExampleTurn]]:
    """The ``<START>`` blocks of ``mes_example``, each a list of turns.

    A line starts a turn when it begins with ``{{user}}:``/``{{char}}:`` (or ``<USER>:``,
    ``<BOT>:``, or either name and a colon); other lines continue the previous turn, or are
    narration at a block's start.
    """
    blocks: list[list[ExampleTurn]] = []
    for raw_block in _START.split(mes_example):
        turns: list[ExampleTurn] = []
        for line in raw_block.strip().splitlines():
            speaker, text = _speaker_of(line, char, user)
            text = substitute_macros(text, char=char, user=user)
            if not speaker and turns:
                last = turns[-1]
                turns[-1] = replace(last, text=f"{last.text}\n{text}")
            else:
                turns.append(ExampleTurn(speaker, text))
        turns = [replace(turn, text=turn.text.rstrip()) for turn in turns]
        if any(turn.text for turn in turns):
            blocks.append(turns)
    return blocks


def _render_examples(blocks: list[list[ExampleTurn]], *, char: str, user: str) -> str:
    rendered = []
    for turns in blocks:
        lines = []
        for turn in turns:
            label = {"user": user, "char": char}.get(turn.speaker)
            lines.append(f"{label}: {turn.text}" if label else turn.text)
        rendered.append("\n".join(lines))
    return "\n\n".join(rendered)


def system_prompt_text(
    character: Character,
    *,
    user_name: str = "User",
    global_system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    include_examples: bool = True,
    lore_before: str = "",
    lore_after: str = "",
    persona: str = "",
) -> str:
    """The system message, in SillyTavern's story-string order: the (card's or app's) system
    prompt, world info placed before the character, the character's fields, world info placed
    after it, the user's persona, then the example dialogue."""
    char = character.name

    def fill(text: str) -> str:
        return substitute_macros(text.strip(), char=char, user=user_name)

    main = global_system_prompt
    if character.system_prompt.strip():
        main = expand_original(character.system_prompt, global_system_prompt)
    parts = [fill(main), lore_before.strip()]
    if character.description.strip():
        parts.append(f"{char}'s description:\n{fill(character.description)}")
    if character.personality.strip():
        parts.append(f"{char}'s personality: {fill(character.personality)}")
    if character.scenario.strip():
        parts.append(f"Scenario: {fill(character.scenario)}")
    parts.append(lore_after.strip())
    if persona.strip():
        parts.append(f"About {user_name}:\n{fill(persona)}")
    if include_examples:
        blocks = parse_example_dialogue(character.mes_example, char=char, user=user_name)
        if blocks:
            parts.append(
                f"Example dialogue (how {char} speaks; not part of this conversation):\n"
                f"{_render_examples(blocks, char=char, user=user_name)}"
            )
    return "\n\n".join(part for part in parts if part)


def post_history_text(
    character: Character,
    *,
    user_name: str = "User",
    global_post_history: str = DEFAULT_POST_HISTORY,
) -> str:
    """The post-history instructions: the card's (with ``{{original}}``) or the app's."""
    text = global_post_history
    if character.post_history_instructions.strip():
        text = expand_original(character.post_history_instructions, global_post_history)
    return substitute_macros(text, char=character.name, user=user_name).strip()


def greeting_message(
    character: Character, session_id: str, *, user_name: str = "User", now: str | None = None
) -> Message | None:
    """A new chat's first message: the greetings as swipes (``first_mes`` shown), or None."""
    greetings = [
        substitute_macros(text, char=character.name, user=user_name).strip()
        for text in character.greetings
    ]
    if not greetings:
        return None
    return Message(
        id=new_id(),
        session_id=session_id,
        role="assistant",
        swipes=greetings,
        reasoning=[""] * len(greetings),
        seq=0,
        created_at=now or now_iso(),
    )


# --- fitting ----------------------------------------------------------------------------------

_HISTORY_COUNTS: dict[Callable[[str], int], CountCache] = {}
"""One :class:`CountCache` per counting function, for the history turns (the same texts every
turn); the few texts cut to fit are counted afresh."""


def _history_counter(count: Callable[[str], int]) -> CountCache:
    cache = _HISTORY_COUNTS.get(count)
    if cache is None:
        if len(_HISTORY_COUNTS) >= 4:  # a new tokenizer per model load: keep the newest few
            _HISTORY_COUNTS.pop(next(iter(_HISTORY_COUNTS)))
        cache = _HISTORY_COUNTS[count] = CountCache(count)
    return cache


def _keep_end(text: str, limit: int, count: Callable[[str], int]) -> str:
    """The longest end of ``text`` (after a cut mark) that counts at most ``limit`` tokens."""
    if count(text) <= limit:
        return text
    low, high = 1, len(text)  # smallest start index that fits lies in [low, high]
    while low < high:
        middle = (low + high) // 2
        if count(_CUT_MARK + text[middle:]) <= limit:
            high = middle
        else:
            low = middle + 1
    return _CUT_MARK + text[low:] if low < len(text) else ""


def _keep_start(text: str, limit: int, count: Callable[[str], int]) -> str:
    """The longest start of ``text`` (before a cut mark) that counts at most ``limit`` tokens."""
    if count(text) <= limit:
        return text
    low, high = 0, len(text) - 1  # largest end index that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if count(text[:middle] + " […]") <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low] + " […]" if low else ""


_Turn = tuple[int, str, str]  # (position in history, role, content)


def _turns(history: Sequence[Message], *, char: str, user: str) -> tuple[list[_Turn], int]:
    """The turns to send (macros filled, reasoning stripped, empty ones left out but the last)
    and the history position of the first message that is not a system one."""
    said = [
        (position, message) for position, message in enumerate(history) if message.role != "system"
    ]
    if not said or said[-1][1].role != "user":
        raise PromptError("the last message must be the user's")
    turns: list[_Turn] = []
    for position, message in said:
        content = message.content
        if message.role == "assistant":
            content = strip_reasoning(content)
        if content.strip() or position == said[-1][0]:
            turns.append((position, message.role, substitute_macros(content, char=char, user=user)))
    return turns, said[0][0]


def _fit_history(
    earlier: list[_Turn], opening: int, room: int, cost: Callable[[str], int]
) -> tuple[list[_Turn], int]:
    """The earlier turns that fit in ``room``: the opening greeting while it fits (it sets the
    scene), then the newest ones; and the room left."""
    kept: list[_Turn] = []
    if earlier and earlier[0][0] == opening and earlier[0][1] == "assistant":
        first_cost = cost(earlier[0][2])
        if first_cost <= room:
            kept.append(earlier[0])
            room -= first_cost
            earlier = earlier[1:]
    newest: list[_Turn] = []
    for turn in reversed(earlier):
        turn_cost = cost(turn[2])
        if turn_cost > room:
            break
        newest.append(turn)
        room -= turn_cost
    kept.extend(reversed(newest))
    return kept, room


@dataclass(frozen=True)
class PromptExtras:
    """What shapes a prompt besides the card and the chat: the persona the user speaks as, the
    world-info books to scan (the character's first), and the author's note."""

    persona: str = ""
    """What the character knows about ``{{user}}`` (the persona's description)."""
    lorebooks: tuple[Lorebook, ...] = ()
    author_note: str = ""
    author_note_depth: int = 4
    character_note: str = ""
    """The card's own note at depth (SillyTavern's ``extensions.depth_prompt``)."""
    character_note_depth: int = 4
    rng: Callable[[], float] | None = None
    """Rolls the entries' probabilities (``None``: at random)."""


@dataclass(frozen=True)
class PromptPart:
    """One part of a prompt and its size, for the prompt inspector."""

    name: str
    tokens: int


_Note = tuple[int, str]  # (depth: messages from the end, text)


def _activation(
    extras: PromptExtras, turns: list[_Turn], *, char: str, user: str, count: Callable[[str], int]
) -> Activation | None:
    """Which world-info entries fire for this chat (``None``: no books)."""
    if not extras.lorebooks:
        return None
    from app.worldinfo import activate

    names = {"user": user, "assistant": char}
    texts = [f"{names.get(role, role)}: {content}" for _, role, content in turns]
    rng = extras.rng or random.random
    return activate(
        extras.lorebooks, texts, char_name=char, user_name=user, count_tokens=count, rng=rng
    )


def _depth_notes(
    extras: PromptExtras, activation: Activation | None, fill: Callable[[str], str]
) -> list[_Note]:
    """The texts placed in the history: world info at depth and the author's note."""
    notes = [(insert.depth, insert.text) for insert in activation.at_depth] if activation else []
    if extras.character_note.strip():
        notes.append((max(0, extras.character_note_depth), fill(extras.character_note)))
    if extras.author_note.strip():
        note = f"[Author's note: {fill(extras.author_note)}]"
        notes.append((max(0, extras.author_note_depth), note))
    return [(depth, text) for depth, text in notes if text.strip()]


def _place_notes(turns: list[_Turn], notes: list[_Note]) -> list[_Turn]:
    """``turns`` with each note ``depth`` messages from the end. WebLLM takes a system message
    only first, so a note joins the user message just above its place (or, above the first
    one, the first user message below it)."""
    placed = list(turns)
    for depth, text in notes:
        point = max(0, len(placed) - depth)
        above = [i for i in range(point) if placed[i][1] == "user"]
        if above:
            position, role, content = placed[above[-1]]
            placed[above[-1]] = (position, role, f"{content}\n\n{text}")
            continue
        below = next(i for i in range(point, len(placed)) if placed[i][1] == "user")
        position, role, content = placed[below]
        placed[below] = (position, role, f"{text}\n\n{content}")
    return placed


def _prompt_budget(context_window: int, max_reply_tokens: int) -> int:
    """The tokens the prompt may use: the window less the reply and a margin."""
    budget = context_window - max_reply_tokens - SAFETY_MARGIN
    if budget < 4 * MESSAGE_OVERHEAD:
        raise PromptError(
            f"a {max_reply_tokens}-token reply leaves no room for the prompt in a "
            f"{context_window}-token context window"
        )
    return budget


def _message_cost(counted: Callable[[str], int]) -> Callable[[str], int]:
    """A message's tokens: its text's and the chat template's per-message overhead."""
    return lambda text: counted(text) + MESSAGE_OVERHEAD


def _with_post_history(
    last: str, character: Character, user_name: str, global_post_history: str
) -> str:
    """The user's last message, followed by the post-history instructions as a system note."""
    post = post_history_text(
        character, user_name=user_name, global_post_history=global_post_history
    )
    return last + (f"\n\n[System note: {post}]" if post else "")


def _sent(system: str, sent: Sequence[tuple[int, str, str]]) -> list[tuple[str, str]]:
    """``(role, content)`` of every message sent: the system message (not sent when empty),
    then the history."""
    return ([("system", system)] if system else []) + [(role, text) for _, role, text in sent]


def build_prompt(
    character: Character,
    history: Sequence[Message],
    *,
    user_name: str = "User",
    global_system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    global_post_history: str = DEFAULT_POST_HISTORY,
    context_window: int = CONTEXT_WINDOW,
    max_reply_tokens: int = REPLY_TOKENS["medium"],
    count_tokens: Callable[[str], int] = estimate_tokens,
    extras: PromptExtras | None = None,
) -> PromptResult:
    """The messages for the character's next reply to ``history`` (which ends with the user's)."""
    extras = extras or PromptExtras()
    turns, opening = _turns(history, char=character.name, user=user_name)
    budget = _prompt_budget(context_window, max_reply_tokens)
    counted = _history_counter(count_tokens)
    cost = _message_cost(counted)

    def fill(text: str) -> str:
        return substitute_macros(text.strip(), char=character.name, user=user_name)

    activation = _activation(extras, turns, char=character.name, user=user_name, count=count_tokens)
    notes = _depth_notes(extras, activation, fill)
    budget -= sum(counted(text) + 2 for _, text in notes)

    make_system = partial(
        system_prompt_text,
        character,
        user_name=user_name,
        global_system_prompt=global_system_prompt,
        lore_before=activation.before_char if activation else "",
        lore_after=activation.after_char if activation else "",
        persona=extras.persona,
    )
    last = _with_post_history(turns[-1][2], character, user_name, global_post_history)
    fitted = _fit_ends(
        make_system,
        last,
        budget,
        has_examples=bool(character.mes_example.strip()),
        cost=cost,
        count_tokens=count_tokens,
    )
    system, last = fitted.system, fitted.last
    system_cost = cost(system) if system else 0  # an empty system message is not sent
    kept, _ = _fit_history(turns[:-1], opening, budget - system_cost - cost(last), cost)
    sent = _place_notes([*kept, (turns[-1][0], "user", last)], notes)

    messages = [{"role": role, "content": content} for role, content in _sent(system, sent)]
    return PromptResult(
        messages=messages,
        dropped_count=len(turns) - 1 - len(kept),
        prompt_tokens=sum(cost(m["content"]) for m in messages),
        examples_dropped=fitted.examples_dropped,
        system_truncated=fitted.system_truncated,
        last_message_truncated=fitted.last_truncated,
        activation=activation,
        parts=_parts(system, kept, last, notes, activation, extras, counted),
    )


def _parts(
    system: str,
    kept: list[_Turn],
    last: str,
    notes: list[_Note],
    activation: Activation | None,
    extras: PromptExtras,
    count: Callable[[str], int],
) -> tuple[PromptPart, ...]:
    """The prompt's parts with their token estimates (world info and the persona are counted
    on their own, and also inside the system message that holds them)."""
    lore = activation.tokens if activation else 0
    note = sum(count(text) for _, text in notes)
    parts = [
        PromptPart("system", count(system)),
        PromptPart("lore", lore),
        PromptPart("persona", count(extras.persona) if extras.persona.strip() else 0),
        PromptPart("history", sum(count(content) for _, _, content in kept)),
        PromptPart("notes", note),
        PromptPart("last", count(last)),
    ]
    return tuple(parts)


@dataclass(frozen=True)
class _Ends:
    """The system message and the user's last message, made to fit, and what gave way."""

    system: str
    last: str
    examples_dropped: bool = False
    system_truncated: bool = False
    last_truncated: bool = False


def _fit_ends(
    make_system: Callable[..., str],
    last: str,
    budget: int,
    *,
    has_examples: bool,
    cost: Callable[[str], int],
    count_tokens: Callable[[str], int],
) -> _Ends:
    """Both ends of the prompt within ``budget``: first the example dialogue goes, then the
    system message keeps at most half, then the last message loses its start."""

    def system_cost_of(text: str) -> int:
        return cost(text) if text else 0  # an empty system message is not sent

    system = make_system(include_examples=True)
    system_cost, last_cost = system_cost_of(system), cost(last)
    examples_dropped = system_truncated = last_truncated = False
    if system_cost + last_cost > budget and has_examples:
        shorter = make_system(include_examples=False)
        examples_dropped = shorter != system
        system, system_cost = shorter, system_cost_of(shorter)
    if system_cost + last_cost > budget and system_cost > budget // 2:
        system = _keep_start(system, budget // 2 - MESSAGE_OVERHEAD, count_tokens)
        system_cost, system_truncated = system_cost_of(system), True
    if system_cost + last_cost > budget:
        last = _keep_end(last, budget - system_cost - MESSAGE_OVERHEAD, count_tokens)
        last_truncated = True
    return _Ends(system, last, examples_dropped, system_truncated, last_truncated)


# --- request options --------------------------------------------------------------------------


def supports_thinking(model_id: str) -> bool:
    """Whether the model takes ``extra_body.enable_thinking`` (the Qwen3 family)."""
    return model_id.startswith("Qwen3")


def _number(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value:  # NaN
        return None
    return float(min(max(value, low), high))


@dataclass(frozen=True)
class GenerationSettings:
    """How the model samples a reply: app-wide defaults, overridden per chat session."""

    temperature: float = 0.7
    """Randomness, 0 to 2 (Qwen3's advice without thinking: 0.7)."""
    top_p: float = 0.8
    """Nucleus sampling, above 0 up to 1 (Qwen3's advice without thinking: 0.8)."""
    reply_length: str = "medium"
    """A key of :data:`REPLY_TOKENS`."""
    thinking: bool = False
    """Let a Qwen3 model reason (``<think>``) before it answers."""
    seed: int | None = None
    """Sampling seed: the same prompt and seed give the same reply (None: a new one each time)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Settings this version does not know, kept for whoever stored them."""

    def merged(self, overrides: Mapping[str, Any]) -> GenerationSettings:
        """These settings with the valid values of ``overrides`` applied (invalid ones ignored)."""
        changes: dict[str, Any] = {}
        temperature = _number(overrides.get("temperature"), 0.0, 2.0)
        if temperature is not None:
            changes["temperature"] = temperature
        top_p = _number(overrides.get("top_p"), 0.01, 1.0)
        if top_p is not None:
            changes["top_p"] = top_p
        if overrides.get("reply_length") in REPLY_TOKENS:
            changes["reply_length"] = overrides["reply_length"]
        if isinstance(overrides.get("thinking"), bool):
            changes["thinking"] = overrides["thinking"]
        if "seed" in overrides:
            seed = overrides["seed"]
            if seed is None:
                changes["seed"] = None  # cleared: random again
            elif isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= MAX_SEED:
                changes["seed"] = seed
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy (for storage)."""
        return {
            **self.extra,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "reply_length": self.reply_length,
            "thinking": self.thinking,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GenerationSettings:
        """Stored settings; missing or invalid values take the defaults."""
        known = {"temperature", "top_p", "reply_length", "thinking", "seed"}
        extra = {key: value for key, value in data.items() if key not in known}
        return cls(extra=extra).merged(data)


def reply_token_budget(settings: GenerationSettings, *, model_id: str = "") -> int:
    """``max_tokens`` for a reply (pass it to :func:`build_prompt` as ``max_reply_tokens``)."""
    tokens = REPLY_TOKENS.get(settings.reply_length, REPLY_TOKENS["medium"])
    if settings.thinking and supports_thinking(model_id):
        tokens += THINKING_TOKENS
    return tokens


def generation_options(settings: GenerationSettings, *, model_id: str = "") -> dict[str, Any]:
    """The sampling fields of a WebLLM streaming ``chat.completions.create`` request."""
    options: dict[str, Any] = {
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "max_tokens": reply_token_budget(settings, model_id=model_id),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if settings.seed is not None:
        options["seed"] = settings.seed
    if supports_thinking(model_id):
        options["extra_body"] = {"enable_thinking": settings.thinking}
    return options
