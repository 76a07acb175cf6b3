"""What the per-chat ranker costs the daily push: `ranker_push_overhead_100k`.

One database holds a real announcement (the last of the real days beside the repository,
`../shared/data/arxiv-days/`) and 100,000 generated chats (bench/matching.py's workload, drawn
from that day's papers; 2,000 with QUICK), all due at once, in Chinese, translations cached.
One chat in ten has a model: 100 distinct models, trained as bench/ranker.py trains its readers
(a hidden interest, 👍 on it and 👎 on a few others for the five real days before, on a
vocabulary fitted over the 30 days up to the push's), handed out in turn, with thresholds off,
low and high in turn. The models come from a stand-in for bot.ranking.Ranking: training
10,000 chats one by one measures training (bench/ranker.py does), not the push.

The push (`queue_due_digests`, as the minute tick runs it) runs twice on copies of that
database, each in a fresh interpreter, one after the other: without models, then with them
(loaded from a third interpreter that fitted the vocabulary and trained them). Figures:
- `ranker_push_overhead_100k`: the push's CPU time with models ÷ without (target <= 1.3x). CPU
  time of the process (every thread), not wall time: the other programs of a shared machine
  stretch wall time by more than the difference measured; both are printed;
- `ranker_push_peak_mb`: the peak memory (RSS) of the interpreter that ran the push with
  models, holding the vocabulary and the models as the bot holds them (target <= 500 MB); the
  push without models, and the passing peak of fitting the vocabulary (the ranker's refit,
  bench/ranker.py), are printed beside it.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.push import NOW, _fill, _warm_cache
from bench.ranker import INTERESTS, SEED, Reader, _signals, day_files, read_day, shown
from bench.report import figure
from bot.config import Settings
from bot.models import Paper
from bot.push import queue_due_digests
from bot.ranker import ChatModel, fit_vocabulary, train
from bot.translate import TranslationService
from storage.database import open_store
from storage.translations import SqliteTranslationCache

CHATS = 100_000
QUICK_CHATS = 2_000
WITH_MODEL_EVERY = 10  # one chat in ten has a model
DISTINCT_MODELS = 100
WINDOW_DAYS = 30
TRAIN_DAYS = 5
THRESHOLDS = ("off", "low", "high")


def _window() -> list[list[Paper]]:
    """The last WINDOW_DAYS real days, the push's day last (empty when they are absent)."""
    files = day_files()
    if len(files) < TRAIN_DAYS + 1:
        return []
    return [read_day(path) for path in files[-WINDOW_DAYS:]]


def _models(days: list[list[Paper]]) -> list[ChatModel]:
    """DISTINCT_MODELS models: each of bench/ranker.py's readers with its own random 👎 and
    weak negatives, on the vocabulary of the window."""
    vocabulary = fit_vocabulary([paper for day in days for paper in day])
    history = [shown(day) for day in days[-(TRAIN_DAYS + 1) : -1]]
    readers = [Reader(name, re.compile("|".join(phrases))) for name, phrases in INTERESTS.items()]
    models = []
    for k in range(DISTINCT_MODELS):
        signals, unreacted = _signals(readers[k % len(readers)], history, random.Random(SEED + k))
        model = train(vocabulary, signals, unreacted)
        if model is not None:
            models.append(model)
    return models


