"""The deep-translator backends: their names, request sizes, language codes and construction.

Each backend spells languages its own way (`zh-CN` for Google, `zh` for LibreTranslate, a locale
such as `de-DE` for MyMemory) and takes texts of a different size; this module keeps those
differences in one place so the service can treat every backend alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from deep_translator import DeeplTranslator, GoogleTranslator, LibreTranslator, MyMemoryTranslator
from deep_translator.constants import (
    DEEPL_LANGUAGE_TO_CODE,
    GOOGLE_LANGUAGES_TO_CODES,
    LIBRE_LANGUAGES_TO_CODES,
    MY_MEMORY_LANGUAGES_TO_CODES,
)

from bot import languages
from bot.config import TRANSLATORS, Backend, Settings

# The backend names are the values TRANSLATOR accepts, so the settings define them.
BACKENDS = TRANSLATORS
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


# ISO codes of languages outside the table that Google (and so `spellings`) knows under an
# older code: someone setting TRANSLATE_TO=he means Google's `iw`.
_GOOGLE_SPELLINGS = {"he": "iw", "jv": "jw", "nb": "no", "nn": "no", "fil": "tl"}
_BACKEND_LISTS: dict[str, Mapping[str, str]] = {
    Backend.GOOGLE: GOOGLE_LANGUAGES_TO_CODES,
    Backend.LIBRE: LIBRE_LANGUAGES_TO_CODES,
    Backend.MYMEMORY: MY_MEMORY_LANGUAGES_TO_CODES,
    Backend.DEEPL: DEEPL_LANGUAGE_TO_CODE,
}


def _key(language: str) -> str:
    return language.strip().replace("_", "-").lower()


@cache
def _codes(backend: str) -> Mapping[str, str]:
    """The codes `backend` lists, by their lower-case spelling."""
    return {code.lower(): code for code in _BACKEND_LISTS[backend].values()}


def is_source_language(language: str) -> bool:
    """True for English in any spelling (`en`, `en-US`): arXiv abstracts need no translation."""
    return _key(language).split("-")[0] == SOURCE_LANGUAGE


def _locale(codes: Mapping[str, str], primary: str) -> str | None:
    """MyMemory wants a locale: the language's home country (`de` → `de-DE`), else the first."""
    home = f"{primary}-{primary}"
    if home in codes:
        return codes[home]
    return next((code for code in codes.values() if code.lower().split("-")[0] == primary), None)


def backend_language(backend: str, lang: str) -> str:
    """The code `backend` expects for `lang`: `zh-CN` for Google and MyMemory, `zh` for Libre.

    A code the backend lists as it is wins (MyMemory's `pt-BR`: exactly what was asked); then
    the language table (bot.languages) for its languages in any spelling; then, for the rest,
    Google's spelling looked up in the backend's own list. A regional code falls back to its
    language (`de-AT` → `de`). Raises UnsupportedLanguage when the backend does not offer the
    language (or is unknown).
    """
    if backend not in _BACKEND_LISTS:
        raise UnsupportedLanguage(f"{backend!r} is not a translation backend")
    unsupported = UnsupportedLanguage(f"{backend} cannot translate into {lang!r}")
    codes = _codes(backend)
    wanted = _key(lang)
    subtags = wanted.split("-")
    for candidate in dict.fromkeys((wanted, "-".join(subtags[:2]), subtags[0])):
        if candidate in codes:
            return codes[candidate]
        row = languages.find(candidate)
        if row is not None:
            code = languages.backend_code(row.code, backend)
            if code is None:  # the table says the backend lacks it
                raise unsupported
            return code
        google = languages.spellings().get(candidate) or _GOOGLE_SPELLINGS.get(candidate)
        if google is not None and google.lower() in codes:
            return codes[google.lower()]
    locale = _locale(codes, subtags[0]) if backend == Backend.MYMEMORY else None
    if locale is None:
        raise unsupported
    return locale


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
