"""The kill campaign in CI: 200 random lifecycle sequences, SIGKILLed anywhere, recovered.

`make torture` runs the same campaign with 2,000 longer sequences. A failure prints
the seed, the operations and the kept repository: rerun one with
`python -m tests.lifecycle.torture --sequences 1 --seed SEED --keep`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

CI_SEQUENCES = int(os.environ.get("AGENTLS_TORTURE_SEQUENCES", "200"))
CAMPAIGN_TIMEOUT = 1500  # seconds, on a loaded 2-core machine


def test_kill_campaign() -> None:
    signal.alarm(CAMPAIGN_TIMEOUT + 60)  # longer than the suite's per-test limit
    proc = subprocess.run(
        [sys.executable, "-m", "tests.lifecycle.torture", "--sequences", str(CI_SEQUENCES),
         "--steps", "3", "--workers", "2"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=CAMPAIGN_TIMEOUT,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-20000:]
    assert f"torture: {CI_SEQUENCES} sequences" in proc.stdout and "0 failed" in proc.stdout
