"""Translation: each text once per language, batched, math-safe, bounded in time and concurrency.

deep-translator does the HTTP work. Around it this module adds what a daily digest needs:
- a cache (the same text is never sent twice) and in-flight sharing between concurrent calls;
- batching: short texts are joined into one request with numbered markers (`[[3]]`) and the
  answer is split on them; when the markers do not come back intact the batch is translated
  one text per request instead;
- splitting: a text over the backend's request limit is cut at sentence boundaries;
- masking: math, LaTeX commands and URLs become placeholders (`[M0]`) that translators leave
  alone, and are restored afterwards;
- time bounds: calls run in a thread pool, each request carries a socket timeout and the wait
  for it is bounded too; rate limits and transient errors are retried with backoff, then the
  run gives up and callers deliver the original text.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import threading
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import deep_translator.deepl
import deep_translator.google
import deep_translator.libre
import deep_translator.mymemory
import httpx
import requests
from deep_translator import DeeplTranslator, GoogleTranslator, LibreTranslator, MyMemoryTranslator
from deep_translator import exceptions as dt_errors
from deep_translator.constants import (
    DEEPL_LANGUAGE_TO_CODE,
    GOOGLE_LANGUAGES_TO_CODES,
    LIBRE_LANGUAGES_TO_CODES,
    MY_MEMORY_LANGUAGES_TO_CODES,
)

from bot.config import Settings
from bot.models import Paper, PaperText
from bot.summarize import LLMSummaryError, LLMUnavailable, llm_summary, one_line_summary
from bot.text import normalize_space, split_sentences

log = logging.getLogger(__name__)

BACKENDS = ("google", "libre", "mymemory", "deepl", "none")
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
    "google": RequestSize(text=1500, packed=4500),
    "libre": RequestSize(text=1500, packed=1500),
    "mymemory": RequestSize(text=450, packed=450),
    "deepl": RequestSize(text=1500, packed=1500),
}
# Beyond this many texts a batch gains little and a marker mismatch costs more requests.
MAX_BATCH_TEXTS = 40


class TranslationCache(Protocol):
    """Where translations are kept: keys are original texts, one entry per (text, language)."""

    def get_many(self, texts: Sequence[str], language: str) -> dict[str, str]:
        """Known translations of `texts` into `language`; missing texts are left out."""
        ...

    def put_many(self, language: str, pairs: Mapping[str, str], backend: str) -> None:
        """Remember translations (original text → translated text) made by `backend`."""
        ...


class MemoryTranslationCache:
    """A TranslationCache in a dict: for tests and for the CLI without a database."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[str, str]] = {}

    def get_many(self, texts: Sequence[str], language: str) -> dict[str, str]:
        """Known translations of `texts` into `language`."""
        found: dict[str, str] = {}
        for text in texts:
            entry = self.entries.get((language, text))
            if entry is not None:
                found[text] = entry[0]
        return found

    def put_many(self, language: str, pairs: Mapping[str, str], backend: str) -> None:
        """Remember translations; a later one for the same text replaces the earlier."""
        for text, translated in pairs.items():
            self.entries[(language, text)] = (translated, backend)


# ---------------------------------------------------------------------------------------------
# Language codes


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
    "google": tuple(GOOGLE_LANGUAGES_TO_CODES.values()),
    "libre": tuple(LIBRE_LANGUAGES_TO_CODES.values()),
    "mymemory": tuple(MY_MEMORY_LANGUAGES_TO_CODES.values()),
    "deepl": tuple(DEEPL_LANGUAGE_TO_CODE.values()),
}


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
            # Libre and DeepL only know primary codes: `zh-cn` (from an alias) means `zh`.
            if spelling and spelling.split("-")[0] in codes and backend in ("libre", "deepl"):
                return codes[spelling.split("-")[0]]
    if backend == "mymemory":
        # MyMemory wants a locale: prefer the language's home country (`de` → `de-DE`).
        home = f"{primary}-{primary}"
        if home in codes:
            return codes[home]
        for code in codes.values():
            if code.lower().split("-")[0] == primary:
                return code
    raise UnsupportedLanguage(f"{backend} cannot translate into {lang!r}")


