"""Rendering: Telegram HTML within Telegram's rules, the Markdown export in the samples' shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from bot.arxiv_text import spans
from bot.match import build_digest
from bot.models import (
    AnnounceType,
    Digest,
    DigestEntry,
    Interests,
    Paper,
    PaperText,
    Reason,
    ReasonKind,
)
from bot.render.labels import labels
from bot.render.latex import latex_to_text
from bot.render.markdown import render_markdown
from bot.render.telegram import (
    MESSAGE_LIMIT,
    render_digest,
    render_entry,
    render_overview,
    render_text,
    telegram_length,
)
from bot.sources.fetch import load_feed_file
from tests.telegram_html import check_telegram_html

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"$\alpha$-stable laws", "α-stable laws"),
        (r"rank $M$ matrices", "rank M matrices"),
        (r"Poincar\'e inequality", "Poincaré inequality"),
        (r"\textbf{bold} claim", "bold claim"),
        (r"$x^2$ and $x_{i}$", "x² and xᵢ"),
        (r"$\mathcal{O}(n^3)$ time", "𝒪(n³) time"),
        (r"$\ell_1$ penalty", "ℓ₁ penalty"),
        (r"50\% of data", "50% of data"),
        ("plain_text with under_scores", "plain_text with under_scores"),
        ("a < b & c", "a < b & c"),
    ],
)
def test_latex_to_unicode(latex: str, text: str) -> None:
    assert latex_to_text(latex) == text


@given(st.text(alphabet=st.sampled_from(list("ab $\\{}^_%&<>αx12")), max_size=60))
def test_latex_never_raises(text: str) -> None:
    assert isinstance(latex_to_text(text), str)


def chinese(paper: Paper) -> PaperText:
    """A long 'translation' (two CJK characters per word) to stress the limits."""
    return PaperText(
        title="译" + paper.title,
        abstract="这是" * len(paper.abstract.split()) + "。",
        summary="一句话总结。",
        language="zh-CN",
    )


def test_every_fixture_entry_is_valid_telegram_html_within_the_limit() -> None:
    feed = load_feed_file(FIXTURES / "rss-current-stat.xml")
    digest = build_digest(
        feed.papers,
        Interests(frozenset({"stat"}), include_replacements=True),
        announced=feed.announced,
        cap=500,
    )
    assert len(digest.entries) == 45
    texts = {e.paper.arxiv_id: chinese(e.paper) for e in digest.entries}
    messages = render_digest(digest, texts, "zh-CN")
    assert len(messages) > 45  # the overview of 45 papers takes several messages
    for message in messages:
        assert check_telegram_html(message) is None, message[:200]
        assert telegram_length(message) <= MESSAGE_LIMIT


def worst_paper() -> Paper:
    abstract = " ".join(
        f"Sentence {i} has <tags> & $\\alpha_{{{i}}}$ math, \\textbf{{bold}} and a_b."
        for i in range(300)
    )
    return Paper(
        arxiv_id="2403.99999",
        version=3,
        title="A <b>title</b> & $\\beta$ " * 20,
        abstract=abstract,
        authors=tuple(f"Author {i} (Lab <{i}>, City & Co)" for i in range(300)),
        categories=("cs.CV", "cs.LG"),
        announce_type=AnnounceType.REPLACE_CROSS,
    )


def test_worst_case_entry_is_cut_at_boundaries_and_stays_valid() -> None:
    paper = worst_paper()
    entry = DigestEntry(paper, (Reason(ReasonKind.KEYWORD, "a <weird> & kw", "title"),))
    for text in (chinese(paper), PaperText(paper.title, paper.abstract, "", "zh-CN", False)):
        message = render_entry(entry, text, "zh-CN", 1)
        assert check_telegram_html(message) is None
        assert telegram_length(message) <= MESSAGE_LIMIT
        assert "&lt;b&gt;title&lt;/b&gt;" in message and "<b>title" not in message
        assert "… +292" in message  # 300 authors shortened
        assert "…</blockquote>" in message  # the abstract was shortened, visibly
        assert "新版本 v3" in message


def test_untranslated_entry_says_so_and_shows_the_abstract_once() -> None:
    paper = load_feed_file(FIXTURES / "rss-current-stat.xml").papers[0]
    entry = DigestEntry(paper, (Reason(ReasonKind.CATEGORY, "stat.ML"),))
    text = PaperText(paper.title, paper.abstract, "A summary.", "zh-CN", translated=False)
    message = render_entry(entry, text, "zh-CN", 1)
    assert labels("zh-CN").translation_unavailable in message
    assert message.count("<blockquote expandable>") == 1
    assert '<a href="https://arxiv.org/pdf/2603.91001">PDF</a>' in message
    assert "分类 stat.ML" in message


def test_overview_splits_at_entry_boundaries() -> None:
    paper = worst_paper()
    entries = tuple(
        DigestEntry(Paper(**{**paper.__dict__, "arxiv_id": f"2403.{i:05d}"}), ()) for i in range(20)
    )
    digest = Digest(announced=date(2024, 3, 26), entries=entries, total=35)
    texts = {e.paper.arxiv_id: chinese(e.paper) for e in entries}
    messages = render_overview(digest, texts, "en")
    assert len(messages) >= 2
    for message in messages:
        assert check_telegram_html(message) is None
    joined = "\n".join(messages)
    assert all(f"\n{i}. <a" in joined for i in range(1, 21))
    assert "15 more" in messages[-1]


def test_empty_digest_renders_a_short_note() -> None:
    digest = Digest(announced=date(2024, 3, 26), entries=(), total=0)
    assert render_overview(digest, {}, "en") == [
        "<b>arXiv digest · 2024-03-26 · 0 papers</b>\nNo new papers matched your subscriptions."
    ]
    assert "# Summary" in render_markdown(digest, {}, "en")
    assert "No new papers" in render_text(digest, {}, "en")


def assert_sendable(messages: list[str]) -> None:
    """What Telegram accepts: valid HTML, not empty, within 4,096 as Telegram counts."""
    assert messages
    for message in messages:
        assert check_telegram_html(message) is None, message[:300]
        assert 0 < telegram_length(message) <= MESSAGE_LIMIT


def lone_digest(paper: Paper, text: PaperText) -> list[str]:
    entry = DigestEntry(paper, (Reason(ReasonKind.KEYWORD, "anomaly", "title"),))
    digest = Digest(announced=date(2024, 3, 26), entries=(entry,), total=1)
    return render_digest(digest, {paper.arxiv_id: text}, "zh-CN")


def test_a_5100_character_title_still_renders_the_paper_within_the_limit() -> None:
    paper = Paper("2403.00001", 1, "Long " * 1020, "An abstract. " * 10, ("A",), ("cs.CV",))
    messages = lone_digest(paper, PaperText("长" * 5100, "摘要。", "", "zh-CN"))
    assert_sendable(messages)
    assert "arXiv:2403.00001v1" in messages[-1] and "长长长" in messages[-1]
    assert "…</b>" in messages[-1]  # the title is cut, visibly


def test_a_100000_character_translation_is_cut_not_refused() -> None:
    paper = Paper("2403.00001", 1, "Title", "An abstract. " * 100, ("A",), ("cs.CV",))
    flood = "这是一个很长的翻译。" * 10_000
    messages = lone_digest(paper, PaperText("标题", flood, flood, "zh-CN"))
    assert_sendable(messages)
    assert "。…</blockquote>" in messages[-1] or "。 …</blockquote>" in messages[-1]


def test_an_empty_title_and_abstract_still_say_which_paper() -> None:
    paper = Paper("2403.00001", 2, "", "", (), ())
    for text in (PaperText("", "", "", "zh-CN"), PaperText("", "", "", "zh-CN", False)):
        messages = lone_digest(paper, text)
        assert_sendable(messages)
        assert "arXiv:2403.00001v2" in messages[-1] and "<blockquote" not in messages[-1]
        assert "2403.00001v2</a>" in messages[0]  # the overview names it too


def test_two_thousand_authors_and_an_abstract_of_only_math() -> None:
    authors = tuple(f"Author Number {i} of the Big Collaboration" for i in range(2000))
    math = "$\\alpha_{i}^{2}$" * 3000
    paper = Paper("2403.00001", 1, "$x$" * 2000, math, authors, ("hep-ex",) * 500)
    assert_sendable(lone_digest(paper, PaperText(paper.title, math, "", "zh-CN", False)))
    assert_sendable(lone_digest(paper, PaperText("$y$" * 3000, math + math, math, "zh-CN")))


def test_an_overview_is_split_into_balanced_parts() -> None:
    entries = tuple(
        DigestEntry(Paper(f"2403.{i:05d}", 1, f"Paper {i} " * 20, "", ("A",), ("cs.CV",)), ())
        for i in range(23)
    )
    digest = Digest(announced=date(2024, 3, 26), entries=entries, total=23)
    texts = {e.paper.arxiv_id: PaperText("题" * 90, "", "要" * 90, "zh-CN") for e in entries}
    messages = render_overview(digest, texts, "zh-CN")
    assert_sendable(messages)
    sizes = [telegram_length(m) for m in messages]
    assert len(messages) == 2  # 4,400 characters: two of about 2,200, not 4,000 and 400
    assert max(sizes) - min(sizes) < 300, sizes  # about one item apart
    joined = "\n".join(messages)
    assert all(f"{i}. <a" in joined for i in range(1, 24))


long_text = st.one_of(
    st.text(max_size=3000),
    st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["$a$ ", "\\", "{", "a. ", "长"]),
        st.integers(0, 6000),
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    long_text,
    long_text,
    long_text,
    long_text,
    st.lists(st.text(max_size=200), max_size=2000),
    st.booleans(),
)
def test_any_text_renders_valid_messages(
    title: str,
    abstract: str,
    translated_title: str,
    translation: str,
    authors: list[str],
    translated: bool,
) -> None:
    paper = Paper("2403.00001", 1, title, abstract, tuple(authors), ("cs.CV",))
    entry = DigestEntry(paper, (Reason(ReasonKind.KEYWORD, title[:20], "title"),))
    text = PaperText(translated_title, translation, translation[:500], "zh-CN", translated)
    digest = Digest(announced=None, entries=(entry,), total=1)
    assert_sendable(render_digest(digest, {paper.arxiv_id: text}, "zh-CN"))
    assert render_text(digest, {paper.arxiv_id: text}, "zh-CN").strip()


# The Markdown export against the sample -------------------------------------------------------

SAMPLE_1 = [
    (
        "2403.11083",
        "Customizing Visual-Language Foundation Models for Multi-modal Anomaly Detection"
        " and Reasoning",
        "为多模态异常检测和推理定制视觉-语言基础模型",
    ),
    (
        "2403.09948",
        "RadCLIP: Enhancing Radiologic Image Analysis through Contrastive "
        "Language-Image Pre-training",
        "RadCLIP: 通过对比语言图像预训练增强放射学图像分析",
    ),
    (
        "2311.16515",
        "Word4Per: Zero-shot Composed Person Retrieval",
        "Word4Per: Zero-shot组合人员检索",
    ),
    (
        "2305.04095",
        "Gradient Leakage Defense with Key-Lock Module for Federated Learning.",
        "基于密钥锁模块的联邦学习梯度泄露防御",
    ),
]


def sample_digest() -> tuple[Digest, dict[str, PaperText]]:
    entries = []
    texts = {}
    for arxiv_id, title, translated in SAMPLE_1:
        paper = Paper(arxiv_id, 1, title, f"Abstract of {arxiv_id}.", ("A",), ("cs.CV",))
        entries.append(DigestEntry(paper, (Reason(ReasonKind.CATEGORY, "cs.CV"),)))
        texts[arxiv_id] = PaperText(
            translated, f"{arxiv_id} 的摘要。", f"{arxiv_id} 的总结。", "zh-CN"
        )
    return Digest(announced=date(2024, 3, 26), entries=tuple(entries), total=4), texts


def shape(line: str) -> str:
    """A line's structural kind, the way the sample is laid out."""
    if line.startswith("# "):
        return "heading"
    if line.startswith("| ---"):
        return "rule"
    if line.startswith("| Ref"):
        return "header"
    if line.startswith("| [^"):
        return "row"
    if line.startswith("[^"):
        return "footnote"
    if line == "    ":
        return "indent-blank"
    if line.startswith("    ["):
        return "indent-link"
    if line.startswith("    "):
        return "indent-text"
    return "blank" if not line else "text"


