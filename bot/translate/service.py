"""TranslationService: each text once per language, batched, math-safe, bounded in time.

deep-translator does the HTTP work (`backends`). Around it the service adds what a daily digest
needs:
- a cache (the same text is never sent twice) and in-flight sharing between concurrent calls;
- batching and splitting (`chunking`): short texts packed into one request, long ones cut at
  sentence boundaries;
- masking (`masking`): math, LaTeX and URLs travel as placeholders and are restored after;
- time bounds: calls run in a thread pool with bounded concurrency, each request carries a
  socket timeout (`timeouts`) and the wait for it is bounded too; rate limits and transient
  errors (`errors`) are retried with backoff, then the run gives up;
- plausibility (`quality`): an answer far longer than its source is not a translation;
- the `llm` backend (`llm_backend`), which works on papers rather than texts: one JSON request
  per batch of papers, each paper checked, under a daily token budget (`TokenLedger`).
Whatever fails comes back as None: callers deliver the original text, marked, and nothing
failed is cached, so the next run asks again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Protocol

import httpx

from bot import metrics
from bot.config import Settings, parse_translators
from bot.models import Paper, PaperText
from bot.summarize import one_line_summary
from bot.text import normalize_space
from bot.translate import llm_backend
from bot.translate.backends import (
    DEFAULT_REQUEST_SIZE,
    REQUEST_SIZES,
    SOURCE_LANGUAGE,
    Backend,
    RequestSize,
    TranslationBackend,
    UnsupportedLanguage,
    backend_language,
    is_source_language,
    make_backend,
)
from bot.translate.breaker import COOL_DOWN, THRESHOLD, Breaker, State
from bot.translate.chunking import Segment, join_batch, pack, split_batch, split_for_requests
from bot.translate.deepl_api import DeeplBackend
from bot.translate.errors import (
    EmptyAnswer,
    ErrorKind,
    Skipped,
    classify,
    describe,
    rate_limited,
    retry_after,
)
from bot.translate.llm import LLMSummaryError, LLMUnavailable, llm_cache_key, llm_summary
from bot.translate.llm_backend import LLMRequestError, PaperSource, PaperTranslation
from bot.translate.masking import Masked, mask, needs_translation, unmask
from bot.translate.quality import MAX_SOURCE_CHARS, Failure, judge

log = logging.getLogger(__name__)


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


class TokenLedger(Protocol):
    """Where the `llm` backend's tokens are counted per UTC day (the daily budget)."""

    def used(self, day: date) -> int:
        """Tokens counted on `day` so far."""
        ...

    def add(self, day: date, tokens: int) -> None:
        """Count `tokens` more on `day`."""
        ...


class MemoryTokenLedger:
    """A TokenLedger in a dict: for tests and for the CLI without a database."""

    def __init__(self) -> None:
        self.days: Counter[date] = Counter()

    def used(self, day: date) -> int:
        """Tokens counted on `day` so far."""
        return self.days[day]

    def add(self, day: date, tokens: int) -> None:
        """Count `tokens` more on `day`."""
        self.days[day] += tokens


def _utc_today() -> date:
    return datetime.now(UTC).date()


# The longest Retry-After the llm backend waits out before its one retry; longer, and the
# papers go to the next backend rather than hold the digest.
LLM_MAX_RETRY_WAIT = 30.0
# Papers are an (arxiv_id → (title, abstract, extractive summary)) mapping.
PaperOriginals = Mapping[str, tuple[str, str, str]]


@dataclass
class _LLMRun:
    """One pass of papers through the llm backend: why it gave up on some, whether it
    answered, and its one-line summaries by arxiv_id."""

    reason: str | None = None
    answered: bool = False
    summaries: dict[str, str] = field(default_factory=dict)


@dataclass
class _Job:
    """One text on its way: the original, its masked form, and its request-sized pieces."""

    original: str
    masked: Masked
    segments: list[Segment]


