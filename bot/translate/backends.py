"""The deep-translator backends: their names, request sizes, language codes and construction.

Each backend spells languages its own way (`zh-CN` for Google, `zh` for LibreTranslate, a locale
such as `de-DE` for MyMemory) and takes texts of a different size; this module keeps those
differences in one place so the service can treat every backend alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from deep_translator import DeeplTranslator, GoogleTranslator, LibreTranslator, MyMemoryTranslator
from deep_translator.constants import (
    DEEPL_LANGUAGE_TO_CODE,
    GOOGLE_LANGUAGES_TO_CODES,
    LIBRE_LANGUAGES_TO_CODES,
    MY_MEMORY_LANGUAGES_TO_CODES,
)

from bot.config import Settings


class Backend(StrEnum):
    """A value of TRANSLATOR: one deep-translator backend, or `none` (no translation)."""

    GOOGLE = "google"
    LIBRE = "libre"
    MYMEMORY = "mymemory"
    DEEPL = "deepl"
    NONE = "none"


BACKENDS = tuple(backend.value for backend in Backend)
SOURCE_LANGUAGE = "en"


@dataclass(frozen=True)
class RequestSize:
    """Characters per request: a text longer than `text` is cut at sentence boundaries (a size
    the service is known to take); several texts are packed into one request up to `packed`,
    which is tried first and given up for `text` if the service refuses it."""

    text: int
    packed: int


# Google's page accepts < 5000 characters but has rejected single texts near 1800: texts are
# cut at 1500 and packed up to 4500, so a day's papers (title, abstract and summary are about
# 1,600 characters) take about one request per three papers. LibreTranslate and DeepL (through
# deep-translator) put the text in the URL query string, so stay well under common URL limits;
# MyMemory refuses 500 characters and more.
REQUEST_SIZES = {
    Backend.GOOGLE: RequestSize(text=1500, packed=4500),
    Backend.LIBRE: RequestSize(text=1500, packed=1500),
    Backend.MYMEMORY: RequestSize(text=450, packed=450),
    Backend.DEEPL: RequestSize(text=1500, packed=1500),
}
DEFAULT_REQUEST_SIZE = RequestSize(text=1500, packed=1500)


class UnsupportedLanguage(ValueError):
    """The backend cannot translate into this language; the message names both."""


# Other spellings of the same language, in the spelling Google uses.
_ALIASES = {
    "zh": "zh-cn",
    "zh-hans": "zh-cn",
    "zh-sg": "zh-cn",
    "zh-hant": "zh-tw",
    "zh-hk": "zh-tw",
    "zh-mo": "zh-tw",
    "he": "iw",
    "jv": "jw",
    "nb": "no",
    "nn": "no",
    "fil": "tl",
}
_BACKEND_CODES: dict[str, tuple[str, ...]] = {
    Backend.GOOGLE: tuple(GOOGLE_LANGUAGES_TO_CODES.values()),
    Backend.LIBRE: tuple(LIBRE_LANGUAGES_TO_CODES.values()),
    Backend.MYMEMORY: tuple(MY_MEMORY_LANGUAGES_TO_CODES.values()),
    Backend.DEEPL: tuple(DEEPL_LANGUAGE_TO_CODE.values()),
}
# These two know primary codes only: `zh-cn` (from an alias) means `zh`.
_PRIMARY_ONLY = (Backend.LIBRE, Backend.DEEPL)


def is_source_language(language: str) -> bool:
    """True for English in any spelling (`en`, `en-US`): arXiv abstracts need no translation."""
    return language.strip().replace("_", "-").lower().split("-")[0] == SOURCE_LANGUAGE


def backend_language(backend: str, lang: str) -> str:
    """The code `backend` expects for `lang`: `zh-CN` for Google and MyMemory, `zh` for Libre.

    Raises UnsupportedLanguage when the backend does not offer the language (or is unknown).
    """
    if backend not in _BACKEND_CODES:
        raise UnsupportedLanguage(f"{backend!r} is not a translation backend")
    codes = {code.lower(): code for code in _BACKEND_CODES[backend]}
    wanted = lang.strip().replace("_", "-").lower()
    subtags = wanted.split("-")
    primary = subtags[0]
    candidates = [wanted, "-".join(subtags[:2]), primary]
    for candidate in candidates:
        for spelling in (candidate, _ALIASES.get(candidate, "")):
            if spelling in codes:
                return codes[spelling]
            if spelling and spelling.split("-")[0] in codes and backend in _PRIMARY_ONLY:
                return codes[spelling.split("-")[0]]
    if backend == Backend.MYMEMORY:
        # MyMemory wants a locale: prefer the language's home country (`de` → `de-DE`).
        home = f"{primary}-{primary}"
        if home in codes:
            return codes[home]
        for code in codes.values():
            if code.lower().split("-")[0] == primary:
                return code
    raise UnsupportedLanguage(f"{backend} cannot translate into {lang!r}")


def make_translator(backend: str, target: str, settings: Settings, url: str | None) -> Any:
    """A fresh deep-translator instance for one request (they mutate their state while
    translating), pointed at `url` when one overrides the backend's endpoint."""
    source = backend_language(backend, SOURCE_LANGUAGE)
    if backend == Backend.GOOGLE:
        translator: Any = GoogleTranslator(source=source, target=target)
    elif backend == Backend.LIBRE:
        return LibreTranslator(
            source=source,
            target=target,
            # deep-translator refuses an empty key even for servers that need none.
            api_key=settings.libre_api_key or "-",
            use_free_api=not settings.libre_api_key,
            custom_url=(url.rstrip("/") + "/") if url else None,
        )
    elif backend == Backend.MYMEMORY:
        translator = MyMemoryTranslator(source=source, target=target)
    elif backend == Backend.DEEPL:
        key = settings.deepl_api_key
        translator = DeeplTranslator(
            source=source, target=target, api_key=key, use_free_api=key.endswith(":fx")
        )
        if url:
            url = url.rstrip("/") + "/"
    else:
        raise UnsupportedLanguage(f"{backend} does not translate")
    if url:
        # Per instance: the shared BASE_URLS dict is read in __init__ and left untouched.
        translator._base_url = url
    return translator
