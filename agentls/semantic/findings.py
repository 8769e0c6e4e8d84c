"""The report's `semantic` collisions: each pair's latest verdict, when it found one.

A finding stays while both sessions still have work of their own (a trunk finding,
while the session is still behind that trunk), also when a side changed after the
check (`current: false` says so until the re-check answers). Where it points, per
session: the failing test's file and line when that file is in the session's own
tree, else the session's first changed file (no line).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from agentls.report import Collision
from agentls.semantic.pairs import TRUNK, checked_states
from agentls.vocabulary import VIA_TRUNK

QUERY = (
    "SELECT p.a, p.b, v.data FROM semantic_pairs p JOIN semantic_verdicts v ON v.key = p.key"
    " WHERE v.status = 'semantic'"
)


def _located(verdict: dict[str, Any]) -> tuple[str, int] | None:
    """The failing test's place: a newly failing test's, else any the output named."""
    failed = verdict.get("failed") or {}
    failures = failed.get("failures") or []
    new = set(failed.get("newFailures") or [])
    ordered = [f for f in failures if f.get("name") in new] + failures
    for failure in ordered:
        if failure.get("path"):
            return str(failure["path"]), int(failure.get("line") or 1)
    return None


def semantic_collisions(ws: Any) -> list[Collision]:
    """One `semantic` collision per pair whose latest verdict is a semantic conflict."""
    try:
        rows = list(ws.store.db.execute(QUERY))
    except sqlite3.OperationalError:  # no verdict was ever recorded: no tables yet
        return []
    if not rows:
        return []
    states = {state.session.id: state for state in checked_states(ws)}
    found = []
    for a_id, b_id, data in rows:
        verdict = json.loads(data)
        b = states.get(b_id)
        if b is None:
            continue
        if a_id == TRUNK:
            if b.base == ws.trunk.commit or verdict["a"]["name"] != ws.trunk.branch:
                continue  # rebased onto trunk since, or another trunk
            sides = [b]
        else:
            a = states.get(a_id)
            if a is None:
                continue
            sides = [a, b]
        found.append(_collision(ws, verdict, sides))
    return found


def _collision(ws: Any, verdict: dict[str, Any], sides: list[Any]) -> Collision:
    located = _located(verdict)
    failed = verdict.get("failed") or {}
    ranges: dict[str, list[tuple[int, int]]] = {}
    paths: dict[str, str] = {}
    for state in sides:
        name = state.session.name
        if located is not None and state.entry(located[0]) is not None:
            paths[name], ranges[name] = located[0], [(located[1], located[1])]
        else:
            paths[name], ranges[name] = sorted(state.changed)[0], []
    path = located[0] if located is not None else paths[sides[0].session.name]
    trees = {"a": verdict["a"]["tree"], "b": verdict["b"]["tree"]}
    via_trunk = bool(verdict.get("viaTrunk"))
    current_trees = [s.known_tree for s in sides]
    expected = [trees["b"]] if via_trunk else [trees["a"], trees["b"]]
    current = current_trees == expected and (
        not via_trunk or verdict["a"]["commit"] == ws.trunk.commit
    )
    tests = list(failed.get("newFailures") or [])
    names = [s.session.name for s in sides]
    return Collision(
        kind="semantic",
        path=path,
        sessions=names,
        ranges=ranges,
        detail=[failed.get("kind", "test"), *tests],
        via=VIA_TRUNK if via_trunk else None,
        paths={n: p for n, p in paths.items() if p != path},
        semantic={
            "kind": failed.get("kind"),
            "command": failed.get("command"),
            "exitCode": failed.get("exitCode"),
            "tests": tests,
            "failures": failed.get("failures") or [],
            "tail": failed.get("tail") or [],
            "log": failed.get("log"),
            "reason": verdict.get("reason", ""),
            "pair": [*names, verdict["a"]["name"]] if via_trunk else names,
            "trunk": verdict["a"]["name"] if via_trunk else None,
            "merged": verdict.get("merged"),
            "trees": dict(zip(names, expected, strict=True)),
            "checked": verdict.get("time"),
            "current": current,
        },
    )
