"""Settings: one frozen object built once from the environment (and `.env`), passed down.

No other module reads `os.environ`. The names are the operating contract in the README.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import languages

log = logging.getLogger(__name__)


class Backend(StrEnum):
    """A name in TRANSLATOR: one translation backend, or `none` (no translation).

    Here rather than in bot.translate.backends (which re-exports it) because the settings check
    TRANSLATOR against it and bot.translate imports the settings: the other way is a cycle.
    """

    GOOGLE = "google"
    LIBRE = "libre"
    MYMEMORY = "mymemory"
    DEEPL = "deepl"
    LLM = "llm"
    NONE = "none"


TRANSLATORS = tuple(backend.value for backend in Backend)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
# Names TRANSLATOR will take once their backend exists: refused with "not available yet".
PLANNED_TRANSLATORS: tuple[str, ...] = ()


def parse_translators(raw: str) -> tuple[Backend, ...]:
    """TRANSLATOR as the chain it names (`google,libre`: Google first, then Libre).

    Raises ConfigError with one line for an unknown or repeated name, an empty list, or `none`
    beside other backends (`none` means no translation at all).
    """
    names = [part.strip().lower() for part in raw.split(",")]
    if not raw.strip() or any(not name for name in names):
        raise ConfigError(f"TRANSLATOR: {raw!r} has an empty name; e.g. TRANSLATOR=google,libre")
    chain: list[Backend] = []
    for name in names:
        if name in PLANNED_TRANSLATORS:
            raise ConfigError(f"TRANSLATOR: {name!r} is not available yet in this version")
        if name not in TRANSLATORS:
            raise ConfigError(f"TRANSLATOR: {name!r} is not one of {', '.join(TRANSLATORS)}")
        if Backend(name) in chain:
            raise ConfigError(f"TRANSLATOR: {name!r} appears twice")
        chain.append(Backend(name))
    if Backend.NONE in chain and len(chain) > 1:
        raise ConfigError("TRANSLATOR: 'none' means no translation; it cannot be in a chain")
    return tuple(chain)


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(ValueError):
    """A setting the operator must fix; the message names the variable and what it expects."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    telegram_bot_token: str = field(default="", repr=False)
    telegram_base_url: str = "https://api.telegram.org/bot"
    database_path: Path = Path("data/bot.sqlite3")
    arxiv_rss_url: str = "https://rss.arxiv.org/rss/"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    translator: str = "google"  # a chain, first choice first: "google,libre"
    translate_to: str = "zh-CN"
    libretranslate_url: str = ""
    libre_api_key: str = field(default="", repr=False)
    deepl_api_key: str = field(default="", repr=False)
    google_translate_url: str = ""
    deepl_url: str = ""  # DeepL's server (empty: chosen by the key, free or pro)
    default_timezone: str = "Asia/Shanghai"
    default_delivery_time: str = "09:00"
    admin_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    llm_base_url: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_model: str = ""
    # Tokens (prompt + completion) the `llm` backend may use per UTC day; None: no budget.
    llm_daily_tokens: int | None = None
    # Webhook mode: the secret Telegram sends back (empty: generated once and kept in the
    # database), and where the webhook server listens (a TLS proxy forwards to it).
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    # Prometheus /metrics and /healthz: off (None) unless METRICS_PORT is set; loopback by
    # default, since the numbers describe the bot's users to whoever can reach the port.
    metrics_port: int | None = None
    metrics_listen: str = "127.0.0.1"
    log_format: str = "text"  # "json": one JSON object a line, for log collectors
    # Webhook mode's public URL, served by `run` when set (`--webhook` wins); `doctor` compares
    # it with the URL Telegram has registered. Empty: long polling.
    webhook_url: str = ""
    # Days of papers, listings and translations kept (saved, voted and queued papers always);
    # None: RETENTION_DAYS=off, nothing is pruned.
    retention_days: int | None = 90

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields changed (the CLI's `--translator`, tests)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file: `KEY=value` lines, `#` comments, optional quotes, `export ` prefix."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    if path.stat().st_mode & 0o077:
        # It holds the bot token: other users of the machine must not read it.
        log.warning("%s is readable by other users; run: chmod 600 %s", path, path)
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def _admin_ids(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError as exc:
            raise ConfigError(f"ADMIN_IDS: {part!r} is not a Telegram user id (a number)") from exc
    return frozenset(ids)


def _webhook_secret(raw: str) -> str:
    # The value is a secret: the error says what is wrong with it, never what it is.
    if not raw or WEBHOOK_SECRET_PATTERN.match(raw):
        return raw
    problem = (
        f"it is {len(raw)} characters long"
        if len(raw) > 256
        else "it has other characters (spaces, punctuation or non-ASCII letters)"
    )
    raise ConfigError(
        f"WEBHOOK_SECRET: Telegram takes 1-256 characters of A-Z a-z 0-9 _ -; {problem}"
    )


def _port(name: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"{name}: {raw!r} is not a TCP port (1-65535)")
    return int(raw)


def _webhook_url(raw: str) -> str:
    parts = urlsplit(raw)
    if raw and (parts.scheme not in ("https", "http") or not parts.hostname):
        raise ConfigError(
            f"WEBHOOK_URL: {raw!r} is not the public URL Telegram posts to, such as "
            "https://bot.example.org/telegram"
        )
    return raw


def _log_level(raw: str) -> str:
    # logging falls back to INFO on a name it does not know: a typo would pass unnoticed.
    level = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(raw.upper(), raw.upper())
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: {raw!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def _metrics_port(raw: str) -> int | None:
    # Empty (the default) or "off" leaves the metrics server off.
    return None if raw.lower() in ("", "off") else _port("METRICS_PORT", raw)


def _log_format(raw: str) -> str:
    # A typo must not silently fall back to text, which a log collector would fail to parse.
    value = raw.strip().lower()
    if value not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT: {raw!r} is not one of {', '.join(LOG_FORMATS)}")
    return value


def _daily_tokens(raw: str) -> int | None:
    # Unset means no budget; zero would silently switch the backend off, so it is refused.
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"LLM_DAILY_TOKENS: {raw!r} is not a positive number of tokens")
    return int(raw)


def _retention_days(raw: str) -> int | None:
    # 0 would prune every paper but the latest day's: too easy a typo for "keep everything".
    if raw.lower() == "off":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            f"RETENTION_DAYS: {raw!r} is not a number of days (1 or more), "
            "or off to keep everything"
        )
    return int(raw)


def _translate_to(raw: str) -> str:
    code = languages.spellings().get(raw.strip().replace("_", "-").lower())
    if code is None:
        raise ConfigError(
            f"TRANSLATE_TO: {raw!r} is not a language code the bot knows (e.g. zh-CN, en, ja, de)"
        )
    return code


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Build the settings; the process environment wins over `.env`. Raises ConfigError."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)

    def get(name: str, default: str) -> str:
        value = env.get(name, "").strip()
        return value or default

    defaults = Settings()
    # Kept as the normalised list (`google,libre`); the translation service reads the chain.
    chain = parse_translators(get("TRANSLATOR", defaults.translator))
    if Backend.DEEPL in chain and not get("DEEPL_API_KEY", ""):
        raise ConfigError("TRANSLATOR: 'deepl' needs DEEPL_API_KEY")
    if Backend.LLM in chain and not (get("LLM_BASE_URL", "") and get("LLM_MODEL", "")):
        raise ConfigError("TRANSLATOR: 'llm' needs LLM_BASE_URL and LLM_MODEL")
    translator = ",".join(chain)
    timezone = get("DEFAULT_TIMEZONE", defaults.default_timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"DEFAULT_TIMEZONE: {timezone!r} is not an IANA time zone") from exc
    delivery_time = get("DEFAULT_DELIVERY_TIME", defaults.default_delivery_time)
    if not _TIME.match(delivery_time):
        raise ConfigError(f"DEFAULT_DELIVERY_TIME: {delivery_time!r} is not HH:MM")
    rss_url = get("ARXIV_RSS_URL", defaults.arxiv_rss_url)
    return Settings(
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN", ""),
        telegram_base_url=get("TELEGRAM_BASE_URL", defaults.telegram_base_url),
        database_path=Path(get("DATABASE_PATH", str(defaults.database_path))),
        arxiv_rss_url=rss_url if rss_url.endswith("/") else rss_url + "/",
        arxiv_api_url=get("ARXIV_API_URL", defaults.arxiv_api_url),
        translator=translator,
        translate_to=_translate_to(get("TRANSLATE_TO", defaults.translate_to)),
        libretranslate_url=get("LIBRETRANSLATE_URL", ""),
        libre_api_key=get("LIBRE_API_KEY", ""),
        deepl_api_key=get("DEEPL_API_KEY", ""),
        google_translate_url=get("GOOGLE_TRANSLATE_URL", ""),
        deepl_url=get("DEEPL_SERVER_URL", ""),
        default_timezone=timezone,
        default_delivery_time=delivery_time,
        admin_ids=_admin_ids(env.get("ADMIN_IDS", "")),
        log_level=_log_level(get("LOG_LEVEL", defaults.log_level)),
        llm_base_url=get("LLM_BASE_URL", ""),
        llm_api_key=get("LLM_API_KEY", ""),
        llm_model=get("LLM_MODEL", ""),
        llm_daily_tokens=_daily_tokens(get("LLM_DAILY_TOKENS", "")),
        webhook_secret=_webhook_secret(get("WEBHOOK_SECRET", "")),
        webhook_listen=get("WEBHOOK_LISTEN", defaults.webhook_listen),
        webhook_port=_port("WEBHOOK_PORT", get("WEBHOOK_PORT", str(defaults.webhook_port))),
        metrics_port=_metrics_port(get("METRICS_PORT", "")),
        metrics_listen=get("METRICS_LISTEN", defaults.metrics_listen),
        log_format=_log_format(get("LOG_FORMAT", defaults.log_format)),
        webhook_url=_webhook_url(get("WEBHOOK_URL", "")),
        retention_days=_retention_days(get("RETENTION_DAYS", str(defaults.retention_days))),
    )
