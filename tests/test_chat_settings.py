"""What people type for /lang, /time and /timezone, and the replies for near misses."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import places
from bot.chat_settings import (
    SettingError,
    daylight_saving,
    offset_label,
    parse_language,
    parse_time,
    parse_timezone,
    resolve_timezone,
    zone_label,
)


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
        ("08.30", "08:30"),
        ("0830", "08:30"),
        ("8:30 pm", "20:30"),
        ("8 p.m.", "20:00"),
        ("20h", "20:00"),
        ("20h30", "20:30"),
        ("20:00", "20:00"),
        ("８：３０", "08:30"),
        ("0:00", "00:00"),
    ],
)
def test_times(typed: str, stored: str) -> None:
    assert parse_time(typed) == stored


@pytest.mark.parametrize(
    "typed", ["25:00", "24:00", "8:60", "noon", "", "13pm", "-1", "2400", "8:", "0pm", "12345"]
)
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
        ("UTC+8", "Etc/GMT-8"),
        ("utc + 8", "Etc/GMT-8"),
        ("GMT-5", "Etc/GMT+5"),
        ("+05:30", "Asia/Kolkata"),
        ("UTC+5:45", "Asia/Kathmandu"),
        ("beijing", "Asia/Shanghai"),
        ("  BEIJING ", "Asia/Shanghai"),
        ("北京", "Asia/Shanghai"),
        ("上海", "Asia/Shanghai"),
        ("东京", "Asia/Tokyo"),
        ("Tokyo", "Asia/Tokyo"),
        ("new york", "America/New_York"),
        ("NewYork", "America/New_York"),
        ("London", "Europe/London"),
        ("Paris", "Europe/Paris"),
        ("Sydney", "Australia/Sydney"),
        ("Singapore", "Asia/Singapore"),
        ("Hong Kong", "Asia/Hong_Kong"),
        ("Taipei", "Asia/Taipei"),
        ("Seoul", "Asia/Seoul"),
        ("Los Angeles", "America/Los_Angeles"),
        ("San Francisco", "America/Los_Angeles"),
        ("Boston", "America/New_York"),
        ("Toronto", "America/Toronto"),
        ("China", "Asia/Shanghai"),
        ("Japan", "Asia/Tokyo"),
        ("Germany", "Europe/Berlin"),
        ("India", "Asia/Kolkata"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("Ulaanbaatar", "Asia/Ulaanbaatar"),
        ("EST", "America/New_York"),
        ("edt", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("PDT", "America/Los_Angeles"),
        ("CET", "Europe/Berlin"),
        ("CEST", "Europe/Berlin"),
        ("BST", "Europe/London"),
        ("JST", "Asia/Tokyo"),
        ("IST", "Asia/Kolkata"),
        ("Etc/GMT-8", "Etc/GMT-8"),
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


def test_beijing_is_never_berlin() -> None:
    for typed in ("beijing", "Beijing", "BEIJING", "bei jing", "Peking"):
        assert parse_timezone(typed) == "Asia/Shanghai"
    with pytest.raises(SettingError) as caught:
        parse_timezone("bejing")  # a typo: the closest place comes first
    assert caught.value.suggestions[0] == "Asia/Shanghai"


def test_cst_is_china_for_a_chinese_reader_and_us_central_otherwise() -> None:
    chinese = resolve_timezone("CST", "zh")
    assert (chinese.zone, chinese.alternatives) == ("Asia/Shanghai", ("America/Chicago",))
    english = resolve_timezone("cst", "en")
    assert (english.zone, english.alternatives) == ("America/Chicago", ("Asia/Shanghai",))
    assert english.abbreviation == "CST"


def test_abbreviations_follow_daylight_saving() -> None:
    assert daylight_saving(parse_timezone("EST"), 2026) == ("UTC-5", "UTC-4")
    assert daylight_saving(parse_timezone("CET"), 2026) == ("UTC+1", "UTC+2")
    assert daylight_saving(parse_timezone("JST"), 2026) is None
    assert daylight_saving("Etc/GMT-8", 2026) is None


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Etc/GMT-8", "UTC+8"),
        ("Etc/GMT+5", "UTC-5"),
        ("Etc/GMT-14", "UTC+14"),
        ("Etc/UTC", "UTC"),
        ("UTC", "UTC"),
        ("Asia/Shanghai", "Asia/Shanghai"),
    ],
)
def test_offsets_are_shown_with_the_sign_people_mean(zone: str, shown: str) -> None:
    assert zone_label(zone) == shown


def test_offset_labels() -> None:
    assert [offset_label(m) for m in (480, 330, -300, -570, 0)] == [
        "UTC+8",
        "UTC+5:30",
        "UTC-5",
        "UTC-9:30",
        "UTC",
    ]


def test_a_half_hour_offset_that_no_zone_keeps_all_year_names_the_place() -> None:
    with pytest.raises(SettingError) as caught:
        parse_timezone("-03:30")
    assert "America/St_Johns" in caught.value.suggestions


def test_every_zone_in_the_tables_exists() -> None:
    from zoneinfo import available_timezones

    known = available_timezones()
    named = set(places.places().values())
    named |= {a.zone for a in places.ABBREVIATIONS.values()}
    named |= {z for a in places.ABBREVIATIONS.values() for z in a.alternatives}
    named |= {z for zones in places.COUNTRY_ALTERNATIVES.values() for z in zones}
    named |= set(places.FIXED_OFFSET_ZONES.values())
    assert named - known == set()


@given(st.integers(min_value=-12, max_value=14), st.sampled_from(["", "UTC", "GMT", "utc "]))
def test_every_whole_hour_offset_round_trips_to_its_label(hours: int, prefix: str) -> None:
    typed = f"{prefix}{'+' if hours >= 0 else '-'}{abs(hours)}"
    assert zone_label(parse_timezone(typed)) == offset_label(hours * 60)


@given(st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_every_time_of_day_round_trips(hour: int, minute: int) -> None:
    for typed in (f"{hour}:{minute:02d}", f"{hour:02d}.{minute:02d}", f"{hour:02d}{minute:02d}"):
        assert parse_time(typed) == f"{hour:02d}:{minute:02d}"


@given(st.text(max_size=30) | st.from_regex(r"(UTC|GMT)?\s*[+-]?\d{1,3}([:.h]\d{1,3})?"))
def test_parsers_give_a_value_or_a_clear_error(text: str) -> None:
    for parse in (parse_language, parse_time, parse_timezone):
        with contextlib.suppress(SettingError):
            assert parse(text)
    with contextlib.suppress(SettingError):
        choice = resolve_timezone(text, "zh")
        assert choice.shown and "Etc/" not in choice.shown
