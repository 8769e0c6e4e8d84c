"""A benchmark's bad option is refused before anything is built or started."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench.options import count, counts, seconds
from tests.bench.test_smoke import ROOT, bench

# One bad value per module: each used to fail late (or never), after a workload was made.
BAD = {
    "core": ("--events", "0"),
    "history": ("--runs", "-1"),
    "hook": ("--sessions", "1"),
    "refit": ("--lines", "5000,"),
    "remote": ("--remotes", "many"),
    "review": ("--sizes", ""),
    "semantic": ("--quiet", "-2"),
    "server": ("--naive", "0"),
}


def test_every_benchmark_module_has_a_bad_value_here() -> None:
    modules = {p.name.removesuffix("_bench.py") for p in (ROOT / "bench").glob("*_bench.py")}
    assert modules == set(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_is_refused_at_once_and_builds_nothing(name: str, tmp_path: Path) -> None:
    option, value = BAD[name]
    done = bench(name, [option, value], tmp_path, timeout=60)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"argument {option}: wants" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no workload generated


def test_count_takes_whole_numbers_from_its_minimum() -> None:
    assert count()("1") == 1
    assert count(0)("0") == 0
    assert count(3)("30") == 30
    for bad, at_least in (("0", 1), ("2", 3), ("-1", 0), ("1.5", 1), ("", 1), ("x", 1)):
        with pytest.raises(argparse.ArgumentTypeError):
            count(at_least)(bad)


def test_counts_splits_on_commas_and_checks_each() -> None:
    assert counts()("5000,50000") == [5000, 50000]
    assert counts()(" 8 , 30 ") == [8, 30]
    assert counts(allow_none=True)("") == []
    for bad in ("", "5000,", "5000,0", "8;30"):
        with pytest.raises(argparse.ArgumentTypeError):
            counts()(bad)


def test_seconds_are_finite_and_not_negative() -> None:
    assert seconds("0") == 0.0
    assert seconds("2.5") == 2.5
    for bad in ("-0.1", "nan", "inf", "soon"):
        with pytest.raises(argparse.ArgumentTypeError):
            seconds(bad)
