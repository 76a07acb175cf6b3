"""The translation backends: their names, request sizes, language codes and construction.

Each backend spells languages its own way (`zh-CN` for Google, `zh` for LibreTranslate, a locale
such as `de-DE` for MyMemory) and takes texts of a different size; this module keeps those
differences in one place so the service can treat every backend alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from deep_translator import GoogleTranslator, MyMemoryTranslator
from deep_translator.constants import (
    DEEPL_LANGUAGE_TO_CODE,
    GOOGLE_LANGUAGES_TO_CODES,
    LIBRE_LANGUAGES_TO_CODES,
    MY_MEMORY_LANGUAGES_TO_CODES,
)

from bot import languages
from bot.config import TRANSLATORS, Backend, Settings
from bot.translate.deepl_api import DeeplBackend
from bot.translate.errors import UnsupportedLanguage
from bot.translate.libre import LibreBackend
from bot.translate.timeouts import bounded

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
# 1,600 characters) take about one request per three papers. LibreTranslate servers often cap
# a request near 2,000 characters; DeepL takes a large body; MyMemory refuses 500 and more.
REQUEST_SIZES = {
    Backend.GOOGLE: RequestSize(text=1500, packed=4500),
    Backend.LIBRE: RequestSize(text=1500, packed=1500),
    Backend.MYMEMORY: RequestSize(text=450, packed=450),
    Backend.DEEPL: RequestSize(text=1500, packed=4500),
}
DEFAULT_REQUEST_SIZE = RequestSize(text=1500, packed=1500)


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


class TranslationBackend(Protocol):
    """What the service needs of a backend: one blocking request, run in its worker threads.

    A new backend (an LLM, say) implements this and gets a name in bot.config's Backend.
    """

    def translate(self, text: str, source: str, target: str, timeout: float) -> str:
        """`text` translated from `source` into `target` (both in the backend's codes)."""
        ...


class DeepTranslatorBackend:
    """Google's page or MyMemory through deep-translator, a fresh instance per request (they
    mutate their state while translating), bounded in time by the `timeouts` shim."""

    def __init__(self, backend: Backend, url: str | None) -> None:
        self.backend = backend
        self.url = url

    def translate(self, text: str, source: str, target: str, timeout: float) -> str:
        """One request through deep-translator."""
        if self.backend == Backend.GOOGLE:
            translator: Any = GoogleTranslator(source=source, target=target)
        else:
            translator = MyMemoryTranslator(source=source, target=target)
        if self.url:
            # Per instance: the shared BASE_URLS dict is read in __init__ and left untouched.
            translator._base_url = self.url
        with bounded(timeout):
            answer = translator.translate(text)
        return answer if isinstance(answer, str) else ""


def make_backend(backend: Backend, settings: Settings, url: str | None) -> TranslationBackend:
    """The client for `backend`, pointed at `url` when one overrides its endpoint.

    LibreTranslate and DeepL are called without deep-translator, which would put their keys
    in URLs (see `libre` and `deepl_api`).
    """
    if backend in (Backend.GOOGLE, Backend.MYMEMORY):
        return DeepTranslatorBackend(backend, url)
    if backend == Backend.LIBRE:
        return LibreBackend(url or settings.libretranslate_url, settings.libre_api_key)
    if backend == Backend.DEEPL:
        return DeeplBackend(settings.deepl_api_key, url or settings.deepl_url or None)
    raise UnsupportedLanguage(f"{backend} does not translate")