class _Models:
    """bot.ranking.Ranking as the push sees it: one chat in ten has a model, the models taken
    in turn (a chat's model is the same whichever batch asks)."""

    def __init__(self, models: Sequence[ChatModel]) -> None:
        self.models = models

    def models_for(self, chat_ids: Sequence[int]) -> Mapping[int, ChatModel]:
        return {
            chat_id: self.models[chat_id // WITH_MODEL_EVERY % len(self.models)]
            for chat_id in chat_ids
            if chat_id % WITH_MODEL_EVERY == 0
        }

    def model_for(self, chat_id: int) -> ChatModel | None:
        return self.models_for([chat_id]).get(chat_id)

    async def refit(self) -> None:
        """The vocabulary was fitted with the day's papers in it, as the fetch job leaves it."""


def _train_main(out: Path) -> None:
    """Fit the vocabulary and train the models, in this fresh interpreter, and keep them in
    `out` for the push's interpreter: the fit's passing peak (TF-IDF over 30 days of text) is
    the refit's, measured here apart from the push, which holds only its result."""
    models = _models(_window())
    with out.open("wb") as file:
        pickle.dump(models, file)
    print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def _push_main(database: Path, models: Path | None) -> None:
    """One push on the database, in this fresh interpreter, with the models kept in `models`
    (None: without); prints what it measured as JSON."""
    ranking = None
    if models is not None:
        with models.open("rb") as file:
            ranking = _Models(pickle.load(file))
    store = open_store(database)
    # Offline: a cache miss would show as a failed request, not as time spent waiting.
    service = TranslationService(
        Settings(translator="google", google_translate_url="http://127.0.0.1:9/"),
        SqliteTranslationCache(store),
        attempts=1,
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    queued = asyncio.run(queue_due_digests(store, service, NOW, ranking=ranking))
    cpu = time.process_time() - cpu
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ranked = store.db.execute(
        "SELECT COUNT(DISTINCT chat_id) FROM outbox WHERE text LIKE '%🧭%'"
    ).fetchone()[0]
    report = {
        "seconds": seconds,
        "cpu": cpu,
        "queued": queued,
        "requests": service.requests_sent,
        "ranked": ranked,
        "models": len(ranking.models) if ranking else 0,
        "peak_kib": peak,
        "before_kib": before,
    }
    service.close()
    store.close()
    print(json.dumps(report))


def _in_child(*args: str) -> dict[str, float]:
    """Run this module with `args` in a fresh interpreter and read its JSON report."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.ranker_push", *args],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        check=True,
        text=True,
    )
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if report.get("requests"):
        raise RuntimeError(f"{report['requests']} translations were not in the cache")
    return report


def run(quick: bool = False, chats: int | None = None) -> list[str]:
    """Build the database, push without and with models, and return the figure lines
    (`chats` overrides the number of chats, for a run between QUICK and the full one)."""
    days = _window()
    if not days:
        return [
            "ranker_push_overhead_100k: skipped (no real days at ../shared/data/arxiv-days/"
            " beside the repository)"
        ]
    chats = chats or (QUICK_CHATS if quick else CHATS)
    announced = days[-1]
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory) / "base.sqlite3"
        store = open_store(base)
        _fill(store, announced, chats, drawn_from=announced)
        with store.db.atomic():
            store.db.execute(
                "UPDATE chats SET rank_threshold = CASE (chat_id / ?) % 3"
                " WHEN 0 THEN 'off' WHEN 1 THEN 'low' ELSE 'high' END WHERE chat_id % ? = 0",
                [WITH_MODEL_EVERY, WITH_MODEL_EVERY],
            )
        asyncio.run(_warm_cache(store, announced))
        store.close()
        kept = Path(directory) / "models.pickle"
        trained = _in_child("--train", str(kept))
        reports = {}
        for mode in ("without", "with"):
            copy = Path(directory) / f"{mode}.sqlite3"
            shutil.copyfile(base, copy)
            models = [str(kept)] if mode == "with" else []
            reports[mode] = _in_child("--push", str(copy), *models)
    without, with_models = reports["without"], reports["with"]
    ratio = with_models["cpu"] / without["cpu"]
    peak_mb = with_models["peak_kib"] / 1024
    return [
        f"# ranker push: {chats:,} chats due at once, one in {WITH_MODEL_EVERY} with a model"
        f" ({with_models['models']:.0f} distinct), {len(announced):,} papers announced",
        figure(
            "ranker_push_overhead_100k",
            ratio,
            "x",
            f"<= 1.3x; CPU {with_models['cpu']:.1f} s with models, {without['cpu']:.1f} s"
            f" without (wall {with_models['seconds']:.1f} s and {without['seconds']:.1f} s),"
            f" {with_models['ranked']:.0f} digests in a model's order",
            ratio <= 1.3,
        ),
        figure(
            "ranker_push_peak_mb",
            peak_mb,
            " MB",
            f"<= 500 MB; {with_models['before_kib'] / 1024:.0f} MB with the vocabulary and"
            f" models loaded, {without['peak_kib'] / 1024:.0f} MB for the push without models;"
            f" fitting the vocabulary peaked at {trained['peak_kib'] / 1024:.0f} MB apart",
            peak_mb <= 500,
        ),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--train"]:
        _train_main(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["--push"]:
        _push_main(Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    else:
        asked = [int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--chats=")]
        for line in run(quick="--quick" in sys.argv, chats=asked[0] if asked else None):
            print(line, flush=True)
