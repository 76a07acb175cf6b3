"""The languages the bot knows by name: one table for the settings menu, /lang, the interface
and the translation backends.

A chat's digest language is stored in Google's spelling (`zh-CN`, `ja`), because Google is
the default backend and its list is the longest. Each row says how people name the language
(English and native names, other spellings they type) and what each backend calls it where
that differs. /lang also accepts any other code or English name Google knows (`spellings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from deep_translator.constants import GOOGLE_LANGUAGES_TO_CODES

_SAME: Mapping[str, str | None] = MappingProxyType({})


@dataclass(frozen=True)
class Language:
    """One row of the table."""

    code: str  # as stored and as Google spells it
    english: str  # what an LLM is told ("Answer in Simplified Chinese")
    native: str  # what a reader recognises on a button
    # Backend name → its code where it differs from `code`; None: the backend lacks it.
    backends: Mapping[str, str | None] = field(default_factory=lambda: _SAME, hash=False)
    aliases: tuple[str, ...] = ()  # other spellings people type, lower case
    on_menu: bool = False  # one of the buttons of /settings (the rest: /lang CODE)


def _backends(**codes: str | None) -> Mapping[str, str | None]:
    return MappingProxyType(codes)


# The menu's order is the table's order. Backend codes as deep-translator 1.11 lists them;
# MyMemory wants a locale, Libre and DeepL only primary codes.
LANGUAGES: tuple[Language, ...] = (
    Language(
        "zh-CN",
        "Simplified Chinese",
        "简体中文",
        _backends(libre="zh", deepl="zh"),
        ("zh", "cn", "chinese", "zh-hans", "zh-sg", "中文", "简体中文", "汉语"),
        on_menu=True,
    ),
    Language(
        "zh-TW",
        "Traditional Chinese",
        "繁體中文",
        _backends(libre="zh", deepl="zh"),
        ("zh-hant", "zh-hk", "zh-mo", "繁體中文", "繁体中文"),
        on_menu=True,
    ),
    Language("en", "English", "English", _backends(mymemory="en-GB"), ("英文",), on_menu=True),
    Language("ja", "Japanese", "日本語", _backends(mymemory="ja-JP"), ("日本語",), on_menu=True),
    Language(
        "ko", "Korean", "한국어", _backends(mymemory="ko-KR", deepl=None), ("한국어",), on_menu=True
    ),
    Language("de", "German", "Deutsch", _backends(mymemory="de-DE"), ("deutsch",), on_menu=True),
    Language("fr", "French", "Français", _backends(mymemory="fr-FR"), ("français",), on_menu=True),
    Language("es", "Spanish", "Español", _backends(mymemory="es-ES"), ("español",), on_menu=True),
    Language("ru", "Russian", "Русский", _backends(mymemory="ru-RU"), ("русский",), on_menu=True),
    Language("it", "Italian", "Italiano", _backends(mymemory="it-IT")),
    Language("pt", "Portuguese", "Português", _backends(mymemory="pt-PT"), ("pt-pt", "pt-br")),
    Language("uk", "Ukrainian", "Українська", _backends(mymemory="uk-UA", libre=None)),
    Language("pl", "Polish", "Polski", _backends(mymemory="pl-PL")),
    Language("nl", "Dutch", "Nederlands", _backends(mymemory="nl-NL", libre=None)),
    Language("tr", "Turkish", "Türkçe", _backends(mymemory="tr-TR")),
    Language("ar", "Arabic", "العربية", _backends(mymemory="ar-SA", deepl=None)),
    Language("fa", "Persian", "فارسی", _backends(mymemory="fa-IR", libre=None, deepl=None)),
    Language("hi", "Hindi", "हिन्दी", _backends(mymemory="hi-IN", deepl=None)),
    Language("vi", "Vietnamese", "Tiếng Việt", _backends(mymemory="vi-VN", deepl=None)),
    Language("id", "Indonesian", "Bahasa Indonesia", _backends(mymemory="id-ID")),
)

MENU: tuple[Language, ...] = tuple(language for language in LANGUAGES if language.on_menu)


def _key(text: str) -> str:
    return text.strip().replace("_", "-").lower()


@cache
def spellings() -> Mapping[str, str]:
    """Every way of naming a language /lang accepts (lower case) → the code stored.

    Google's own codes and English names first, then the table, which wins where they meet
    (`zh` is Simplified Chinese, not a code Google lists).
    """
    known: dict[str, str] = {}
    for name, code in GOOGLE_LANGUAGES_TO_CODES.items():
        known[_key(code)] = code
        known[_key(name)] = code
    for language in LANGUAGES:
        for spelling in (language.code, language.english, language.native, *language.aliases):
            known[_key(spelling)] = language.code
    return MappingProxyType(known)


def find(text: str) -> Language | None:
    """The table's row for a code or name in any spelling, or None when it has none."""
    code = spellings().get(_key(text))
    return next((language for language in LANGUAGES if language.code == code), None)


def english_name(code: str) -> str | None:
    """The English name of a language code (`zh-cn` → Simplified Chinese), or None."""
    language = find(code) or find(_key(code).split("-")[0])
    return language.english if language else None


def native_name(code: str) -> str:
    """What the settings show for a stored code: its native name, else the code itself."""
    language = find(code)
    return language.native if language else code


def backend_code(code: str, backend: str) -> str | None:
    """What `backend` calls the language `code`, or None when the backend lacks it or the table
    has no row for the language (then only the backend's own list can tell)."""
    language = find(code)
    if language is None:
        return None
    return language.backends.get(backend, language.code)
