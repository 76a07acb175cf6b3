"""The command line as a person runs it: `python -m bot digest|fetch`, in a subprocess."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.audit import AuditReport, audit_day, figures, papers_of_day
from bot.models import AnnounceType
from tests.fakes.feed_server import FeedServer
from tests.fakes.translate_server import FakeTranslateServer

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
STAT = FIXTURES / "rss-current-stat.xml"
OLD = FIXTURES / "rss-old-rdf-cs.rdf"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "TRANSLAT", "ARXIV_", "DATABASE_", "LLM_"))
    }
    environment.update({"PYTHONPATH": str(ROOT), "DATABASE_PATH": str(cwd / "bot.sqlite3")})
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_digest_from_a_feed_file_prints_the_markdown_export(tmp_path: Path) -> None:
    result = run(
        [
            "digest",
            "--feed",
            str(STAT),
            "--category",
            "stat.ML",
            "--keyword",
            "conformal prediction",
            "--translator",
            "none",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("# 摘要\n\n| Ref | Title | Summary |\n| --- | --- | --- |\n")
    assert (
        "[Conformal prediction sets for streams with drifting label noise](https://arxiv.org/abs/2603.91001)"
        in out
    )
    assert "\n# 详细\n\n[^1]: " in out
    assert out.count("[^") == 2 * out.count("| [^")
    assert "Announce Type" not in out


def test_digest_text_format_on_the_old_feed(tmp_path: Path) -> None:
    result = run(
        [
            "digest",
            "--feed",
            str(OLD),
            "--category",
            "cs.LG",
            "--lang",
            "en",
            "--translator",
            "none",
            "--format",
            "text",
            "--max",
            "3",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("arXiv digest · 2018-09-13 · ")
    assert "1. " in result.stdout and "4. " not in result.stdout
    assert "more" in result.stdout


def test_digest_translates_once_and_the_second_run_sends_nothing(tmp_path: Path) -> None:
    with FakeTranslateServer() as translator:
        env = {
            "TRANSLATOR": "libre",
            "LIBRETRANSLATE_URL": translator.libre_url,
            "LIBRE_API_KEY": "test",
        }
        args = [
            "digest",
            "--feed",
            str(STAT),
            "--category",
            "stat.ML",
            "--keyword",
            "conformal prediction",
        ]
        first = run(args, tmp_path, **env)
        assert first.returncode == 0, first.stderr
        sent = translator.count()
        assert 0 < sent <= 4  # 2 papers × (title, abstract, summary) batched
        assert (
            "[^1]: 译:Conformal prediction sets for streams with drifting label noise"
            in first.stdout
        )
        second = run(args, tmp_path, **env)
        assert second.returncode == 0, second.stderr
        assert translator.count() == sent  # all from the SQLite cache
        assert second.stdout == first.stdout


def test_translation_backend_down_still_prints_the_digest_with_originals(tmp_path: Path) -> None:
    with FakeTranslateServer() as translator:
        translator.mode = "error"
        result = run(
            ["digest", "--feed", str(STAT), "--category", "stat.ML", "--keyword", "conformal"],
            tmp_path,
            TRANSLATOR="libre",
            LIBRETRANSLATE_URL=translator.libre_url,
            LIBRE_API_KEY="test",
        )
    assert result.returncode == 0, result.stderr
    assert "翻译暂不可用" in result.stdout
    assert "Conformal prediction sets for streams with drifting label noise" in result.stdout


@pytest.mark.parametrize("output", ["text", "markdown"])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_no_translation_wanted_prints_each_text_once_without_a_note(
    tmp_path: Path, output: str, language: str
) -> None:
    args = ["digest", "--feed", str(STAT), "--category", "stat.ML", "--keyword", "conformal"]
    args += ["--translator", "none", "--format", output, "--lang", language]
    result = run(args, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "翻译暂不可用" not in out and "translation unavailable" not in out
    # Both matching papers, each abstract once and each title once in the details.
    assert out.count("Conformal prediction wraps any point predictor") == 1
    assert out.count("Rules that abstain when the top softmax score is low") == 1
    details = out[out.index("[^1]:") :] if output == "markdown" else out
    assert details.count("Conformal prediction sets for streams with drifting label noise") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["digest", "--feed", str(STAT), "--category", "cs.CVV"], "did you mean cs.CV"),
        (["digest", "--feed", str(STAT)], "nothing to match"),
        (["digest", "--feed", "missing.xml", "--category", "cs.CV"], "no such file"),
    ],
)
def test_wrong_input_is_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = run([*args, "--translator", "none"], tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_feed_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(STAT.read_bytes()[:5000])
    result = run(
        ["digest", "--feed", str(broken), "--category", "stat", "--translator", "none"], tmp_path
    )
    assert result.returncode == 1
    assert "feed error" in result.stderr and "Traceback" not in result.stderr


def test_an_empty_feed_is_no_announcement(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(STAT.read_bytes().split(b"<item>", 1)[0] + b"</channel></rss>")
    result = run(
        ["digest", "--feed", str(empty), "--category", "stat", "--translator", "none"], tmp_path
    )
    assert result.returncode == 2
    assert "no announcement" in result.stderr


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.route("/rss/stat", STAT.read_bytes())
        yield server


def test_fetch_stores_and_prints_counts_then_uses_a_conditional_get(
    tmp_path: Path, feeds: FeedServer
) -> None:
    first = run(["fetch", "--category", "stat"], tmp_path, ARXIV_RSS_URL=feeds.base_url)
    assert first.returncode == 0, first.stderr
    assert "announcement 2026-03-17: 45 papers (new announcement)" in first.stdout
    stat_row = next(line for line in first.stdout.splitlines() if line.startswith("stat "))
    assert stat_row.split()[1:] == ["15", "12", "11", "7", "45"]
    second = run(["fetch", "--category", "stat"], tmp_path, ARXIV_RSS_URL=feeds.base_url)
    assert second.returncode == 0, second.stderr
    assert "not modified" in second.stdout
    assert "If-None-Match" in feeds.requests[1][1]


def test_digest_from_a_feed_url(tmp_path: Path, feeds: FeedServer) -> None:
    result = run(
        [
            "digest",
            "--feed",
            feeds.url("/rss/stat"),
            "--category",
            "stat.ML",
            "--keyword",
            "conformal",
            "--translator",
            "none",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "2603.91001" in result.stdout


def test_fetch_without_subscriptions_says_what_to_do(tmp_path: Path) -> None:
    result = run(["fetch"], tmp_path)
    assert result.returncode == 2
    assert "--category" in result.stderr


def test_run_without_a_token_is_one_clear_line(tmp_path: Path) -> None:
    result = run([], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "TELEGRAM_BOT_TOKEN is not set: put it in the environment or in .env "
        "(see .env.example) and start again."
    )


def test_a_bad_webhook_secret_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    result = run(
        ["run", "--webhook", "https://bot.example.org/hook"],
        tmp_path,
        TELEGRAM_BOT_TOKEN="1:unused",
        WEBHOOK_SECRET="not allowed!",
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "configuration error: WEBHOOK_SECRET" in result.stderr
    assert "not allowed!" not in result.stderr
    assert not (tmp_path / "bot.sqlite3").exists()


def test_a_webhook_url_that_is_not_a_url_is_one_line(tmp_path: Path) -> None:
    result = run(
        ["run", "--webhook", "bot.example.org/hook"], tmp_path, TELEGRAM_BOT_TOKEN="1:unused"
    )
    assert result.returncode == 2 and not (tmp_path / "bot.sqlite3").exists()
    assert result.stderr.startswith("error: --webhook wants the public URL")
    assert result.stderr.count("\n") == 1


def test_stats_after_a_fetch(tmp_path: Path, feeds: FeedServer) -> None:
    run(["fetch", "--category", "stat"], tmp_path, ARXIV_RSS_URL=feeds.base_url)
    result = run(["stats"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "papers: 45" in result.stdout
    assert "latest announcement: 2026-03-17" in result.stdout


def test_search_prints_results_from_the_api(tmp_path: Path) -> None:
    from tests.test_search import respond

    with FeedServer() as api:
        api.responder = respond
        env = {"ARXIV_API_URL": api.url("/api/query")}
        found = run(["search", "au:van_rossby", "--max", "3"], tmp_path, **env)
        assert found.returncode == 0, found.stderr
        assert found.stdout.count("https://arxiv.org/abs/") == 3
        assert found.stdout.startswith("1. ")
        one = run(["search", "arXiv:nucl-th/0405987"], tmp_path, **env)
        assert "Pairing gaps in neutron-rich tin isotopes" in one.stdout
        none = run(["search", "zzzqqq"], tmp_path, **env)
        assert "no results" in none.stdout
        bad = run(["search", "sort:date"], tmp_path, **env)
        assert bad.returncode == 2 and "search failed" in bad.stderr


def test_backup_is_consistent_while_the_database_is_written(
    tmp_path: Path, feeds: FeedServer
) -> None:
    import sqlite3
    import stat
    import threading

    from storage import chats
    from storage.database import open_store

    run(["fetch", "--category", "stat"], tmp_path, ARXIV_RSS_URL=feeds.base_url)
    store = open_store(tmp_path / "bot.sqlite3")
    stop = threading.Event()

    def writer() -> None:
        chat_id = 1
        while not stop.is_set():
            chats.ensure_chat(store, chat_id, language="en", timezone="UTC", delivery_time="09:00")
            chat_id += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = run(["backup", str(tmp_path / "copies" / "backup.sqlite3")], tmp_path)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert "schema version" in result.stdout
    copy = tmp_path / "copies" / "backup.sqlite3"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 45
    same = run(["backup", str(tmp_path / "bot.sqlite3")], tmp_path)
    assert same.returncode == 2 and "must not overwrite" in same.stderr


def _read_only_location(tmp_path: Path) -> Path:
    """A folder this process cannot write in. Root ignores permission bits, so as root it is
    sysfs, which refuses new files even to root."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
        return folder
    sysfs = Path("/sys")
    if not sysfs.is_dir() or _can_create(sysfs):
        pytest.skip("no location here refuses writes to root")
    return sysfs


