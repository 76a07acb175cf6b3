"""The command line: `python -m bot [run|digest|fetch]`, also installed as `arxiv-digest-bot`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import TRANSLATORS, ConfigError, Settings, load_settings
from bot.doctor import DEFAULT_TIMEOUT
from bot.logs import REDACT, configure_logging
from bot.match import DEFAULT_CAP, build_digest
from bot.models import Feed, Interests, Keyword
from bot.names import followed_authors
from bot.render.markdown import render_markdown
from bot.render.telegram import render_digest, render_text
from bot.single_instance import AlreadyRunning, InstanceLock
from bot.sources.fetch import FetchError, feed_url, fetch_url, load_feed_file
from bot.sources.rss import FeedError
from bot.sources.taxonomy import get_taxonomy
from bot.translate import MemoryTranslationCache, TranslationCache, TranslationService
from bot.translate.timeouts import install as install_timeouts
from storage.database import DatabaseOpenError, open_store, prepare_location
from storage.retention import database_size
from storage.translations import SqliteTranslationCache

log = logging.getLogger("bot")


class UsageError(Exception):
    """Input the person running the command can fix; printed as one line."""


def _split_codes(values: Sequence[str]) -> list[str]:
    return [code for value in values for code in value.replace(",", " ").split() if code]


def interests_from_args(args: argparse.Namespace) -> Interests:
    """The CLI's `--category/--keyword/--exclude/--author` as matching input, validated."""
    codes, invalid = get_taxonomy().validate(_split_codes(args.category))
    if invalid:
        problems = []
        for code, suggestions in invalid:
            hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
            problems.append(f"{code!r}{hint}")
        raise UsageError(f"unknown arXiv category {', '.join(problems)}")

    def keyword(text: str) -> Keyword:
        words = " ".join(text.split())
        return Keyword(words, phrase=" " in words)

    return Interests(
        categories=frozenset(codes),
        keywords=tuple(keyword(k) for k in args.keyword if k.strip()),
        excludes=tuple(keyword(k) for k in args.exclude if k.strip()),
        # As /author reads them: `--author "Sathe, Pratik; Ai, Lin"` is two authors.
        authors=tuple(dict.fromkeys(name for a in args.author for name in followed_authors(a))),
        include_cross=not args.no_cross,
        include_replacements=args.replacements,
    )


async def _load_feed(settings: Settings, source: str | None, categories: Sequence[str]) -> Feed:
    if source is None or source.startswith(("http://", "https://")):
        if source is None and not categories:
            raise UsageError("give --category (or --feed FILE_OR_URL) to know what to fetch")
        url = source or feed_url(settings.arxiv_rss_url, categories)
        result = await fetch_url(url, requested=categories)
        if result.feed is None:
            raise UsageError(f"{url} answered 304 Not Modified to an unconditional request")
        return result.feed
    path = Path(source)
    if not path.is_file():
        raise UsageError(f"--feed {source}: no such file")
    return load_feed_file(path, requested=categories)


def _cache(settings: Settings) -> TranslationCache:
    if settings.translator == "none":
        return MemoryTranslationCache()
    return SqliteTranslationCache(open_store(settings.database_path))


async def _digest(settings: Settings, args: argparse.Namespace) -> str:
    interests = interests_from_args(args)
    if not (interests.categories or interests.keywords or interests.authors):
        raise UsageError("nothing to match: give --category, --keyword or --author")
    feed = await _load_feed(settings, args.feed, sorted(interests.categories))
    if not feed.is_announcement:
        day = feed.announced.isoformat() if feed.announced else "this day"
        raise UsageError(f"arXiv made no announcement in this feed ({day}): nothing to digest")
    digest = build_digest(feed.papers, interests, announced=feed.announced, cap=args.max)
    language = args.lang or settings.translate_to
    install_timeouts()
    service = TranslationService(settings, _cache(settings))
    texts = await service.paper_texts(
        [entry.paper for entry in digest.entries], language, summaries=True
    )
    if args.format == "text":
        return render_text(digest, texts, language)
    if args.format == "telegram":
        return "\n\n-----\n\n".join(render_digest(digest, texts, language))
    return render_markdown(digest, texts, language)


def _print_counts(counts: dict[str, dict[str, int]]) -> None:
    kinds = ("new", "cross", "replace", "replace-cross")
    print(f"{'category':<16}" + "".join(f"{k:>15}" for k in kinds) + f"{'total':>8}")
    for category, by_kind in sorted(counts.items()):
        row = "".join(f"{by_kind.get(k, 0):>15}" for k in kinds)
        print(f"{category:<16}{row}{sum(by_kind.values()):>8}")


