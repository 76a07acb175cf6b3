"""Translation: each text once per language, batched, math-safe, bounded in time and concurrency,
through a chain of backends.

- `service`: TranslationService (the chain, cache, in-flight sharing, batching, concurrency,
  retries, the originals when every backend fails) and the cache protocol;
- `backends`: the backends' names, request sizes, language codes, and the TranslationBackend
  protocol a new backend implements;
- `breaker`: a circuit breaker per backend (closed, open for a cool-down, half-open);
- `libre`, `deepl_api`: LibreTranslate (key in the body) and DeepL (DeepL's own client, key in
  the header), called without deep-translator;
- `report`: the chain's state as admins read it in /status;
- `chunking`: long texts cut at sentence boundaries, short ones packed with `[[n]]` markers;
- `masking`: math, LaTeX and URLs kept away from translators as `[M0]` placeholders;
- `errors`: what a backend's exception means (retry, give up, fail this text);
- `quality`: the quality guard: an answer empty, echoed, far longer or shorter than its source,
  or without the target script is a failure, not a translation;
- `timeouts`: the shim that puts a socket timeout on deep-translator's requests, installed
  once at start-up with `install_timeouts()`;
- `llm`: the OpenAI-compatible client that writes one-line summaries;
- `llm_backend`: the `llm` backend of the chain: papers translated in batches as JSON, each
  item checked.
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
