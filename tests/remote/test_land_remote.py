"""Landing with a remote trunk: two machines (clones of one bare remote, or of a real
`git daemon` on loopback), each landing its own sessions with `agentls land`.

Checked with git on the server: both machines' work is on its trunk, the trunk only
ever moved forward (every commit it pointed at is an ancestor of the next, in its
reflog), local trunks are never ahead of the remote through a land, and a session's
old head is kept in a backup ref.
"""

from __future__ import annotations

import itertools
import json
import signal
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import git
from tests.lifecycle.helpers import agentls
from tests.remote.conftest import Daemon, Machine, Network

RACE_ENV = "AGENTLS_TEST_RACE"
# Trunk's land settings: the test command runs the script named by RACE_ENV when it
# is set, so a test can make another machine land while this one's tests run.
LAND_SETTINGS = (
    f'[tool.agentls.land]\ntest = \'if [ -n "${RACE_ENV}" ]; then sh "${RACE_ENV}"; fi\'\n'
)


def configure(network: Network) -> None:
    """Commit the land settings on the server's trunk (as a teammate would)."""
    # The server keeps a reflog of main: every value it has from now on (checked: the
    # trunk was never rewritten).
    git(network.server, "config", "core.logAllRefUpdates", "always")
    setup = network.machine("setup")
    setup.write("pyproject.toml", LAND_SETTINGS)
    setup.commit("land settings")
    git(setup.main, "push", "-q", "origin", "main")


def session(machine: Machine, name: str, path: str, text: str) -> Path:
    """A local session on MACHINE with one commit."""
    agentls(machine.main, "new", name, check=True)
    worktree = machine.main.parent / f"repo-{name}"
    machine.write(path, text, where=worktree)
    machine.commit(f"{name}: {path}", where=worktree)
    return worktree


def land(machine: Machine, *args: str, env: dict[str, str] | None = None) -> dict:
    proc = agentls(machine.main, "land", *args, "--json", env=env)
    assert proc.stdout, proc.stderr
    result = json.loads(proc.stdout)
    result["_exit"] = proc.returncode
    result["_stderr"] = proc.stderr
    return result


def server_trunk(network: Network) -> str:
    return git(network.server, "rev-parse", "refs/heads/main")


def server_history(network: Network) -> list[str]:
    """Every value the server's main had, oldest first (its reflog)."""
    out = git(network.server, "reflog", "show", "--format=%H", "refs/heads/main")
    return list(reversed(out.splitlines()))


def assert_only_forward(network: Network) -> None:
    history = server_history(network)
    assert len(history) >= 2
    for older, newer in itertools.pairwise(history):
        git(network.server, "merge-base", "--is-ancestor", older, newer)  # raises when not


def on_server_trunk(network: Network, subject: str) -> bool:
    subjects = git(network.server, "log", "--format=%s", "main").splitlines()
    return subject in subjects