def test_markdown_export_has_the_structure_of_the_sample() -> None:
    """Line for line the shape of the team's sample digest (kept in ../shared, not copied)."""
    sample_file = SHARED_SAMPLES / "sample-digest-1.md"
    if not sample_file.exists():
        pytest.skip(f"{sample_file} is not here (CI has ../shared beside the repository)")
    sample = sample_file.read_text(encoding="utf-8")
    digest, texts = sample_digest()
    ours = render_markdown(digest, texts, "zh-CN")
    assert [shape(line) for line in ours.split("\n")] == [
        shape(line) for line in sample.split("\n")
    ]


def test_markdown_export_opens_with_the_summary_table_then_the_details() -> None:
    digest, texts = sample_digest()
    ours = render_markdown(digest, texts, "zh-CN")
    assert ours.startswith("# 摘要\n\n| Ref | Title | Summary |\n| --- | --- | --- |\n")
    assert "| [^1] | [Customizing Visual-Language" in ours
    assert "(https://arxiv.org/abs/2403.11083) | 2403.11083 的总结。 |" in ours
    assert "\n# 详细\n\n[^1]: 为多模态异常检测和推理定制视觉-语言基础模型\n" in ours
    assert ours.endswith("\n\n")


def test_markdown_headings_follow_the_language_and_cells_are_escaped() -> None:
    digest, texts = sample_digest()
    paper = digest.entries[0].paper
    tricky = Paper(paper.arxiv_id, 1, "A | B [C] title", paper.abstract, ("A",), ("cs.CV",))
    digest = Digest(digest.announced, (DigestEntry(tricky, ()),), 1)
    texts = {tricky.arxiv_id: PaperText("T", "X", "one | two\nthree", "en")}
    ours = render_markdown(digest, texts, "en")
    assert ours.startswith("# Summary\n")
    assert "# Details" in ours
    assert "[A \\| B \\[C\\] title](https://arxiv.org/abs/2403.11083)" in ours
    assert "| one \\| two three |" in ours


