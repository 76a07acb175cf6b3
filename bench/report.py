"""One line per figure, in the format every benchmark prints."""

from __future__ import annotations


def figure(name: str, value: float, unit: str, target: str, met: bool) -> str:
    """`match_speedup_100k: 83.2x (target: >= 50x) ok`."""
    if isinstance(value, int):
        shown = str(value)
    else:
        shown = f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return f"{name}: {shown}{unit} (target: {target}) {'ok' if met else 'MISSED'}"
