"""The category taxonomy: arXiv's own data, aliases, archives, and "did you mean"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sources.taxonomy import get_taxonomy

T = get_taxonomy()


def test_data_is_complete_and_attributed() -> None:
    import json
    from importlib import resources

    data = json.loads(resources.files("bot.sources").joinpath("taxonomy.json").read_text())
    assert "Cornell University" in data["license"] and "arxiv-base" in data["source"]
    assert len(data["categories"]) == 185
    assert sum(1 for c in data["categories"].values() if c["active"]) == 155


def test_names_and_archives() -> None:
    category = T.category("cs.CV")
    assert category is not None and category.name == "Computer Vision and Pattern Recognition"
    assert {"cs.CV", "cs.LG"} <= set(T.categories_in("cs"))
    assert T.is_archive("cs") and T.is_archive("physics") and T.is_archive("math")
    assert not T.is_archive("cs.CV") and not T.is_archive("hep-th")  # a one-category archive
    assert T.display_name("cs.CV") == "cs.CV — Computer Vision and Pattern Recognition"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("cs.CV", "cs.CV"),
        ("CS.cv", "cs.CV"),
        (" cs.LG ", "cs.LG"),
        ("cs.SY", "eess.SY"),  # alias → arXiv's canonical name
        ("math.MP", "math-ph"),
        ("stat.TH", "math.ST"),
        ("cmp-lg", "cs.CL"),  # retired archive → its successor
        ("cs", "cs"),
        ("hep-th", "hep-th"),
        ("physics", "physics"),
        ("physics.optics", "physics.optics"),
        ("cs.CVV", None),
        ("", None),
    ],
)
def test_canonical(typed: str, canonical: str | None) -> None:
    assert T.canonical(typed) == canonical


def test_alias_equivalence_both_ways() -> None:
    for alias, canonical in [("cs.SY", "eess.SY"), ("math.MP", "math-ph"), ("stat.TH", "math.ST")]:
        assert T.equivalents(alias) == T.equivalents(canonical) == {alias, canonical}
        assert {alias, canonical} <= T.expand([alias])
        assert {alias, canonical} <= T.expand([canonical])


def test_expanding_an_archive_covers_every_category_and_the_bare_code() -> None:
    covered = T.expand(["cs"])
    assert {"cs", "cs.CV", "cs.LG", "cs.SY", "eess.SY", "cmp-lg"} <= covered
    assert "stat.ML" not in covered
    physics = T.expand(["physics"])
    assert {"physics.optics", "physics.acc-ph", "acc-phys"} <= physics
    assert "hep-th" not in physics


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("cs.CVV", "cs.CV"),
        ("cs.LGG", "cs.LG"),
        ("csCV", "cs.CV"),
        ("computer vision", "cs.CV"),
        ("machine learning", "cs.LG"),
        ("hepth", "hep-th"),
    ],
)
def test_suggestions(typed: str, first: str) -> None:
    assert T.suggest(typed)[0] == first


def test_validate_splits_good_from_bad_with_suggestions() -> None:
    valid, invalid = T.validate(["cs.CV", "cs.CVV", "math", "cs.cv", "nonsense!!"])
    assert valid == ["cs.CV", "math"]
    assert invalid[0] == ("cs.CVV", ["cs.CV"])
    assert invalid[1][0] == "nonsense!!"


def test_every_active_category_is_reachable_from_the_browser() -> None:
    reachable = {
        code
        for _, archives in T.groups()
        for archive in archives
        for code in T.categories_in(archive)
    }
    singles = {a.code for a in T.archives()}
    all_active = {
        c
        for a in [T.archive(x) for x in T._archives]
        if a
        for c in a.categories
        if T.category(c) and T.category(c).active
    }  # type: ignore[union-attr]
    missing = all_active - reachable
    # One-category archives (hep-th, gr-qc, ...) are subscribed as a category, not browsed into.
    assert all(not T.is_archive(T.category(c).archive) for c in missing)  # type: ignore[union-attr]
    assert singles


@given(st.text(max_size=40))
def test_suggest_never_raises_and_only_suggests_real_codes(text: str) -> None:
    for code in T.suggest(text):
        assert T.category(code) is not None or T.archive(code) is not None


def test_canonical_of_every_code_is_a_category_or_archive() -> None:
    for code in [*T._categories, *T._aliases]:
        canonical = T.canonical(code)
        assert canonical is not None
        assert T.category(canonical) is not None or T.archive(canonical) is not None