def test_an_untranslated_text_nobody_wanted_translated_has_no_note() -> None:
    paper = load_feed_file(FIXTURES / "rss-current-stat.xml").papers[0]
    entry = DigestEntry(paper, (Reason(ReasonKind.CATEGORY, "stat.ML"),))
    text = PaperText(
        paper.title, paper.abstract, "A summary.", "zh-CN", translated=False, passthrough=True
    )
    message = render_entry(entry, text, "zh-CN", 1)
    assert labels("zh-CN").translation_unavailable not in message
    assert message.count("<blockquote expandable>") == 1


# The Markdown export: what the feed says, inert, with accents and math -----------------------

QUANT_PH = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "feeds"
    / "rss_new_quant-ph_2025-04-28_Klafyvel-RSSFeeds.jl.xml"
)
READER = MarkdownIt("commonmark").enable("table").use(footnote_plugin)


def tokens_of(document: str) -> list[Token]:
    """Every token a footnote-aware Markdown reader makes of the document, inline ones too."""
    found: list[Token] = []
    pending = READER.parse(document)
    while pending:
        token = pending.pop()
        found.append(token)
        pending.extend(token.children or [])
    return found


def export_of(papers: list[Paper], texts: dict[str, PaperText] | None = None) -> str:
    entries = tuple(DigestEntry(paper, ()) for paper in papers)
    digest = Digest(announced=date(2025, 4, 28), entries=entries, total=len(entries))
    return render_markdown(digest, texts or {}, "en")