async def _fetch(settings: Settings, args: argparse.Namespace) -> int:
    from bot.ingest import fetch_and_store
    from storage.chats import subscribed_categories

    store = open_store(settings.database_path)
    codes, invalid = get_taxonomy().validate(_split_codes(args.category))
    if invalid:
        raise UsageError(f"unknown arXiv category {invalid[0][0]!r}")
    categories = codes or subscribed_categories(store)
    if not categories:
        raise UsageError("no chat subscribes to anything yet: give --category cs.CV (or more)")
    report = await fetch_and_store(settings, store, categories)
    if report.status == "error":
        print(f"fetch failed: {REDACT(str(report.error))}", file=sys.stderr)
        return 1
    if report.status == "not-modified":
        print("feed not modified since the last fetch (HTTP 304): nothing new")
        return 0
    if report.status == "lagging":
        print("arXiv's feeds do not agree on the announcement date yet: nothing stored, try later")
        return 0
    if report.status == "empty":
        print("arXiv made no announcement (empty feed): nothing stored")
        return 0
    assert report.announced is not None
    novelty = "new announcement" if report.is_new_announcement else "already stored"
    print(f"announcement {report.announced.isoformat()}: {report.items} papers ({novelty})")
    _print_counts(report.counts)
    if report.saved_notes:
        # The bot sends them: they wait in its outbox.
        print(f"{report.saved_notes} notes queued about saved papers that changed")
    if report.pruned is not None:
        print(f"retention ({settings.retention_days} days): {report.pruned.summary()}")
    print(f"database: {database_size(store).summary()}")
    return 0


async def _search(settings: Settings, args: argparse.Namespace) -> int:
    from bot.render.latex import latex_to_text
    from bot.sources.search import ArxivSearch, SearchError, SearchHit, parse_query

    if not args.verbose:
        # The arxiv package logs every request at INFO; a person reading results wants only them.
        logging.getLogger("arxiv").setLevel(logging.WARNING)
    client = ArxivSearch(settings.arxiv_api_url)
    try:
        query = parse_query(args.query)
        hits: list[SearchHit] = []
        page = 0
        while len(hits) < args.max:
            result = await client.search(query, page)
            hits.extend(result.hits)
            if not result.has_more:
                break
            page += 1
    except SearchError as exc:
        print(f"search failed: {REDACT(str(exc))}", file=sys.stderr)
        return 2 if exc.kind == "bad-query" else 1
    if not hits:
        print(f"no results for {args.query!r}")
        return 0
    for number, hit in enumerate(hits[: args.max], 1):
        paper = hit.paper
        authors = ", ".join(paper.authors[:6]) + (" …" if len(paper.authors) > 6 else "")
        day = hit.published.isoformat() if hit.published else ""
        print(f"{number}. {latex_to_text(paper.title)}")
        print(f"   {authors}")
        print(f"   {day}  {' '.join(paper.categories)}  {paper.abs_url}  {paper.pdf_url}")
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from storage.database import backup

    target = Path(args.path)
    if target.resolve() == settings.database_path.resolve():
        raise UsageError("the backup must not overwrite the database itself")
    version = backup(open_store(settings.database_path), target)
    print(f"backup written to {target} (schema version {version})")
    return 0


def _stats(settings: Settings) -> int:
    from storage.stats import collect

    store = open_store(settings.database_path)
    numbers = collect(store)
    for name, value in numbers.__dict__.items():
        print(f"{name.replace('_', ' ')}: {value if value is not None else '—'}")
    print(f"database: {database_size(store).summary()}")
    kept = f"{settings.retention_days} days" if settings.retention_days else "off (kept for ever)"
    print(f"retention: {kept}")
    return 0


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.telegram_bot_token:
        print(
            "TELEGRAM_BOT_TOKEN is not set: put it in the environment or in .env "
            "(see .env.example) and start again.",
            file=sys.stderr,
        )
        return 2
    from bot.app import run_bot
    from bot.webhook import WebhookUrlError, configure_webhook, webhook_path

    args.webhook = args.webhook or settings.webhook_url
    if args.webhook:
        try:
            webhook_path(args.webhook)
        except WebhookUrlError as exc:
            raise UsageError(str(exc)) from exc
    # Before the database is opened: a second bot must not even run migrations.
    lock = _only_bot(settings)
    if lock is None:
        return 1
    try:
        store = open_store(settings.database_path)
        webhook = None
        if args.webhook:
            webhook = configure_webhook(settings, args.webhook, args.port, store)
            REDACT.add(webhook.secret, "WEBHOOK_SECRET")
        return run_bot(settings, webhook=webhook, store=store)
    finally:
        lock.release()


def _only_bot(settings: Settings) -> InstanceLock | None:
    """The database's instance lock, taken; None (and one line on stderr) when a bot holds it.
    The lock file sits beside the database: an unusable location is told in one line first."""
    prepare_location(settings.database_path)
    lock = InstanceLock(settings.database_path)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    return lock


