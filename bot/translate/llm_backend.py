"""The `llm` translation backend: papers translated in batches by an OpenAI-compatible model.

One chat completion translates up to `BATCH_PAPERS` papers (title, abstract) and writes a
one-line summary of each, all in the digest language, as JSON. A model's answer is untrusted:
each item is checked (its id, the quality guard on title and abstract, every `$…$` formula of
the source present, the summary one line in the target script) and only the papers whose item
passes are used; the service asks again for the others once, then leaves them to the next
backend of the chain. Pure functions here, the request at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bot.text import normalize_space
from bot.translate.llm import LLMSummaryError, clean_llm_answer, language_name
from bot.translate.quality import Failure, judge

# A day's papers are ~1,600 characters each: 8 papers stay well inside any model's context and
# inside a completion of a few thousand tokens, so one answer is rarely cut off.
BATCH_PAPERS = 8
BATCH_CHARS = 14_000
# Room for the translated titles, abstracts and summaries of a full batch.
MAX_TOKENS = 8_000
# Math as the prompt promises to keep it, character for character.
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$", re.DOTALL)
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


@dataclass(frozen=True)
class PaperSource:
    """One paper as the model gets it; `id` is the arXiv id, echoed back in the answer."""

    id: str
    title: str
    abstract: str

    @property
    def size(self) -> int:
        """Characters sent for this paper."""
        return len(self.title) + len(self.abstract)


@dataclass(frozen=True)
class PaperTranslation:
    """One paper as the model answered it, checked."""

    title: str
    abstract: str
    summary: str


class LLMRequestError(Exception):
    """The request got no usable answer (transport, HTTP status, not JSON): the whole batch
    failed. The message names the status or error type, never the key or the URL's secrets."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def batches(
    papers: Sequence[PaperSource], max_papers: int = BATCH_PAPERS, max_chars: int = BATCH_CHARS
) -> list[list[PaperSource]]:
    """Papers in request-sized groups, in order: at most `max_papers` and, unless a paper is
    alone, at most `max_chars` characters each."""
    groups: list[list[PaperSource]] = []
    size = 0
    for paper in papers:
        if groups and len(groups[-1]) < max_papers and size + paper.size <= max_chars:
            groups[-1].append(paper)
            size += paper.size
        else:
            groups.append([paper])
            size = paper.size
    return groups


def messages(papers: Sequence[PaperSource], language: str) -> list[dict[str, str]]:
    """The chat messages for one batch: the exact JSON shape wanted, and the papers as JSON."""
    name = language_name(language)
    system = (
        f"You translate arXiv papers into {name} for a daily digest. For each paper, translate "
        f"the title and the abstract into {name} and write a one-sentence summary (at most 60 "
        f"words) in {name} of what the paper contributes. Keep every LaTeX formula between $ "
        "signs exactly as it is, and keep acronyms, names of people, models and datasets. "
        'Answer with JSON only, exactly this shape: {"papers": [{"id": "<the id given>", '
        '"title": "...", "abstract": "...", "summary": "..."}]}, one item per paper given, '
        "in the same order, with the same ids."
    )
    user = json.dumps(
        {"papers": [{"id": p.id, "title": p.title, "abstract": p.abstract} for p in papers]},
        ensure_ascii=False,
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def math_spans(text: str) -> list[str]:
    """The `$…$` and `$$…$$` spans of `text`."""
    return _MATH.findall(text)


def _check_text(source: str, value: Any, language: str, field_name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field_name} is not a string")
    text = normalize_space(value)
    failure = judge(source, text, language)
    if failure is not None:
        raise ValueError(f"{field_name} {failure}")
    if any(span not in text for span in math_spans(source)):
        raise ValueError(f"{field_name} {Failure.LOST_MATH}")
    return text


def check_item(source: PaperSource, item: Mapping[str, Any], language: str) -> PaperTranslation:
    """The paper's translation from its answer item; ValueError saying why it is unusable."""
    title = _check_text(source.title, item.get("title"), language, "title")
    abstract = _check_text(source.abstract, item.get("abstract"), language, "abstract")
    raw_summary = item.get("summary")
    if not isinstance(raw_summary, str):
        raise ValueError("summary is not a string")
    try:
        summary = clean_llm_answer(raw_summary)
    except LLMSummaryError as exc:
        raise ValueError(f"summary: {exc}") from exc
    # Judged against the title for the language checks (unchanged, target script, most of it
    # missing); its length is bounded by clean_llm_answer, not by the title's.
    failure = judge(source.title, summary, language)
    if failure is not None and failure is not Failure.TOO_LONG:
        raise ValueError(f"summary {failure}")
    return PaperTranslation(title, abstract, summary)


def parse_answer(
    content: str, papers: Sequence[PaperSource], language: str
) -> tuple[dict[str, PaperTranslation], dict[str, str]]:
    """The usable translations by paper id, and why each other paper of the batch has none.

    Raises LLMRequestError when the answer is not the JSON object asked for at all.
    """
    text = _FENCE.sub("", _THINKING.sub("", content).strip())
    try:
        answer = json.loads(text)
    except ValueError as exc:
        raise LLMRequestError("answer is not JSON") from exc
    items = answer.get("papers") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        raise LLMRequestError('answer has no "papers" list')
    by_id: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        if isinstance(item, dict):
            by_id.setdefault(str(item.get("id", "")), []).append(item)
    good: dict[str, PaperTranslation] = {}
    bad: dict[str, str] = {}
    for paper in papers:
        found = by_id.get(paper.id, [])
        if len(found) != 1:
            bad[paper.id] = "missing from the answer" if not found else "answered twice"
            continue
        try:
            good[paper.id] = check_item(paper, found[0], language)
        except ValueError as exc:
            bad[paper.id] = str(exc)
    return good, bad


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


async def request(
    client: httpx.AsyncClient,
    papers: Sequence[PaperSource],
    language: str,
    *,
    base_url: str,
    api_key: str,
    model: str,
    timeout: float,
) -> tuple[str, int]:
    """One chat completion for `papers`: the answer's text and the tokens it cost (prompt +
    completion, from `usage`; 0 when the endpoint does not say).

    Raises LLMRequestError for transport errors, HTTP errors (with Retry-After when given) and
    answers without a message. The key travels only in the Authorization header.
    """
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    payload = {
        "model": model,
        "messages": messages(papers, language),
        "temperature": 0.2,
        "max_tokens": MAX_TOKENS,
        "response_format": {"type": "json_object"},
    }
    try:
        response = await client.post(url, json=payload, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise LLMRequestError(type(exc).__name__) from exc
    if response.status_code >= 400:
        raise LLMRequestError(f"HTTP {response.status_code}", _retry_after(response))
    try:
        body = response.json()
        choice = body["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMRequestError("unexpected response shape") from exc
    if not isinstance(content, str):
        raise LLMRequestError("unexpected response shape")
    if choice.get("finish_reason") == "length":
        raise LLMRequestError("answer was cut at max_tokens")
    usage = body.get("usage") if isinstance(body, dict) else None
    tokens = 0
    if isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            tokens = prompt + completion
        elif isinstance(usage.get("total_tokens"), int):
            tokens = usage["total_tokens"]
    return content, tokens
