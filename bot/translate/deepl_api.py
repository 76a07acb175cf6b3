"""DeepL through DeepL's own client library (`deepl`).

deep-translator's DeepL backend sends the key as a query parameter; DeepL authenticates with the
`Authorization: DeepL-Auth-Key …` header, which the official client sends, and the client also
reports the account's usage and quota (shown to admins in /status).
"""

from __future__ import annotations

import deepl
from deepl import http_client

from bot.translate.errors import EmptyAnswer

# Our service retries with its own backoff and counts failures for the circuit breaker; the
# client's own retries (five, with backoff) would hide a failing DeepL for a minute per text.
http_client.max_network_retries = 0


class DeeplBackend:
    """One DeepL account; `translate` and `usage` are blocking (run them in a thread)."""

    def __init__(self, auth_key: str, server_url: str | None = None) -> None:
        self._auth_key = auth_key
        self._server_url = server_url or None

    def _client(self, timeout: float) -> deepl.Translator:
        # The client takes its timeout from a module setting, not per call.
        http_client.min_connection_timeout = timeout
        return deepl.Translator(
            self._auth_key, server_url=self._server_url, send_platform_info=False
        )

    def translate(self, text: str, source: str, target: str, timeout: float) -> str:
        """`text` in `target`; raises deepl's exceptions (classified in `errors`)."""
        result = self._client(timeout).translate_text(
            text, source_lang=source.upper(), target_lang=target.upper()
        )
        answer = result.text if isinstance(result, deepl.TextResult) else ""
        if not answer:
            raise EmptyAnswer()
        return answer

    def usage(self, timeout: float = 10.0) -> str:
        """The account's character usage this billing period, e.g. `12,000 of 500,000`."""
        usage = self._client(timeout).get_usage()
        character = usage.character
        if not character.valid or character.count is None or character.limit is None:
            return "no character limit reported"
        note = " (limit reached)" if character.limit_reached else ""
        return f"{character.count:,} of {character.limit:,} characters{note}"
