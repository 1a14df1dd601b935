"""The characters the app ships with, in both languages of the page."""

from __future__ import annotations

import re

from app.models import Character


def test_built_in_characters_come_in_korean_with_the_same_ids() -> None:
    from app.models import builtin_characters

    english, korean = builtin_characters("en"), builtin_characters("ko")
    assert [c.id for c in english] == [c.id for c in korean]
    for en, ko in zip(english, korean, strict=True):
        for name in ("name", "description", "personality", "scenario", "first_mes"):
            assert getattr(en, name) != getattr(ko, name), name
            if name != "name":
                assert re.search("[가-힣]", getattr(ko, name)), (ko.name, name)
        assert len(ko.alternate_greetings) == len(en.alternate_greetings)
        assert ko.mes_example.count("<START>") == en.mes_example.count("<START>")


def test_switching_language_rewrites_only_the_built_ins_left_as_they_came() -> None:
    from dataclasses import replace

    from app.models import builtin_characters, retranslated_builtins

    ilse, haneul, juno = builtin_characters("en")
    edited = replace(haneul, description="My own take.", updated_at="2026-01-01T00:00:00.000Z")
    mine = Character.new("Mine")
    changed = retranslated_builtins([ilse, edited, juno, mine], "ko")
    assert [c.id for c in changed] == [ilse.id, juno.id]
    assert all(c in builtin_characters("ko") for c in changed)
    assert retranslated_builtins(changed, "ko") == []
    back = retranslated_builtins(changed, "en")
    assert back == [ilse, juno]
