"""Parsing what people type for their settings: languages, times, time zones. Pure functions.

Each returns the value to store, or raises `SettingError` with suggestions for a near miss.
People type what they say aloud (`8pm`, `Beijing`, `EST`, `+8`), so that is what is accepted;
offsets are shown as `UTC+8`, never as the sign-inverted `Etc/GMT-8` stored for them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot import languages, places


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


# `8`, `8:30`, `08.30`, `20h`, `20h30`, `8点`, `0830`, each with an optional am/pm.
_TIME = re.compile(
    r"^(?:(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})|[h点时時](?P<hm>\d{2})?(?:分)?)?|(?P<hh>\d{1,2})(?P<mm>\d{2}))"
    r"\s*(?P<half>am|pm|a\.m\.|p\.m\.|a|p)?$",
    re.IGNORECASE | re.ASCII,
)


def _typed(text: str) -> str:
    """What was typed, with full-width digits and colons (８：３０) read as ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_time(text: str) -> str:
    """`8`, `8:30`, `08.30`, `0830`, `8pm`, `8:30 pm`, `20h`, `20:00` → `HH:MM` (24-hour)."""
    value = _typed(text)
    match = _TIME.match(value)
    if not match:
        raise SettingError(f"not a time: {value!r}")
    hour = int(match["h"] or match["hh"])
    minute = int(match["m"] or match["hm"] or match["mm"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise SettingError(f"not a 12-hour time: {value!r}")
        hour = hour % 12 + (12 if match["half"].lower().startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise SettingError(f"not a time of day: {value!r}")
    return f"{hour:02d}:{minute:02d}"


_OFFSET = re.compile(
    r"^(?:UTC|GMT|UT|Z)?([+-])(\d{1,2})(?:[:.]?(\d{2}))?$", re.IGNORECASE | re.ASCII
)
# An `Etc/GMT±N` name, whose sign is the reverse of the offset people mean.
_ETC = re.compile(r"^Etc/GMT([+-])(\d{1,2})$")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu", "Etc/UCT",
                        "UCT", "Etc/Universal", "Universal", "Etc/GMT0", "GMT0", "Etc/GMT+0",
                        "Etc/GMT-0", "Etc/Greenwich", "Greenwich"})  # fmt: skip


def offset_label(minutes: int) -> str:
    """`480` → `UTC+8`, `330` → `UTC+5:30`, `-300` → `UTC-5`, `0` → `UTC`."""
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str) -> str:
    """How a stored zone is shown: offsets as `UTC+8` (never `Etc/GMT-8`), the rest by name."""
    if zone in _UTC_NAMES:
        return "UTC"
    etc = _ETC.match(zone)
    if etc:
        # Etc/GMT-8 is eight hours ahead of UTC: the sign reads inverted.
        return offset_label((-1 if etc[1] == "+" else 1) * int(etc[2]) * 60)
    return zone


