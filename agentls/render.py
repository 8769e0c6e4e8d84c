"""Human-readable rendering of a report for the terminal."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from typing import TextIO

from agentls.advice import advice
from agentls.remote import wording as remote_wording
from agentls.report import Collision, Range, Report
from agentls.vocabulary import COUNTED_KIND, KIND_LABEL, plural, some_ranges

KIND_COLOUR = {
    "conflict": "31",
    "ownership": "33",
    "research-write": "35",
    "overlap": "36",
    "semantic": "91",
}


class Style:
    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty() and "NO_COLOR" not in os.environ

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


def format_ranges(ranges: list[Range]) -> str:
    return some_ranges(ranges, "L") if ranges else "whole file"


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def semantic_why(collision: Collision) -> str:
    """ "(test `pytest -q` exit 1: tests/test_cart.py::test_checkout)" """
    check = collision.semantic or {}
    code = check.get("exitCode")
    tests = check.get("tests") or []
    shown = ", ".join(tests[:3]) + (f" and {len(tests) - 3} more" if len(tests) > 3 else "")
    what = f"{check.get('kind') or 'test'} `{check.get('command')}`"
    what += " timed out" if code is None else f" exit {code}"
    stale = "" if check.get("current", True) else "; changed since, re-checking"
    return f"({what}{': ' + shown if shown else ''}{stale})"


def collision_cells(collision: Collision) -> list[str]:
    """[kind, path, where on each side, why] for one collision."""
    if collision.kind == "semantic":
        sides = " · ".join(
            f"{name} {collision.path_of(name)}"
            + "".join(f" {format_ranges([r])}" for r in collision.ranges.get(name, []))
            for name in collision.sessions
        )
        if collision.via:
            sides += f" · {(collision.semantic or {}).get('trunk') or 'trunk'} (trunk)"
        return [KIND_LABEL[collision.kind], collision.path, sides, semantic_why(collision)]
    names = collision.sessions[:1] if collision.kind == "ownership" else collision.sessions
    sides = " · ".join(
        f"{name}{_elsewhere(collision, name)} {format_ranges(collision.ranges.get(name, []))}"
        for name in names
    )
    reasons = list(collision.detail)
    if collision.via == "trunk":
        reasons.append("via trunk")
    why = f"({', '.join(reasons)})" if reasons else ""
    if collision.kind == "ownership":
        why = f"(claimed by {collision.sessions[1]}: {', '.join(collision.detail)})"
    return [KIND_LABEL[collision.kind], collision.path, sides, why]


def _elsewhere(collision: Collision, name: str) -> str:
    """ " in b.py" when session NAME has this collision's file at another path (a rename)."""
    other = collision.paths.get(name)
    return f" in {other}" if other else ""


def collision_line(collision: Collision) -> str:
    return "  ".join(cell for cell in collision_cells(collision) if cell)


def pair_label(collision: Collision) -> str:
    """'auth ↔ hotfix' for a shared path; 'hotfix → auth' (writer → owner) for ownership."""
    arrow = " → " if collision.kind == "ownership" else " ↔ "
    return arrow.join(collision.sessions)


def render_status(report: Report, stream: TextIO | None = None) -> None:
    stream = sys.stdout if stream is None else stream
    style = Style(stream)
    out: list[str] = []
    out.append(
        style("agentls", "1")
        + f"  trunk {report.trunk_branch} @ {report.trunk_commit[:8]}"
        + f"  ({plural(len(report.sessions), 'session')})"
    )
    out.append("")
    out.append(style("Sessions", "1") + " (cascade order: land left to right, top to bottom)")
    rows = [["#", "name", "role", "branch", "ahead/behind", "changed", "dirty", "claims"]]
    for position, s in enumerate(report.sessions, 1):
        branch = s.branch or "(detached)"
        if s.is_trunk:
            branch += " [trunk]"
        if s.missing:
            branch += " [folder gone]"
        if s.remote is not None:
            branch = remote_wording.branch_cell(s)
        rows.append(
            [
                str(position),
                s.name,
                s.role,
                branch,
                f"+{s.ahead}/-{s.behind}",
                str(len(s.changed)),
                "yes" if s.dirty else "no",
                ", ".join(s.claims) or "-",
            ]
        )
    out += _table(rows)
    out += [f"  {line}" for line in remote_wording.fetch_lines(report.remotes)]
    out.append("")
    if not report.overlaps:
        out.append(style("No collisions.", "32") + " Every session can land in any order.")
    else:
        counts = report.counts()
        summary = ", ".join(plural(n, COUNTED_KIND[kind]) for kind, n in counts.items() if n)
        out.append(style("Collisions", "1") + f" ({summary})")
        # One group per pair label: ownership (writer → owner) is directed, the rest not.
        groups: dict[str, list[Collision]] = defaultdict(list)
        for collision in report.overlaps:
            groups[pair_label(collision)].append(collision)
        for label, collisions in groups.items():
            out.append("  " + style(label, "1"))
            table = _table([collision_cells(c) for c in collisions], "    ")
            for collision, line in zip(collisions, table, strict=True):
                label = KIND_LABEL[collision.kind]
                out.append(line.replace(label, style(label, KIND_COLOUR[collision.kind]), 1))
    out.append("")
    out.append(style("Advice", "1"))
    out += [f"  - {line}" for line in advice(report)]
    for warning in report.warnings:
        out.append(f"  ! {warning}")
    stream.write("\n".join(out) + "\n")
