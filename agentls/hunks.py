"""Line ranges: which lines of a session's file take part in a collision.

Zero-context hunks from the base version to a side's version, cached by blob
pair. For a conflict, the side's hunks that touch the other side's hunks (in base
coordinates) are the ones shown: found with one sorted sweep, never hunk by hunk
against every other hunk (real files have thousands).
"""

from __future__ import annotations

import bisect
import itertools
from collections import OrderedDict
from typing import NamedTuple

import pygit2

from agentls.changes import Entry
from agentls.report import Range

MODE_LINK, MODE_GITLINK = 0o120000, 0o160000


class Hunk(NamedTuple):
    """One zero-context hunk. A tuple, not a dataclass: release branches of a real
    project diff into 400,000 of them, and a frozen dataclass costs ~1 µs more each."""

    old_lo: int  # base coordinates as a half-open gap range, so insertions have a place
    old_hi: int
    new_start: int  # 1-based inclusive lines in the side's version
    new_end: int

    def touches(self, other: Hunk) -> bool:
        return self.old_lo <= other.old_hi and other.old_lo <= self.old_hi


class LineRanges:
    """Hunks and collision ranges over one object store (cached by blob pair)."""

    MAX_CACHED = 8192
    # The blobs read last: a path's base version is diffed against both sides, and a
    # side's against the base of each of its pairs. Reading one from a pack costs
    # ~0.2 ms on a real history (deltas); release branches read 12,205 for 4,872, and
    # 4,866 with these kept. The engine keeps them between checks: a few MiB at most.
    BLOBS_KEPT = 64
    BLOB_BYTES_KEPT = 8 << 20

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self._hunks: dict[tuple[Entry, Entry], list[Hunk] | None] = {}
        self._blobs: OrderedDict[str, pygit2.Blob] = OrderedDict()
        self._blob_bytes = 0

    def hunks(self, old: Entry, new: Entry) -> list[Hunk] | None:
        """Zero-context hunks from OLD to NEW; None when not line-based (binary, links)."""
        key = (old, new)
        if key in self._hunks:
            return self._hunks[key]
        result: list[Hunk] | None = None
        if new is not None and new[1] not in (MODE_LINK, MODE_GITLINK):
            old_blob = self._blob(old[0]) if old and old[1] != MODE_GITLINK else None
            patch = pygit2.Patch.create_from(
                old_blob, self._blob(new[0]), context_lines=0, interhunk_lines=0
            )
            if not patch.delta.is_binary:
                result = [_hunk(h) for h in patch.hunks]
        if len(self._hunks) > self.MAX_CACHED:
            self._hunks.clear()
        self._hunks[key] = result
        return result

    def _blob(self, oid: str) -> pygit2.Blob:
        blob = self._blobs.get(oid)
        if blob is not None:
            self._blobs.move_to_end(oid)
            return blob
        blob = self.repo[oid].peel(pygit2.Blob)
        self._blobs[oid] = blob
        self._blob_bytes += blob.size
        while len(self._blobs) > 1 and (
            len(self._blobs) > self.BLOBS_KEPT or self._blob_bytes > self.BLOB_BYTES_KEPT
        ):
            self._blob_bytes -= self._blobs.popitem(last=False)[1].size
        return blob

    def ranges(
        self, base: Entry, side: Entry, other: Entry | None = None, *, conflict: bool = False
    ) -> list[Range]:
        """Lines of SIDE's version whose hunks take part in the collision."""
        own = self.hunks(base, side)
        if not own:
            return []
        chosen = own
        if conflict and other is not None:
            chosen = touching(own, self.hunks(base, other) or []) or own
        return merge_ranges([(h.new_start, h.new_end) for h in chosen])


def touching(own: list[Hunk], theirs: list[Hunk]) -> list[Hunk]:
    """OWN's hunks that touch any of THEIRS: one sort and a binary search per hunk."""
    ordered = sorted(theirs)  # by old_lo first (git's hunks come in that order)
    starts = [h.old_lo for h in ordered]
    # The furthest old_hi among THEIRS up to each position.
    reach = list(itertools.accumulate((h.old_hi for h in ordered), max))
    found = []
    for hunk in own:
        # THEIRS starting at or before this hunk's end; one of them must reach its start.
        last = bisect.bisect_right(starts, hunk.old_hi) - 1
        if last >= 0 and reach[last] >= hunk.old_lo:
            found.append(hunk)
    return found


def _hunk(hunk: pygit2.DiffHunk) -> Hunk:
    if hunk.old_lines:
        old_lo, old_hi = hunk.old_start - 1, hunk.old_start - 1 + hunk.old_lines
    else:  # pure insertion after line old_start
        old_lo = old_hi = hunk.old_start
    if hunk.new_lines:
        start, end = hunk.new_start, hunk.new_start + hunk.new_lines - 1
    else:  # pure deletion: point at the line where the text used to be
        start = end = max(1, hunk.new_start)
    return Hunk(old_lo, old_hi, start, end)


def merge_ranges(ranges: list[Range]) -> list[Range]:
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
