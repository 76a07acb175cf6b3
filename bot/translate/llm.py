"""The LLM client: one-line summaries written by any OpenAI-compatible endpoint.

An optional upgrade over the extractive summary (bot.summarize): the sentence comes directly in
the digest language. The answer is validated before use (one line, one sentence), because a
model that ignores its instructions must not put a paragraph or its reasoning into a digest.
"""

from __future__ import annotations

import re

import httpx
from deep_translator.constants import GOOGLE_LANGUAGES_TO_CODES

from bot import languages
from bot.text import normalize_space
from bot.translate.backends import Backend, UnsupportedLanguage, backend_language

# An answer longer than this is not "one sentence"; the model ignored the instructions.
LLM_ANSWER_LIMIT = 400
# Reasoning models may wrap their thinking in tags before the answer.
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_QUOTES = "\"'`“”‘’「」『』"

# The table stores Brazilian Portuguese as `pt` (one translation serves both), but a model
# writing the sentence itself can follow the variant when the setting names it.
_VARIANTS = {"pt-br": "Brazilian Portuguese"}
# Languages outside the table by their Google code, e.g. `sw` → Swahili.
_GOOGLE_NAMES = {code: name.title() for name, code in GOOGLE_LANGUAGES_TO_CODES.items()}


class LLMSummaryError(Exception):
    """The LLM's answer cannot be used as a one-line summary (empty, several lines, too long)."""


class LLMUnavailable(LLMSummaryError):
    """The LLM endpoint could not be reached or refused the request; retrying now is pointless."""


def language_name(language: str) -> str:
    """An English name for a language code, which LLMs follow more reliably than the code.

    The language table's name (bot.languages), else Google's for the languages it lacks.
    """
    code = language.strip().replace("_", "-").lower()
    name = _VARIANTS.get(code) or languages.english_name(code)
    if name is None:
        try:
            name = _GOOGLE_NAMES.get(backend_language(Backend.GOOGLE, code))
        except UnsupportedLanguage:
            name = None
    return name or f"the language with code {language}"


def _prompt(abstract: str, title: str, language: str) -> list[dict[str, str]]:
    name = language_name(language)
    system = (
        "You summarise arXiv papers for a daily digest read on a phone. "
        f"Answer with exactly one sentence in {name}, at most 60 words, stating what the paper "
        "contributes. Keep LaTeX math such as $x$ unchanged. No preamble, no quotes, no list."
    )
    user = f"Title: {normalize_space(title)}\n\nAbstract: {normalize_space(abstract)}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def clean_llm_answer(content: str) -> str:
    """The summary sentence in an LLM answer; raises LLMSummaryError when it is not one line."""
    text = _THINKING.sub("", content).strip().strip(_QUOTES).strip()
    if not text:
        raise LLMSummaryError("empty answer")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        raise LLMSummaryError(f"answer has {len(lines)} lines, expected one sentence")
    if len(text) > LLM_ANSWER_LIMIT:
        raise LLMSummaryError(f"answer is {len(text)} characters, expected one sentence")
    return normalize_space(text)


async def llm_summary(
    abstract: str,
    title: str,
    language: str,
    *,
    base_url: str,
    api_key: str,
    model: str,
    client: httpx.AsyncClient | None = None,
    timeout: float = 30,
) -> str:
    """One sentence in `language` from an OpenAI-compatible `POST {base_url}/chat/completions`.

    Raises LLMUnavailable for transport and HTTP errors, LLMSummaryError for unusable answers.
    The key travels only in the Authorization header and never appears in an error message.
    """
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    payload = {
        "model": model,
        "messages": _prompt(abstract, title, language),
        "temperature": 0.2,
        "max_tokens": 300,
    }
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=timeout) as own:
                response = await own.post(url, json=payload, headers=headers)
        else:
            response = await client.post(url, json=payload, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise LLMUnavailable(f"{type(exc).__name__} calling {url}") from exc
    if response.status_code >= 400:
        raise LLMUnavailable(f"HTTP {response.status_code} from {url} (model {model})")
    try:
        choice = response.json()["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMSummaryError(f"unexpected response shape from {url}") from exc
    if not isinstance(content, str):
        raise LLMSummaryError(f"unexpected response shape from {url}")
    if choice.get("finish_reason") == "length":
        raise LLMSummaryError("answer was cut at max_tokens")
    return clean_llm_answer(content)


def llm_cache_key(model: str, abstract: str) -> str:
    """Where the translations cache keeps `model`'s summary of `abstract` (per language)."""
    # Not a text anyone would translate: the separators keep it apart from real texts.
    return f"\x1fllm-summary:v1\x1f{model}\x1f{normalize_space(abstract)}"