@dataclass
class _Run:
    """One translate() call on one backend: where it is going and whether it gave up."""

    backend: Backend
    language: str
    code: str
    given_up: bool = False
    reason: str = ""
    skipped: int = 0
    answered: int = 0  # requests the backend answered: it works, whatever the texts say
    failures_in_a_row: int = 0
    resume_at: float = 0.0  # loop time before which no request is sent (backoff)


def _assemble(job: _Job, joiner: str, language: str) -> tuple[str | None, Failure | None]:
    """A text's translation from its pieces, or None and why it cannot be shown."""
    parts = [s.translation for s in job.segments]
    if any(part is None for part in parts):
        return None, Failure.FAILED
    restored = unmask(joiner.join(p for p in parts if p is not None), job.masked.spans)
    if restored is None:
        return None, Failure.LOST_MATH
    # A broken answer (empty, echoed, far too long, another language) is not a translation:
    # never cached, and the next backend of the chain is asked for this text.
    failure = judge(job.original, restored, language)
    return (None, failure) if failure is not None else (restored, None)


@dataclass(frozen=True)
class BackendStatus:
    """One backend of the chain as /status shows it."""

    backend: Backend
    state: State
    failures_in_a_row: int
    retry_in: float
    last_error: str
    # Why the backend is skipped whatever its breaker says (the llm's spent daily budget).
    skipped_because: str = ""


