"""Every benchmark module runs to its end, on workloads small enough for CI.

`make bench` is long and nothing else runs it, so a module could break unseen (two
did: a wrapper left behind by a changed signature, a client feature registered
twice). The numbers here mean nothing; each module must start, measure and print
its table. The workloads are built in this test's own folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each module's smallest meaningful run (its own options; see `python -m bench NAME -h`).
SMALL = {
    "core": "--sizes 200 --events 6",
    "history": "--sizes 200 --runs 1",
    "hook": "--size 200 --sessions 3 --runs 2",
    "refit": "--lines 200 --repeat 3",
    "remote": "--files 200 --remotes 4 --cycles 2",
    "review": "--sizes 200 --runs 2",
    "semantic": "--sizes 200 --checks 2 --naive 1 --latency-samples 1 --quiet 0.2 "
    "--suite-seconds 0.1",
    "server": "--files 200 --sessions 3 --events 4 --idle 1 --starts 0 --naive 1",
}


def test_every_benchmark_module_has_a_small_run() -> None:
    modules = {p.name.removesuffix("_bench.py") for p in (ROOT / "bench").glob("*_bench.py")}
    assert modules == set(SMALL)


def bench(
    name: str, args: list[str], folder: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m bench NAME ARGS`, its workloads built in FOLDER."""
    return subprocess.run(
        [sys.executable, "-m", "bench", name, *args],
        cwd=ROOT,
        env={**os.environ, "AGENTLS_BENCH_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_benchmark_runs_to_its_end(name: str, tmp_path: Path) -> None:
    done = bench(name, SMALL[name].split(), tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"=== bench/{name}_bench.py ===" in done.stdout
    assert "p99" in done.stdout, done.stdout[-3000:]  # a table was printed
