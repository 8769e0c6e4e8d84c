"""The hook quotes another session's HANDOFF.md only when it is a regular file there."""

from __future__ import annotations

import os
from pathlib import Path

from agentls.agents.check import check_paths
from tests.agents.conftest import Parallel


def _handoff(parallel: Parallel) -> list[str]:
    result = check_paths(None, parallel.auth, ["shared.txt"])
    entry = next(f for f in result["files"] if f["path"] == "shared.txt")
    (finding,) = entry["findings"]
    return finding["handoff"]  # type: ignore[no-any-return]


def test_a_fifo_handoff_does_not_hang_the_hook(parallel: Parallel) -> None:
    notes = parallel.billing / "HANDOFF.md"
    notes.unlink()
    os.mkfifo(notes)
    assert _handoff(parallel) == []


def test_a_symlinked_handoff_is_not_quoted(parallel: Parallel, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# not the session's notes\nAWS_SECRET=xyz\n")
    notes = parallel.billing / "HANDOFF.md"
    notes.unlink()
    notes.symlink_to(secret)
    assert _handoff(parallel) == []


def test_a_long_handoff_is_quoted_from_its_start(parallel: Parallel) -> None:
    notes = parallel.billing / "HANDOFF.md"
    notes.write_text("# billing\nRework invoice rounding\n" + "x" * (1 << 20))
    assert _handoff(parallel)[:2] == ["# billing", "Rework invoice rounding"]
