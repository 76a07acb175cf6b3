"""`python -m bench [--quick]`: run every benchmark and print one line per figure."""

from __future__ import annotations

import argparse
import logging

from bench import (
    commands,
    delivery,
    fetch,
    fidelity,
    matching,
    push,
    ranker,
    ranker_push,
    retention,
    startup,
    summaries,
    text,
    translation,
)


def main() -> None:
    """Run the benchmarks in sequence; each prints its own figures."""
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a fast check")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for bench in (
        matching,
        push,
        translation,
        fetch,
        delivery,
        startup,
        text,
        fidelity,
        summaries,
        ranker,
        ranker_push,
        commands,
        retention,
    ):
        for line in bench.run(quick=args.quick):
            print(line, flush=True)


if __name__ == "__main__":
    main()
