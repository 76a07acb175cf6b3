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
# An opening that leans on the sentence before it: a connective ("Moreover,", "To address these
# issues,") or a subject that points back ("This enables", "These results", "It").
_LEAD_IN = re.compile(
    r"^(?:(?:"
    r"moreover|furthermore|however|thus|hence|therefore|consequently|accordingly|additionally|"
    r"also|besides|finally|lastly|then|nevertheless|nonetheless|meanwhile|instead|similarly|"
    r"likewise|conversely|but|and|otherwise|namely|thereby|secondly|thirdly|subsequently|"
    r"afterwards|ultimately|"
    r"in addition|in particular|in contrast|by contrast|in comparison|in turn|in summary|"
    r"in short|in sum|in practice|in fact|as a result|as a consequence|as such|on the other hand|"
    r"at the same time|on top of (?:this|that)|to this end|to that end|for this purpose|"
    r"with this (?:in mind|goal|aim)|(?:by|in) doing so|to do so|for (?:this|these) reasons?|"
    r"(?:in|under|for|with|on|from|by|to) (?:this|that|these|those|such) "
    r"(?!paper|work|article|study|note|letter|manuscript)\w+|"
    r"to (?:address|overcome|tackle|solve|mitigate|alleviate|resolve|fill|bridge|close|handle|"
    r"remedy|circumvent|avoid|counter|fix|meet|answer)\b[^,]{0,80}?\b(?:this|these|those|such|"
    r"that|the above|above|aforementioned|its|their)\b[^,]{0,60}|"
    r"(?:motivated|inspired|driven|guided|based|building|built|relying|drawing|capitalizing) "
    r"(?:by|on|upon) (?:this|these|that|those|such|them|it)\b[^,]{0,60}"
    r")(?=[\s,;:]|$)"
    # Words that open a sentence on their own too ("Overall accuracy", "Next-generation",
    # "Still images"): a lead-in only with their comma.
    r"|(?:overall|next|still|further|so|yet|indeed|specifically|notably|importantly|crucially|"
    r"interestingly|surprisingly|second|third|fourth)(?=\s*,))"
)
_BACK_REFERENCE = re.compile(
    # "It is known that …" is no back-reference; "It achieves …" is.
    r"^(?:it(?! (?:is|was|has been|remains|becomes|seems|appears)\b[^,.;]{0,60}?"
    r"\b(?:that|to|whether|how|if)\b)|its|they|their|them|he|she|the latter|the former|"
    r"(?:this|these|that|those|such)(?! (?:paper|work|article|study|note|letter|manuscript|thesis|"
    r"report|review|survey|chapter|contribution|dissertation|tutorial|book|position paper|"
    r"technical report|short paper|extended abstract|research|project|proposal|perspective|"
    r"overview|benchmark paper|dataset paper)\b))\b"
)
# Words that may follow a lead-in: a clause that can stand alone once the lead-in is gone.
_OWN_SUBJECT = re.compile(
    r"^(?:we|our|here|in this (?:paper|work|article|study|note|letter|manuscript)|"
    r"this (?:paper|work|article|study|note|letter|manuscript)|the present|a|an|the)\b"
)


def _lead_in(sentence: str) -> re.Match[str] | None:
    return _LEAD_IN.match(sentence.lower())


def opens_mid_argument(text: str) -> bool:
    """Whether `text` opens with a connective or a back-reference ("Moreover, …", "To address
    these issues, …", "This enables …"): a reader without the sentence before it is lost."""
    opening = text.lstrip(" \"'([“‘").lower()
    return bool(_LEAD_IN.match(opening) or _BACK_REFERENCE.match(opening))


def _standalone(sentence: str) -> str:
    """The sentence without a lead-in whose clause stands alone ("To address these issues, we
    propose X." → "We propose X."); unchanged when there is no such lead-in. Only cuts: the
    words kept are the abstract's own, with the first letter raised to a capital."""
    lead = _lead_in(sentence)
    if lead is None:
        return sentence
    rest = sentence[lead.end() :].lstrip()
    if rest.startswith(","):
        rest = rest[1:].lstrip()
    elif lead.group(0).count(" ") > 1:
        # A long lead-in without its comma ("To this end we") is not sure to end here.
        return sentence
    if not rest or opens_mid_argument(rest):
        return sentence
    if rest[0].isupper():  # a name or an acronym ("Accordingly, BERT is …")
        return rest
    if not _OWN_SUBJECT.match(rest.lower()):
        return sentence
    return rest[0].upper() + rest[1:]


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
    """The abstract's sentence that states the contribution, at most 300 characters, one that
    stands alone: never one opening with a connective or a back-reference while another will do.

    Extractive on purpose: it cannot misstate the paper, costs nothing and works offline. A
    lead-in is cut when the clause after it stands alone ("To address these issues, we propose
    X" → "We propose X"); with no sentence that stands alone, the first sentence, shortened.
    Cached: the push asks for it once per chat that gets the paper. A hostile abstract is cut
    to `UNTRUSTED_TEXT_LIMIT` first, so scoring its sentences stays cheap.
    """
    sentences = split_sentences(bounded(abstract))
    if not sentences:
        return ""
    title_words = _content_words(title)
    count = len(sentences)
    candidates = [_standalone(sentence) for sentence in sentences]
    standing = [i for i, text in enumerate(candidates) if not opens_mid_argument(text)]
    if not standing:
        return cut_text(sentences[0], SUMMARY_LIMIT)
    scores = {i: _score(candidates[i], i, count, title_words) for i in standing}
    # max() keeps the first of equal scores: the earlier sentence wins a tie.
    best = max(standing, key=scores.__getitem__)
    return cut_text(candidates[best], SUMMARY_LIMIT)
