"""Webhook mode: the path to serve, where to listen, and the secret only Telegram knows.

Anyone who can reach the webhook could otherwise post a forged update (a `/broadcast` "from" an
admin). Telegram sends setWebhook's `secret_token` back in the `X-Telegram-Bot-Api-Secret-Token`
header of every update, and python-telegram-bot's webhook server answers 403 to a request
without the matching header before it reads the update (telegram/ext/_utils/webhookhandler.py,
`TelegramHandler._validate_post`), so passing the secret is all the checking needed. (Its
comparison is a plain `!=`, not constant-time; against a 43-character random secret, over a
network and a TLS proxy, that leaks nothing usable.)
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.config import Settings
from storage import bot_state
from storage.database import Store

SECRET_KEY = "webhook_secret"


class WebhookUrlError(ValueError):
    """A `--webhook` URL the operator must fix."""


@dataclass(frozen=True)
class Webhook:
    """Everything `run_webhook` needs: the public URL, the local address, and the secret."""

    url: str
    listen: str
    port: int
    secret: str = field(repr=False)

    @property
    def path(self) -> str:
        """The URL's path, served as given (with or without a trailing slash)."""
        return webhook_path(self.url)

    @property
    def route(self) -> str:
        """The path as python-telegram-bot's server wants it: a regular expression, so a `.`
        in the path must not match any character."""
        return re.escape(self.path)


def webhook_path(url: str) -> str:
    """The path Telegram will post to, without a trailing slash ("" for the root).
    Raises WebhookUrlError for anything but an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookUrlError(
            f"--webhook wants the public URL Telegram will post to, such as "
            f"https://bot.example.org/telegram (got {url!r})"
        )
    return parts.path.rstrip("/")


def generate_secret() -> str:
    """A fresh secret: 43 characters of A-Z a-z 0-9 _ -, which Telegram accepts as is."""
    return secrets.token_urlsafe(32)


def webhook_secret(settings: Settings, store: Store) -> str:
    """WEBHOOK_SECRET when set; otherwise the one generated on the first webhook start and kept
    in the database, so a restart does not need Telegram to learn a new one before updates that
    were already on their way are accepted."""
    if settings.webhook_secret:
        return settings.webhook_secret
    return bot_state.value_or_create(store, SECRET_KEY, generate_secret)


def configure_webhook(settings: Settings, url: str, port: int | None, store: Store) -> Webhook:
    """The webhook for `--webhook URL` (and `--port`, which wins over WEBHOOK_PORT)."""
    webhook_path(url)  # validate before anything is stored
    return Webhook(
        url=url,
        listen=settings.webhook_listen,
        port=port if port is not None else settings.webhook_port,
        secret=webhook_secret(settings, store),
    )
