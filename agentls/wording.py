"""How agentls words its refusals and failed lands for a person, keyed by stable code.

The lifecycle raises `AgentlsError.refuse(code, **data)` and returns failed lands
with `{"code", "data"}`; this module is the one place that turns a code and its
data into English (what happened; what to do). The CLI and the server show these
words; an editor may word the same code and data its own way. docs/cli.md lists
every code. Add a code here, document it there, and a test checks both agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from agentls.vocabulary import plural

log = logging.getLogger(__name__)

Words = Callable[[dict[str, Any]], "tuple[str, str | None]"]
WORDS: dict[str, Words] = {}


def _words(code: str) -> Callable[[Words], Words]:
    def register(function: Words) -> Words:
        WORDS[code] = function
        return function

    return register


def word(code: str, data: dict[str, Any]) -> tuple[str, str | None]:
    """(message, hint) for CODE with DATA; an unknown code still says something useful."""
    function = WORDS.get(code)
    if function is None:
        return str(data.get("message") or code), data.get("hint")
    try:
        return function(data)
    except (KeyError, TypeError, ValueError, IndexError):  # data from an older caller
        log.warning("refusal %s: cannot word it from %r", code, data)
        return str(data.get("message") or code), data.get("hint")


def listing(items: list[str], limit: int = 5, total: int | None = None) -> str:
    """'a, b, c and 4 more' (TOTAL: how many there are when ITEMS is already cut short)."""
    shown = items[:limit]
    rest = max(len(items), total or 0) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest > 0 else "")


# --- the repository and git -------------------------------------------------------------


@_words("not-a-folder")
def _not_a_folder(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"not a folder: {d['folder']}", "pass a folder inside a git worktree"


@_words("not-a-repository")
def _not_a_repository(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"not inside a git repository: {d['folder']}",
        "run agentls from a folder inside a worktree of your repository",
    )


@_words("git-too-old")
def _git_too_old(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"git {d['version']} is too old: agentls needs git {d['needed']} or newer"
        " (merge-tree --write-tree)",
        "upgrade git",
    )


@_words("git-missing")
def _git_missing(d: dict[str, Any]) -> tuple[str, str | None]:
    return "git is not installed", f"install git {d.get('needed', '2.38')} or newer"


@_words("git-failed")
def _git_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"git {d['command']} failed in {d['cwd']}: {d['detail']}", None


@_words("folder-gone")
def _folder_gone(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"folder does not exist: {d['folder']}", None


@_words("no-trunk")
def _no_trunk(d: dict[str, Any]) -> tuple[str, str | None]:
    names: list[str] = ["agentls.trunk", *d["candidates"]]
    first, last = names[:-1], names[-1]
    return (
        f"no trunk branch: none of {', '.join(first)} or {last} exists",
        "set it with `git config agentls.trunk <branch>`",
    )


@_words("trunk-not-found")
def _trunk_not_found(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"trunk branch {d['branch']!r} (from settings or `git config agentls.trunk`)"
        " does not exist",
        "create it, or point agentls at another with `git config agentls.trunk <branch>`",
    )


@_words("trunk-unborn")
def _trunk_unborn(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"the repository has no commits yet: branch {d['branch']} is unborn",
        "make a first commit (git commit), then run agentls again",
    )


# --- names and input ---------------------------------------------------------------------


@_words("invalid-name")
def _invalid_name(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"invalid session name {d['name']}", f"use {d['rule']}"


@_words("invalid-branch")
def _invalid_branch(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"invalid branch name {d['branch']!r}",
        "see `git help check-ref-format` for the rules",
    )


@_words("invalid-glob")
def _invalid_glob(d: dict[str, Any]) -> tuple[str, str | None]:
    reason, glob = d["reason"], d.get("glob")
    if reason == "empty":
        return "empty claim glob", "give a path glob such as 'auth/**'"
    if reason == "absolute":
        return f"claim glob {glob!r} is absolute", "use a path relative to the repository root"
    if reason == "outside":
        return (
            f"claim glob {glob!r} leaves the repository",
            "use a path inside the repository, without '..' or backslashes",
        )
    if reason == "list":
        return "globs must be a list of path globs", "e.g. ['auth/**']"
    if reason == "none":
        return "no globs given", "e.g. agentls claim NAME 'auth/**'"
    return f"claim glob {glob!r} is malformed", "e.g. 'auth/**'"


@_words("invalid-role")
def _invalid_role(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"invalid role {d['role']!r}", "use 'code' or 'research'"


@_words("invalid-priority")
def _invalid_priority(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"invalid priority {d['priority']!r}",
        f"use a whole number from {d['low']} to {d['high']}",
    )


@_words("invalid-argument")
def _invalid_argument(d: dict[str, Any]) -> tuple[str, str | None]:
    return str(d["problem"]), d.get("hint")


@_words("interrupted")
def _interrupted(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"interrupted by {d['signal']}; nothing is left half-done that `agentls recover`"
        " cannot finish or undo",
        "`agentls status` shows what is pending",
    )


@_words("usage")
def _usage(d: dict[str, Any]) -> tuple[str, str | None]:
    return str(d["problem"]), "see `agentls --help` or `agentls COMMAND --help`"


# --- finding sessions --------------------------------------------------------------------


@_words("session-not-found")
def _session_not_found(d: dict[str, Any]) -> tuple[str, str | None]:
    known = ", ".join(d.get("known", [])) or "none"
    return f"no session named {d['name']!r}", f"known sessions: {known} (see `agentls status`)"


@_words("session-removed")
def _session_removed(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"no session named {d['name']!r}; it was removed, and its latest backup is {d['backup']}",
        f"bring it back as a new session: agentls new {d['name']} --from {d['backup']}",
    )


@_words("no-session-here")
def _no_session_here(d: dict[str, Any]) -> tuple[str, str | None]:
    return "which session? give a NAME", "this folder is not inside a session's worktree"


@_words("session-folder-gone")
def _session_folder_gone(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"cannot {d['action']} session {d['session']}: its folder {d['path']} is gone",
        f"restore the folder, or run `agentls remove {d['session']}`",
    )


@_words("session-vanished")
def _session_vanished(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"session {d['session']} was removed while agentls was working on it"
        f" ({d['path']} is gone); nothing was landed",
        "check `agentls status`; its work is kept under refs/agentls/backup/",
    )


# --- new, fork, rename, claims -----------------------------------------------------------


@_words("name-taken")
def _name_taken(d: dict[str, Any]) -> tuple[str, str | None]:
    if d.get("renaming"):
        return (
            f"the name {d['name']!r} is already used by another session",
            "pick another name, or rename that session first",
        )
    return (
        f"a session named {d['name']!r} already exists",
        f"pick another name, or rename the existing one with `agentls rename {d['name']} NEW`",
    )


@_words("branch-exists")
def _branch_exists(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"branch {d['branch']!r} already exists",
        "pass another with --branch, or open the existing branch with "
        f"`git worktree add <folder> {d['branch']}` (agentls picks it up as a session)",
    )


@_words("branch-clash")
def _branch_clash(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"branch {d['branch']!r} cannot be created: branch {d['existing']!r} already exists,"
        " and git cannot have both a branch and a folder of branches with one name",
        "pass another branch name with --branch",
    )


@_words("invalid-start")
def _invalid_start(d: dict[str, Any]) -> tuple[str, str | None]:
    if d.get("missing"):
        return f"start point {d['start']!r} is not a commit", "e.g. --from main"
    return f"invalid start point {d['start']!r}", "e.g. --from main"


@_words("invalid-folder")
def _invalid_folder(d: dict[str, Any]) -> tuple[str, str | None]:
    reason = d["reason"]
    if reason == "empty":
        return "the folder must be a non-empty path", None
    if reason == "exists":
        return (
            f"folder {d['path']} already exists",
            "choose another with --dir, or remove it first",
        )
    if reason == "inside-worktree":
        return (
            f"folder {d['path']} is inside session {d['session']}'s worktree {d['worktree']}",
            "put the new worktree outside every other worktree, e.g. next to the repository",
        )
    if reason == "inside-git-dir":
        return f"folder {d['path']} is inside the git directory {d['git_dir']}", None
    shown = d["path"] if len(d["path"]) <= 120 else d["path"][:60] + "…" + d["path"][-40:]
    return f"cannot use folder {shown}: {d['detail']}", "choose a shorter path with --dir"


@_words("claim-taken")
def _claim_taken(d: dict[str, Any]) -> tuple[str, str | None]:
    clashes = "; ".join(
        f"{c['glob']!r} overlaps {c['owner']}'s claim {c['theirs']!r}" for c in d["clashes"]
    )
    hint = (
        "agree on module boundaries, release the other claim, or pass --force to share it"
        if d.get("can_force")
        else "claim a different module, or release the other session's claim first"
    )
    return f"cannot claim: {clashes}", hint


@_words("claim-not-held")
def _claim_not_held(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"session {d['session']} does not claim {', '.join(map(repr, d['globs']))}",
        f"its claims: {', '.join(d['claims']) or 'none'}",
    )


@_words("no-source-session")
def _no_source_session(d: dict[str, Any]) -> tuple[str, str | None]:
    return "no source session to fork", "run it inside a worktree, or pass --from SESSION"


@_words("source-unreadable")
def _source_unreadable(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"session {d['session']} has no readable state to fork", None


@_words("invalid-agent")
def _invalid_agent(d: dict[str, Any]) -> tuple[str, str | None]:
    if d["reason"] == "empty":
        return "empty agent command", "e.g. --agent claude"
    if d["reason"] == "missing":
        return f"agent program {d['program']!r} is not on PATH", "install it or give its full path"
    return f"cannot parse agent command {d['command']!r}: {d['detail']}", None


# --- handoff -------------------------------------------------------------------------------


@_words("unreadable-note")
def _unreadable_note(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['detail']}: agentls will not use it as {d['file']}",
        f"replace {d['path']} with a regular file (or delete it) and try again",
    )


@_words("broken-handoff")
def _broken_handoff(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['file']} has a broken agentls section (a marker missing or out of order)",
        f"fix or delete the lines {d['begin']} / {d['end']} and run handoff again",
    )


# --- land ----------------------------------------------------------------------------------


def _role(d: dict[str, Any]) -> str:
    """'session s1' or "trunk's worktree (session main)"."""
    if d.get("role") == "trunk":
        return f"trunk's worktree (session {d['session']})"
    return f"session {d['session']}"


@_words("research-fork")
def _research_fork(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"session {d['session']} is a research fork: there is nothing to land",
        "forks answer questions; put code in a code session",
    )


@_words("detached-head")
def _detached_head(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"session {d['session']} is not on a branch (detached HEAD)",
        f"check out a branch in {d['path']} first",
    )


@_words("on-trunk")
def _on_trunk(d: dict[str, Any]) -> tuple[str, str | None]:
    if d.get("action") == "remove":
        return f"session {d['session']} has trunk ({d['trunk']}) checked out", None
    return (
        f"session {d['session']} is on trunk ({d['trunk']}): cannot land trunk onto itself",
        None,
    )


@_words("trunk-remote-only")
def _trunk_remote_only(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"trunk {d['trunk']} exists only as {d['ref']}",
        f"create the local branch first: git branch {d['trunk']} {d['ref']}",
    )


@_words("trunk-folder-gone")
def _trunk_folder_gone(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"trunk {d['trunk']} is checked out in {d['path']}, which is gone",
        "run `git worktree prune` and try again",
    )


@_words("operation-in-progress")
def _operation_in_progress(d: dict[str, Any]) -> tuple[str, str | None]:
    operation = d["operation"]
    return (
        f"a {operation} is in progress in {_role(d)} ({d['path']})",
        f"finish it (git {operation} --continue) or abort it (git {operation} --abort) first",
    )


@_words("dirty-worktree")
def _dirty_worktree(d: dict[str, Any]) -> tuple[str, str | None]:
    what = "land never touches them" if d.get("action", "land") == "land" else "nothing changed"
    return (
        f"{_role(d)} has uncommitted changes ({listing(d['paths'], total=d.get('count'))}); {what}",
        f"commit or stash them in {d['path']} first",
    )


@_words("snapshot-commit")
def _snapshot_commit(d: dict[str, Any]) -> tuple[str, str | None]:
    more = f" and {d['more']} more" if d.get("more") else ""
    fix = (
        f"keep its files as your own commit: in {d['path']} run `git reset --soft"
        f" {d['parent']}` and commit"
        if d.get("parent")
        else f"rebuild {d['branch']} without it (`git rebase -i {d['trunk']}`,"
        " squash it into a commit of yours)"
    )
    return (
        f"{d['branch']} holds agentls's own snapshot commit {d['commit'][:12]}{more}:"
        f" landing would put it on {d['trunk']}",
        fix,
    )


@_words("nothing-to-land")
def _nothing_to_land(d: dict[str, Any]) -> tuple[str, str | None]:
    if d.get("remote"):
        return (
            f"nothing to land: {d['branch']} has no commits that {d['remote']} lacks"
            f" (local {d['trunk']} is behind it)",
            f"it has landed already; bring {d['trunk']} up to date:"
            f" git merge --ff-only {d['remote']} in its worktree",
        )
    return (
        f"nothing to land: {d['branch']} has no commits that {d['trunk']} lacks",
        "commit your work first, or it has landed already",
    )


@_words("lock-held")
def _lock_held(d: dict[str, Any]) -> tuple[str, str | None]:
    holder = d.get("holder")
    who = (
        f"session {holder['session']} (pid {holder['pid']}, since {holder['since']})"
        if holder
        else "another process"
    )
    return (
        f"another land is running: {who} holds the land lock",
        "wait for it to finish (or pass --wait SECONDS) and try again",
    )


@_words("invalid-config")
def _invalid_config(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"{d['source']}: {d['problem']}", d.get("hint")


@_words("backup-failed")
def _backup_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"cannot create backup ref {d['ref']}", "check the repository"


@_words("rebase-abort-failed")
def _rebase_abort_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"rebase --abort did not restore {d['branch']}: {d.get('detail') or 'unknown error'}",
        f"its old head is kept at {d['backup']}; run `agentls recover`",
    )


# Failed lands (results with ok false, exit 1), worded the same way.


@_words("land-conflict")
def _land_conflict(d: dict[str, Any]) -> tuple[str, str | None]:
    files = d["files"]
    if d.get("predicted"):
        return (
            f"{d['session']} would conflict with {d['trunk']} in {', '.join(files)}",
            f"rebase {d['branch']} onto {d['trunk']} and resolve them, then land",
        )
    state = (
        "the rebase is left open for you to resolve"
        if d.get("kept_open")
        else f"{d['branch']} and its worktree are unchanged"
    )
    return (
        f"{d['session']} conflicts with {d['trunk']} in {', '.join(files)}; {state}",
        "see HANDOFF.md for the conflict context; rebase, resolve, and land again",
    )


@_words("rebase-failed")
def _rebase_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"the rebase of {d['session']} failed: {d.get('git') or 'unknown error'}", None


@_words("command-failed")
def _command_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    if d.get("exit_code") is None:
        what = f"`{d['command']}` timed out after {d['seconds']:.0f}s"
    else:
        what = f"`{d['command']}` failed (exit {d['exit_code']}) in {d['seconds']:.1f}s"
    return (
        f"{d['kind']} {what}; {d['trunk']} untouched; {d['branch']} stays rebased"
        f" (old head at {d['backup']})",
        "fix it, commit, and land again",
    )


@_words("trunk-moved")
def _trunk_moved(d: dict[str, Any]) -> tuple[str, str | None]:
    how = " (compare-and-swap failed)" if d.get("cas") else ""
    return f"{d['trunk']} moved during the land{how}; trunk untouched", "land again"


@_words("branch-moved")
def _branch_moved(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['branch']} moved during the land (now {d['now'] or 'deleted'}); trunk untouched",
        "land again",
    )


@_words("trunk-worktree-unclean")
def _trunk_worktree_unclean(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"trunk's worktree {d['path']} is no longer clean; trunk untouched", "land again"


@_words("fast-forward-failed")
def _fast_forward_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"could not fast-forward {d['path']}: {d['detail']}", "land again"


@_words("blocked-by-failure")
def _blocked_by_failure(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"skipped: overlaps {', '.join(d['blockers'])}, which did not land",
        "land the blocking session first, then this one",
    )


# --- remove, restore, recover --------------------------------------------------------------


@_words("primary-checkout")
def _primary_checkout(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"session {d['session']} is the repository's main checkout ({d['path']})",
        "it cannot be removed; remove the other worktrees instead",
    )


@_words("unlanded-work")
def _unlanded_work(d: dict[str, Any]) -> tuple[str, str | None]:
    problems = []
    if d.get("operation"):
        problems.append(f"a {d['operation']} in progress")
    if d.get("dirty"):
        problems.append(f"uncommitted work in {', '.join(d['dirty'][:5])}")
    if d.get("unlanded"):
        problems.append(f"{plural(d['unlanded'], 'commit')} not on {d['trunk']}")
    first = "" if d.get("research") else "land it first, or "
    return (
        f"session {d['session']} has {'; '.join(problems)}",
        f"{first}pass --force (a backup ref keeps the work)",
    )


@_words("landing-now")
def _landing_now(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"session {d['session']} is being landed right now (pid {d['pid']})",
        "wait for the land to finish, then try again",
    )


@_words("backup-without-commit")
def _backup_without_commit(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"backup {d['commit'][:12]} holds only uncommitted files of a branch with no commit",
        f"read them with `git show {d['commit']}` and commit them in a new session",
    )


@_words("not-on-branch")
def _not_on_branch(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"session {d['session']} is not on a branch; nothing to restore", None


@_words("no-backups")
def _no_backups(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"session {d['session']} has no backups under {d['prefix']}/{d['session']}/", None


@_words("invalid-backup")
def _invalid_backup(d: dict[str, Any]) -> tuple[str, str | None]:
    if d.get("reason") == "foreign":
        return f"{d['backup']!r} is not an agentls backup ref", None
    return f"invalid backup {d['backup']!r}", None


@_words("backup-not-found")
def _backup_not_found(d: dict[str, Any]) -> tuple[str, str | None]:
    return f"no backup {d['ref']}", f"backups of {d['session']}: {', '.join(d['known']) or 'none'}"


# --- the demo ------------------------------------------------------------------------------


@_words("demo-folder-foreign")
def _demo_folder_foreign(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['path']} exists and is not an agentls demo folder",
        "pass an empty or new folder with --dir",
    )


# --- remote sessions (agentls.remote, docs/remote.md) ----------------------------------------


@_words("remote-session")
def _remote_session(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['session']} is a remote session ({d['branch']} on {d['remote']}): it lives on "
        "another machine, so it cannot be renamed, claimed for, handed off or removed here"
        " (and published work in progress is never landed)",
        f"to work on it here, start a session from it: agentls new NAME --from {d['local_ref']}",
    )


# --- landing with a remote trunk (agentls.lifecycle.upstream) -----------------------------


@_words("trunk-fetch-failed")
def _trunk_fetch_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"could not fetch trunk from {d['remote']} ({d['branch']}) before landing: {d['error']};"
        " nothing changed",
        "check that you can fetch without a password prompt, or land locally only:"
        " agentls land --no-push (or push = false in [tool.agentls.land])",
    )


@_words("trunk-ahead-of-remote")
def _trunk_ahead_of_remote(d: dict[str, Any]) -> tuple[str, str | None]:
    remote = f"{d['remote']}/{d['branch']}"
    both = f", and {remote} has {d['behind']} it lacks" if d["behind"] else ""
    return (
        f"local {d['trunk']} has {plural(d['ahead'], 'commit')} that {remote} lacks{both}: a land"
        " would push them along; nothing changed",
        (f"reconcile first: git pull --rebase {d['remote']} {d['branch']} on {d['trunk']}, then "
         if d["behind"] else "")
        + f"git push {d['remote']} {d['trunk']}:{d['branch']}, or land locally only:"
        " agentls land --no-push",
    )  # fmt: skip


@_words("push-failed")
def _push_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['remote']} refused the push of {d['trunk']} ({d['remote_branch']}): {d['reason']};"
        f" {d['trunk']} untouched here and there; {d['branch']} stays rebased and tested"
        f" (old head at {d['backup']})",
        "fix what the remote objects to and land again, or land locally only:"
        " agentls land --no-push",
    )


@_words("push-raced")
def _push_raced(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['remote']}/{d['remote_branch']} moved before each of {d['attempts']} pushes"
        f" (other machines keep landing); {d['trunk']} untouched; {d['branch']} stays rebased"
        f" onto the last fetched {d['remote_branch']} and tested (old head at {d['backup']})",
        "land again when the remote is quieter",
    )


@_words("landing-session-exists")
def _landing_session_exists(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['session']} ({d['path']}) already exists: an earlier land of"
        f" {d['remote_session']} left it (it did not land); nothing changed",
        f"finish it there and `agentls land {d['session']}`, or"
        f" `agentls remove {d['session']} --force` and land {d['remote_session']} again",
    )


@_words("remote-session-gone")
def _remote_session_gone(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"{d['session']} is no longer a remote session here: {d['reason']}; nothing changed",
        "see `agentls status --fetch`",
    )


@_words("no-remote")
def _no_remote(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"no configured remote exists here (configured: {', '.join(d['configured'])})",
        "add one with `git remote add origin URL`, or set remotes in [tool.agentls.remote]"
        " (docs/remote.md)",
    )


@_words("publish-failed")
def _publish_failed(d: dict[str, Any]) -> tuple[str, str | None]:
    verb = "remove published refs from" if d.get("action") == "unpublish" else "publish to"
    return (
        f"could not {verb} {d['remote']}: {d.get('error') or 'git push failed'}",
        "check that you can push there without a password prompt (agentls never asks for one)",
    )


# --- semantic checks (agentls.semantic) -------------------------------------------------------


@_words("verify-disabled")
def _verify_disabled(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"semantic checks are not enabled on {d['trunk']}",
        "add `[tool.agentls.verify]` with `enabled = true` to pyproject.toml (or `[verify]` to"
        " .agentls.toml) on trunk; it runs the build and test commands of [tool.agentls.land]",
    )


@_words("verify-no-commands")
def _verify_no_commands(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        "no build or test commands are configured for semantic checks",
        'add them under [tool.agentls.land] (or [tool.agentls.verify]): test = "pytest -q"',
    )


@_words("scratch-busy")
def _scratch_busy(d: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"all {d['slots']} scratch checkouts of this repository are in use",
        "wait for the running checks to finish",
    )


@_words("semantic-conflict")
def _semantic_conflict(d: dict[str, Any]) -> tuple[str, str | None]:
    tests = d.get("tests") or []
    failing = f": {listing(tests, 3)}" if tests else ""
    ran = "timed out" if d.get("exit_code") is None else f"fails (exit {d['exit_code']}{failing})"
    return (
        f"{d['session']} not landed: merged with {d['trunk']} after {listing(d['after'])}"
        f" landed, `{d['command']}` still {ran}, though {d['session']} passes alone"
        " (a semantic conflict)",
        f"fix it on top of {d['trunk']} (full log: {d['log']}), then land again"
        if d.get("log")
        else f"fix it on top of {d['trunk']}, then land again",
    )