# ---------------------------------------------------------------------------------------------
# Time bounds for deep-translator's requests
#
# deep-translator calls the module functions `requests.get/post` with no timeout and accepts no
# Session, so no argument of ours can reach the socket. The backends look `requests` up as a
# global of their own module; we replace that global (only in the four modules we use) with a
# stand-in that adds our timeout and reuses a per-thread Session (keep-alive to the backend).
# Calls not made by TranslationService (no timeout set on the thread) pass through unchanged.
# The asyncio side bounds the wait as well, so a server that trickles bytes cannot stall a run.

_http = threading.local()


class _TimedRequests:
    """Stands in for the `requests` module inside deep-translator's backend modules."""

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeout = getattr(_http, "timeout", None)
        if timeout is None:
            return requests.request(method, url, **kwargs)
        kwargs.setdefault("timeout", timeout)
        session = getattr(_http, "session", None)
        if session is None:
            session = _http.session = requests.Session()
        return session.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """`requests.get` with our timeout."""
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        """`requests.post` with our timeout."""
        return self._send("POST", url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)


_TIMED_REQUESTS = _TimedRequests()
for _module in (
    deep_translator.google,
    deep_translator.libre,
    deep_translator.mymemory,
    deep_translator.deepl,
):
    if getattr(_module, "requests", None) is requests:
        _module.requests = _TIMED_REQUESTS


# ---------------------------------------------------------------------------------------------
# Masking math and LaTeX

# Our own tokens, read tolerantly: translators may add spaces or use full-width brackets.
_OPEN = r"[\[［【]"
_CLOSE = r"[\]］】]"
_PLACEHOLDER = re.compile(rf"{_OPEN}\s*M\s*(\d+)\s*{_CLOSE}", re.IGNORECASE)
_MARKER = re.compile(rf"{_OPEN}\s*{_OPEN}\s*(\d+)\s*{_CLOSE}\s*{_CLOSE}")
_BRACED = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_PROTECTED = re.compile(
    r"\$\$.+?\$\$"  # display math
    r"|\$[^$]+?\$"  # inline math
    r"|\\\[.+?\\\]|\\\(.+?\\\)"  # \[ ... \] and \( ... \)
    rf"|\\[A-Za-z]+\*?(?:\[[^\]]*\])?(?:{_BRACED})*"  # \command[opt]{arg}{arg}
    r"|\\[^A-Za-z\s]"  # \%, \&, \_ ...
    r"|https?://[^\s)\]]*[^\s)\].,;:!?'\"]"  # URLs, which translators break with spaces
    rf"|{_MARKER.pattern}|{_OPEN}\s*M\s*\d+\s*{_CLOSE}",  # text that looks like our tokens
    re.DOTALL | re.IGNORECASE,
)
# Accents such as Poincar\'e are letters, not math: turn them into Unicode so the word stays
# whole for the translator (the renderer would turn them into the same characters).
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_ACCENT = re.compile(
    r"\$\$.+?\$\$|\$[^$]+?\$"  # math is skipped, not converted
    r"|\{\\(['`^\"~=.])\s*([A-Za-z])\}|\{\\(['`^\"~=.uvHckr])\{([A-Za-z])\}\}"
    r"|\\(['`^\"~=.])\s*([A-Za-z])|\\(['`^\"~=.uvHckr])\{([A-Za-z])\}",
    re.DOTALL,
)


