"""Author names and folded text: what a reader types finds what arXiv wrote."""

from __future__ import annotations

import argparse
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.cli import interests_from_args
from bot.folding import fold, fold_plain
from bot.models import SubscriptionKind
from bot.names import (
    PARTICLES,
    author_matches,
    followed_authors,
    name_tokens,
    surname_key,
    without_affiliations,
)
from storage import chats
from tests.conftest import RunningBot
from tests.test_bot_subscriptions import USER, ask


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Cram\\'er-Rao", "cramer-rao"),
        ("Cramér-Rao", "cramer-rao"),
        ('Schr\\"odinger', "schrodinger"),
        ("SCHRÖDINGER", "schrodinger"),
        ("Straße", "strasse"),
        ("Sørensen", "sorensen"),
        ("Łukasz", "lukasz"),
        ("Æther", "aether"),
        ("ﬁnite", "finite"),
        ("İstanbul", "istanbul"),
        ("Hajdu\\v{s}ek", "hajdusek"),
        ("$\\alpha$-stable", "α-stable"),
        ("Ἀθῆναι", "αθηναι"),
    ],
)
def test_fold_renders_latex_then_drops_accents_and_case(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_keeps_what_is_not_an_accent() -> None:
    # Kana voicing marks make another letter; Chinese has no case or accents.
    assert fold_plain("がくしゅう") == "がくしゅう"
    assert fold_plain("量子计算") == "量子计算"


@given(st.text(max_size=60))
def test_folding_plain_text_is_idempotent_and_leaves_no_accents(text: str) -> None:
    once = fold_plain(text)
    assert fold_plain(once) == once
    assert not any(
        unicodedata.combining(ch) and "\u0300" <= ch <= "\u036f"
        for ch in unicodedata.normalize("NFKD", once)
    )


ASCII_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@given(ASCII_WORD, st.lists(st.sampled_from(["\u0301", "\u0308", "\u030c", "\u0300"]), max_size=3))
def test_an_accented_word_folds_to_the_plain_one(word: str, accents: list[str]) -> None:
    accented = unicodedata.normalize(
        "NFC",
        "".join(ch + (accents[i % len(accents)] if accents else "") for i, ch in enumerate(word)),
    )
    assert fold(accented) == word
    assert fold(accented.upper()) == fold(word.upper()) == word.casefold()


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("Van Meter", ["Van Meter"]),
        ("Sathe, Pratik; Ai, Lin", ["Pratik Sathe", "Lin Ai"]),
        ("Sathe, Pratik\nAi, Lin", ["Pratik Sathe", "Lin Ai"]),
        ("Ada Lovelace\nAlan Turing", ["Ada Lovelace", "Alan Turing"]),
        ("LeCun, Y.", ["Y. LeCun"]),
        ("Serre, J.-P.", ["J.-P. Serre"]),
        ("Van Meter, R. D.", ["R. D. Van Meter"]),
        ("de la Cruz, Pablo", ["Pablo de la Cruz"]),
        ("Rodríguez-Gálvez, Borja", ["Borja Rodríguez-Gálvez"]),
        ("Lovelace, Ada Augusta; Hopper, Grace", ["Ada Augusta Lovelace", "Grace Hopper"]),
        # Commas between whole names still separate authors.
        ("Yann LeCun, Kaiming He", ["Yann LeCun", "Kaiming He"]),
        ("Yann LeCun, Hinton", ["Yann LeCun", "Hinton"]),
        ('"Yann LeCun", Kaiming He', ["Yann LeCun", "Kaiming He"]),
        ("“Yann LeCun” “Kaiming He”", ["Yann LeCun", "Kaiming He"]),
        ("Jane Doe (MIT)", ["Jane Doe"]),
        ("Jane Doe (MIT, Cambridge); Doe, John (ETH (D-PHYS))", ["Jane Doe", "John Doe"]),
        ("Jane Doe; jane  doe;;", ["Jane Doe"]),
        ("José García\nJose Garcia", ["José García"]),
        ("  ,;  \n", []),
        ("(MIT)", []),
    ],
)
def test_names_a_reader_types(typed: str, names: list[str]) -> None:
    assert followed_authors(typed) == names


