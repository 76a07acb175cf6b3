"""LibreTranslate, called directly: the API key travels in the request body.

deep-translator's LibreTranslator puts `api_key` (and the text) in the URL's query string, where
the server's and every proxy's access logs keep it. LibreTranslate's /translate takes the same
fields as a JSON body, so we send them there.
"""

from __future__ import annotations

import httpx

from bot.translate.errors import BackendHTTPError, EmptyAnswer

# LibreTranslate's public instance, used when LIBRETRANSLATE_URL is not set.
DEFAULT_URL = "https://libretranslate.com/"


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


class LibreBackend:
    """One LibreTranslate server; `translate` is blocking (it runs in the service's threads)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.endpoint = (url or DEFAULT_URL).rstrip("/") + "/translate"
        self._api_key = api_key

    def translate(self, text: str, source: str, target: str, timeout: float) -> str:
        """`text` in `target`; raises BackendHTTPError for an error status, httpx's errors
        for network trouble, EmptyAnswer when the answer holds no translation."""
        body = {"q": text, "source": source, "target": target, "format": "text"}
        if self._api_key:
            body["api_key"] = self._api_key
        response = httpx.post(self.endpoint, json=body, timeout=timeout)
        if response.status_code >= 400:
            raise BackendHTTPError(response.status_code, _retry_after(response))
        try:
            answer = response.json().get("translatedText")
        except (ValueError, AttributeError) as exc:
            raise EmptyAnswer() from exc
        if not isinstance(answer, str):
            raise EmptyAnswer()
        return answer