def _accent(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    if not groups:
        return match.group(0)
    accent, letter = groups
    return unicodedata.normalize("NFC", letter + _ACCENTS[accent])


@dataclass(frozen=True)
class Masked:
    """A text with protected spans replaced by `[M0]`, `[M1]`, ... and the spans to restore."""

    text: str
    spans: tuple[str, ...]


def mask(text: str) -> Masked:
    """Replace math, LaTeX commands and URLs with placeholders a translator leaves alone."""
    text = _ACCENT.sub(_accent, text)
    spans: list[str] = []

    def replace(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"[M{len(spans) - 1}]"

    return Masked(_PROTECTED.sub(replace, text), tuple(spans))


def unmask(text: str, spans: Sequence[str]) -> str | None:
    """Put the protected spans back; None when a placeholder was lost, duplicated or invented.

    A translation that lost a formula would silently show wrong math, so it counts as failed
    and the reader gets the original (whose math is right).
    """
    seen: list[int] = []

    def restore(match: re.Match[str]) -> str:
        index = int(match.group(1))
        seen.append(index)
        return spans[index] if index < len(spans) else match.group(0)

    restored = _PLACEHOLDER.sub(restore, text)
    if sorted(seen) != list(range(len(spans))):
        return None
    return restored


def _needs_translation(masked: str) -> bool:
    # A segment that is only placeholders, numbers and punctuation has nothing to translate.
    return any(ch.isalpha() for ch in _PLACEHOLDER.sub("", masked))


# ---------------------------------------------------------------------------------------------
# Splitting and batching


def _split_words(sentence: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for word in sentence.split(" "):
        while len(word) > limit:  # one absurd "word": a hard cut is the only option
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


def split_for_requests(text: str, limit: int) -> list[str]:
    """Cut `text` into chunks of at most `limit` characters at sentence, else word, boundaries."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        for piece in [sentence] if len(sentence) <= limit else _split_words(sentence, limit):
            candidate = f"{current} {piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def join_batch(texts: Sequence[str]) -> str:
    """One request for several texts: each preceded by its numbered marker on its own line."""
    return "\n".join(f"[[{i}]]\n{text}" for i, text in enumerate(texts))


def split_batch(answer: str, count: int) -> list[str] | None:
    """The translated parts of a batched answer, or None when the markers did not survive.

    The markers must come back exactly once each, in order, with nothing before the first and
    a non-empty part after each: anything else could attach a translation to the wrong text.
    """
    matches = list(_MARKER.finditer(answer))
    if [int(m.group(1)) for m in matches] != list(range(count)):
        return None
    if answer[: matches[0].start()].strip():
        return None
    ends = [m.start() for m in matches[1:]] + [len(answer)]
    parts = [answer[m.end() : end].strip() for m, end in zip(matches, ends, strict=True)]
    return parts if all(parts) else None


def _pack(segments: Sequence[_Segment], limit: int) -> list[list[_Segment]]:
    batches: list[list[_Segment]] = []
    current: list[_Segment] = []
    size = 0
    for segment in segments:
        cost = len(segment.text) + len(f"[[{len(current)}]]\n\n")
        if current and (size + cost > limit or len(current) >= MAX_BATCH_TEXTS):
            batches.append(current)
            current, size = [], 0
            cost = len(segment.text) + len("[[0]]\n\n")
        current.append(segment)
        size += cost
    if current:
        batches.append(current)
    return batches


@dataclass
class _Segment:
    """One request-sized piece of one text, and its translation once known."""

    text: str
    translation: str | None = None


@dataclass
class _Job:
    original: str
    masked: Masked
    segments: list[_Segment]


# ---------------------------------------------------------------------------------------------
# Errors

# Retry with backoff (rate limits, 5xx, network), give up on the backend for the run (bad key,
# quota, language), or fail this request only (no translation for this text).
_RETRY, _FATAL, _PERMANENT = "retry", "fatal", "permanent"
_SERVER_TRANSIENT = {"ERR_INTERNAL_SERVER_ERROR", "ERR_SERVICE_NOT_AVAIBLE", "API server error"}
_SERVER_FATAL = {
    "ERR_KEY_INVALID",
    "ERR_KEY_BLOCKED",
    "ERR_DAILY_REQ_LIMIT_EXCEEDED",
    "ERR_DAILY_CHAR_LIMIT_EXCEEDED",
}


class _EmptyAnswer(Exception):
    """The backend answered without a translation."""


class _Skipped(Exception):
    """The run gave up on the backend before this request was sent."""


def _classify(exc: BaseException) -> str:
    """How to react to a backend error; deep-translator's exceptions share no base class."""
    if _rate_limited(exc):
        return _RETRY
    if isinstance(exc, dt_errors.ServerException):
        message = str(exc.args[0]) if exc.args else ""
        if message in _SERVER_TRANSIENT:
            return _RETRY
        return _FATAL if message in _SERVER_FATAL else _PERMANENT
    if isinstance(
        exc,
        dt_errors.AuthorizationException
        | dt_errors.ApiKeyException
        | dt_errors.LanguageNotSupportedException
        | dt_errors.InvalidSourceOrTargetLanguage
        | UnsupportedLanguage,
    ):
        return _FATAL
    if isinstance(exc, dt_errors.RequestError | requests.RequestException | OSError):
        # OSError covers TimeoutError (our bound on the wait) and connection failures.
        return _RETRY
    return _PERMANENT


def _rate_limited(exc: BaseException) -> bool:
    return isinstance(exc, dt_errors.TooManyRequests) or (
        isinstance(exc, dt_errors.ServerException)
        and bool(exc.args)
        and exc.args[0] == "ERR_TOO_MANY_REQUESTS"
    )


def _describe(exc: BaseException) -> str:
    # Only the type: requests' messages carry the URL, and DeepL's URL carries the API key;
    # AuthorizationException's message carries the key itself.
    if isinstance(exc, dt_errors.ServerException) and exc.args:
        return f"ServerException {exc.args[0]}"
    return type(exc).__name__


@dataclass
class _Run:
    """One translate() call: where it is going and whether it gave up on the backend."""

    language: str
    code: str
    given_up: bool = False
    reason: str = ""
    skipped: int = 0
    failures_in_a_row: int = 0
    resume_at: float = 0.0  # loop time before which no request is sent (backoff)


# ---------------------------------------------------------------------------------------------
# The service


def _llm_cache_key(model: str, abstract: str) -> str:
    # Not a text anyone would translate: the separators keep it apart from real texts.
    return f"\x1fllm-summary:v1\x1f{model}\x1f{normalize_space(abstract)}"


class TranslationService:
    """Translates texts and papers through one backend, with a cache, batching and time bounds.

    Counters (`requests_sent`, `cache_hits`, `failures`, `batch_fallbacks`, `llm_requests`) are
    plain attributes so tests and benchmarks can read them.
    """

    def __init__(
        self,
        settings: Settings,
        cache: TranslationCache,
        *,
        max_workers: int = 4,
        timeout: float = 20.0,
        attempts: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        base_urls: Mapping[str, str] | None = None,
        llm_timeout: float = 30.0,
    ) -> None:
        """`base_urls` overrides a backend's endpoint (`{"mymemory": URL}`); tests use it.

        `attempts` counts tries per request; the waits between them are `backoff`, 2×, 4×, ...
        """
        if settings.translator not in BACKENDS:
            raise ValueError(f"unknown translator {settings.translator!r}")
        self.settings = settings
        self.cache = cache
        self.backend = settings.translator
        self.max_workers = max(1, max_workers)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.llm_timeout = llm_timeout
        self._sleep = sleep
        self._base_urls: dict[str, str] = {}
        if settings.google_translate_url:
            self._base_urls["google"] = settings.google_translate_url
        if settings.libretranslate_url:
            self._base_urls["libre"] = settings.libretranslate_url
        self._base_urls.update(base_urls or {})
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.max_workers, thread_name_prefix="translate"
        )
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[tuple[str, str], asyncio.Future[str | None]] = {}
        self.requests_sent = 0
        self.cache_hits = 0
        self.failures = 0
        self.batch_fallbacks = 0
        self.llm_requests = 0
        # Lowered to the text size when the service refuses a packed request; kept until restart.
        self._packed_limit: int | None = None
        self.packing_fallbacks = 0
        # Why the backend was last given up on, until a later run gets translations through:
        # the admins' "translation is down" alert reads it.
        self.outage: str | None = None

    @property
    def request_size(self) -> RequestSize:
        """Characters per request for this backend, as far as it has been found to accept."""
        size = REQUEST_SIZES.get(self.backend, RequestSize(1500, 1500))
        return replace(size, packed=min(size.packed, self._packed_limit or size.packed))

    @property
    def llm_configured(self) -> bool:
        """True when LLM_BASE_URL and LLM_MODEL are set: summaries come from the LLM."""
        return bool(self.settings.llm_base_url and self.settings.llm_model)

    def close(self) -> None:
        """Stop the worker threads; requests already running finish within their timeout."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def passthrough(self, language: str) -> bool:
        """True when texts go out unchanged: English target or the `none` backend."""
        return self.backend == "none" or is_source_language(language)

    # -- texts ----------------------------------------------------------------------------

    async def translate(self, texts: Sequence[str], language: str) -> dict[str, str | None]:
        """Map each text to its translation, or None when it failed (show the original).

        Texts are deduplicated, answered from the cache where possible, and only the rest is
        sent; successes are cached, failures are not, so the next run tries them again.
        """
        if self.passthrough(language):
            return {text: text for text in texts}
        result: dict[str, str | None] = {}
        wanted: list[str] = []
        for text in texts:
            if text in result:
                continue
            result[text] = text if not text.strip() else None
            if text.strip():
                wanted.append(text)
        if not wanted:
            return result
        cached = self._cache_get(wanted, language)
        self.cache_hits += len(cached)
        result.update(cached)
        mine: list[str] = []
        theirs: dict[str, asyncio.Future[str | None]] = {}
        loop = asyncio.get_running_loop()
        for text in wanted:
            if text in cached:
                continue
            pending = self._inflight.get((language, text))
            if pending is not None and pending.get_loop() is loop:
                theirs[text] = pending
            else:
                self._inflight[(language, text)] = loop.create_future()
                mine.append(text)
        translated: dict[str, str | None] = {}
        try:
            if mine:
                translated = await self._translate_missing(mine, language)
                self.failures += sum(1 for value in translated.values() if value is None)
                successes = {k: v for k, v in translated.items() if v is not None}
                if successes:
                    self._cache_put(language, successes, self.backend)
        finally:
            for text in mine:
                future = self._inflight.pop((language, text), None)
                if future is not None and not future.done():
                    future.set_result(translated.get(text))
        result.update(translated)
        for text, future in theirs.items():
            result[text] = await asyncio.shield(future)
        return result

    def _cache_get(self, texts: Sequence[str], language: str) -> dict[str, str]:
        try:
            return self.cache.get_many(texts, language)
        except Exception:
            # Translating again costs requests but keeps the digest on time.
            log.exception("translation cache read failed (%d texts, %s)", len(texts), language)
            return {}

    def _cache_put(self, language: str, pairs: Mapping[str, str], backend: str) -> None:
        try:
            self.cache.put_many(language, pairs, backend)
        except Exception:
            log.exception("translation cache write failed (%d texts, %s)", len(pairs), language)

    async def _translate_missing(
        self, texts: Sequence[str], language: str
    ) -> dict[str, str | None]:
        try:
            code = backend_language(self.backend, language)
        except UnsupportedLanguage as exc:
            log.warning("not translating %d texts: %s", len(texts), exc)
            return dict.fromkeys(texts)
        run = _Run(language, code)
        size = self.request_size
        jobs: list[_Job] = []
        for text in texts:
            masked = mask(normalize_space(text))
            segments = [_Segment(chunk) for chunk in split_for_requests(masked.text, size.text)]
            for segment in segments:
                if not _needs_translation(segment.text):
                    segment.translation = segment.text
            jobs.append(_Job(text, masked, segments))
        pending = [s for job in jobs for s in job.segments if s.translation is None]
        batches = _pack(pending, size.packed)
        await asyncio.gather(*(self._translate_batch(run, batch, size) for batch in batches))
        if run.given_up:
            self.outage = run.reason or "gave up"
            log.warning(
                "translation to %s via %s gave up (%s); %d requests skipped, "
                "the originals will be shown",
                language,
                self.backend,
                run.reason,
                run.skipped,
            )
        joiner = "" if code.lower().split("-")[0] in ("zh", "ja") else " "
        results: dict[str, str | None] = {}
        lost = 0
        for job in jobs:
            parts = [s.translation for s in job.segments]
            if any(part is None for part in parts):
                results[job.original] = None
                continue
            restored = unmask(joiner.join(p for p in parts if p is not None), job.masked.spans)
            if restored is None:
                lost += 1
            results[job.original] = restored
        failed = sum(1 for value in results.values() if value is None)
        if not run.given_up and failed < len(results):
            self.outage = None
        if failed and not run.given_up:
            log.warning(
                "%d of %d texts to %s via %s failed (%d lost math placeholders); "
                "the originals will be shown",
                failed,
                len(results),
                language,
                self.backend,
                lost,
            )
        return results

    async def _translate_batch(self, run: _Run, batch: list[_Segment], size: RequestSize) -> None:
        if len(batch) == 1:
            batch[0].translation = await self._translate_one(run, batch[0].text)
            return
        text = join_batch([s.text for s in batch])
        # Longer than the service is known to take: one try, and if it fails the same texts
        # go again in requests of the known size (retries and give-up apply to those).
        probe = len(text) > size.text
        answer = await self._request(run, text, probe=probe)
        if answer is None and probe and not run.given_up:
            self._refused_packing(len(text), size)
            smaller = replace(size, packed=size.text)
            await asyncio.gather(
                *(self._translate_batch(run, part, smaller) for part in _pack(batch, size.text))
            )
            if run.given_up:
                # The smaller requests failed too: the service was down, it did not refuse
                # the size. Pack again once it is back.
                self._packed_limit = None
            return
        parts = split_batch(answer, len(batch)) if answer is not None else None
        if parts is None and run.given_up:
            return
        if parts is None:
            # The translator merged, dropped or rewrote markers: no way to tell which part is
            # whose, so ask again one text per request.
            self.batch_fallbacks += 1
            log.debug("batch of %d texts did not split back; translating one by one", len(batch))
            answers = await asyncio.gather(*(self._translate_one(run, s.text) for s in batch))
            for segment, translation in zip(batch, answers, strict=True):
                segment.translation = translation
            return
        for segment, part in zip(batch, parts, strict=True):
            segment.translation = part

    async def _translate_one(self, run: _Run, text: str) -> str | None:
        answer = await self._request(run, text)
        if answer is None or not answer.strip():
            return None
        return answer.strip()

    def _refused_packing(self, length: int, size: RequestSize) -> None:
        """A packed request failed: pack no more than the known size until restart (a
        transient failure costs the saving until then, a refusal repeated every run costs a
        request each time)."""
        self.packing_fallbacks += 1
        if self._packed_limit is None or self._packed_limit > size.text:
            self._packed_limit = size.text
            log.warning(
                "%s failed a %d-character request; packing at most %d characters from now on",
                self.backend,
                length,
                size.text,
            )

    async def _request(self, run: _Run, text: str, *, probe: bool = False) -> str | None:
        """One backend request with backoff; None when it failed or the run has given up.

        A rate limit or transient error pauses every request of the run (not only this one),
        and `attempts` failures in a row across the run mean the backend is down: give up. A
        `probe` is tried once and its failure counts for nothing: the caller has a fallback.
        """
        loop = asyncio.get_running_loop()
        for attempt in range(self.attempts):
            pause = run.resume_at - loop.time()
            if pause > 0:
                await self._sleep(pause)
            try:
                answer = await self._in_thread(run, text, probe=probe)
            except _Skipped:
                run.skipped += not probe
                return None
            except Exception as exc:
                kind = _classify(exc)
                if probe and not _rate_limited(exc):
                    # A rate limit says nothing about the size: that one waits and retries.
                    log.debug("packed translation request failed: %s", _describe(exc))
                    return None
                if kind == _PERMANENT:
                    log.debug("translation request failed: %s", _describe(exc))
                    return None
                run.failures_in_a_row += 1
                if kind == _FATAL or run.failures_in_a_row >= self.attempts:
                    if not run.given_up:
                        run.given_up = True
                        run.reason = f"{_describe(exc)}, {run.failures_in_a_row} failures in a row"
                    return None
                run.resume_at = max(run.resume_at, loop.time() + self.backoff * 2**attempt)
                continue
            run.failures_in_a_row = 0
            return answer
        return None

    async def _in_thread(self, run: _Run, text: str, *, probe: bool = False) -> str:
        loop = asyncio.get_running_loop()
        semaphore = self._loop_semaphore(loop)
        await semaphore.acquire()
        # Checked after the wait: requests queued behind a failing one are not sent at all,
        # nor packed ones after a packed one failed.
        if run.given_up or (probe and len(text) > self.request_size.packed):
            semaphore.release()
            raise _Skipped()

        def release_later(_: concurrent.futures.Future[str]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                loop.call_soon_threadsafe(semaphore.release)

        try:
            work = self._executor.submit(self._call_backend, run.code, text)
        except BaseException:
            semaphore.release()
            raise
        self.requests_sent += 1
        try:
            return await asyncio.wait_for(asyncio.wrap_future(work), self.timeout)
        finally:
            # Released here, before the caller looks at the outcome and before any waiter
            # runs, so a failure that makes the run give up also stops the requests queued
            # behind it. A request that outlived its wait keeps its slot until its thread is
            # done: it still occupies the backend and a worker.
            if work.done():
                semaphore.release()
            else:
                work.add_done_callback(release_later)

    def _loop_semaphore(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self.max_workers)
            self._semaphore_loop = loop
        return self._semaphore

    def _call_backend(self, code: str, text: str) -> str:
        """Runs in a worker thread: a fresh translator per call, as they mutate their state."""
        _http.timeout = self.timeout
        try:
            answer = self._translator(code).translate(text)
        finally:
            _http.timeout = None
        if not isinstance(answer, str) or not answer.strip():
            raise _EmptyAnswer()
        return answer

    def _translator(self, code: str) -> Any:
        source = backend_language(self.backend, SOURCE_LANGUAGE)
        url = self._base_urls.get(self.backend)
        if self.backend == "google":
            translator: Any = GoogleTranslator(source=source, target=code)
        elif self.backend == "libre":
            return LibreTranslator(
                source=source,
                target=code,
                # deep-translator refuses an empty key even for servers that need none.
                api_key=self.settings.libre_api_key or "-",
                use_free_api=not self.settings.libre_api_key,
                custom_url=(url.rstrip("/") + "/") if url else None,
            )
        elif self.backend == "mymemory":
            translator = MyMemoryTranslator(source=source, target=code)
        elif self.backend == "deepl":
            key = self.settings.deepl_api_key
            translator = DeeplTranslator(
                source=source, target=code, api_key=key, use_free_api=key.endswith(":fx")
            )
            if url:
                url = url.rstrip("/") + "/"
        else:
            raise UnsupportedLanguage(f"{self.backend} does not translate")
        if url:
            # Per instance: the shared BASE_URLS dict is read in __init__ and left untouched.
            translator._base_url = url
        return translator

    # -- papers ---------------------------------------------------------------------------

    async def paper_texts(
        self, papers: Sequence[Paper], language: str, *, summaries: bool = True
    ) -> dict[str, PaperText]:
        """What readers see of each paper in `language`, keyed by arxiv_id, in one batched pass.

        A paper whose title, abstract or summary failed comes back with `translated=False` and
        the original texts, so it can still be delivered on time.
        """
        originals: dict[str, tuple[str, str, str]] = {}
        for paper in papers:
            title = normalize_space(paper.title)
            abstract = normalize_space(paper.abstract)
            summary = one_line_summary(abstract, title) if summaries else ""
            originals[paper.arxiv_id] = (title, abstract, summary)
        # `none` with a foreign language translates nothing: the texts are the originals.
        unavailable = self.backend == "none" and not is_source_language(language)
        llm: dict[str, str] = {}
        if summaries and self.llm_configured and originals and not unavailable:
            llm = await self._llm_summaries(originals, language)
        wanted: list[str] = []
        for arxiv_id, (title, abstract, summary) in originals.items():
            wanted += [title, abstract]
            if summary and arxiv_id not in llm:
                wanted.append(summary)
        translated = await self.translate(wanted, language)
        texts: dict[str, PaperText] = {}
        for arxiv_id, (title, abstract, summary) in originals.items():
            new_title = translated.get(title)
            new_abstract = translated.get(abstract)
            new_summary = llm.get(arxiv_id) or (translated.get(summary) if summary else "")
            if unavailable or new_title is None or new_abstract is None or new_summary is None:
                texts[arxiv_id] = PaperText(
                    title, abstract, summary, language, translated=False, summary_original=summary
                )
            else:
                texts[arxiv_id] = PaperText(
                    new_title, new_abstract, new_summary, language, summary_original=summary
                )
        return texts

    async def _llm_summaries(
        self, originals: Mapping[str, tuple[str, str, str]], language: str
    ) -> dict[str, str]:
        """LLM-written summaries in `language` by arxiv_id; missing where the LLM failed."""
        model = self.settings.llm_model
        keys = {arxiv_id: _llm_cache_key(model, texts[1]) for arxiv_id, texts in originals.items()}
        cached = self._cache_get(list(set(keys.values())), language)
        found = {arxiv_id: cached[key] for arxiv_id, key in keys.items() if key in cached}
        self.cache_hits += len(found)
        todo = [a for a, texts in originals.items() if a not in found and texts[1]]
        if not todo:
            return found
        semaphore = asyncio.Semaphore(self.max_workers)
        errors: list[str] = []
        unavailable = False

        async def one(client: httpx.AsyncClient, arxiv_id: str) -> str | None:
            nonlocal unavailable
            title, abstract, _summary = originals[arxiv_id]
            async with semaphore:
                if unavailable:
                    return None
                self.llm_requests += 1
                try:
                    return await llm_summary(
                        abstract,
                        title,
                        language,
                        base_url=self.settings.llm_base_url,
                        api_key=self.settings.llm_api_key,
                        model=model,
                        client=client,
                        timeout=self.llm_timeout,
                    )
                except LLMSummaryError as exc:
                    # An unreachable endpoint fails every paper: stop asking for this run.
                    unavailable = unavailable or isinstance(exc, LLMUnavailable)
                    errors.append(str(exc))
                    return None

        async with httpx.AsyncClient(timeout=self.llm_timeout) as client:
            answers = await asyncio.gather(*(one(client, arxiv_id) for arxiv_id in todo))
        written = {a: s for a, s in zip(todo, answers, strict=True) if s is not None}
        if errors:
            log.warning(
                "LLM summaries (%s) failed for %d of %d papers, extractive summaries used: %s",
                model,
                len(todo) - len(written),
                len(todo),
                errors[0],
            )
        if written:
            self._cache_put(language, {keys[a]: s for a, s in written.items()}, f"llm:{model}")
        return found | written