def test_following_two_listed_authors_does_not_follow_a_stranger_named_lin() -> None:
    followed = followed_authors("Sathe, Pratik; Ai, Lin")
    assert len(followed) == 2
    assert any(author_matches(f, "Lin Ai (Columbia University)") for f in followed)
    assert any(author_matches(f, "P. Sathe") for f in followed)
    assert not any(author_matches(f, "Wei Lin") for f in followed)


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Jane Doe (MIT)", "Jane Doe"),
        ("Jane Doe (MIT, Cambridge (MA))", "Jane Doe"),
        ("Jane Doe (unclosed affiliation, ", "Jane Doe"),
        ("  Jane   Doe  ", "Jane Doe"),
        ("(MIT)", ""),
    ],
)
def test_affiliations_are_not_part_of_a_name(written: str, shown: str) -> None:
    assert without_affiliations(written) == shown


GIVEN = st.sampled_from(["Rodney", "Pratik", "Lin", "José", "Émile", "Anna-Lena", "Le"])
PARTICLE = st.sampled_from(["", "van ", "Van ", "de la ", "von ", "di ", "Da "])
SURNAME = st.sampled_from(["Meter", "Sathe", "Ai", "García", "Cruz", "Müller", "Rodríguez-Gálvez"])


@given(GIVEN, PARTICLE, SURNAME)
def test_every_way_to_type_an_authors_name_follows_them(
    given_name: str, particle: str, surname: str
) -> None:
    author = f"{given_name} {particle}{surname}"
    family = f"{particle}{surname}"
    for typed in (
        author,
        family,
        f"{family}, {given_name}",
        f"{family}, {given_name[0]}.",
        f"{given_name[0]}. {family}",
        author.upper(),
        fold(author),
    ):
        (followed,) = followed_authors(typed)
        assert author_matches(followed, author), (typed, followed)
        assert author_matches(followed, f"{author} (Some University, Some City)")


@given(GIVEN, PARTICLE, SURNAME, SURNAME)
def test_another_surname_is_another_person(
    given_name: str, particle: str, surname: str, other: str
) -> None:
    if fold(surname) == fold(other):
        return
    followed = f"{given_name} {particle}{surname}"
    assert not author_matches(followed, f"{given_name} {particle}{other}")
    # A given name is not a surname: following this person never follows everyone called Lin.
    assert not author_matches(followed, f"{surname} {given_name}") or fold(surname) == fold(
        given_name
    )


@given(st.text(max_size=80))
@example("»0;0")  # an unclosed quote: its text is a list, not one name holding a `;`
@example('"a b;c d"')
def test_any_input_gives_clean_names_or_none(text: str) -> None:
    for name in followed_authors(text):
        assert name == name.strip() and name_tokens(name)
        assert ";" not in name and "\n" not in name and "(" not in name
        # A name always follows itself, and the index finds it under its surname key.
        assert author_matches(name, name)
        assert surname_key(name) == name_tokens(name)[-1]


def test_particles_are_folded_words() -> None:
    assert all(p == fold(p) and " " not in p for p in PARTICLES)


async def test_a_reader_unfollows_authors_as_they_typed_them(running_bot: RunningBot) -> None:
    await ask(running_bot, "/author Sathe, Pratik; Ai, Lin\nVan Meter")

    def followed() -> list[str]:
        return [
            s.value
            for s in chats.subscriptions(running_bot.store, USER)
            if s.kind is SubscriptionKind.AUTHOR
        ]

    assert followed() == ["Pratik Sathe", "Lin Ai", "Van Meter"]
    reply = await ask(running_bot, "/unsubscribe Sathe, Pratik")
    assert "Removed: <code>Pratik Sathe</code>" in reply["text"]
    assert followed() == ["Lin Ai", "Van Meter"]
    await ask(running_bot, "/unsubscribe van meter")
    assert followed() == ["Lin Ai"]
    # A surname alone is not the person followed: nothing removed, and the reply says so.
    reply = await ask(running_bot, "/unsubscribe Ai")
    assert "don't follow <code>Ai</code>" in reply["text"] and followed() == ["Lin Ai"]


def test_a_given_name_that_is_also_a_particle_elsewhere_is_a_given_name() -> None:
    # Thousands of arXiv authors are called Bin: following Bin Wang is not following Xiao Bin Wang.
    assert author_matches("Bin Wang", "Bin Wang (Peking University)")
    assert author_matches("B. Wang", "Bin Wang")
    assert not author_matches("Bin Wang", "Xiao Bin Wang")


def test_the_command_line_reads_authors_as_the_bot_does() -> None:
    args = argparse.Namespace(
        category=[],
        keyword=[],
        exclude=[],
        author=["Sathe, Pratik; Ai, Lin", "Van Meter", "Lin Ai (Columbia)"],
        no_cross=False,
        replacements=False,
    )
    assert interests_from_args(args).authors == ("Pratik Sathe", "Lin Ai", "Van Meter")
