"""Small helpers for timing and summarising benchmark samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def summary(samples_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p99_index = min(len(ordered) - 1, max(0, round(0.99 * (len(ordered) - 1))))
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p99": ordered[p99_index],
        "max": ordered[-1],
    }


def row(label: str, samples_ms: Sequence[float]) -> str:
    s = summary(samples_ms)
    return (
        f"  {label:<46} n={s['n']:<4} p50 {s['p50']:9.2f} ms"
        f"   p99 {s['p99']:9.2f} ms   max {s['max']:9.2f} ms"
    )
