"""What a backend's failure means for the run: wait and retry, give up on the backend, or fail
this one request.

deep-translator's exceptions share no base class (TooManyRequests, RequestError,
ServerException with a code as its message, ...), and requests' own errors come through too;
this module sorts them so the service reacts the same way to the same trouble on any backend.
"""

from __future__ import annotations

from enum import StrEnum

import deepl
import httpx
import requests
from deep_translator import exceptions as dt_errors


class UnsupportedLanguage(ValueError):
    """The backend cannot translate into this language; the message names both."""


class ErrorKind(StrEnum):
    """How the service reacts to a failed request."""

    RETRY = "retry"  # rate limits, 5xx, network: back off and try again
    FATAL = "fatal"  # bad key, quota, language: give up on the backend for this run
    PERMANENT = "permanent"  # this text only: no translation for it, the run goes on
    # Not an error we know: handled as PERMANENT, but logged at WARNING with its type, since
    # it may be a bug or a change in deep-translator rather than trouble with one text.
    UNKNOWN = "unknown"


_SERVER_TRANSIENT = {"ERR_INTERNAL_SERVER_ERROR", "ERR_SERVICE_NOT_AVAIBLE", "API server error"}
_SERVER_FATAL = {
    "ERR_KEY_INVALID",
    "ERR_KEY_BLOCKED",
    "ERR_DAILY_REQ_LIMIT_EXCEEDED",
    "ERR_DAILY_CHAR_LIMIT_EXCEEDED",
}


class BackendHTTPError(Exception):
    """A backend we call ourselves (LibreTranslate) answered with an HTTP error status.

    The message is the status only: the URL and body may carry what the operator configured.
    """

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class EmptyAnswer(Exception):
    """The backend answered without a translation."""


class Skipped(Exception):
    """The run gave up on the backend before this request was sent."""


def classify(exc: BaseException) -> ErrorKind:
    """How to react to a backend error."""
    if rate_limited(exc):
        return ErrorKind.RETRY
    if isinstance(exc, BackendHTTPError):
        if exc.status >= 500:
            return ErrorKind.RETRY
        return ErrorKind.FATAL if exc.status in (401, 402, 403) else ErrorKind.PERMANENT
    if isinstance(exc, deepl.AuthorizationException | deepl.QuotaExceededException):
        return ErrorKind.FATAL
    if isinstance(exc, deepl.ConnectionException):
        return ErrorKind.RETRY
    if isinstance(exc, deepl.DeepLException):
        status = exc.http_status_code or 0
        return ErrorKind.RETRY if status >= 500 else ErrorKind.PERMANENT
    if isinstance(exc, httpx.TransportError):
        return ErrorKind.RETRY
    if isinstance(exc, dt_errors.ServerException):
        message = str(exc.args[0]) if exc.args else ""
        if message in _SERVER_TRANSIENT:
            return ErrorKind.RETRY
        return ErrorKind.FATAL if message in _SERVER_FATAL else ErrorKind.PERMANENT
    if isinstance(
        exc,
        dt_errors.AuthorizationException
        | dt_errors.ApiKeyException
        | dt_errors.LanguageNotSupportedException
        | dt_errors.InvalidSourceOrTargetLanguage
        | UnsupportedLanguage,
    ):
        return ErrorKind.FATAL
    if isinstance(exc, dt_errors.RequestError | requests.RequestException | OSError):
        # OSError covers TimeoutError (our bound on the wait) and connection failures.
        return ErrorKind.RETRY
    if isinstance(exc, dt_errors.BaseError | EmptyAnswer):
        # No translation found, a text the backend calls invalid, an empty answer.
        return ErrorKind.PERMANENT
    return ErrorKind.UNKNOWN


def rate_limited(exc: BaseException) -> bool:
    """True when the backend asked us to slow down (which says nothing about the request)."""
    if isinstance(exc, BackendHTTPError):
        return exc.status == 429
    return isinstance(exc, dt_errors.TooManyRequests | deepl.TooManyRequestsException) or (
        isinstance(exc, dt_errors.ServerException)
        and bool(exc.args)
        and exc.args[0] == "ERR_TOO_MANY_REQUESTS"
    )


def retry_after(exc: BaseException) -> float | None:
    """The wait the backend asked for (Retry-After), when it said."""
    return exc.retry_after if isinstance(exc, BackendHTTPError) else None


def describe(exc: BaseException) -> str:
    """A loggable name for the failure: the type only, as requests' messages carry the URL,
    DeepL's URL carries the API key, and AuthorizationException's message the key itself."""
    if isinstance(exc, dt_errors.ServerException) and exc.args:
        return f"ServerException {exc.args[0]}"
    if isinstance(exc, BackendHTTPError):
        return str(exc)
    if isinstance(exc, deepl.DeepLException) and exc.http_status_code:
        return f"{type(exc).__name__} (HTTP {exc.http_status_code})"
    return type(exc).__name__
