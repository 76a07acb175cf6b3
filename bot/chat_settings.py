"""Parsing what people type for their settings: languages, times, time zones. Pure functions.

Each returns the value to store, or raises `SettingError` with suggestions for a near miss.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot import languages


class SettingError(ValueError):
    """A value the user can fix; `suggestions` holds close valid values."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


def parse_language(text: str) -> str:
    """`zh-cn`, `Chinese`, `中文` → `zh-CN`; `ja` → `ja` (bot.languages knows the spellings)."""
    value = text.strip().replace("_", "-")
    known = languages.spellings()
    found = known.get(value.lower())
    if found:
        return found
    close = difflib.get_close_matches(value.lower(), list(known), n=3, cutoff=0.6)
    raise SettingError(f"unknown language {value!r}", sorted({known[c] for c in close}))


_TIME = re.compile(r"^(\d{1,2})(?:[:.h：](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


def parse_time(text: str) -> str:
    """`8:30`, `08:30`, `8`, `8pm`, `20.15` → `HH:MM` (24-hour)."""
    match = _TIME.match(text.strip())
    if not match:
        raise SettingError(f"not a time: {text.strip()!r}")
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3]:
        if not 1 <= hour <= 12:
            raise SettingError(f"not a time: {text.strip()!r}")
        hour = hour % 12 + (12 if match[3].lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        raise SettingError(f"not a time: {text.strip()!r}")
    return f"{hour:02d}:{minute:02d}"


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(00))?$", re.IGNORECASE)


@cache
def _zones() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def parse_timezone(text: str) -> str:
    """An IANA name (any case: `europe/berlin`), `UTC`, or an offset `+8` / `UTC-5`."""
    value = text.strip().replace(" ", "_")
    if not value:
        raise SettingError("no time zone given")
    offset = _OFFSET.match(value.replace("_", ""))
    if offset:
        hours = int(offset[2])
        if hours > 14:
            raise SettingError(f"no such UTC offset: {value!r}")
        if hours == 0:
            return "UTC"
        # IANA's Etc/GMT zones have the sign inverted: UTC+8 is Etc/GMT-8.
        return f"Etc/GMT{'-' if offset[1] == '+' else '+'}{hours}"
    found = _zones().get(value.lower())
    if found:
        try:
            ZoneInfo(found)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return found
    by_city = {zone.rsplit("/", 1)[-1].lower(): zone for zone in _zones().values()}
    if value.lower() in by_city:
        return by_city[value.lower()]
    close = difflib.get_close_matches(value.lower(), list(_zones()), n=3, cutoff=0.6)
    close += [by_city[c] for c in difflib.get_close_matches(value.lower(), list(by_city), n=3)]
    suggestions = list(dict.fromkeys(_zones().get(c, c) for c in close))[:3]
    raise SettingError(f"unknown time zone {value!r}", suggestions)
