"""The benchmarks' command-line values, checked as argparse reads them.

A count of 0 or a size that is not a number used to surface as a traceback after the
workload was built (`python -m bench server --naive 0` ran for a minute, then died in
`statistics.median` with "no median for empty data"). argparse now refuses it at once,
naming the option and what it takes, before anything is generated or started.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def count(minimum: int = 1) -> Callable[[str], int]:
    """An argparse type: a whole number of at least MINIMUM."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"wants {minimum} or more, got {value}")
        return value

    return parse


def counts(minimum: int = 1, *, allow_none: bool = False) -> Callable[[str], list[int]]:
    """An argparse type: comma-separated whole numbers of at least MINIMUM ("5000,50000").
    ALLOW_NONE: an empty value is no numbers at all (a benchmark part skipped)."""
    one = count(minimum)

    def parse(text: str) -> list[int]:
        parts = [p.strip() for p in text.split(",")] if text.strip() else []
        if not parts and not allow_none:
            raise argparse.ArgumentTypeError("wants one or more numbers, e.g. 5000,50000")
        return [one(p) for p in parts]

    return parse


def seconds(text: str) -> float:
    """An argparse type: a duration in seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants seconds, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"wants 0 seconds or more, got {text}")
    return value