def _doctor(settings: Settings | ConfigError, args: argparse.Namespace) -> int:
    from bot.doctor import diagnose, exit_status, format_report

    if isinstance(settings, Settings) and settings.log_level != "DEBUG":
        # The table says what is wrong; the backends' own warnings would only repeat it.
        logging.getLogger().setLevel(logging.ERROR)
    results = asyncio.run(diagnose(settings, args.timeout))
    print(REDACT("\n".join(format_report(results))))
    return exit_status(results)


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from storage.database import migration_names, pending_migrations

    pending = pending_migrations(settings.database_path)
    if args.check:
        if not pending:
            print(f"no migration pending: schema {len(migration_names())} (the latest)")
            return 0
        where = "" if settings.database_path.exists() else " (no database yet)"
        print(f"{len(pending)} migration(s) pending{where}: {', '.join(pending)}")
        return 1
    if not pending:
        print(f"nothing to migrate: schema {len(migration_names())} (the latest)")
        return 0
    lock = _only_bot(settings)  # as `run` does: migrations never run under a live bot
    if lock is None:
        return 1
    try:
        open_store(settings.database_path).close()  # backs up, then migrates
    finally:
        lock.release()
    print(f"applied {len(pending)} migration(s): {', '.join(pending)}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from bot.audit import audit_days, day_files, format_report

    directory = Path(args.days)
    files = day_files(directory) if directory.is_dir() else []
    if not files:
        raise UsageError(f"--days {args.days}: no day files (YYYY-MM-DD.jsonl.gz) there")
    print("\n".join(format_report(audit_days(files[: args.limit] if args.limit else files))))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; its help text is the CLI's documentation."""
    parser = argparse.ArgumentParser(
        prog="arxiv-digest-bot",
        description="Translated daily arXiv digests, in Telegram and in the terminal.",
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="start the Telegram bot (the default)")
    run.add_argument("--webhook", metavar="URL", help="serve a webhook instead of long polling")
    run.add_argument(
        "--port", type=int, help="webhook port to listen on (default WEBHOOK_PORT, 8443)"
    )

    digest = commands.add_parser("digest", help="print one digest from a feed")
    digest.add_argument("--category", action="append", default=[], help="cs.CV, or an archive")
    digest.add_argument("--keyword", action="append", default=[], help="a word or a phrase")
    digest.add_argument("--exclude", action="append", default=[], help="leave out papers with it")
    digest.add_argument("--author", action="append", default=[], help="a followed author")
    digest.add_argument("--feed", metavar="FILE_OR_URL", help="a saved feed or a feed URL")
    digest.add_argument("--lang", help="digest language (default TRANSLATE_TO)")
    digest.add_argument("--translator", choices=TRANSLATORS, help="override TRANSLATOR")
    digest.add_argument("--format", choices=("markdown", "text", "telegram"), default="markdown")
    digest.add_argument("--max", type=int, default=DEFAULT_CAP, help="cap on papers shown")
    digest.add_argument("--no-cross", action="store_true", help="leave out cross-lists")
    digest.add_argument("--replacements", action="store_true", help="include new versions")

    commands.add_parser("stats", help="print counts of chats, subscriptions, deliveries")
    backup_command = commands.add_parser("backup", help="copy the database while the bot runs")
    backup_command.add_argument("path", help="where to write the copy")
    search = commands.add_parser("search", help="search arXiv and print the results")
    search.add_argument("query", help='words, "phrases", ti:/au:/cat: fields, or an arXiv id')
    search.add_argument("--max", type=int, default=5, help="how many results (default 5)")
    search.add_argument(
        "-v", "--verbose", action="store_true", help="also print the arXiv library's request log"
    )
    fetch = commands.add_parser("fetch", help="fetch the feed now, store it, print counts")
    fetch.add_argument("--category", action="append", default=[], help="default: subscribed")
    doctor = commands.add_parser("doctor", help="check every setting and dependency: ✓/✗ table")
    doctor.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds each check may take (default {DEFAULT_TIMEOUT:g}); all run at once",
    )
    migrate = commands.add_parser(
        "migrate", help="apply pending schema migrations (after a backup beside the database)"
    )
    migrate.add_argument(
        "--check",
        action="store_true",
        help="only say whether migrations are pending (exit status 1 when some are)",
    )
    audit = commands.add_parser("audit", help="fidelity figures of the text shown, on real days")
    audit.add_argument("--days", required=True, metavar="DIR", help="a folder of day files")
    audit.add_argument("--limit", type=int, help="read only the first N days")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot` and `arxiv-digest-bot`; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        if args.command == "doctor":
            return _doctor(exc, args)
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "translator", None):
        settings = settings.with_overrides(translator=args.translator)
    configure_logging(settings.log_level, settings)
    try:
        if args.command == "digest":
            print(asyncio.run(_digest(settings, args)))
            return 0
        if args.command == "fetch":
            return asyncio.run(_fetch(settings, args))
        if args.command == "stats":
            return _stats(settings)
        if args.command == "backup":
            return _backup(settings, args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "doctor":
            return _doctor(settings, args)
        if args.command == "migrate":
            return _migrate(settings, args)
        if args.command == "search":
            return asyncio.run(_search(settings, args))
        if args.command in (None, "run"):
            if args.command is None:
                args.webhook, args.port = None, None
            return _run(settings, args)
    except (UsageError, DatabaseOpenError) as exc:
        print(f"error: {REDACT(str(exc))}", file=sys.stderr)
        return 2
    except (FeedError, FetchError) as exc:
        print(f"feed error: {REDACT(str(exc))}", file=sys.stderr)
        return 1
    parser.print_help()
    return 2
