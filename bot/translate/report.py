"""The translation chain as admins read it in /status: each backend's breaker, DeepL's quota,
the LLM's tokens today.

Plain text lines (the handler escapes them): the operator must see at a glance which backend
translates today and when a skipped one will be tried again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.translate.breaker import State
from bot.translate.service import BackendStatus, TranslationService


def _minutes(seconds: float) -> str:
    return f"{max(1, math.ceil(seconds / 60))} min"


def backend_line(position: int, status: BackendStatus) -> str:
    """`1. google: open (RequestError, 3 failures in a row), probed again in 10 min`."""
    name = f"{position}. {status.backend}"
    if status.skipped_because:
        return f"{name}: skipped ({status.skipped_because}) until 00:00 UTC"
    if status.state is State.CLOSED:
        recent = (
            f" ({status.failures_in_a_row} recent failures)" if status.failures_in_a_row else ""
        )
        return f"{name}: working{recent}"
    why = f"{status.last_error or 'failing'}, {status.failures_in_a_row} failures in a row"
    if status.state is State.HALF_OPEN:
        return f"{name}: half-open ({why}), probed by the next request"
    return f"{name}: open ({why}), probed again in {_minutes(status.retry_in)}"


def tokens_line(used: int, budget: int | None) -> str:
    """`LLM tokens today: 1234 of 50000 (UTC day)`, or `... (no daily budget)`."""
    if budget is None:
        return f"LLM tokens today: {used} (no daily budget)"
    return f"LLM tokens today: {used} of {budget} (UTC day)"


def chain_lines(
    statuses: Sequence[BackendStatus],
    outage: str | None,
    deepl_usage: str | None,
    llm_tokens: tuple[int, int | None] | None = None,
) -> list[str]:
    """The /status lines for admins: the chain in order, whether it is down, DeepL's usage,
    the LLM's tokens today against its budget."""
    if not statuses:
        return ["Translation: off (TRANSLATOR=none)"]
    lines = ["Translation chain:"]
    lines += [backend_line(i, status) for i, status in enumerate(statuses, 1)]
    if outage:
        lines.append(f"Every backend failed; digests show the originals ({outage})")
    if deepl_usage is not None:
        lines.append(f"DeepL usage: {deepl_usage}")
    if llm_tokens is not None:
        lines.append(tokens_line(*llm_tokens))
    return lines


async def chain_report(service: TranslationService) -> list[str]:
    """`chain_lines` for a running service (asks DeepL for its usage when DeepL is in it)."""
    return chain_lines(
        service.chain_status(),
        service.outage,
        await service.deepl_usage(),
        service.llm_tokens_today(),
    )
