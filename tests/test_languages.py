"""The one language table: what /lang accepts, what the menu shows, what backends are sent."""

from __future__ import annotations

import pytest
from deep_translator.constants import GOOGLE_LANGUAGES_TO_CODES

from bot import languages
from bot.chat_settings import parse_language
from bot.i18n import ui_language_name
from bot.translate import UnsupportedLanguage, backend_language


def test_every_row_is_stored_as_google_spells_it_and_read_back_by_every_name() -> None:
    google = set(GOOGLE_LANGUAGES_TO_CODES.values())
    codes = [language.code for language in languages.LANGUAGES]
    assert len(codes) == len(set(codes))
    for language in languages.LANGUAGES:
        assert language.code in google
        for spelling in (language.code, language.english, language.native, *language.aliases):
            assert parse_language(spelling) == language.code, spelling
            assert parse_language(spelling.upper()) == language.code, spelling


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("zh", "zh-CN"), ("zh-hant", "zh-TW"), ("简体中文", "zh-CN"), ("Deutsch", "de")],
)
def test_other_spellings_people_type(typed: str, stored: str) -> None:
    assert parse_language(typed) == stored


def test_languages_outside_the_table_are_still_accepted_by_code_or_name() -> None:
    assert parse_language("sw") == "sw"
    assert parse_language("Swahili") == "sw"
    assert languages.find("sw") is None and languages.native_name("sw") == "sw"


def test_names_for_prompts_menus_and_the_interface() -> None:
    assert languages.english_name("zh-cn") == "Simplified Chinese"
    assert languages.english_name("de-AT") == "German"
    assert languages.english_name("xx") is None
    assert [language.code for language in languages.MENU][:3] == ["zh-CN", "zh-TW", "en"]
    assert ui_language_name("zh") == "简体中文" and ui_language_name("en") == "English"


@pytest.mark.parametrize("backend", ["google", "libre", "mymemory", "deepl"])
def test_backend_codes_agree_with_what_the_translator_sends(backend: str) -> None:
    """The table's backend codes are the translator's, so it can read them from here."""
    for language in languages.LANGUAGES:
        try:
            expected: str | None = backend_language(backend, language.code)
        except UnsupportedLanguage:
            expected = None
        assert languages.backend_code(language.code, backend) == expected, language.code
