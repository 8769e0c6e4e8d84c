"""The words every front end uses for sessions and collisions (CLI, server, editors).

Collision kinds are `conflict`, `overlap`, `ownership`, `research-write` and
`semantic` (the report's `kind`, the diagnostic's `code`); a conflict that comes from
work already on trunk keeps its kind and is labelled `via: "trunk"`, and so is a
semantic conflict of a session with trunk. docs/concepts.md lists them.
"""

from __future__ import annotations

from collections.abc import Sequence

KIND_LABEL = {
    "conflict": "conflict",
    "overlap": "overlap",
    "ownership": "ownership",
    "research-write": "research write",
    "semantic": "semantic",
}
# A kind as counted in a summary: "2 conflicts", "1 research write", "1 semantic conflict".
COUNTED_KIND = {
    "conflict": "conflict",
    "overlap": "overlap",
    "ownership": "ownership collision",
    "research-write": "research write",
    "semantic": "semantic conflict",
}
VIA_TRUNK = "trunk"


def possessive(name: str) -> str:
    """ "billing's", "payments'"."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def session_label(name: str, branch: str | None) -> str:
    """ "billing", or "billing (feat/billing)" when the branch says something more."""
    if branch is None:
        return f"{name} (detached HEAD)"
    return name if branch == name else f"{name} ({branch})"


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 collision", "2 collisions"."""
    return f"{count} {noun(count, one, many)}"


def noun(count: int, one: str, many: str | None = None) -> str:
    """ "setting" for 1, "settings" for any other COUNT: for a list that follows."""
    return one if count == 1 else (many or one + "s")


# Line ranges named per side in a message or a terminal row; `--json` and the
# diagnostics themselves have them all. Long-lived branches of a real project differ in
# thousands of places in one file: a message of 20,000 characters reads as none.
SHOWN_RANGES = 6


def some_ranges(ranges: Sequence[Sequence[int]], prefix: str = "") -> str:
    """ "3–5, 9" (each with PREFIX, e.g. "L") for 1-based inclusive ranges, the first
    SHOWN_RANGES of them, then " and 12 more"."""
    shown = ranges[:SHOWN_RANGES]
    listed = ", ".join(f"{prefix}{a}" if a == b else f"{prefix}{a}–{b}" for a, b in shown)
    more = len(ranges) - SHOWN_RANGES
    return listed + (f" and {more} more" if more > 0 else "")


def lines_text(ranges: Sequence[Sequence[int]]) -> str:
    """ "line 7", "lines 3–5, 9" (see some_ranges); "" for none."""
    if not ranges:
        return ""
    word = "line" if len(ranges) == 1 and ranges[0][0] == ranges[0][1] else "lines"
    return f"{word} {some_ranges(ranges)}"
