"""`verify`: check pairs now, in this process (the CLI without an engine) or for the engine.

The person asked, so nothing waits for quiet and no background opt-in is needed;
the repository's `[tool.agentls.verify] enabled = true` on trunk still is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from agentls.errors import AgentlsError, InvalidInputError
from agentls.semantic import config as verify_config
from agentls.semantic.pairs import Pair, candidates, side_of, trunk_side
from agentls.semantic.verdict import check_pair
from agentls.vocabulary import plural

Progress = Callable[[str, "int | None"], None]


def require_enabled(ws: Any) -> verify_config.VerifyConfig:
    """The verify settings on trunk, or a refusal saying how to switch them on."""
    config = verify_config.load(ws.repository.cwd, ws.trunk.commit)
    if not config.enabled:
        raise AgentlsError.refuse("verify-disabled", trunk=ws.trunk.branch)
    if not config.commands():
        raise AgentlsError.refuse("verify-no-commands", source=config.source)
    return config


def select(ws: Any, names: list[str] | None, config: verify_config.VerifyConfig) -> list[Pair]:
    """The pairs to check: all candidates, or the one pair NAMES (trunk by its branch)."""
    every = candidates(ws, with_trunk=config.trunk)
    if not names:
        return every
    if len(names) != 2 or names[0] == names[1]:
        raise InvalidInputError("a pair is two different sessions", "e.g. --pair auth billing")
    trunk = ws.trunk.branch
    sessions = [n for n in names if n != trunk]
    states = []
    for name in sessions:
        session = ws.session(name)  # refuses unknown names
        state = ws.states.get(session.id)
        if state is None or session.is_research or session.missing:
            raise InvalidInputError(
                f"session {name} has no code to check (a research fork, or its folder is gone)"
            )
        if session.branch == trunk:
            raise InvalidInputError(
                f"session {name} is trunk's checkout; name the trunk branch {trunk} instead"
            )
        states.append(state)
    ids = {s.session.id for s in states}
    for pair in every:
        if {side.id for side in (pair.a, pair.b) if not side.is_trunk} == ids and (
            pair.via_trunk == (len(states) == 1)
        ):
            return [pair]
    # Not a candidate (one side changed nothing, or is level with trunk): check it anyway.
    if len(states) == 1:
        trunk_of = trunk_side(ws)
        if trunk_of is None:
            raise InvalidInputError(f"trunk {trunk} has no commit to merge with")
        return [Pair(trunk_of, side_of(states[0]), states[0].base, False)]
    first, second = states
    base = ws.analyzer.merge_base(first.head, second.head)
    return [Pair(side_of(first), side_of(second), base, bool(first.changed & second.changed))]


def pair_result(verdict: dict[str, Any]) -> dict[str, Any]:
    """One pair's line in verify's answer (and in the engine's status)."""
    via_trunk = bool(verdict.get("viaTrunk"))
    names = [verdict["b"]["name"]] if via_trunk else [verdict["a"]["name"], verdict["b"]["name"]]
    return {
        "sessions": names,
        "viaTrunk": via_trunk,
        "trunk": verdict["a"]["name"] if via_trunk else None,
        "status": verdict["status"],
        "reason": verdict.get("reason", ""),
        "cached": bool(verdict.get("cached")),
        "seconds": verdict.get("seconds"),
        "overhead": verdict.get("overhead"),
        "merged": verdict.get("merged"),
        "failed": verdict.get("failed"),
        "sides": verdict.get("sides", {}),
        "trees": {"a": verdict["a"]["tree"], "b": verdict["b"]["tree"]},
    }


def run_pairs(
    ws: Any,
    pairs: list[Pair],
    config: verify_config.VerifyConfig,
    *,
    force: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Check PAIRS one after another; verify's answer."""
    report: Progress = progress or (lambda message, percent: None)
    trunk = trunk_side(ws)
    results = []
    for index, pair in enumerate(pairs):
        percent = 100 * index // max(1, len(pairs))
        report(f"[{index + 1}/{len(pairs)}] {pair.label}: checking", percent)

        def step(message: str, _: int | None, label: str = pair.label) -> None:
            report(f"{label}: {message}", None)

        verdict = check_pair(
            ws.repository.common_dir, ws.repository.cwd, ws.store, config, pair,
            trunk=trunk, cancel=cancel, progress=step, force=force,
        )  # fmt: skip
        if verdict is None:
            break  # cancelled
        results.append(pair_result(verdict))
        report(f"[{index + 1}/{len(pairs)}] {pair.label}: {verdict['status']}", None)
    return answer(results, config, cancelled=len(results) < len(pairs))


def answer(
    results: list[dict[str, Any]], config: verify_config.VerifyConfig, *, cancelled: bool
) -> dict[str, Any]:
    found = sum(1 for r in results if r["status"] == "semantic")
    return {
        "ok": True,
        "found": found,
        "checked": len(results),
        "cancelled": cancelled,
        "pairs": results,
        "commands": [list(c) for c in config.commands()],
        "source": config.source,
        "message": (
            f"{plural(found, 'semantic conflict')} in {plural(len(results), 'pair')}"
            if results
            else "nothing to check: no two sessions with work of their own"
        ),
    }


def verify(
    ws: Any,
    *,
    pair: list[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Check every pending pair (or one PAIR of names) in this process."""
    ws.refresh()
    config = require_enabled(ws)
    return run_pairs(ws, select(ws, pair, config), config, force=force, progress=progress)