def test_export_has_unicode_accents_and_keeps_math() -> None:
    paper = Paper(
        "2504.00001",
        1,
        r"Cram\'er-Rao bounds for Schr\"odinger cats",
        r"We bound $\sigma_n$ by $\tfrac12$ at 92.8% fidelity when $1<p$ and $p > q$.",
        ("A",),
        ("quant-ph",),
    )
    out = export_of([paper])
    assert "[Cramér-Rao bounds for Schrödinger cats](https://arxiv.org/abs/2504.00001)" in out
    assert "Cram\\'er" not in out and 'Schr\\"o' not in out
    assert "$\\sigma_n$" in out and "$\\tfrac12$" in out
    assert "92.8% fidelity when $1\\lt p$ and $p \\gt q$." in out


def test_export_of_a_real_quant_ph_paper() -> None:
    if not QUANT_PH.is_file():
        pytest.skip("the real quant-ph feed (../shared/data/feeds) is not on this machine")
    papers = {paper.arxiv_id: paper for paper in load_feed_file(QUANT_PH).papers}
    cramer, cat = papers["2504.17873"], papers["2504.18372"]
    assert "Cram\\'er" in cramer.title and 'Schr\\"odinger' in cat.title
    out = export_of([cramer, cat])
    assert "SLD Cramér-Rao bounds" in out and "Optical Schrödinger cat states" in out
    assert "\\'" not in out and '\\"' not in out
    for paper in (cramer, cat):
        for span in spans(paper.abstract):
            if span.math and not {"<", ">", "]("} & set(span.body):
                assert f"${' '.join(span.body.split())}$" in out


