"""Semantic checks: agentls's own cost per check, and edit-to-diagnostic latency.

    python -m bench semantic [--sizes 5000,50000] [--checks 12] [--naive 3]
                             [--latency-samples 4] [--quiet 2]

1. Overhead per check beside the command (bench/workload.py's repository, 8
   sessions): every check merges a pair (`git merge-tree --write-tree`), moves one
   scratch checkout to the merged tree (`read-tree -u --reset`, `clean -ffdx`), runs
   the command (`true`: its own time is reported apart) and records the verdict.
   Forced, so every check runs. The naive method, in the same run: a fresh checkout
   of the merged tree per check (a new repository borrowing the objects, `git
   checkout`, removed afterwards), as review's checks did before. Budget: agentls's
   overhead p50 <= 1 s at 50k files.
2. From the last edit of a quiet pair to the diagnostic, with a 2-second test suite:
   a real `agentls serve` window on one session of a small project, background
   checks on (quiet = --quiet seconds, 30 by default in real use: that wait is part
   of the number and is reported apart). The edit adds a call to a function the
   other session renamed; the clock stops when the window receives the semantic
   diagnostic. The naive method in the same run: the same check by hand right after
   the edit (fresh checkouts of the merged tree and both sides, each suite run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.options import count, counts, seconds
from bench.stats import row, summary
from bench.workload import generate

OVERHEAD_BUDGET_S = 1.0


# --- 1. overhead per check ----------------------------------------------------------------


def _clean_pairs(ws: Any, pairs: list[Any]) -> list[Any]:
    from agentls.semantic.verdict import merge_trees

    clean = []
    for pair in pairs:
        ok, merged = merge_trees(ws.repository.cwd, pair.a.commit, pair.b.commit)
        if ok and merged not in (pair.a.tree, pair.b.tree):
            clean.append(pair)
    return clean


def _naive_check(common: Path, cwd: Path, pair: Any, command: str) -> tuple[float, float]:
    """(overhead s, command s) of a check in a fresh checkout of the merged tree."""
    from agentls.git.runner import run_git_bytes
    from agentls.semantic.verdict import merge_trees

    started = time.perf_counter()
    _, merged = merge_trees(cwd, pair.a.commit, pair.b.commit)
    assert merged is not None
    folder = Path(tempfile.mkdtemp(prefix="agentls-naive-"))
    try:
        run_git_bytes(["init", "-q", "--template=", str(folder)], folder)
        (folder / ".git" / "objects" / "info").mkdir(parents=True, exist_ok=True)
        (folder / ".git" / "objects" / "info" / "alternates").write_text(
            str(common / "objects") + "\n"
        )
        run_git_bytes(["read-tree", "-u", "--reset", merged], folder)
        command_started = time.perf_counter()
        subprocess.run(command, shell=True, cwd=folder, check=False)
        command_s = time.perf_counter() - command_started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return time.perf_counter() - started - command_s, command_s


def overhead(files: int, checks: int, naive_checks: int, command: str) -> dict[str, Any]:
    from agentls.semantic.config import VerifyConfig
    from agentls.semantic.pairs import candidates, trunk_side
    from agentls.semantic.scratch import remove_all
    from agentls.semantic.verdict import check_pair
    from agentls.workspace import Workspace

    workload = generate(files)
    config = VerifyConfig(enabled=True, test=[command])
    with Workspace(workload.worktrees[0]) as ws:
        ws.refresh()
        common, cwd = ws.repository.common_dir, ws.repository.cwd
        remove_all(common)  # the first check below populates a new scratch checkout
        pairs = _clean_pairs(ws, candidates(ws))
        assert pairs, "the workload has no cleanly merging pair"
        trunk = trunk_side(ws)

        def check(pair: Any) -> dict[str, Any]:
            verdict = check_pair(common, cwd, ws.store, config, pair, trunk=trunk, force=True)
            assert verdict is not None and verdict["status"] == "pass", verdict
            return verdict

        first = check(pairs[0])
        agentls_over, agentls_cmd = [], []
        for n in range(checks):
            verdict = check(pairs[(n + 1) % len(pairs)])
            agentls_over.append(verdict["overhead"] * 1000)
            agentls_cmd.append((verdict["seconds"] - verdict["overhead"]) * 1000)
        naive_over, naive_cmd = [], []
        for n in range(naive_checks):
            over, cmd = _naive_check(common, cwd, pairs[n % len(pairs)], command)
            naive_over.append(over * 1000)
            naive_cmd.append(cmd * 1000)
        remove_all(common)  # a 50k-file checkout is not left on disk by a benchmark
    return {
        "files": files,
        "pairs": len(pairs),
        "first": first["overhead"] * 1000,
        "agentls": agentls_over,
        "agentls_command": agentls_cmd,
        "naive": naive_over,
        "naive_command": naive_cmd,
    }


# --- 2. edit to diagnostic ------------------------------------------------------------------

SLOW_TEST = "import time\nimport unittest\n\n\nclass Slow(unittest.TestCase):\n"
SLOW_TEST += "    def test_slow(self):\n        time.sleep({seconds})\n"
CART_OK = "def checkout(items):\n    return sum(items) + 5\n"
CART_BROKEN = "from shop import prices\n\n\ndef checkout(items):\n"
CART_BROKEN += "    return prices.total(items) + 5\n"
TEST_CART = (
    "import unittest\n\nfrom shop import cart\n\n\nclass CartTest(unittest.TestCase):\n"
    "    def test_checkout(self):\n        self.assertEqual(cart.checkout([1, 2]), 8)\n"
)


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _project(root: Path, quiet: float, suite_seconds: float) -> tuple[Path, Path, Path]:
    main = root / "repo"
    files = {
        "shop/__init__.py": "",
        "shop/prices.py": "def total(prices):\n    return sum(prices)\n",
        "tests/__init__.py": "",
        "tests/test_slow.py": SLOW_TEST.format(seconds=suite_seconds),
        "pyproject.toml": (
            "[tool.agentls.land]\n"
            f'test = "{sys.executable} -m unittest discover -q -s tests -t ."\n'
            f"[tool.agentls.verify]\nenabled = true\nquiet = {quiet}\n"
        ),
    }
    for rel, text in files.items():
        (main / rel).parent.mkdir(parents=True, exist_ok=True)
        (main / rel).write_text(text)
    _git(main, "init", "-q", "-b", "main")
    _git(main, "add", "-A")
    _git(main, "commit", "-q", "-m", "shop")
    rename, cart = root / "rename", root / "cart"
    _git(main, "worktree", "add", "-q", "-b", "rename", str(rename))
    (rename / "shop" / "prices.py").write_text("def sum_prices(prices):\n    return sum(prices)\n")
    _git(rename, "commit", "-qam", "rename total")
    _git(main, "worktree", "add", "-q", "-b", "cart", str(cart))
    (cart / "shop" / "cart.py").write_text(CART_OK)
    (cart / "tests" / "test_cart.py").write_text(TEST_CART)
    _git(cart, "add", "-A")
    _git(cart, "commit", "-qm", "cart")
    return main, rename, cart


def _naive_full_check(main: Path, cart: Path) -> float:
    """The same check by hand: merged and both sides, each in a fresh checkout."""
    started = time.perf_counter()
    _git(cart, "add", "-A")
    _git(cart, "stash", "create")  # what a script would snapshot (not stored)
    for ref in ("rename", "cart"):
        folder = Path(tempfile.mkdtemp(prefix="agentls-naive-"))
        try:
            _git(main, "worktree", "add", "-q", "--detach", str(folder), ref)
            subprocess.run(
                [sys.executable, "-m", "unittest", "discover", "-q", "-s", "tests", "-t", "."],
                cwd=folder, capture_output=True, check=False,
            )  # fmt: skip
        finally:
            _git(main, "worktree", "remove", "--force", str(folder))
    folder = Path(tempfile.mkdtemp(prefix="agentls-naive-"))
    try:
        _git(main, "worktree", "add", "-q", "--detach", str(folder), "rename")
        _git(folder, "merge", "-q", "--no-edit", "cart")
        subprocess.run(
            [sys.executable, "-m", "unittest", "discover", "-q", "-s", "tests", "-t", "."],
            cwd=folder, capture_output=True, check=False,
        )  # fmt: skip
    finally:
        _git(main, "worktree", "remove", "--force", str(folder))
    _git(cart, "reset", "-q")
    return time.perf_counter() - started


async def _latency(samples: int, quiet: float, suite_seconds: float) -> dict[str, list[float]]:
    from lsprotocol import types
    from pygls import uris

    from bench.server_bench import Window

    root = Path(tempfile.mkdtemp(prefix="agentls-semantic-bench-"))
    config_home = root / "xdg"
    os.environ["XDG_CONFIG_HOME"] = str(config_home)  # the opt-in, for this run only
    from agentls.semantic import trust

    main, _, cart = _project(root, quiet, suite_seconds)
    trust.set_background(main / ".git", True, "bench")
    window = Window(cart)
    found: dict[str, list[float]] = {"agentls": [], "naive": []}
    test_uri = uris.from_fs_path(str(cart / "tests" / "test_cart.py")) or ""
    semantic_at: list[float] = []

    window.client.protocol.fm.features.pop(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    @window.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == test_uri:
            on = any(d.code == "semantic" for d in params.diagnostics)
            semantic_at.append(time.perf_counter() if on else -time.perf_counter())
        window.changed.set()

    await window.start()  # (Window takes agentls/semanticChanged and reviewChanged quietly)
    try:
        await window.wait(lambda: bool(window.status), timeout=60)
        for n in range(samples):
            # Break it: cart now calls total(), which rename renamed. The clock starts.
            semantic_at.clear()
            started = time.perf_counter()
            (cart / "shop" / "cart.py").write_text(CART_BROKEN + f"# edit {n}\n")
            await window.wait(lambda: any(t > 0 for t in semantic_at), timeout=300)
            found["agentls"].append((next(t for t in semantic_at if t > 0) - started) * 1000)
            found["naive"].append(_naive_full_check(main, cart) * 1000)
            # Fix it again and wait until the diagnostic is gone (the re-check passed).
            semantic_at.clear()
            (cart / "shop" / "cart.py").write_text(CART_OK + f"# fixed {n}\n")
            await window.wait(lambda: any(t < 0 for t in semantic_at), timeout=300)
    finally:
        await window.stop()
        with contextlib.suppress(Exception):
            shutil.rmtree(root)
    return found


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench semantic")
    parser.add_argument("--sizes", type=counts(allow_none=True), default="5000,50000")
    parser.add_argument("--checks", type=count(), default=12)
    parser.add_argument("--naive", type=count(), default=3, help="naive checks per size (slow)")
    parser.add_argument("--command", default="true", help="the check's command (timed apart)")
    parser.add_argument("--latency-samples", type=count(), default=4)
    parser.add_argument("--quiet", type=seconds, default=2.0)
    parser.add_argument("--suite-seconds", type=seconds, default=2.0)
    args = parser.parse_args(argv)
    print("machine shared with other work: compare rows within this run only")
    for files in args.sizes:
        result = overhead(files, args.checks, args.naive, args.command)
        print(f"\n{files} files, {result['pairs']} cleanly merging pairs, command `{args.command}`")
        print(f"  first check (new scratch checkout): overhead {result['first']:.0f} ms")
        print(row("agentls: overhead per check (incremental)", result["agentls"]))
        print(row("  its command's own time", result["agentls_command"]))
        print(row("naive: overhead per check (fresh checkout)", result["naive"]))
        print(row("  its command's own time", result["naive_command"]))
        p50 = summary(result["agentls"])["p50"] / 1000
        verdict = "within" if p50 <= OVERHEAD_BUDGET_S else "OVER"
        print(f"  agentls p50 {p50:.2f} s: {verdict} the {OVERHEAD_BUDGET_S:.0f} s budget")
    if args.latency_samples:
        found = asyncio.run(_latency(args.latency_samples, args.quiet, args.suite_seconds))
        print(
            f"\nlast edit of a quiet pair -> semantic diagnostic ({args.suite_seconds:g} s suite,"
            f" quiet {args.quiet:g} s; 30 s by default)"
        )
        print(row("agentls (background, incl. the quiet wait)", found["agentls"]))
        minus = [ms - args.quiet * 1000 for ms in found["agentls"]]
        print(row("agentls, minus the quiet wait", minus))
        print(row("naive: the same check by hand, fresh checkouts", found["naive"]))
