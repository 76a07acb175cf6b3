"""arXiv identifiers in every form people paste."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sources.ids import InvalidArxivId, find_arxiv_id, is_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2403.11083", ("2403.11083", None)),
        ("2403.11083v2", ("2403.11083", 2)),
        ("arXiv:2403.11083v2", ("2403.11083", 2)),
        ("ARXIV:2403.11083", ("2403.11083", None)),
        ("1412.0001", ("1412.0001", None)),
        ("0704.0001v1", ("0704.0001", 1)),
        ("hep-th/9901001v1", ("hep-th/9901001", 1)),
        ("math.GT/0309136", ("math/0309136", None)),
        ("cond-mat/0102536v3", ("cond-mat/0102536", 3)),
        ("https://arxiv.org/abs/2403.11083v2", ("2403.11083", 2)),
        ("http://arxiv.org/pdf/2403.11083v2.pdf", ("2403.11083", 2)),
        ("https://arxiv.org/pdf/2403.11083", ("2403.11083", None)),
        ("https://arxiv.org/abs/hep-th/9901001", ("hep-th/9901001", None)),
        ("oai:arXiv.org:2403.11083v1", ("2403.11083", 1)),
        ("  2403.11083 \n", ("2403.11083", None)),
    ],
)
def test_every_surface_form(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(text) == expected
    assert is_arxiv_id(text)


@pytest.mark.parametrize(
    "text", ["", "2413.11083", "2403.1108", "hello", "2403.11083x", "cs.CV", "arXiv:", "12345.6789"]
)
def test_rejects_what_is_not_an_id(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)
    assert not is_arxiv_id(text)


def test_find_in_free_text() -> None:
    assert find_arxiv_id("see arXiv:2403.11083v2, it is great") == ("2403.11083", 2)
    assert find_arxiv_id("old one hep-th/9901001 here") == ("hep-th/9901001", None)
    assert find_arxiv_id("version 12403.110834 is not") is None
    assert find_arxiv_id("nothing") is None


@given(
    st.integers(15, 26),
    st.integers(1, 12),
    st.integers(1, 99999),
    st.none() | st.integers(1, 30),
)
def test_new_style_ids_round_trip_through_every_form(
    year: int, month: int, number: int, version: int | None
) -> None:
    base = f"{year:02d}{month:02d}.{number:05d}"
    suffix = f"v{version}" if version else ""
    for form in (
        base + suffix,
        f"arXiv:{base}{suffix}",
        f"https://arxiv.org/abs/{base}{suffix}",
        f"https://arxiv.org/pdf/{base}{suffix}.pdf",
        f"oai:arXiv.org:{base}{suffix}",
    ):
        assert parse_arxiv_id(form) == (base, version)
