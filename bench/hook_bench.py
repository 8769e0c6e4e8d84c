"""Latency of `agentls hook claude` as an agent sees it: a new process per write.

On the 5k-file workload with 8 sessions (bench/workload.py), with and without
the shared engine, for a clear file, a contested file told for the first time
(deny), and the retry of that edit (allowed). Without the engine a clear write is
also timed the way it was answered before agentls.agents.quick ("clear, full
check": the remembered merge-bases removed first, so the pygit2 check runs).
`python -m bench hook --size 5000`; `--size 50000 --sessions 30` for the thirty-session
tier.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from agentls.agents.bases import bases_file
from bench.options import count
from bench.stats import row, summary
from bench.workload import Workload, generate

AGENTLS = [sys.executable, "-m", "agentls"]
SCRIPT = Path(sys.executable).with_name("agentls")


def _command() -> list[str]:
    # What an installed hook runs: the console script when there is one.
    return [*([str(SCRIPT)] if SCRIPT.exists() else AGENTLS), "hook", "claude"]


def _payload(cwd: Path, path: str, session: str) -> bytes:
    return json.dumps(
        {
            "session_id": session,
            "transcript_path": "/tmp/bench.jsonl",
            "cwd": str(cwd),
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": str(cwd / path), "old_string": "a", "new_string": "b"},
        }
    ).encode()


def _time(payload: bytes, cwd: Path, env: dict[str, str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    proc = subprocess.run(
        _command(), input=payload, capture_output=True, cwd=cwd, env=env, timeout=60, check=True
    )
    return (time.perf_counter() - start) * 1000, proc.stdout


def measure(workload: Workload, runs: int, env: dict[str, str], tag: str) -> dict[str, list]:
    """Samples (ms) for clear, first-time deny and retry writes from session s1."""
    cwd = workload.worktrees[1]
    clear_path = "pkg5/mod7.py"  # nobody else touches it
    contested = workload.contested(1)[0]
    samples: dict[str, list] = {"clear": [], "deny": [], "retry": []}
    cold = "AGENTLS_NO_ENGINE" in env
    if cold:
        samples["clear, full check"] = []
    for i in range(runs):
        took, out = _time(_payload(cwd, clear_path, f"{tag}-clear"), cwd, env)
        assert out == b"", out
        samples["clear"].append(took)
        if cold:
            bases_file(workload.worktrees[0] / ".git").unlink(missing_ok=True)
            took, out = _time(_payload(cwd, clear_path, f"{tag}-clear"), cwd, env)
            assert out == b"", out
            samples["clear, full check"].append(took)  # and it remembered them again
        session = f"{tag}-{time.time_ns()}-{i}"
        took, out = _time(_payload(cwd, contested, session), cwd, env)
        assert b'"permissionDecision": "deny"' in out, out
        samples["deny"].append(took)
        took, out = _time(_payload(cwd, contested, session), cwd, env)
        assert out == b"", out
        samples["retry"].append(took)
    return samples


def _start_engine(main: Path) -> subprocess.Popen[bytes]:
    engine = subprocess.Popen(
        [*AGENTLS, "-C", str(main), "engine", "--grace", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from agentls.agents.locate import locate
    from agentls.engine.client import connect

    located = locate(main)
    assert located is not None
    # A cold page cache at 50k x 30 on a busy machine took the engine over a minute.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        client = connect(located[1])
        if client is not None:
            try:
                client.call("report", {}, timeout=300)  # the first refresh is done
                return engine
            finally:
                client.close()
        time.sleep(0.2)
    engine.kill()
    raise RuntimeError("the engine did not come up within 300 s")


def _stop_engine(main: Path, engine: subprocess.Popen[bytes]) -> None:
    subprocess.run([*AGENTLS, "-C", str(main), "engine", "--stop"], capture_output=True, timeout=30)
    try:
        engine.wait(timeout=10)
    except subprocess.TimeoutExpired:
        engine.kill()


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench hook")
    parser.add_argument("--size", type=count(), default=5000)
    parser.add_argument("--sessions", type=count(2), default=8)
    parser.add_argument("--runs", type=count(), default=40)
    args = parser.parse_args(argv)
    workload = generate(args.size, sessions=args.sessions)
    main = workload.worktrees[0]
    print(
        f"machine: {os.cpu_count()} cores; {args.size} files, {args.sessions} sessions; "
        f"one process per write; load average {os.getloadavg()[0]:.1f}"
    )
    floor = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor.append((time.perf_counter() - start) * 1000)
    print(row("python -c pass (interpreter floor)", floor))

    cold_env = {**os.environ, "AGENTLS_NO_ENGINE": "1"}
    cold = measure(workload, args.runs, cold_env, "cold")
    for kind, samples in cold.items():
        print(row(f"no engine: {kind}", samples))

    engine = _start_engine(main)
    try:
        warm = measure(workload, args.runs, dict(os.environ), "engine")
    finally:
        _stop_engine(main, engine)
    for kind, samples in warm.items():
        print(row(f"engine running: {kind}", samples))
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    every = cold["clear"] + cold["deny"] + cold["retry"]
    print(
        f"  clear write without an engine, p50: {summary(cold['clear'])['p50']:.1f} ms "
        f"(full check {summary(cold['clear, full check'])['p50']:.1f} ms; target <= 150)"
    )
    print(
        f"  p50 over all writes: no engine {summary(every)['p50']:.1f} ms (target <= 250), "
        f"engine {summary(warm['clear'] + warm['deny'] + warm['retry'])['p50']:.1f} ms "
        "(target <= 50)"
    )
