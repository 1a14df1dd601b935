"""Personas: stored as plain dicts, chosen per chat, per character or by default."""

from __future__ import annotations

from app.personas import MAX_PERSONAS, Persona, PersonaBook, active_persona


def test_the_first_persona_is_the_default_and_a_book_survives_its_record() -> None:
    mina = Persona.new("Mina", description="A deckhand.", avatar="data:image/png;base64,AAAA")
    kai = Persona.new("Kai")
    book = PersonaBook().saved(mina).saved(kai).chosen_for("char-1", kai.id)
    assert book.default_id == mina.id
    assert PersonaBook.read(book.to_dict()) == book
    renamed = book.saved(Persona(mina.id, "Mina B."), default=False)
    assert [p.name for p in renamed.personas] == ["Mina B.", "Kai"]
    assert renamed.default_id == ""


def test_removing_a_persona_forgets_every_choice_of_it() -> None:
    mina, kai = Persona.new("Mina"), Persona.new("Kai")
    book = PersonaBook().saved(mina).saved(kai).chosen_for("c", mina.id).removed(mina.id)
    assert book.personas == (kai,)
    assert book.default_id == ""
    assert dict(book.by_character) == {}


def test_what_cannot_be_read_is_left_out() -> None:
    data = {
        "personas": [
            {"id": "a", "name": "Ok", "avatar": "javascript:alert(1)"},
            {"id": "b", "name": 7},
            {"id": "", "name": "No id"},
            "junk",
            *({"id": f"p{i}", "name": f"P{i}"} for i in range(MAX_PERSONAS + 5)),
        ],
        "default": "missing",
        "byCharacter": {"c1": "a", "c2": "gone", "c3": 5},
    }
    book = PersonaBook.read(data)
    assert book.personas[0] == Persona("a", "Ok")  # the unsafe picture dropped
    assert len(book.personas) == MAX_PERSONAS - 3
    assert book.default_id == ""
    assert dict(book.by_character) == {"c1": "a"}
    assert PersonaBook.read("nonsense") == PersonaBook()


def test_the_chat_choice_wins_then_the_characters_then_the_default() -> None:
    mina, kai, lee = Persona.new("Mina"), Persona.new("Kai"), Persona.new("Lee")
    book = PersonaBook().saved(mina).saved(kai).saved(lee).chosen_for("c", kai.id)

    def who(chat: str, character: str) -> str:
        return active_persona(
            book, chat_choice=chat, character_id=character, fallback_name="U"
        ).name

    assert who(lee.id, "c") == "Lee"
    assert who("", "c") == "Kai"
    assert who("", "other") == "Mina"
    assert who("deleted", "other") == "Mina"
    nobody = active_persona(PersonaBook(), chat_choice="", character_id="c", fallback_name="Sam")
    assert (nobody.name, nobody.description) == ("Sam", "")