HOSTILE = st.sampled_from(
    [
        "[x](javascript:alert(1))",
        "![img](http://evil.example/a.png)",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<http://evil.example>",
        "[ref]: http://evil.example",
        "$[x](javascript:alert(1))$",
        "$a<b>c$",
        "`code`",
        "*emph* _u_",
        "| cell |",
        "\n\n# heading\n",
        "\\",
        "&lt;b&gt;",
        "word",
        " ",
    ]
)


@given(st.lists(HOSTILE, min_size=1, max_size=8).map("".join))
def test_feed_markup_in_the_export_is_inert(hostile: str) -> None:
    paper = Paper("2504.00002", 1, hostile, hostile, ("A",), ("quant-ph",))
    texts = {paper.arxiv_id: PaperText(hostile, hostile, hostile, "zh-CN")}
    out = export_of([paper], texts)
    found = tokens_of(out)
    links = [token.attrs.get("href") for token in found if token.type == "link_open"]
    assert links == ["https://arxiv.org/abs/2504.00002"] * 2, out
    assert not [token for token in found if token.type in ("image", "html_inline", "html_block")]
    # One table row and one footnote: the text broke neither.
    assert out.count("\n| [^1] | ") == 1 and out.count("\n[^1]: ") == 1
    assert [token.type for token in found].count("footnote_open") == 1


def test_export_has_every_paper_of_a_40_paper_digest() -> None:
    papers = [
        Paper(f"2504.{i:05d}", 1, f"Paper number {i}", f"Abstract {i}.", ("A",), ("quant-ph",))
        for i in range(40)
    ]
    out = export_of(papers)
    assert out.count("\n| [^") == 40 and out.count("\n[^") == 40
    assert "Paper number 39" in out