class TranslationService:
    """Translates texts and papers through a chain of backends, each behind a circuit
    breaker, with a cache, batching, a quality guard and time bounds.

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
        clock: Callable[[], float] | None = None,
        breaker_threshold: int = THRESHOLD,
        cool_down: float = COOL_DOWN,
        token_ledger: TokenLedger | None = None,
        today: Callable[[], date] = _utc_today,
    ) -> None:
        """`base_urls` overrides a backend's endpoint (`{"mymemory": URL}`); tests use it.

        `attempts` counts tries per request; the waits between them are `backoff`, 2×, 4×, ...
        Each backend's breaker opens after `breaker_threshold` failed requests in a row, for
        `cool_down` seconds (doubling while its probes fail) on `clock` (monotonic by default).
        The llm backend's tokens are counted in `token_ledger` per `today()` (a UTC date).
        Raises ValueError (a ConfigError) when TRANSLATOR names no valid chain.
        """
        self.settings = settings
        self.cache = cache
        self.chain = parse_translators(settings.translator)
        # The first choice; `none` is only ever alone.
        self.backend = self.chain[0]
        self.breakers: dict[Backend, Breaker] = {
            backend: Breaker(
                threshold=breaker_threshold, cool_down=cool_down, clock=clock or time.monotonic
            )
            for backend in self.chain
            if backend != Backend.NONE
        }
        self.max_workers = max(1, max_workers)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.llm_timeout = llm_timeout
        self._sleep = sleep
        self._base_urls: dict[str, str] = {}
        if settings.google_translate_url:
            self._base_urls[Backend.GOOGLE] = settings.google_translate_url
        if settings.libretranslate_url:
            self._base_urls[Backend.LIBRE] = settings.libretranslate_url
        self._base_urls.update(base_urls or {})
        self._clients: dict[Backend, TranslationBackend] = {
            backend: make_backend(backend, settings, self._base_urls.get(backend))
            for backend in self.breakers
            if backend != Backend.LLM  # papers, not texts: see _translate_via_llm
        }
        self.token_ledger: TokenLedger = token_ledger or MemoryTokenLedger()
        self._today = today
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
        # Requests sent and texts translated per backend (the chain's share of the work).
        self.requests_by_backend: Counter[str] = Counter()
        self.translated_by_backend: Counter[str] = Counter()
        # Lowered to the text size when a backend refuses a packed request; kept until restart.
        self._packed_limits: dict[Backend, int] = {}
        self.packing_fallbacks = 0
        # Why the whole chain last failed, until a later run gets translations through: the
        # admins' "translation is down" alert reads it (one alert per outage of the chain, not
        # per backend: a backend skipped while the next one translates is not an outage).
        self.outage: str | None = None

    @property
    def request_size(self) -> RequestSize:
        """Characters per request for the first backend, as far as it has been found to
        accept."""
        return self.request_size_for(self.backend)

    def request_size_for(self, backend: Backend) -> RequestSize:
        """Characters per request for `backend`, as far as it has been found to accept."""
        size = REQUEST_SIZES.get(backend, DEFAULT_REQUEST_SIZE)
        limit = self._packed_limits.get(backend)
        return replace(size, packed=min(size.packed, limit or size.packed))

    def chain_status(self) -> list[BackendStatus]:
        """Each backend's breaker, in chain order (empty for `none`)."""
        return [
            BackendStatus(
                backend,
                breaker.state,
                breaker.failures_in_a_row,
                breaker.retry_in,
                breaker.last_error,
                "daily token budget spent"
                if backend == Backend.LLM and self.llm_budget_spent()
                else "",
            )
            for backend, breaker in self.breakers.items()
        ]

    def llm_tokens_today(self) -> tuple[int, int | None] | None:
        """Tokens the llm backend used today (UTC) and the daily budget (None: no budget);
        None when llm is not in the chain."""
        if Backend.LLM not in self.breakers:
            return None
        try:
            used = self.token_ledger.used(self._today())
        except Exception:
            log.exception("reading the LLM token count failed")
            used = 0
        return used, self.settings.llm_daily_tokens

    def llm_budget_spent(self) -> bool:
        """True when LLM_DAILY_TOKENS is set and today's tokens reached it: llm is skipped
        until the next UTC day."""
        tokens = self.llm_tokens_today()
        return tokens is not None and tokens[1] is not None and tokens[0] >= tokens[1]

    async def deepl_usage(self) -> str | None:
        """DeepL's usage and quota this billing period, when DeepL is in the chain; a short
        error name when DeepL cannot say."""
        client = self._clients.get(Backend.DEEPL)
        if not isinstance(client, DeeplBackend):
            return None
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(client.usage, self.timeout), self.timeout
            )
        except Exception as exc:
            return f"unknown ({describe(exc)})"

    @property
    def llm_configured(self) -> bool:
        """True when LLM_BASE_URL and LLM_MODEL are set: summaries come from the LLM."""
        return bool(self.settings.llm_base_url and self.settings.llm_model)

    def close(self) -> None:
        """Stop the worker threads; requests already running finish within their timeout."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def passthrough(self, language: str) -> bool:
        """True when texts go out unchanged: English target or the `none` backend."""
        return self.backend == Backend.NONE or is_source_language(language)

    # -- texts ----------------------------------------------------------------------------

    async def translate(
        self,
        texts: Sequence[str],
        language: str,
        *,
        papers: PaperOriginals | None = None,
        llm_summaries: dict[str, str] | None = None,
    ) -> dict[str, str | None]:
        """Map each text to its translation, or None when it failed (show the original).

        Texts are deduplicated, answered from the cache where possible, and only the rest is
        sent; successes are cached, failures are not, so the next run tries them again.
        The llm backend translates `papers` (whose titles and abstracts are among `texts`) and
        puts its one-line summaries into `llm_summaries`; without `papers` it is skipped.
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
        metrics.cache_hits(len(cached))
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
                # Successes are cached inside, under the backend that made each.
                translated = await self._translate_missing(
                    mine, language, papers or {}, llm_summaries if llm_summaries is not None else {}
                )
                self.failures += sum(1 for value in translated.values() if value is None)
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
        self,
        texts: Sequence[str],
        language: str,
        papers: PaperOriginals,
        llm_summaries: dict[str, str],
    ) -> dict[str, str | None]:
        """Each text through the chain: the first healthy backend, then the next one for the
        texts it failed; successes are cached under the backend that made them."""
        results: dict[str, str | None] = {}
        remaining: list[str] = []
        for text in texts:
            if len(text) > MAX_SOURCE_CHARS:
                # No arXiv text is this long: not worth dozens of requests (nor the text work).
                results[text] = None
            else:
                remaining.append(text)
        if len(remaining) < len(texts):
            log.warning(
                "%d texts to %s not sent: %s",
                len(texts) - len(remaining),
                language,
                Failure.SOURCE_TOO_LONG,
            )
        down: list[str] = []
        working = False
        for backend, breaker in self.breakers.items():
            if not remaining:
                break
            if not breaker.allow():
                down.append(f"{backend} skipped ({breaker.last_error or 'failing'})")
                continue
            done: set[str] = set()
            if backend == Backend.LLM:
                answers, done, reason, answered = await self._translate_via_llm(
                    remaining, language, papers, llm_summaries
                )
            else:
                answers, reason, answered = await self._translate_via(backend, remaining, language)
            working = working or answered
            successes = {text: answer for text, answer in answers.items() if answer is not None}
            if successes:
                self.translated_by_backend[backend.value] += len(successes)
                self._cache_put(language, successes, backend.value)
                results.update(successes)
            if reason is not None:
                down.append(f"{backend}: {reason}")
            # `done`: extractive summaries of papers the llm summarised itself, not needed.
            remaining = [text for text in remaining if text not in successes and text not in done]
        results.update(dict.fromkeys(remaining))
        if remaining and len(down) == len(self.breakers):
            # Every backend gave up or was skipped: the chain is down.
            self.outage = "; ".join(down)
        elif working:
            # A backend answered requests: the chain works (texts that needed no request,
            # such as a lone formula, say nothing either way).
            self.outage = None
        return results

    async def _translate_via(
        self, backend: Backend, texts: Sequence[str], language: str
    ) -> tuple[dict[str, str | None], str | None, bool]:
        """Each text through `backend`: its translation or None, why the backend was given
        up on (None when it was not), and whether it answered any request."""
        try:
            code = backend_language(backend, language)
        except UnsupportedLanguage as exc:
            log.warning("not translating %d texts via %s: %s", len(texts), backend, exc)
            return dict.fromkeys(texts), str(exc), False
        run = _Run(backend, language, code)
        size = self.request_size_for(backend)
        results: dict[str, str | None] = {}
        failures: Counter[Failure] = Counter()
        jobs: list[_Job] = []
        for text in texts:
            masked = mask(normalize_space(text))
            segments = [Segment(chunk) for chunk in split_for_requests(masked.text, size.text)]
            for segment in segments:
                if not needs_translation(segment.text):
                    segment.translation = segment.text
            jobs.append(_Job(text, masked, segments))
        pending = [s for job in jobs for s in job.segments if s.translation is None]
        batches = pack(pending, size.packed)
        await asyncio.gather(*(self._translate_batch(run, batch, size) for batch in batches))
        if run.given_up:
            log.warning(
                "translation to %s via %s gave up (%s); %d requests skipped",
                language,
                backend,
                run.reason,
                run.skipped,
            )
        joiner = "" if code.lower().split("-")[0] in ("zh", "ja") else " "
        for job in jobs:
            results[job.original], failure = _assemble(job, joiner, language)
            if failure is not None:
                failures[failure] += 1
        failed = sum(failures.values())
        if failed and not run.given_up:
            log.warning(
                "%d of %d texts to %s via %s failed (%s)",
                failed,
                len(results),
                language,
                backend,
                ", ".join(f"{count} {failure}" for failure, count in sorted(failures.items())),
            )
        reason = (run.reason or "gave up") if run.given_up else None
        return results, reason, run.answered > 0

    async def _translate_batch(self, run: _Run, batch: list[Segment], size: RequestSize) -> None:
        if len(batch) == 1:
            batch[0].translation = await self._translate_one(run, batch[0].text)
            return
        text = join_batch([s.text for s in batch])
        # Longer than the service is known to take: one try, and if it fails the same texts
        # go again in requests of the known size (retries and give-up apply to those).
        probe = len(text) > size.text
        answer = await self._request(run, text, probe=probe)
        if answer is None and probe and not run.given_up:
            self._refused_packing(run.backend, len(text), size)
            smaller = replace(size, packed=size.text)
            await asyncio.gather(
                *(self._translate_batch(run, part, smaller) for part in pack(batch, size.text))
            )
            if run.given_up:
                # The smaller requests failed too: the service was down, it did not refuse
                # the size. Pack again once it is back.
                self._packed_limits.pop(run.backend, None)
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

    def _refused_packing(self, backend: Backend, length: int, size: RequestSize) -> None:
        """A packed request failed: pack no more than the known size until restart (a
        transient failure costs the saving until then, a refusal repeated every run costs a
        request each time)."""
        self.packing_fallbacks += 1
        limit = self._packed_limits.get(backend)
        if limit is None or limit > size.text:
            self._packed_limits[backend] = size.text
            log.warning(
                "%s failed a %d-character request; packing at most %d characters from now on",
                backend,
                length,
                size.text,
            )

    async def _request(self, run: _Run, text: str, *, probe: bool = False) -> str | None:
        """One backend request with backoff; None when it failed or the run has given up.

        A rate limit or transient error pauses every request of the run (not only this one),
        and `attempts` failures in a row across the run, or the backend's breaker opening,
        mean the backend is down: give up. A `probe` is tried once and its failure counts for
        nothing: the caller has a fallback.
        """
        loop = asyncio.get_running_loop()
        breaker = self.breakers[run.backend]
        for attempt in range(self.attempts):
            pause = run.resume_at - loop.time()
            if pause > 0:
                await self._sleep(pause)
            try:
                answer = await self._in_thread(run, text, probe=probe)
            except Skipped:
                run.skipped += not probe
                return None
            except Exception as exc:
                metrics.translation_failed(run.backend.value)
                kind = classify(exc)
                if probe and not rate_limited(exc):
                    # A rate limit says nothing about the size: that one waits and retries.
                    log.debug("packed translation request failed: %s", describe(exc))
                    return None
                if kind == ErrorKind.UNKNOWN:
                    log.warning("translation request failed with an unexpected %s", describe(exc))
                    return None
                if kind == ErrorKind.PERMANENT:
                    log.debug("translation request failed: %s", describe(exc))
                    return None
                run.failures_in_a_row += 1
                breaker.failure(describe(exc), fatal=kind == ErrorKind.FATAL)
                if (
                    kind == ErrorKind.FATAL
                    or run.failures_in_a_row >= self.attempts
                    or breaker.state is not State.CLOSED
                ):
                    if not run.given_up:
                        run.given_up = True
                        run.reason = f"{describe(exc)}, {run.failures_in_a_row} failures in a row"
                    return None
                wait = max(self.backoff * 2**attempt, retry_after(exc) or 0.0)
                run.resume_at = max(run.resume_at, loop.time() + wait)
                continue
            run.failures_in_a_row = 0
            run.answered += 1
            breaker.success()
            return answer
        return None

    async def _in_thread(self, run: _Run, text: str, *, probe: bool = False) -> str:
        loop = asyncio.get_running_loop()
        semaphore = self._loop_semaphore(loop)
        await semaphore.acquire()
        # Checked after the wait: requests queued behind a failing one are not sent at all,
        # nor packed ones after a packed one failed.
        if (
            run.given_up
            or (probe and len(text) > self.request_size_for(run.backend).packed)
            or not self.breakers[run.backend].allow()
        ):
            semaphore.release()
            raise Skipped()

        def release_later(_: concurrent.futures.Future[str]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                loop.call_soon_threadsafe(semaphore.release)

        try:
            work = self._executor.submit(self._call_backend, run.backend, run.code, text)
        except BaseException:
            semaphore.release()
            raise
        self.requests_sent += 1
        self.requests_by_backend[run.backend.value] += 1
        metrics.translation_request(run.backend.value)
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

    def _call_backend(self, backend: Backend, code: str, text: str) -> str:
        """Runs in a worker thread: one request to `backend`."""
        source = backend_language(backend, SOURCE_LANGUAGE)
        answer = self._clients[backend].translate(text, source, code, self.timeout)
        if not answer.strip():
            raise EmptyAnswer()
        return answer

    # -- the llm backend: papers, not texts ------------------------------------------------

    async def _translate_via_llm(
        self,
        texts: Sequence[str],
        language: str,
        papers: PaperOriginals,
        llm_summaries: dict[str, str],
    ) -> tuple[dict[str, str | None], set[str], str | None, bool]:
        """The papers whose title or abstract is among `texts`, through the llm backend.

        Returns the translations of `texts` it made, the extractive summaries it made
        unnecessary (its own summary replaces them, put into `llm_summaries`), why it gave up
        on some papers (None when it did not), and whether the endpoint answered at all.
        """
        if not papers:
            return {}, set(), "translates papers only", False
        if self.llm_budget_spent():
            return {}, set(), "daily token budget spent", False
        wanted = set(texts)
        sources = [
            PaperSource(arxiv_id, title, abstract)
            for arxiv_id, (title, abstract, _summary) in papers.items()
            if title in wanted or abstract in wanted
        ]
        if not sources:
            return {}, set(), None, False
        run = _LLMRun()
        semaphore = asyncio.Semaphore(self.max_workers)
        async with httpx.AsyncClient(timeout=self.llm_timeout) as client:
            found = await asyncio.gather(
                *(
                    self._llm_batch(client, semaphore, batch, language, run)
                    for batch in llm_backend.batches(sources)
                )
            )
        answers: dict[str, str | None] = {}
        done: set[str] = set()
        summaries: dict[str, str] = {}
        for arxiv_id, paper in (item for batch in found for item in batch.items()):
            title, abstract, summary = papers[arxiv_id]
            answers[title], answers[abstract] = paper.title, paper.abstract
            summaries[llm_cache_key(self.settings.llm_model, abstract)] = paper.summary
            llm_summaries[arxiv_id] = paper.summary
            if summary:
                done.add(summary)
        if summaries:
            self._cache_put(language, summaries, f"{Backend.LLM}:{self.settings.llm_model}")
        missed = len(sources) - sum(len(batch) for batch in found)
        if missed:
            log.warning(
                "%d of %d papers to %s not translated by llm (%s); the next backend is asked",
                missed,
                len(sources),
                language,
                run.reason or "invalid answers",
            )
        return {t: a for t, a in answers.items() if t in wanted}, done, run.reason, run.answered

    async def _llm_batch(
        self,
        client: httpx.AsyncClient,
        semaphore: asyncio.Semaphore,
        batch: Sequence[PaperSource],
        language: str,
        run: _LLMRun,
    ) -> dict[str, PaperTranslation]:
        """One batch: a request, then one more for the papers whose items were bad (or for
        all of them when the request failed); the checked translations by arxiv_id."""
        breaker = self.breakers[Backend.LLM]
        pending = list(batch)
        good: dict[str, PaperTranslation] = {}
        wait = 0.0
        for _attempt in range(2):
            if not pending or not breaker.allow():
                break
            if self.llm_budget_spent():
                run.reason = "daily token budget spent"
                break
            if wait:
                await self._sleep(wait)
            async with semaphore:
                self.llm_requests += 1
                self.requests_sent += 1
                self.requests_by_backend[Backend.LLM.value] += 1
                metrics.translation_request(Backend.LLM.value)
                try:
                    content, tokens = await llm_backend.request(
                        client,
                        pending,
                        language,
                        base_url=self.settings.llm_base_url,
                        api_key=self.settings.llm_api_key,
                        model=self.settings.llm_model,
                        timeout=self.llm_timeout,
                    )
                except LLMRequestError as exc:
                    metrics.translation_failed(Backend.LLM.value)
                    breaker.failure(str(exc))
                    run.reason = str(exc)
                    wait = min(exc.retry_after or 0.0, LLM_MAX_RETRY_WAIT)
                    continue
            run.answered = True
            self._count_tokens(tokens)
            try:
                found, bad = llm_backend.parse_answer(content, pending, language)
            except LLMRequestError as exc:
                metrics.translation_failed(Backend.LLM.value)
                breaker.failure(str(exc))
                run.reason = str(exc)
                wait = 0.0
                continue
            breaker.success()
            good.update(found)
            if bad:
                log.debug("llm answer refused for %s", bad)
            pending = [paper for paper in pending if paper.id in bad]
            wait = 0.0
        return good

    def _count_tokens(self, tokens: int) -> None:
        try:
            self.token_ledger.add(self._today(), tokens)
        except Exception:
            # Uncounted tokens overrun the budget a little; failing the digest would be worse.
            log.exception("counting %d LLM tokens failed", tokens)

    # -- papers ---------------------------------------------------------------------------

    async def paper_texts(
        self, papers: Sequence[Paper], language: str, *, summaries: bool = True
    ) -> dict[str, PaperText]:
        """What readers see of each paper in `language`, keyed by arxiv_id, in one batched pass.

        A paper whose title, abstract or summary failed comes back with `translated=False` and
        the original texts, so it can still be delivered on time; where no translation is
        wanted the originals come back marked `passthrough`.
        """
        originals: dict[str, tuple[str, str, str]] = {}
        for paper in papers:
            title = normalize_space(paper.title)
            abstract = normalize_space(paper.abstract)
            summary = one_line_summary(abstract, title) if summaries else ""
            originals[paper.arxiv_id] = (title, abstract, summary)
        # `none` with a foreign language translates nothing (not even an LLM summary): the
        # texts are the originals. `none` or an English digest wants no translation, so the
        # originals are marked passthrough: no "unavailable" note, each text shown once.
        unavailable = self.backend == Backend.NONE and not is_source_language(language)
        passthrough = self.passthrough(language)
        llm: dict[str, str] = {}
        llm_in_chain = Backend.LLM in self.breakers
        if summaries and originals and not unavailable:
            if llm_in_chain:
                # Summaries come with the llm backend's translations: only those it made before.
                llm = self._cached_llm_summaries(originals, language)
            elif self.llm_configured:
                llm = await self._llm_summaries(originals, language)
        wanted: list[str] = []
        for arxiv_id, (title, abstract, summary) in originals.items():
            wanted += [title, abstract]
            if summary and arxiv_id not in llm:
                wanted.append(summary)
        written: dict[str, str] = {}
        translated = await self.translate(
            wanted, language, papers=originals if llm_in_chain else None, llm_summaries=written
        )
        if summaries:
            llm.update(written)
        texts: dict[str, PaperText] = {}
        for arxiv_id, (title, abstract, summary) in originals.items():
            new_title = translated.get(title)
            new_abstract = translated.get(abstract)
            new_summary = llm.get(arxiv_id) or (translated.get(summary) if summary else "")
            if passthrough:
                texts[arxiv_id] = PaperText(
                    title,
                    abstract,
                    llm.get(arxiv_id) or summary,
                    language,
                    translated=False,
                    summary_original=summary,
                    passthrough=True,
                )
            elif new_title is None or new_abstract is None or new_summary is None:
                texts[arxiv_id] = PaperText(
                    title, abstract, summary, language, translated=False, summary_original=summary
                )
            else:
                texts[arxiv_id] = PaperText(
                    new_title, new_abstract, new_summary, language, summary_original=summary
                )
        return texts

    def _cached_llm_summaries(
        self, originals: Mapping[str, tuple[str, str, str]], language: str
    ) -> dict[str, str]:
        """The LLM summaries already written in `language`, by arxiv_id."""
        model = self.settings.llm_model
        keys = {arxiv_id: llm_cache_key(model, texts[1]) for arxiv_id, texts in originals.items()}
        cached = self._cache_get(list(set(keys.values())), language)
        found = {arxiv_id: cached[key] for arxiv_id, key in keys.items() if key in cached}
        self.cache_hits += len(found)
        metrics.cache_hits(len(found))
        return found

    async def _llm_summaries(
        self, originals: Mapping[str, tuple[str, str, str]], language: str
    ) -> dict[str, str]:
        """LLM-written summaries in `language` by arxiv_id; missing where the LLM failed."""
        model = self.settings.llm_model
        keys = {arxiv_id: llm_cache_key(model, texts[1]) for arxiv_id, texts in originals.items()}
        found = self._cached_llm_summaries(originals, language)
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
