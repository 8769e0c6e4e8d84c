"""The touching-hunks sweep against the pairwise definition; snapshot commits' dates."""

from __future__ import annotations

import pygit2
from hypothesis import given
from hypothesis import strategies as st

from agentls.git.snapshot import snapshot_commit
from agentls.hunks import Hunk, touching
from tests.conftest import Repo

hunk = st.builds(
    lambda lo, size, start: Hunk(lo, lo + size, start, start + size),
    st.integers(0, 200),
    st.integers(0, 5),
    st.integers(1, 200),
)


@given(st.lists(hunk, max_size=30), st.lists(hunk, max_size=30))
def test_touching_is_every_hunk_that_touches_another(own, theirs) -> None:
    expected = [h for h in own if any(h.touches(t) for t in theirs)]
    assert touching(own, theirs) == expected


def test_snapshot_commits_are_dated_like_their_parent(repo: Repo) -> None:
    """Deterministic (same state, same id) and never older than the parent: an epoch
    date makes git's merge-base search walk all history without a commit-graph."""
    repo.write(repo.main, "a.txt", "a\n")
    head = repo.commit(repo.main, "base")
    git = pygit2.Repository(str(repo.main))
    tree = str(git[head].peel(pygit2.Tree).id)
    first, again = snapshot_commit(git, tree, head), snapshot_commit(git, tree, head)
    assert first == again
    commit, parent = git[first].peel(pygit2.Commit), git[head].peel(pygit2.Commit)
    assert commit.committer.time == parent.committer.time > 0
    assert commit.parents[0].id == parent.id


def test_line_ranges_keep_the_last_blobs_within_their_bounds(repo: Repo) -> None:
    """Blobs read for diffs are kept (a base is diffed against both sides), never more
    than BLOBS_KEPT or BLOB_BYTES_KEPT, and the hunks do not depend on what was kept."""
    from agentls.hunks import LineRanges

    git = pygit2.Repository(str(repo.main))
    versions = [
        (
            str(
                git.create_blob("".join(f"line {i} {v if i % 7 == v else ''}\n" for i in range(50)))
            ),
            0o100644,
        )
        for v in range(7)
    ]
    pairs = [(a, b) for a in versions for b in versions if a != b]
    roomy, tight = LineRanges(git), LineRanges(git)
    tight.BLOBS_KEPT = 3
    answers = [roomy.hunks(a, b) for a, b in pairs]
    assert answers == [tight.hunks(a, b) for a, b in pairs]
    assert all(answers) and len(roomy._blobs) == 7 and len(tight._blobs) == 3
    small = LineRanges(git)
    small.BLOB_BYTES_KEPT = 1  # one blob is always kept: the one just read
    assert [small.hunks(a, b) for a, b in pairs] == answers
    assert len(small._blobs) == 1
    assert small._blob_bytes == git[pairs[-1][1][0]].size
