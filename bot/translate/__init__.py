"""Translation: each text once per language, batched, math-safe, bounded in time and concurrency.

- `service`: TranslationService (cache, in-flight sharing, batching, concurrency, retries, the
  originals when a backend fails) and the cache protocol;
- `backends`: deep-translator's backends, their request sizes and language codes;
- `chunking`: long texts cut at sentence boundaries, short ones packed with `[[n]]` markers;
- `masking`: math, LaTeX and URLs kept away from translators as `[M0]` placeholders;
- `errors`: what a backend's exception means (retry, give up, fail this text);
- `quality`: an answer far longer than its source is a failure, not a translation;
- `timeouts`: the shim that puts a socket timeout on deep-translator's requests, installed
  once at start-up with `install_timeouts()`;
- `llm`: the OpenAI-compatible client that writes one-line summaries.
"""

from bot.translate.backends import (
    BACKENDS,
    REQUEST_SIZES,
    SOURCE_LANGUAGE,
    Backend,
    RequestSize,
    UnsupportedLanguage,
    backend_language,
    is_source_language,
)
from bot.translate.chunking import MAX_BATCH_TEXTS, join_batch, split_batch, split_for_requests
from bot.translate.masking import Masked, mask, unmask
from bot.translate.service import MemoryTranslationCache, TranslationCache, TranslationService
from bot.translate.timeouts import TimeoutShimError
from bot.translate.timeouts import install as install_timeouts

__all__ = [
    "BACKENDS",
    "MAX_BATCH_TEXTS",
    "REQUEST_SIZES",
    "SOURCE_LANGUAGE",
    "Backend",
    "Masked",
    "MemoryTranslationCache",
    "RequestSize",
    "TimeoutShimError",
    "TranslationCache",
    "TranslationService",
    "UnsupportedLanguage",
    "backend_language",
    "install_timeouts",
    "is_source_language",
    "join_batch",
    "mask",
    "split_batch",
    "split_for_requests",
    "unmask",
]
