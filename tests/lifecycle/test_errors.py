"""Refusals carry a stable code and data; their wording lives in one place; docs list them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import agentls
from agentls.errors import AgentlsError, InvalidInputError
from agentls.wording import WORDS, word

SOURCE = Path(agentls.__file__).parent
DOCS = SOURCE.parent / "docs" / "cli.md"
# refuse("code", ...), _failure("code", ...), lander.fail(STATUS, "code", ...)
RAISED = re.compile(
    r"(?:\.refuse|_failure|\.fail)\(\s*(?:[A-Z_]+,\s*)?\"([a-z][a-z-]+)\""
    r"|return \"([a-z][a-z-]+)\", \{"  # land's fast-forward: (code, data)
)


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        found |= {a or b for a, b in RAISED.findall(path.read_text())}
    return found


def declared_codes() -> set[str]:
    """Codes of AgentlsError subclasses that word their own messages (`default_code = ...`)."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r'default_code = "([a-z][a-z-]+)"', text))
        found |= set(re.findall(r'^[A-Z_]+ = "([a-z]+-[a-z-]+)"\n\n\nclass \w+Error', text, re.M))
    return found - {"refused", "invalid-input", "git-failed", "not-a-repository"}


SERVER_CODES = {
    "trunk-checkout", "land-failed", "land-all-incomplete", "invalid-arguments",
    "engine-unavailable", "os-error", "internal-error", "workspace-untrusted",
}  # fmt: skip


def front_end_codes() -> set[str]:
    """SERVER_CODES, each checked to be a literal in the server's or engine's source."""
    text = "".join(p.read_text() for folder in ("server", "engine") for p in
                   (SOURCE / folder).rglob("*.py"))  # fmt: skip
    missing = {code for code in SERVER_CODES if f'"{code}"' not in text}
    assert not missing, f"codes the server no longer uses: {missing}"
    return SERVER_CODES


def codes_in_docs() -> set[str]:
    section = DOCS.read_text().split("## Error codes", 1)[1]
    return set(re.findall(r"^\| `([a-z][a-z-]+)` \|", section, flags=re.M))


def test_every_code_raised_is_worded_and_every_worded_code_is_raised() -> None:
    raised = codes_in_source()
    assert len(raised) >= 50
    assert raised - set(WORDS) == set(), "codes without wording"
    assert set(WORDS) - raised == set(), "wording for codes nobody raises"


def test_docs_list_exactly_the_codes() -> None:
    documented = codes_in_docs()
    assert set(WORDS) - documented == set(), "codes missing from docs/cli.md"
    # The classes' codes for self-worded messages, error classes' own codes, and the
    # codes the server and engine add (agentls.server.refusals, agentls.engine).
    classes = {"refused", "invalid-input"} | declared_codes() | front_end_codes()
    assert documented - set(WORDS) == classes, "docs/cli.md lists codes that do not exist"


def test_a_refusal_is_code_data_and_words() -> None:
    error = InvalidInputError.refuse(
        "claim-taken", clashes=[{"glob": "auth/**", "owner": "auth", "theirs": "auth/**"}]
    )
    assert isinstance(error, InvalidInputError)
    assert error.to_json() == {
        "code": "claim-taken",
        "message": "cannot claim: 'auth/**' overlaps auth's claim 'auth/**'",
        "hint": "claim a different module, or release the other session's claim first",
        "data": {"clashes": [{"glob": "auth/**", "owner": "auth", "theirs": "auth/**"}]},
    }
    assert str(error) == f"{error.message}; {error.hint}"
    # Older callers still word their own message; they get the class's default code.
    legacy = AgentlsError("something happened", "do this")
    assert legacy.to_json()["code"] == "refused" and legacy.data == {}
    assert InvalidInputError("bad").code == "invalid-input"


def test_unknown_codes_and_short_data_still_say_something() -> None:
    assert word("no-such-code", {"message": "m"}) == ("m", None)
    message, _ = word("claim-taken", {})  # data missing: never a crash in a front end
    assert message == "claim-taken"


@pytest.mark.parametrize(
    ("code", "data", "expected"),
    [
        ("dirty-worktree",
         {"session": "main", "role": "trunk", "path": "/r", "paths": ["a", "b"], "count": 9},
         "trunk's worktree (session main) has uncommitted changes (a, b and 7 more);"
         " land never touches them"),
        ("land-conflict",
         {"session": "s", "trunk": "main", "branch": "s", "files": ["a", "b"]},
         "s conflicts with main in a, b; s and its worktree are unchanged"),
        ("no-trunk", {"candidates": ["origin/HEAD", "main", "master"]},
         "no trunk branch: none of agentls.trunk, origin/HEAD, main or master exists"),
        ("lock-held", {"holder": {"session": "a", "pid": 7, "since": "10:31:07"}},
         "another land is running: session a (pid 7, since 10:31:07) holds the land lock"),
    ],
)  # fmt: skip
def test_wording(code: str, data: dict[str, object], expected: str) -> None:
    assert word(code, data)[0] == expected
