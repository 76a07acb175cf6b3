"""The one-line summary of a paper: the abstract's own contribution sentence, or an LLM's sentence.

The extractive summary needs no network and never invents anything, so it is always available;
the LLM summary (any OpenAI-compatible endpoint) is an optional upgrade written directly in the
digest language, validated before use.
"""

from __future__ import annotations

import re
from functools import lru_cache

import httpx

from bot.text import bounded, cut_text, normalize_space, split_sentences

SUMMARY_LIMIT = 300
# An answer longer than this is not "one sentence"; the model ignored the instructions.
LLM_ANSWER_LIMIT = 400

# (pattern, weight): phrases that announce what the paper itself does.
_CONTRIBUTION_CUES: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(pattern), weight)
    for pattern, weight in (
        (
            r"\bwe (?:propose|introduce|present|develop|design|devise|derive|construct|"
            r"formulate|put forward|offer)\b",
            3.0,
        ),
        (
            r"\b(?:this|the present|our) (?:paper|work|article|study|note|letter|manuscript)"
            r" (?:\w+ )?(?:propos|introduc|present|develop|deriv|establish|stud|investigat|"
            r"consider|address|aim|focus|provid|describ|contribut)",
            3.0,
        ),
        (r"\b(?:is|are) (?:then )?(?:proposed|introduced|presented|developed)\b", 2.5),
        (r"\bin this (?:paper|work|article|study|note|letter|manuscript)\b", 2.5),
        (r"\bhere,? we\b", 2.0),
        (
            r"\bwe (?:study|consider|investigate|address|tackle|analy[sz]e|explore|examine|"
            r"compare|detail|focus on)\b",
            1.5,
        ),
        (r"\b(?:aims?|aimed) to\b", 1.0),
        (
            r"\bour (?:new |proposed )?(?:method|approach|model|framework|algorithm|estimator|"
            r"technique|system|procedure|contributions?)\b",
            1.0,
        ),
        (r"\bwe (?:show|demonstrate|prove|find|establish|obtain|provide)\b", 1.0),
        (
            r"\b(?:novel|new|first|innovative|state-of-the-art|outperform\w*|superior|"
            r"significantly)\b",
            0.7,
        ),
    )
)
# Sentences that set the scene rather than say what was done.
_BACKGROUND_CUES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"^(?:recent(?:ly)?|in recent (?:years|decades)|over the (?:past|last)|traditionally|"
        r"historically|many|most|existing|conventional|despite|however|although|while|"
        r"nowadays|currently|previous|prior)\b",
        r"\b(?:is|are|has become|have become|remains?|plays?|becomes?) (?:an? |the )?"
        r"(?:very |increasingly |highly )?(?:important|crucial|essential|fundamental|key|"
        r"central|critical|pivotal|challenging|popular|widely|ubiquitous|difficult)\b",
        r"\b(?:has|have) (?:attracted|received|gained|drawn|been widely|been extensively)\b",
        r"\brecent (?:work|works|studies|advances|progress|research)\b",
        r"\b(?:is|are) (?:a |an )?(?:powerful|useful|popular|common|standard) "
        r"(?:tools?|approach|approaches|methods?|frameworks?)\b",
        r"^(?:let|suppose|assume)\b",
        # Illustrations and data sets are details, not the contribution.
        r"\b(?:is|are) illustrated\b|\bwe illustrate\b|\bas an illustration\b",
    )
)
# Continuations lean on the sentence before them and read badly alone.
_CONTINUATION = re.compile(
    r"^(?:moreover|furthermore|finally|additionally|in addition|then|specifically|thus|"
    r"therefore|hence|also)\b"
)
# Words too common in titles to say that a sentence is about the paper's subject.
# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "that", "the", "their", "this", "to", "via", "with", "without",
    "using", "based", "towards", "toward", "under", "over", "new", "study", "analysis",
    "approach", "method", "methods", "model", "models",
})
# fmt: on
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")
# Reasoning models may wrap their thinking in tags before the answer.
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_QUOTES = "\"'`“”‘’「」『』"

_LANGUAGE_NAMES = {
    "zh-cn": "Simplified Chinese",
    "zh": "Simplified Chinese",
    "zh-hans": "Simplified Chinese",
    "zh-tw": "Traditional Chinese",
    "zh-hant": "Traditional Chinese",
    "en": "English",
    "ja": "Japanese",
    "ko": "Korean",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "pt-br": "Brazilian Portuguese",
    "ru": "Russian",
    "uk": "Ukrainian",
    "pl": "Polish",
    "nl": "Dutch",
    "tr": "Turkish",
    "ar": "Arabic",
    "fa": "Persian",
    "hi": "Hindi",
    "vi": "Vietnamese",
    "id": "Indonesian",
}


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - _STOPWORDS


def _score(sentence: str, index: int, count: int, title_words: set[str]) -> float:
    lowered = sentence.lower()
    score = sum(weight for pattern, weight in _CONTRIBUTION_CUES if pattern.search(lowered))
    score -= 1.5 * sum(1 for pattern in _BACKGROUND_CUES if pattern.search(lowered))
    if _CONTINUATION.search(lowered):
        score -= 0.5
    # With no cue at all, an earlier sentence usually states the topic better than a late detail.
    score += 0.5 * (1 - index / count)
    words = len(sentence.split())
    if words < 6:
        score -= 2.0
    elif words < 10 or words > 55:
        score -= 0.7
    if len(sentence) > SUMMARY_LIMIT:
        score -= 0.5
    if sentence.endswith("?"):
        score -= 1.0
    score += min(0.3 * len(_content_words(sentence) & title_words), 1.2)
    return score


@lru_cache(maxsize=8192)
def one_line_summary(abstract: str, title: str = "") -> str:
    """The abstract's sentence that states the contribution, at most 300 characters.

    Extractive on purpose: it cannot misstate the paper, costs nothing and works offline.
    Cached: the push asks for it once per chat that gets the paper. A hostile abstract is cut
    to `UNTRUSTED_TEXT_LIMIT` first, so scoring its sentences stays cheap.
    """
    sentences = split_sentences(bounded(abstract))
    if not sentences:
        return ""
    title_words = _content_words(title)
    count = len(sentences)
    scores = [_score(s, i, count, title_words) for i, s in enumerate(sentences)]
    # max() keeps the first of equal scores: the earlier sentence wins a tie.
    best = max(range(count), key=scores.__getitem__)
    return cut_text(sentences[best], SUMMARY_LIMIT)


class LLMSummaryError(Exception):
    """The LLM's answer cannot be used as a one-line summary (empty, several lines, too long)."""


class LLMUnavailable(LLMSummaryError):
    """The LLM endpoint could not be reached or refused the request; retrying now is pointless."""


def language_name(language: str) -> str:
    """An English name for a language code, which LLMs follow more reliably than the code."""
    code = language.strip().replace("_", "-").lower()
    name = _LANGUAGE_NAMES.get(code) or _LANGUAGE_NAMES.get(code.split("-")[0])
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