def race_script(tmp: Path, body: str, once: bool = True) -> Path:
    """A script the landing machine's test command runs (RACE_ENV): BODY, once or always."""
    marker = tmp / "raced"
    script = tmp / "race.sh"
    guard = f'[ -e "{marker}" ] && exit 0\ntouch "{marker}"\n' if once else ""
    script.write_text(f"set -e\nunset {RACE_ENV}\n{guard}{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_land_pushes_trunk_and_a_land_that_loses_the_race_retries(network: Network) -> None:
    configure(network)
    a, b = network.machine("a", "alice"), network.machine("b", "bob")
    session(a, "fa", "a.txt", "alice's work\n")
    wt_b = session(b, "fb", "b.txt", "bob's work\n")
    head_b = git(wt_b, "rev-parse", "HEAD")
    start = server_trunk(network)

    # B's tests run while A lands (and pushes) on its own machine: B's push loses.
    agentls_a = f'"{sys.executable}" -m agentls -C "{a.main}" land fa'
    script = race_script(network.root, agentls_a)
    result = land(b, "fb", env={RACE_ENV: str(script)})

    assert result["ok"], result
    assert result["_exit"] == 0
    steps = [(s["step"], s["status"]) for s in result["steps"]]
    assert ("push", "raced") in steps and ("retry", "running") in steps, steps
    assert steps.count(("test", "passed")) == 2, "B's work was tested again on A's trunk"
    assert steps[-2:] == [("fast-forward", "done"), ("done", "done")]

    # Both landed on the server, in order, nothing rewritten.
    assert on_server_trunk(network, "fa: a.txt") and on_server_trunk(network, "fb: b.txt")
    trunk = server_trunk(network)
    assert git(network.server, "log", "--format=%s", "-2", "main").splitlines() == [
        "fb: b.txt",
        "fa: a.txt",
    ]
    assert server_history(network)[-3:][0] == start
    assert_only_forward(network)
    # Each machine's trunk is the commit it tested and pushed; never ahead of the server.
    assert git(b.main, "rev-parse", "main") == trunk
    a_trunk = git(a.main, "rev-parse", "main")
    assert git(a.main, "log", "--format=%s", "-1", a_trunk) == "fa: a.txt"
    git(network.server, "merge-base", "--is-ancestor", a_trunk, trunk)  # (raises when not)
    assert git(b.main, "rev-parse", "origin/main") == trunk
    # B's pre-land head is kept.
    backups = git(b.main, "for-each-ref", "--format=%(objectname)", "refs/agentls/backup/fb/")
    assert head_b in backups.splitlines()
    # The journal shows the lost race, then the land.
    db = Path(git(b.main, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    import sqlite3

    with sqlite3.connect(db / "agentls" / "store.sqlite3") as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM land_journal ORDER BY id")]
    assert statuses == ["raced", "landed"]


def test_a_land_that_keeps_losing_gives_up_after_the_bounded_attempts(network: Network) -> None:
    configure(network)
    a, b = network.machine("a", "alice"), network.machine("b", "bob")
    wt_b = session(b, "fb", "b.txt", "bob's work\n")
    head_b = git(wt_b, "rev-parse", "HEAD")
    b_trunk = git(b.main, "rev-parse", "main")
    # Every time B tests, A pushes a new trunk commit first (plain git, like any teammate).
    body = (
        f'cd "{a.main}"\ngit pull -q --ff-only origin main\n'
        'echo "$$" >> busy.txt\ngit add busy.txt\ngit commit -q -m busy\n'
        "git push -q origin main"
    )
    script = race_script(network.root, body, once=False)
    result = land(b, "fb", env={RACE_ENV: str(script)})

    assert not result["ok"] and result["_exit"] == 1, result
    assert result["error"]["code"] == "push-raced"
    assert result["error"]["data"]["attempts"] == 3
    assert "land again" in result["_stderr"] or "land again" in json.dumps(result)
    # Local trunk did not move; the remote has only A's work; B's work is safe.
    assert git(b.main, "rev-parse", "main") == b_trunk
    assert not on_server_trunk(network, "fb: b.txt")
    assert git(network.server, "log", "--format=%s", "-3", "main").splitlines() == ["busy"] * 3
    assert head_b in git(b.main, "for-each-ref", "--format=%(objectname)", "refs/agentls/backup/")
    rebased = git(wt_b, "rev-parse", "HEAD")
    assert git(wt_b, "log", "--format=%s", "-1", rebased) == "fb: b.txt"
    assert_only_forward(network)

    # Once the remote is quiet, landing again finishes it.
    again = land(b, "fb")
    assert again["ok"], again
    assert git(network.server, "log", "--format=%s", "-1", "main") == "fb: b.txt"
    assert git(b.main, "rev-parse", "main") == server_trunk(network)


def test_a_remote_that_refuses_the_push_leaves_local_trunk_alone(network: Network) -> None:
    configure(network)
    b = network.machine("b", "bob")
    wt_b = session(b, "fb", "b.txt", "bob's work\n")
    head_b = git(wt_b, "rev-parse", "HEAD")
    trunk_before = git(b.main, "rev-parse", "main")
    remote_before = server_trunk(network)
    hook = network.server / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is frozen for the release' >&2\nexit 1\n")
    hook.chmod(0o755)

    result = land(b, "fb")

    assert not result["ok"] and result["_exit"] == 1, result
    error = result["error"]
    assert error["code"] == "push-failed"
    assert "frozen for the release" in error["data"]["reason"]
    assert "--no-push" in result["_stderr"] or "--no-push" in (error.get("hint") or "")
    assert git(b.main, "rev-parse", "main") == trunk_before, "local trunk moved past the remote"
    assert server_trunk(network) == remote_before
    # The branch stays rebased and tested; its old head is kept.
    assert head_b in git(b.main, "for-each-ref", "--format=%(objectname)", "refs/agentls/backup/")
    assert git(wt_b, "status", "--porcelain") == ""

    # Land locally only, on purpose: the local trunk moves, the remote does not.
    local = land(b, "fb", "--no-push")
    assert local["ok"], local
    assert server_trunk(network) == remote_before
    assert git(b.main, "log", "--format=%s", "-1", "main") == "fb: b.txt"
    # Now local trunk is ahead: a pushing land is refused, naming what to do.
    session(b, "fc", "c.txt", "more\n")
    refused = land(b, "fc")
    assert refused["_exit"] == 2 and refused["error"]["code"] == "trunk-ahead-of-remote"
    assert refused["error"]["data"]["ahead"] == 1


def test_push_is_off_with_the_setting_and_without_an_upstream(network: Network) -> None:
    configure(network)
    b = network.machine("b", "bob")
    git(b.main, "config", "agentls.landPush", "false")
    session(b, "fb", "b.txt", "bob's work\n")
    remote_before = server_trunk(network)
    result = land(b, "fb")
    assert result["ok"], result
    assert "push" not in [s["step"] for s in result["steps"]]
    assert server_trunk(network) == remote_before

    c = network.machine("c", "carol")
    git(c.main, "branch", "--unset-upstream", "main")
    session(c, "fc", "c.txt", "carol's work\n")
    assert land(c, "fc")["ok"]
    assert server_trunk(network) == remote_before


def test_land_fetches_a_trunk_that_moved_before_it_started(network: Network) -> None:
    """Local trunk behind the remote: the land rebases onto the remote's trunk, pushes, and
    the local trunk jumps straight to the tested commit."""
    configure(network)
    a, b = network.machine("a", "alice"), network.machine("b", "bob")
    session(b, "fb", "b.txt", "bob's work\n")
    a.write("a.txt", "alice pushed\n")
    a.commit("alice: a.txt")
    git(a.main, "push", "-q", "origin", "main")
    result = land(b, "fb")
    assert result["ok"], result
    assert git(network.server, "log", "--format=%s", "-2", "main").splitlines() == [
        "fb: b.txt",
        "alice: a.txt",
    ]
    assert git(b.main, "rev-parse", "main") == server_trunk(network)
    assert (b.main / "a.txt").read_text() == "alice pushed\n"  # trunk's checkout followed


def test_an_unreachable_remote_refuses_the_land_and_changes_nothing(
    daemon_network: tuple[Network, Daemon],
) -> None:
    network, daemon = daemon_network
    configure(network)
    b = network.machine("b", "bob")
    wt_b = session(b, "fb", "b.txt", "bob's work\n")
    head_b = git(wt_b, "rev-parse", "HEAD")
    trunk = git(b.main, "rev-parse", "main")
    daemon.stop()
    result = land(b, "fb")
    assert result["_exit"] == 2 and result["error"]["code"] == "trunk-fetch-failed", result
    assert git(b.main, "rev-parse", "main") == trunk
    assert git(wt_b, "rev-parse", "HEAD") == head_b
    daemon.start()
    assert land(b, "fb")["ok"]
    assert git(network.server, "log", "--format=%s", "-1", "main") == "fb: b.txt"


@pytest.mark.parametrize("step", ["pushing", "pushed"])
def test_killed_around_the_push_then_recovered(network: Network, step: str) -> None:
    configure(network)
    a, b = network.machine("a", "alice"), network.machine("b", "bob")
    session(b, "fb", "b.txt", "bob's work\n")
    trunk_before = git(b.main, "rev-parse", "main")
    a.write("a.txt", "alice pushed\n")  # the remote moved on: B's land rebases onto it
    a.commit("alice: a.txt")
    git(a.main, "push", "-q", "origin", "main")
    remote_before = server_trunk(network)

    killed = agentls(b.main, "land", "fb", env={"AGENTLS_TEST_KILL_AT": step})
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    # Right after the kill: local trunk has not moved (it follows the remote only after
    # the remote accepted); the remote moved only if the push happened.
    assert git(b.main, "rev-parse", "main") == trunk_before
    pushed = server_trunk(network) != remote_before
    assert pushed == (step == "pushed")
    status = agentls(b.main, "status")
    assert "was interrupted at step" in status.stdout + status.stderr

    recovered = agentls(b.main, "recover")
    assert recovered.returncode == 0, recovered.stderr
    if step == "pushed":
        # Finished: local trunk follows the remote, the session is landed.
        assert "already had the tested head" in recovered.stdout
        assert git(b.main, "rev-parse", "main") == server_trunk(network)
        assert git(b.main, "status", "--porcelain") == ""
    else:
        # The push never happened: trunk did not move anywhere; landing again finishes.
        assert "fb stays rebased onto trunk" in recovered.stdout, recovered.stdout
        assert "trunk did not move" in recovered.stdout
        assert server_trunk(network) == remote_before
        assert land(b, "fb")["ok"]
    assert git(network.server, "log", "--format=%s", "-1", "main") == "fb: b.txt"
    assert git(b.main, "rev-parse", "main") == server_trunk(network)
    assert_only_forward(network)


def test_dry_run_names_the_push_and_changes_nothing(network: Network) -> None:
    configure(network)
    b = network.machine("b", "bob")
    session(b, "fb", "b.txt", "bob's work\n")
    before = git(b.main, "for-each-ref", "--format=%(refname) %(objectname)")
    result = land(b, "fb", "--dry-run")
    assert result["ok"], result
    push = [s for s in result["steps"] if s["step"] == "push"]
    assert push and "compare-and-swap" in push[0]["detail"] and "origin main" in push[0]["detail"]
    assert git(b.main, "for-each-ref", "--format=%(refname) %(objectname)") == before


def test_settings_push_key_is_validated(network: Network) -> None:
    setup = network.machine("setup")
    setup.write("pyproject.toml", '[tool.agentls.land]\npush = "yes"\n')
    setup.commit("bad settings")
    git(setup.main, "push", "-q", "origin", "main")
    b = network.machine("b", "bob")
    session(b, "fb", "b.txt", "x\n")
    result = land(b, "fb")
    assert result["_exit"] == 2 and result["error"]["code"] == "invalid-config"
    assert result["error"]["data"]["key"] == "push"


def refs_on_server(network: Network, prefix: str) -> list[str]:
    return git(network.server, "for-each-ref", "--format=%(refname)", prefix).splitlines()


def test_landing_or_removing_a_session_removes_its_published_ref(network: Network) -> None:
    configure(network)
    b = network.machine("b", "bob")
    session(b, "fb", "b.txt", "bob's work\n")
    session(b, "fc", "c.txt", "more work\n")
    published = agentls(b.main, "publish", "--json", check=True)
    assert len(json.loads(published.stdout)["published"]) == 2
    assert refs_on_server(network, "refs/agentls/wip/") == [
        "refs/agentls/wip/bob/fb",
        "refs/agentls/wip/bob/fc",
    ]

    landed = land(b, "fb")
    assert landed["ok"], landed
    assert landed["unpublished"] == {"ref": "refs/agentls/wip/bob/fb", "removed": True}
    assert refs_on_server(network, "refs/agentls/wip/") == ["refs/agentls/wip/bob/fc"]
    # Kept open after its land, fb has nothing of its own: publishing again (as the
    # engine does before each fetch) does not bring its ref back.
    again = json.loads(agentls(b.main, "publish", "--json", check=True).stdout)
    assert [item["session"] for item in again["published"]] == ["fc"]
    assert refs_on_server(network, "refs/agentls/wip/") == ["refs/agentls/wip/bob/fc"]
    # Once it has work again, it is published again.
    b.write("b2.txt", "bob's next work\n", where=b.main.parent / "repo-fb")
    again = json.loads(agentls(b.main, "publish", "--json", check=True).stdout)
    assert sorted(item["session"] for item in again["published"]) == ["fb", "fc"]
    # And when that work is gone again, so is its ref.
    (b.main.parent / "repo-fb" / "b2.txt").unlink()
    again = json.loads(agentls(b.main, "publish", "--json", check=True).stdout)
    assert again["removed"] == ["refs/agentls/wip/bob/fb"]
    assert refs_on_server(network, "refs/agentls/wip/") == ["refs/agentls/wip/bob/fc"]

    removed = agentls(b.main, "remove", "fc", "--force", "--json", check=True)
    assert json.loads(removed.stdout)["unpublished"]["removed"] is True
    assert refs_on_server(network, "refs/agentls/wip/") == []
    # Nothing else on the server was deleted.
    assert git(network.server, "log", "--format=%s", "-1", "main") == "fb: b.txt"


def test_land_of_a_remote_session_goes_through_a_temporary_session(network: Network) -> None:
    configure(network)
    cloud, b = network.machine("cloud", "codex"), network.machine("b", "bob")
    cloud_head = cloud.cloud_branch("codex/fix", "c.txt", "the cloud agent's fix\n")
    agentls(b.main, "fetch", check=True)

    dry = land(b, "origin:codex/fix", "--dry-run")
    assert dry["ok"] and dry["dryRun"], dry
    assert dry["remoteSession"]["temporary"] == "landing-origin-codex-fix"

    result = land(b, "origin:codex/fix")
    assert result["ok"], result
    assert result["session"] == "origin:codex/fix"
    assert result["remoteSession"] == {
        "name": "origin:codex/fix", "commit": cloud_head, "temporary": "landing-origin-codex-fix",
    }  # fmt: skip
    assert result["removed"]["session"] == "landing-origin-codex-fix"
    # On the server's trunk, pushed by compare-and-swap; the cloud branch is untouched.
    assert git(network.server, "log", "--format=%s", "-1", "main") == "codex/fix: edit c.txt"
    assert git(network.server, "rev-parse", "refs/heads/codex/fix") == cloud_head
    assert git(b.main, "rev-parse", "main") == server_trunk(network)
    # The temporary session and its branch are gone; its head is kept in a backup.
    assert not (b.main.parent / "repo-landing-origin-codex-fix").exists()
    assert git(b.main, "branch", "--list", "landing-origin-codex-fix") == ""
    assert git(b.main, "for-each-ref", "refs/agentls/backup/landing-origin-codex-fix/")
    assert_only_forward(network)


def test_a_remote_session_that_conflicts_keeps_its_temporary_session(network: Network) -> None:
    configure(network)
    cloud, a, b = (network.machine(n, u) for n, u in (("cloud", "codex"), ("a", "alice"),
                                                       ("b", "bob")))  # fmt: skip
    cloud.cloud_branch("codex/fix", "f.txt", "the cloud agent's f\n")
    a.write("f.txt", "alice's f\n")
    a.commit("alice: f.txt")
    git(a.main, "push", "-q", "origin", "main")
    agentls(b.main, "fetch", check=True)
    before = server_trunk(network)

    result = land(b, "origin:codex/fix")
    assert not result["ok"] and result["_exit"] == 1, result
    assert result["error"]["code"] == "land-conflict"
    assert result["error"]["data"]["files"] == ["f.txt"]
    assert result["kept"]["session"] == "landing-origin-codex-fix"
    assert "agentls land landing-origin-codex-fix" in result["message"]
    assert server_trunk(network) == before
    kept = Path(result["kept"]["path"])
    assert kept.is_dir() and git(kept, "status", "--porcelain") == ""

    again = land(b, "origin:codex/fix")
    assert again["_exit"] == 2 and again["error"]["code"] == "landing-session-exists", again


def test_a_journal_from_an_older_agentls_gets_the_new_columns(tmp_path: Path) -> None:
    import sqlite3

    from agentls.lifecycle.journal import Journal
    from agentls.store import Store

    old_schema = (
        "CREATE TABLE land_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT"
        " NULL, name TEXT NOT NULL, branch TEXT NOT NULL, worktree TEXT NOT NULL, trunk_ref TEXT"
        " NOT NULL, trunk_old TEXT NOT NULL, branch_old TEXT NOT NULL, backup_ref TEXT, rebased"
        " TEXT, trunk_new TEXT, step TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'running',"
        " message TEXT, details TEXT NOT NULL DEFAULT '{}', pid INTEGER NOT NULL, started REAL"
        " NOT NULL, finished REAL)"
    )
    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(old_schema)
        conn.execute(
            "INSERT INTO land_journal (session_id, name, branch, worktree, trunk_ref, trunk_old,"
            " branch_old, step, pid, started) VALUES ('s', 'a', 'a', '/w', 'refs/heads/main',"
            " 'o', 'b', 'rebase', 1, 0)"
        )
    journal = Journal(Store(tmp_path))
    (old,) = journal.running()
    assert (old.remote, old.base, old.onto) == (None, None, "o")
    new = journal.start(
        session_id="t", name="b", branch="b", worktree="/w", trunk_ref="refs/heads/main",
        trunk_old="o", branch_old="h", remote="origin", remote_ref="refs/heads/main", base="r",
    )  # fmt: skip
    assert (new.remote, new.remote_ref, new.onto) == ("origin", "refs/heads/main", "r")
    Journal(Store(tmp_path))  # opening it again adds nothing twice


def test_landed_on_the_remote_when_the_local_trunk_cannot_follow(network: Network) -> None:
    """Trunk's checkout gets a new file while the tests run: the push went through, so
    the session is landed; the local trunk stays, and the result says how to catch up."""
    configure(network)
    b = network.machine("b", "bob")
    session(b, "fb", "b.txt", "bob's work\n")
    trunk_before = git(b.main, "rev-parse", "main")
    script = race_script(network.root, f'echo scratch > "{b.main}/scratch.txt"')
    result = land(b, "fb", env={RACE_ENV: str(script)})
    assert result["ok"] and result["_exit"] == 0, result
    assert "git merge --ff-only origin/main" in result["warning"]
    assert result["message"].startswith("landed fb: origin/main is now")
    assert git(network.server, "log", "--format=%s", "-1", "main") == "fb: b.txt"
    assert git(b.main, "rev-parse", "main") == trunk_before  # left alone, not ahead
    assert (b.main / "scratch.txt").read_text() == "scratch\n"


def test_published_work_in_progress_of_another_machine_is_never_landed(network: Network) -> None:
    configure(network)
    a, b = network.machine("a", "alice"), network.machine("b", "bob")
    wt = session(a, "fa", "a.txt", "alice's work\n")
    a.write("a.txt", "uncommitted\n", where=wt)
    agentls(a.main, "publish", check=True)
    agentls(b.main, "fetch", check=True)
    before = git(b.main, "for-each-ref", "--format=%(refname) %(objectname)")
    result = land(b, "origin:wip/alice/fa")
    assert result["_exit"] == 2 and result["error"]["code"] == "remote-session", result
    assert "never landed" in result["_stderr"] + json.dumps(result)
    assert git(b.main, "for-each-ref", "--format=%(refname) %(objectname)") == before
