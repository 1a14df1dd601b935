"""World info (lorebooks): which entries of a character's book enter the prompt, and why.

A lorebook is a list of entries, each a piece of lore (``content``) with trigger keys. Before a
reply, :func:`activate` scans the newest messages for the keys and returns the contents of the
entries that fire, grouped by where they go in the prompt, with the reason for each entry that
fired or did not. The semantics follow SillyTavern's world info (``checkWorldInfo`` and
``WorldInfoBuffer`` in its ``world-info.js``), which is what the cards people import are written
for:

- **Scanning**: an entry fires when one of its keys is in the last ``scan_depth`` messages (the
  entry's own ``scan_depth`` or its book's, 2 by default), each message trimmed and prefixed with
  ``\\x01`` as ST does (so ``/\\x01Bob:[^\\x01]*hello/`` matches Bob saying hello). Constant
  entries always fire; disabled ones never. Keys are plain text, case-insensitive and matched
  anywhere (a substring) unless the entry or its book asks for case-sensitive or whole-word
  matching; a whole-word key of several words is matched as a phrase. A key written
  ``/pattern/flags`` is a regular expression (flags ``i``, ``m``, ``s``; ``g``, ``u``, ``y``
  are accepted and ignored) and ignores both settings; one that does not compile is matched as
  plain text, as ST matches one that does not parse, and so is one that looks able to backtrack
  for ever (a cheap guard, not a proof): longer than 300 characters, repeating a group that ends
  in a quantifier (``(a+)+``), or with more than 4 unbounded repeats (``.*.*.*.*.*``). ``{{char}}``/``{{user}}`` in keys
  and contents become the names.
- **Secondary keys** (when ``selective``): the entry also needs AND_ANY (one of them), AND_ALL
  (all), NOT_ANY (none) or NOT_ALL (not all) of them in the same scanned text.
- **Priority and budget**: the entries that fire in one sweep are admitted constant ones first,
  then by book (the order given: put the character's book first), then higher ``order`` first
  (ST's budget documentation; its code sorts by order only). Admitted contents may take at most
  the token budget; at the first entry that does not fit, it and every entry after it are left
  out and scanning stops, as in ST (ST also drops an entry that exactly fills the budget; here it
  fits). Entries with a ``probability`` below 100 roll for it first.
- **Recursion**: in a book with ``recursive_scanning``, entries may also be triggered by the
  contents of entries admitted in earlier sweeps (not by ``prevent_recursion`` ones, and
  ``exclude_recursion`` entries never by recursion), up to ``max_recursion_steps`` sweeps.
- **Placement**: the admitted entries are placed in ascending ``order`` (a higher order lands
  later, closer to the chat), ties in ST's order: ``before_char`` and ``after_char`` texts are
  joined with newlines, ``at_depth`` entries grouped by depth and role. ST's positions without a
  counterpart here are mapped: example-message top/bottom go after the character, author's-note
  top/bottom at depth 4 as system (where ST's author's note sits by default); outlet entries
  are never placed (there is no ``{{outlet::}}`` macro).

Left out: inclusion groups, sticky/cooldown/delay, delay-until-recursion, minimum activations,
character filters, decorators (``@@activate``), vector matching.

The readers take untrusted JSON and never raise: a value of the wrong type is coerced or
replaced by the default, an entry that is not an object is skipped, and each such change is
described in :attr:`Lorebook.notes`. Sizes are capped (entries, keys, characters).
"""

from __future__ import annotations

from app.worldinfo.codec import (
    character_lorebook,
    lorebook_from_card_book,
    lorebook_from_world_json,
    lorebook_to_card_book,
    lorebook_to_world_json,
)
from app.worldinfo.model import (
    DEFAULT_TOKEN_BUDGET,
    Lorebook,
    LoreEntry,
    LoreRole,
    Position,
    SelectiveLogic,
)
from app.worldinfo.scan import Activation, DepthInsert, EntryOutcome, Why, activate

__all__ = [
    "DEFAULT_TOKEN_BUDGET",
    "Activation",
    "DepthInsert",
    "EntryOutcome",
    "LoreEntry",
    "LoreRole",
    "Lorebook",
    "Position",
    "SelectiveLogic",
    "Why",
    "activate",
    "character_lorebook",
    "lorebook_from_card_book",
    "lorebook_from_world_json",
    "lorebook_to_card_book",
    "lorebook_to_world_json",
]