def _can_create(folder: Path) -> bool:
    try:
        (folder / "probe").touch()
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


@pytest.mark.parametrize("command", [["stats"], ["fetch", "--category", "cs.CV"], ["run"]])
@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("file-in-path", "is a file, not a folder"),
        ("folder", "it is a folder"),
        ("read-only", "no permission to write there"),
        ("not-sqlite", "not an SQLite database"),
    ],
)
def test_an_unusable_database_path_is_one_line_and_status_2(
    tmp_path: Path, command: list[str], where: str, said: str
) -> None:
    if where == "file-in-path":
        (tmp_path / "plain").write_text("x")
        database = tmp_path / "plain" / "data" / "bot.sqlite3"
    elif where == "folder":
        database = tmp_path / "data"
        database.mkdir()
    elif where == "read-only":
        database = _read_only_location(tmp_path) / "data" / "bot.sqlite3"
    else:
        database = tmp_path / "bot.sqlite3"
        database.write_text("these are notes, not a database\n" * 10)
    result = run(command, tmp_path, DATABASE_PATH=str(database), TELEGRAM_BOT_TOKEN="123:abc")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: DATABASE_PATH") and said in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: 'LOUD' is not one of DEBUG, INFO"),
        ({"TRANSLATE_TO": "xx-nowhere"}, "TRANSLATE_TO: 'xx-nowhere'"),
    ],
)
def test_an_unknown_setting_is_one_line_and_status_2(
    tmp_path: Path, env: dict[str, str], said: str
) -> None:
    result = run(["stats"], tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and said in result.stderr, result.stderr


def test_search_prints_no_library_log_lines_unless_verbose(tmp_path: Path) -> None:
    from tests.test_search import respond

    with FeedServer() as api:
        api.responder = respond
        env = {"ARXIV_API_URL": api.url("/api/query"), "LOG_LEVEL": "INFO"}
        quiet = run(["search", "au:van_rossby", "--max", "2"], tmp_path, **env)
        assert quiet.returncode == 0, quiet.stderr
        assert quiet.stdout.startswith("1. ") and quiet.stderr == ""
        verbose = run(["search", "au:van_rossby", "--max", "2", "-v"], tmp_path, **env)
        assert verbose.returncode == 0 and verbose.stdout == quiet.stdout
        assert "INFO arxiv" in verbose.stderr


def write_day(folder: Path, day: str, papers: list[dict[str, object]]) -> None:
    """A day file in the shape of the real ones: one JSON paper a line, gzipped."""
    lines = "".join(json.dumps(paper) + "\n" for paper in papers)
    (folder / f"{day}.jsonl.gz").write_bytes(gzip.compress(lines.encode("utf-8")))


def test_audit_prints_the_fidelity_figures_of_real_shaped_days(tmp_path: Path) -> None:
    days = tmp_path / "days"
    days.mkdir()
    write_day(
        days,
        "2026-01-05",
        [
            {
                "id": "2601.00001",
                "title": "Squeezed light",
                "abstract": r"We reach a fidelity of 92.8% with $\sigma_n$ noise.",
                "authors": ["Ren\\'e Ko\\c{c}"],
                "categories": ["quant-ph"],
                "primary": "quant-ph",
            },
            {
                "id": "2601.00002",
                "title": "Bounds",
                "abstract": r"For $1<p$ and $p > q$ the Cram\'er-Rao bound holds.",
                "authors": ["A. Author"],
                "categories": ["math.ST", "stat.TH"],
                "primary": "math.ST",
            },
        ],
    )
    write_day(
        days,
        "2026-01-06",
        [
            {
                "id": "2601.00003",
                "title": "Ours",
                # Outside math an author's macro reads as its name; in math it stays.
                "abstract": r"Our \ourmodel wins over $\ourmodel{x}$ baselines.",
                "authors": ["B. Author"],
                "categories": ["cs.LG"],
                "primary": "cs.LG",
            }
        ],
    )
    result = run(["audit", "--days", str(days)], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert "papers: 3 on 2 days" in out
    assert "abstracts losing over 10% of their words: 0 (target 0) ok" in out
    assert "math spans vanished: 0 of 4 (target 0) ok" in out
    assert "'%' '<' '>' lost: 0 of 3 (target 0) ok" in out
    assert "papers missing from their digest: 0 (target 0) ok" in out
    assert "empty messages: 0 (target 0) ok" in out
    assert any(line.startswith("messages over 4,096: 0 of 5 ") for line in out), out
    # One macro in three papers is 333 per 1,000: the target is missed, and the macro named.
    assert any(
        line.startswith("leftover backslash commands per 1,000 papers: 333.33")
        and line.endswith("MISSED")
        for line in out
    ), out
    assert "  \\ourmodel: 1" in out
    assert any(line.startswith("seconds per 1,000 papers: ") for line in out)


def test_the_audit_counts_what_a_reader_would_trip_on() -> None:
    """A summary that can only open mid-argument and an abstract far past Telegram's limit:
    the first is counted, the second still goes out within 4,096."""
    papers = papers_of_day(
        [
            {
                "id": "2601.00010",
                "title": "A long one",
                "abstract": "We measure the gap. " * 600,
                "authors": ["C. Author"],
                "categories": ["cs.CV"],
            },
            {
                "id": "2601.00011",
                "title": "Short",
                "abstract": "Moreover, it helps.",
                "authors": ["D. Author"],
                "categories": ["cs.CV"],
            },
        ],
        date(2026, 1, 7),
    )
    report = AuditReport()
    audit_day(report, papers, date(2026, 1, 7))
    assert report.papers == report.papers_in_digest == 2
    assert report.messages == 3 and report.messages_over_limit == 0 and report.messages_empty == 0
    assert 4_000 < report.longest_message <= 4_096
    assert report.summaries == 2 and report.summaries_mid_argument == 1
    assert report.mid_argument == ["2601.00011: Moreover, it helps."]
    verdicts = {item.name: item.met for item in figures(report)}
    assert verdicts["fidelity_summaries_mid_argument_pct"] is False
    assert verdicts["fidelity_messages_over_4096"] is True


def test_a_day_record_goes_through_the_feed_parser() -> None:
    [paper, comparisons] = papers_of_day(
        [
            {
                "id": "2601.00020",
                "title": "Two\n  lines",
                "abstract": "  spaced\n out ",
                "authors": ["Jos\\'e Garc\\'ia", "Van Meter"],
                "categories": ["cs.AI", "cs.CL", "cs.AI"],
                "primary": "cs.CL",
                "announce_type": None,
            },
            {
                "id": "2601.00021",
                "title": "Bounds for $1<p$ & <b>bold</b>",
                "abstract": r"for $1<p\leq q$ and improve upon it when $p > q$ fails & holds",
                "authors": ["A. Author"],
                "categories": ["math.AP"],
            },
        ],
        date(2026, 1, 7),
    )
    assert paper.title == "Two lines" and paper.abstract == "spaced out"
    assert paper.authors == ("José García", "Van Meter")
    assert paper.categories == ("cs.CL", "cs.AI")
    assert paper.announce_type is AnnounceType.NEW
    # Comparisons and markup are text: read as HTML they once cut the words between < and >.
    assert comparisons.title == "Bounds for $1<p$ & <b>bold</b>"
    assert comparisons.abstract == r"for $1<p\leq q$ and improve upon it when $p > q$ fails & holds"


def test_audit_of_a_folder_without_days_is_one_line(tmp_path: Path) -> None:
    result = run(["audit", "--days", str(tmp_path / "nowhere")], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no day files" in result.stderr
