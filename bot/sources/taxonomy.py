"""arXiv's category taxonomy: validation, aliases, whole archives, suggestions, browsing.

The data (`taxonomy.json`) is arXiv's own definitions (arXiv/arxiv-base, MIT License, Copyright
Cornell University). arXiv lists some categories under two names (`cs.SY` = `eess.SY`): the
aliases map goes from the alias to the canonical name, as in arXiv's definitions, and a paper
listed under either name matches a subscription to either.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Category:
    """One category, e.g. `cs.CV` "Computer Vision and Pattern Recognition"."""

    code: str
    name: str
    archive: str
    active: bool


@dataclass(frozen=True)
class Archive:
    """An archive (`cs`, `math`, `hep-th`) and its categories."""

    code: str
    name: str
    group: str
    categories: tuple[str, ...]
    active: bool


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


class Taxonomy:
    """Lookups over the taxonomy data; build it once with `get_taxonomy()`."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._categories = {
            code: Category(code, item["name"], item["archive"], bool(item["active"]))
            for code, item in data["categories"].items()
        }
        self._aliases: dict[str, str] = dict(data["aliases"])
        self._subsumed: dict[str, str] = dict(data["archives_subsumed"])
        members: dict[str, list[str]] = {}
        for category in self._categories.values():
            members.setdefault(category.archive, []).append(category.code)
        self._archives = {
            code: Archive(
                code,
                item["name"],
                item.get("group") or "",
                tuple(sorted(members.get(code, []))),
                bool(item["active"]),
            )
            for code, item in data["archives"].items()
        }
        self._groups = {code: item["name"] for code, item in data["groups"].items()}
        self._folded = {code.casefold(): code for code in (*self._categories, *self._archives)}
        self._folded.update({alias.casefold(): alias for alias in self._aliases})
        # Aliases both ways: a canonical code and every alias of it name one category.
        self._equivalents: dict[str, set[str]] = {}
        for alias, canonical in self._aliases.items():
            group = self._equivalents.setdefault(canonical, {canonical})
            group.add(alias)
            self._equivalents[alias] = group

    def category(self, code: str) -> Category | None:
        """The category with this exact code (an alias gives its own entry when arXiv has one)."""
        return self._categories.get(code)

    def archive(self, code: str) -> Archive | None:
        """The archive with this exact code."""
        return self._archives.get(code)

    def is_archive(self, code: str) -> bool:
        """Whether `code` names a whole archive (`cs`), which subscribes to all its categories."""
        archive = self._archives.get(code)
        return archive is not None and len(archive.categories) > 1

    def canonical(self, code: str) -> str | None:
        """The code arXiv uses for what the user typed (case-insensitive), or None if unknown.

        Aliases resolve to their canonical name, retired archives to their successor.
        """
        found = self._folded.get(code.strip().casefold())
        if found is None:
            return None
        found = self._aliases.get(found, found)
        if found in self._subsumed and not self.is_archive(found):
            return self._subsumed[found]
        return found

    def equivalents(self, code: str) -> frozenset[str]:
        """Every code naming the same category as `code` (itself included)."""
        return frozenset(self._equivalents.get(code, {code}))

    def categories_in(self, archive: str) -> tuple[str, ...]:
        """The active categories of an archive, sorted."""
        found = self._archives.get(archive)
        if found is None:
            return ()
        return tuple(c for c in found.categories if self._categories[c].active)

    def expand(self, codes: Iterable[str]) -> frozenset[str]:
        """All category codes (aliases included) that subscriptions to `codes` cover.

        An archive covers all its categories, retired ones too, and its own bare code, which
        old-style ids and old feeds use (`hep-th`).
        """
        covered: set[str] = set()
        for raw in codes:
            code = self.canonical(raw) or raw
            covered.add(code)
            if self.is_archive(code):
                covered.update(self._archives[code].categories)
            for retired, successor in self._subsumed.items():
                if successor == code or (self.is_archive(code) and successor.startswith(code)):
                    covered.add(retired)
        for code in list(covered):
            covered.update(self.equivalents(code))
        return frozenset(covered)

    def suggest(self, code: str, n: int = 3) -> list[str]:
        """Close matches for a mistyped code, best first (`cs.CVV` → `cs.CV`); may be empty."""
        text = code.strip()
        if not text:
            return []
        active = [c for c in self._categories.values() if c.active]
        pool = {c.code: c for c in active}
        squashed = {_squash(c.code): c.code for c in active}
        squashed.update(
            {_squash(a.code): a.code for a in self._archives.values() if self.is_archive(a.code)}
        )
        found: list[str] = []
        exact = squashed.get(_squash(text))
        if exact:
            found.append(exact)
        for close in difflib.get_close_matches(_squash(text), list(squashed), n=n, cutoff=0.75):
            found.append(squashed[close])
        names: dict[str, list[str]] = {}
        for category in sorted(pool.values(), key=lambda c: (c.archive != "cs", c.code)):
            names.setdefault(category.name.casefold(), []).append(category.code)
        if len(text) >= 4:
            for name, codes in names.items():
                if text.casefold() in name:
                    found.extend(codes)
        for close in difflib.get_close_matches(text.casefold(), list(names), n=n, cutoff=0.6):
            found.extend(names[close])
        if not found:
            everything = {_squash(c): c for c in self._categories}
            for close in difflib.get_close_matches(_squash(text), list(everything), n=n):
                found.append(everything[close])
        unique = [c for c in dict.fromkeys(found) if c.casefold() != text.casefold()]
        return unique[:n]

    def validate(self, codes: Iterable[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
        """Split user input into canonical valid codes and (invalid input, suggestions)."""
        valid: list[str] = []
        invalid: list[tuple[str, list[str]]] = []
        for raw in codes:
            if not raw.strip():
                continue
            canonical = self.canonical(raw)
            if canonical is None:
                invalid.append((raw, self.suggest(raw)))
            elif canonical not in valid:
                valid.append(canonical)
        return valid, invalid

    def archives(self) -> list[Archive]:
        """Active archives with several categories, for the browser, in display order."""
        return sorted(
            (a for a in self._archives.values() if a.active and self.categories_in(a.code)),
            key=lambda a: (a.group, a.code),
        )

    def groups(self) -> list[tuple[str, list[str]]]:
        """(group name, archive codes) for the browser's first level."""
        by_group: dict[str, list[str]] = {}
        for archive in self.archives():
            by_group.setdefault(archive.group, []).append(archive.code)
        return [(self._groups.get(g, g), codes) for g, codes in sorted(by_group.items())]

    def display_name(self, code: str) -> str:
        """`cs.CV — Computer Vision and Pattern Recognition`; unknown codes are returned as is."""
        category = self._categories.get(code)
        if category is not None and (category.archive != code or not self.is_archive(code)):
            return f"{code} — {category.name}"
        archive = self._archives.get(code)
        return f"{code} — {archive.name}" if archive else code


@cache
def get_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package, loaded once."""
    text = resources.files("bot.sources").joinpath("taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy(json.loads(text))