def _offsets_in_year(zone: str, year: int) -> tuple[int, int]:
    """The zone's UTC offset in minutes in mid-January and mid-July of `year`."""
    info = ZoneInfo(zone)

    def minutes(month: int) -> int:
        offset = datetime(year, month, 15, 12, tzinfo=UTC).astimezone(info).utcoffset()
        return int((offset or timedelta()).total_seconds() // 60)

    return minutes(1), minutes(7)


def daylight_saving(zone: str, year: int | None = None) -> tuple[str, str] | None:
    """The two offsets a zone switches between (`UTC-5`, `UTC-4`), or None when it keeps one."""
    winter, summer = _offsets_in_year(zone, year or datetime.now(UTC).year)
    if winter == summer:
        return None
    return offset_label(min(winter, summer)), offset_label(max(winter, summer))


@dataclass(frozen=True)
class ZoneChoice:
    """The zone to store for what was typed, and what the reply should tell about the choice.

    `shown` is the zone as the reader should see it; `abbreviation` is set when an abbreviation
    was read as a place's zone; `alternatives` are other zones the input can mean.
    """

    zone: str
    shown: str
    abbreviation: str = ""
    alternatives: tuple[str, ...] = ()
    fixed_offset: bool = False


@cache
def _zones() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


# IANA's areas of canonical zones; `US/Eastern`, `Canada/...` and the like are old aliases.
_AREAS = frozenset({"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe",
                    "Indian", "Pacific"})  # fmt: skip
# Longer than any place name: no lookup, no fuzzy matching of a pasted paragraph.
_LONGEST_NAME = 64


@cache
def _names() -> dict[str, str]:
    """Every place name accepted (as `places.place_key`) → its zone: each IANA zone's city
    part, then the table of common places, which wins where both name a place."""
    names: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if zone.split("/", 1)[0] in _AREAS and "/" in zone:
            names.setdefault(places.place_key(zone.rsplit("/", 1)[-1]), zone)
    names.update(places.places())
    return names


def _by_offset(sign: str, hours: int, minutes: int, value: str) -> ZoneChoice:
    total = (1 if sign == "+" else -1) * (hours * 60 + minutes)
    shown = offset_label(total)
    if minutes not in (0, 15, 30, 45) or not -12 * 60 <= total <= 14 * 60:
        raise SettingError(f"no such UTC offset: {value!r}")
    if minutes == 0:
        # IANA's Etc/GMT zones have the sign inverted: UTC+8 is Etc/GMT-8.
        zone = "UTC" if hours == 0 else f"Etc/GMT{'-' if total > 0 else '+'}{hours}"
        return ZoneChoice(zone, shown, fixed_offset=True)
    zone = places.FIXED_OFFSET_ZONES.get(total, "")
    if zone:
        return ZoneChoice(zone, f"{shown} ({zone})", fixed_offset=True)
    # No zone keeps this offset all year: name the places that use it for part of it.
    year = datetime.now(UTC).year
    seasonal = [z for z in sorted(_names().values()) if total in _offsets_in_year(z, year)]
    raise SettingError(f"no zone keeps {shown} all year", list(dict.fromkeys(seasonal))[:3])


def resolve_timezone(text: str, ui_language: str = "en") -> ZoneChoice:
    """What a person typed for their time zone → the zone to store and how to describe it.

    Accepts an IANA name in any case, a city or country (English or Chinese), an abbreviation
    (read as its place's zone, daylight saving included; CST is China's for a Chinese reader,
    US Central otherwise), or an offset (`+8`, `UTC+8`, `GMT-5`, `+05:30`).
    """
    value = " ".join(_typed(text).split())
    if not value:
        raise SettingError("no time zone given")
    if len(value) > _LONGEST_NAME:
        raise SettingError("not a time zone: too long")
    offset = _OFFSET.match(value.replace(" ", "").replace("\u2212", "-"))
    if offset:
        return _by_offset(offset[1], int(offset[2]), int(offset[3] or 0), value)
    abbreviation = places.ABBREVIATIONS.get(value.upper())
    if abbreviation is not None:
        zone = abbreviation.zone
        others = abbreviation.alternatives
        if ui_language == "zh" and abbreviation.zone_for_zh:
            zone, others = abbreviation.zone_for_zh, (abbreviation.zone,)
        return ZoneChoice(zone, zone_label(zone), value.upper(), others)
    key = places.place_key(value)
    place = _names().get(key)
    # A place before an IANA name: the IANA names a place name can equal (no "/") are old
    # aliases (`Japan`, `Singapore`, `PRC`) that a reader knows better as `Asia/Tokyo`.
    if place and _loads(place):
        return ZoneChoice(place, place, alternatives=places.COUNTRY_ALTERNATIVES.get(key, ()))
    found = _zones().get(value.replace(" ", "_").lower())
    if found and _loads(found):
        return ZoneChoice(found, zone_label(found), fixed_offset=zone_label(found) != found)
    close = difflib.get_close_matches(
        value.replace(" ", "_").lower(), list(_zones()), n=3, cutoff=0.75
    )
    suggestions = [_zones()[c] for c in close]
    suggestions += [_names()[c] for c in difflib.get_close_matches(key, list(_names()), n=3)]
    raise SettingError(f"unknown time zone {value!r}", list(dict.fromkeys(suggestions))[:3])


def _loads(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_timezone(text: str) -> str:
    """The zone to store for what was typed (see `resolve_timezone`)."""
    return resolve_timezone(text).zone
