"""Time bounds for deep-translator's requests: a shim installed once, at start-up.

deep-translator calls the module functions `requests.get/post` with no timeout and accepts no
Session, so no argument of ours can reach the socket. Its backends look `requests` up as a
global of their own module; `install()` replaces that global (only in the modules we use) with
a stand-in that adds our timeout and reuses a per-thread Session (keep-alive to the backend).
Only requests made inside `bounded()` get the timeout; any other caller passes through
unchanged. The asyncio side bounds the wait as well, so a server that trickles bytes cannot
stall a run either way.

Patching another library's globals depends on its layout, so `install()` checks every module
first and refuses, naming what it could not patch, rather than leave requests unbounded
without a word after an upgrade of deep-translator.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import requests

# The deep-translator backends the service uses, each of which does `import requests` and
# calls `requests.get(...)` (deep-translator 1.11). LibreTranslate and DeepL are called through
# httpx and DeepL's own client, with their own timeouts.
PATCHED_MODULES = (
    "deep_translator.google",
    "deep_translator.mymemory",
)

_local = threading.local()


class TimeoutShimError(RuntimeError):
    """deep-translator's layout changed: the timeout shim cannot apply (the message says where)."""


class _TimedRequests:
    """Stands in for the `requests` module inside deep-translator's backend modules."""

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeout = getattr(_local, "timeout", None)
        if timeout is None:
            return requests.request(method, url, **kwargs)
        kwargs.setdefault("timeout", timeout)
        session = getattr(_local, "session", None)
        if session is None:
            session = _local.session = requests.Session()
        return session.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """`requests.get` with our timeout."""
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        """`requests.post` with our timeout."""
        return self._send("POST", url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Exceptions and anything else the backends read from `requests` stay the real ones.
        return getattr(requests, name)


TIMED_REQUESTS = _TimedRequests()


def install() -> None:
    """Put the shim into deep-translator's backend modules; calling it again changes nothing.

    Raises TimeoutShimError, and patches nothing, when a module is missing or no longer uses
    the `requests` module as a global.
    """
    to_patch: list[ModuleType] = []
    problems: list[str] = []
    for name in PATCHED_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            problems.append(f"{name} cannot be imported ({type(exc).__name__}: {exc})")
            continue
        current = getattr(module, "requests", None)
        if current is TIMED_REQUESTS:
            continue
        if current is not requests:
            found = "nothing" if current is None else f"a {type(current).__name__}"
            problems.append(f"{name}.requests is {found}, not the requests module")
            continue
        to_patch.append(module)
    if problems:
        raise TimeoutShimError(
            "cannot bound deep-translator's requests in time (has deep-translator changed?): "
            + "; ".join(problems)
        )
    for module in to_patch:
        module.requests = TIMED_REQUESTS  # type: ignore[attr-defined]


def installed() -> bool:
    """True when every backend module's requests go through the shim."""
    try:
        modules = [importlib.import_module(name) for name in PATCHED_MODULES]
    except ImportError:
        return False
    return all(getattr(module, "requests", None) is TIMED_REQUESTS for module in modules)


@contextmanager
def bounded(timeout: float) -> Iterator[None]:
    """Within the block, deep-translator requests made on this thread time out after `timeout`
    seconds (connect and each read), once `install()` has run."""
    _local.timeout = timeout
    try:
        yield
    finally:
        _local.timeout = None
