"""What people type for /lang, /time and /timezone, and the replies for near misses."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat_settings import SettingError, parse_language, parse_time, parse_timezone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("zh-cn", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("Chinese", "zh-CN"),
        ("中文", "zh-CN"),
        ("zh-TW", "zh-TW"),
        ("ja", "ja"),
        ("EN", "en"),
        ("german", "de"),
    ],
)
def test_languages(typed: str, stored: str) -> None:
    assert parse_language(typed) == stored


def test_language_near_miss_suggests() -> None:
    with pytest.raises(SettingError) as caught:
        parse_language("germn")
    assert "de" in caught.value.suggestions


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("8:30", "08:30"),
        ("08:30", "08:30"),
        ("8", "08:00"),
        ("8pm", "20:00"),
        ("12am", "00:00"),
        ("20.15", "20:15"),
        ("23:59", "23:59"),
        ("7：05", "07:05"),
    ],
)
def test_times(typed: str, stored: str) -> None:
    assert parse_time(typed) == stored


@pytest.mark.parametrize("typed", ["25:00", "8:60", "noon", "", "13pm", "-1"])
def test_bad_times(typed: str) -> None:
    with pytest.raises(SettingError):
        parse_time(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("Shanghai", "Asia/Shanghai"),
        ("+8", "Etc/GMT-8"),
        ("UTC-5", "Etc/GMT+5"),
        ("UTC+05:00", "Etc/GMT-5"),
        ("UTC", "UTC"),
        ("+0", "UTC"),
    ],
)
def test_timezones(typed: str, stored: str) -> None:
    assert parse_timezone(typed) == stored


def test_timezone_near_miss_suggests() -> None:
    with pytest.raises(SettingError) as caught:
        parse_timezone("Europe/Berln")
    assert caught.value.suggestions[0] == "Europe/Berlin"
    with pytest.raises(SettingError):
        parse_timezone("+15")


@given(st.text(max_size=30))
def test_parsers_raise_only_setting_errors(text: str) -> None:
    for parse in (parse_language, parse_time, parse_timezone):
        with contextlib.suppress(SettingError):
            parse(text)
