"""The engine's report text: byte for byte json.dumps(sort_keys=True), collisions made once."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentls.report import KINDS, Collision, Report, SessionInfo

names = st.sampled_from(["main", "feat-a", "ünïcode", 'quote"d', "s\\1"])
text = st.text(max_size=12)
ranges = st.lists(st.tuples(st.integers(1, 500), st.integers(1, 500)), max_size=3)
collisions = st.builds(
    Collision,
    kind=st.sampled_from(KINDS),
    path=text,
    sessions=st.lists(names, min_size=2, max_size=2),
    ranges=st.dictionaries(names, ranges, max_size=2),
    detail=st.lists(text, max_size=2),
    via=st.none() | st.just("trunk"),
    paths=st.dictionaries(names, text, max_size=2),
    merged_path=st.none() | text,
    semantic=st.none()
    | st.fixed_dictionaries({"command": text, "exit": st.integers(-9, 3), "tests": st.lists(text)}),
)
sessions = st.builds(
    SessionInfo,
    id=text,
    name=names,
    path=text,
    branch=st.none() | text,
    role=st.sampled_from(["code", "research"]),
    head=st.none() | text,
    base=st.none() | text,
    dirty=st.booleans(),
    changed=st.lists(text, max_size=3),
    claims=st.lists(text, max_size=2),
    priority=st.integers(0, 9),
)
extras = st.dictionaries(
    st.sampled_from(["review", "complete", "zz-last", "a-first"]),
    st.none() | st.booleans() | st.lists(st.dictionaries(text, text, max_size=2), max_size=2),
)


@settings(max_examples=100, deadline=None)
@given(
    overlaps=st.lists(collisions, max_size=6),
    infos=st.lists(sessions, max_size=3),
    added=extras,
    warnings=st.lists(text, max_size=2),
)
def test_sorted_text_is_json_dumps_sort_keys(
    overlaps: list[Collision], infos: list[SessionInfo], added: dict[str, Any], warnings: list[str]
) -> None:
    report = Report("main", "c0ffee", infos, overlaps, "/repo/.git", warnings=warnings)
    plain = report.to_json() | added
    shared = report.to_json(shared=True) | added
    assert shared == plain
    expected = json.dumps(plain, sort_keys=True)
    assert report.sorted_text(shared) == expected
    assert report.sorted_text(shared) == expected  # again, from the texts made the first time
    made = {key: json.dumps(value, sort_keys=True) for key, value in added.items()}
    assert report.sorted_text(shared, made) == expected  # the caller's texts for its keys
    assert json.loads(expected)["overlaps"] == [c.to_json() for c in overlaps]


def test_a_collision_is_made_into_json_once() -> None:
    collision = Collision("conflict", "a.py", ["main", "feat"], {"main": [(1, 2)]}, ["contents"])
    first = collision.shared_json()
    assert collision.shared_json() is first
    assert collision.json_text() is collision.json_text()
    assert first == collision.to_json() and first is not collision.to_json()
    # The cache is no part of what a collision is.
    twin = Collision("conflict", "a.py", ["main", "feat"], {"main": [(1, 2)]}, ["contents"])
    assert twin == collision
    assert "_json" not in repr(collision)
