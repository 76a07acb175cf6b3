"""Settings from the environment and `.env`: defaults, precedence, clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings, read_dotenv


def test_defaults_are_the_contract(tmp_path: Path) -> None:
    settings = load_settings({}, dotenv=tmp_path / "missing.env")
    assert settings == Settings()
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.arxiv_rss_url == "https://rss.arxiv.org/rss/"
    assert settings.translator == "google"
    assert settings.translate_to == "zh-CN"
    assert settings.default_timezone == "Asia/Shanghai"
    assert settings.default_delivery_time == "09:00"


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\n"
        "export TELEGRAM_BOT_TOKEN='123:abc'\n"
        'TRANSLATOR="libre"\n'
        "ADMIN_IDS=1, 2,3\n"
        "ARXIV_RSS_URL=http://127.0.0.1:9/rss  # no trailing slash\n"
        "garbage line\n",
        encoding="utf-8",
    )
    settings = load_settings({"TRANSLATOR": "none"}, dotenv=dotenv)
    assert settings.telegram_bot_token == "123:abc"
    assert settings.translator == "none"
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert settings.arxiv_rss_url == "http://127.0.0.1:9/rss/"


def test_token_and_keys_never_appear_in_repr() -> None:
    settings = Settings(telegram_bot_token="123:SECRET", llm_api_key="sk-SECRET")
    assert "SECRET" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRANSLATOR": "babel"}, "TRANSLATOR"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE"),
        ({"DEFAULT_DELIVERY_TIME": "25:00"}, "DEFAULT_DELIVERY_TIME"),
        ({"ADMIN_IDS": "alice"}, "ADMIN_IDS"),
        ({"WEBHOOK_PORT": "84430"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_PORT": "https"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_URL": "bot.example.org/hook"}, "WEBHOOK_URL"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"TRANSLATE_TO": "klingon-x"}, "TRANSLATE_TO"),
        ({"METRICS_PORT": "9100x"}, "METRICS_PORT"),
        ({"METRICS_PORT": "0"}, "METRICS_PORT"),
        ({"LOG_FORMAT": "yaml"}, "LOG_FORMAT"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env, dotenv=tmp_path / "none")


def test_webhook_settings_and_their_defaults(tmp_path: Path) -> None:
    defaults = load_settings({}, dotenv=tmp_path / "none")
    assert (defaults.webhook_secret, defaults.webhook_listen, defaults.webhook_port) == (
        "",
        "0.0.0.0",
        8443,
    )
    env = {"WEBHOOK_SECRET": "A-z_09" * 40, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": "88"}
    settings = load_settings(env, dotenv=tmp_path / "none")
    assert settings.webhook_secret == "A-z_09" * 40
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 88)
    assert "A-z_09" not in repr(settings)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [("x" * 257, "257 characters long"), ("has space", "other characters"), ("секрет", "other")],
)
def test_a_bad_webhook_secret_is_named_but_never_echoed(
    secret: str, problem: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"WEBHOOK_SECRET": secret}, dotenv=tmp_path / "none")
    message = str(error.value)
    assert message.startswith("WEBHOOK_SECRET: ") and problem in message
    assert "\n" not in message and secret not in message and "A-Z a-z 0-9 _ -" in message


def test_read_dotenv_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_dotenv(tmp_path / "nope") == {}


def test_a_dotenv_readable_by_others_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("TELEGRAM_BOT_TOKEN=123:SECRET\n")
    dotenv.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="bot.config"):
        assert read_dotenv(dotenv)["TELEGRAM_BOT_TOKEN"] == "123:SECRET"
    assert "chmod 600" in caplog.text and "SECRET" not in caplog.text
    caplog.clear()
    dotenv.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="bot.config"):
        read_dotenv(dotenv)
    assert caplog.text == ""


def test_log_level_and_language_spellings_are_normalised(tmp_path: Path) -> None:
    settings = load_settings(
        {"LOG_LEVEL": "warn", "TRANSLATE_TO": "zh_cn"}, dotenv=tmp_path / "none"
    )
    assert settings.log_level == "WARNING"
    assert settings.translate_to == "zh-CN"


def test_metrics_are_off_unless_a_port_is_given(tmp_path: Path) -> None:
    defaults = load_settings({}, dotenv=tmp_path / "none")
    assert (defaults.metrics_port, defaults.metrics_listen, defaults.log_format) == (
        None,
        "127.0.0.1",
        "text",
    )
    assert load_settings({"METRICS_PORT": "off"}, dotenv=tmp_path / "none").metrics_port is None
    chosen = load_settings(
        {"METRICS_PORT": "9100", "METRICS_LISTEN": "0.0.0.0", "LOG_FORMAT": "JSON"},
        dotenv=tmp_path / "none",
    )
    assert (chosen.metrics_port, chosen.metrics_listen, chosen.log_format) == (
        9100,
        "0.0.0.0",
        "json",
    )
