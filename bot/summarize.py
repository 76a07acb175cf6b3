"""The one-line summary of a paper: the abstract's own contribution sentence, or an LLM's sentence.

The extractive summary needs no network and never invents anything, so it is always available;
the LLM summary (any OpenAI-compatible endpoint, `bot.translate.llm`) is an optional upgrade
written directly in the digest language, validated before use.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.text import bounded, cut_text, split_sentences

SUMMARY_LIMIT = 300

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
