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
