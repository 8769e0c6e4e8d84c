"""Find the repository, its worktrees and its trunk from any folder inside it."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from agentls.errors import AgentlsError, GitError, NotARepositoryError
from agentls.git.runner import run_git, run_git_bytes

if TYPE_CHECKING:
    import pygit2

MIN_GIT = (2, 38)


# NamedTuples, not dataclasses: the hook's start-up imports this module, and
# `dataclasses` (with `inspect`) costs it ~10 ms.
class Repository(NamedTuple):
    """One git repository: the common dir every worktree shares."""

    common_dir: Path
    # The worktree the caller stands in (None when called from a bare repository).
    toplevel: Path | None

    @property
    def state_dir(self) -> Path:
        """Where agentls keeps its store, socket and lock: `<common-dir>/agentls/`."""
        return self.common_dir / "agentls"

    @property
    def scratch_dir(self) -> Path:
        """agentls's caches and temporary files: `<common-dir>/agentls/tmp/`."""
        return self.common_dir / "agentls" / "tmp"

    @property
    def cwd(self) -> Path:
        """A folder git commands for the whole repository can run in."""
        return self.toplevel or self.common_dir


class Worktree(NamedTuple):
    """One entry of `git worktree list`."""

    path: Path
    head: str | None  # None for an unborn branch
    branch: str | None  # short name, None when detached
    gitdir: Path  # admin dir: the common dir for the primary, worktrees/<id> otherwise
    is_primary: bool
    bare: bool = False
    locked: bool = False
    prunable: bool = False
    # `git worktree add` still running, or killed half-way (its HEAD may not be valid
    # yet): not a session until git finishes; `agentls recover` clears a dead one.
    adding: bool = False

    @property
    def exists(self) -> bool:
        return self.path.is_dir()


def index_version(index_file: str | Path) -> int:
    """The version in an index file's header, 0 when unreadable: git writes 2 unless an
    entry has extended flags (skip-worktree) or index.version asks for another. Reads 8
    bytes instead of the whole index (~20 ms and ~7 MiB at 50k files)."""
    try:
        with open(index_file, "rb") as handle:
            header = handle.read(8)
    except OSError:
        return 0
    return int.from_bytes(header[4:8], "big") if header[:4] == b"DIRC" else 0


def attribute_files(gitdir: Path, common_dir: Path, user_file: str | None) -> list[str]:
    """Every attributes file git reads for a worktree besides its `.gitattributes`:
    info/attributes (the worktree's admin dir and the common dir), the user's
    (core.attributesFile, USER_FILE, else the XDG default) and the system's."""
    if user_file:
        user = os.path.expanduser(user_file)
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        user = os.path.join(xdg, "git", "attributes")
    return [
        str(gitdir / "info" / "attributes"),
        str(common_dir / "info" / "attributes"),
        user,
        "/etc/gitattributes",
        "/usr/local/etc/gitattributes",
    ]


@lru_cache(maxsize=1)
def git_version() -> tuple[int, int, int]:
    out = run_git(["--version"], cwd=".")
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    if not match:
        raise GitError(f"cannot read git's version from {out!r}")
    return int(match[1]), int(match[2]), int(match[3] or 0)


def require_git() -> None:
    version = git_version()
    if version[:2] < MIN_GIT:
        have = ".".join(map(str, version))
        raise AgentlsError.refuse("git-too-old", version=have, needed="2.38")


def find_repository(path: str | Path) -> Repository:
    """The repository containing PATH (any folder inside any worktree, or a bare repo)."""
    folder = Path(path).resolve()
    if not folder.is_dir():
        raise NotARepositoryError.refuse("not-a-folder", folder=str(folder))
    require_git()
    asks = ["rev-parse", "--path-format=absolute", "--git-common-dir", "--is-bare-repository"]
    # One process in a worktree (the usual case); --show-toplevel fails in a bare
    # repository or inside a .git folder, which then take a second, without it.
    proc = run_git_bytes([*asks, "--show-toplevel"], cwd=folder, check=False)
    lines = proc.stdout.decode().splitlines()
    if proc.returncode != 0 or len(lines) < 3 or not lines[2].strip():
        proc = run_git_bytes(asks, cwd=folder, check=False)
        if proc.returncode != 0:
            raise NotARepositoryError.refuse("not-a-repository", folder=str(folder))
        lines = proc.stdout.decode().splitlines()[:2]
    common, bare = lines[:2]
    toplevel: Path | None = None
    if bare != "true" and len(lines) > 2:
        toplevel = Path(lines[2].strip()).resolve()
    return Repository(common_dir=Path(common).resolve(), toplevel=toplevel)


def _admin_dirs(common_dir: Path) -> dict[str, Path]:
    """Map each linked worktree's folder to its admin dir (works when the folder is gone):
    by the folder as its `gitdir` file names it, and by its real path.

    Strings, not Paths: the hook lists 30 worktrees before every write it checks."""
    found: dict[str, Path] = {}
    admin_root = os.path.join(common_dir, "worktrees")
    try:
        names = os.listdir(admin_root)
    except OSError:
        return found
    for name in names:
        admin = os.path.join(admin_root, name)
        try:
            with open(
                os.path.join(admin, "gitdir"), encoding="utf-8", errors="surrogateescape"
            ) as f:
                folder = os.path.dirname(f.read().strip())
        except OSError:
            continue
        found[folder] = found[os.path.realpath(folder)] = Path(admin)
    return found


def object_store(common_dir: Path) -> pygit2.Repository:
    """The repository's objects alone, for analysis: trees, blobs, diffs, merge bases.

    No config, index or attributes: libgit2's first diff in a full repository looks
    attributes up, which loads the primary worktree's whole index (~100 ms and ~7 MiB
    at 50k files). Blob diffs here carry no path, so no attribute could apply anyway.
    """
    import pygit2  # not at the top: hooks that ask the engine never load pygit2

    store = pygit2.Repository()
    store.set_odb(pygit2.Odb(str(common_dir / "objects")))
    return store


def list_worktrees(repo: Repository) -> list[Worktree]:
    """Every worktree git knows, parsed from `git worktree list --porcelain -z`."""
    raw = run_git_bytes(["worktree", "list", "--porcelain", "-z"], cwd=repo.cwd).stdout
    admins = _admin_dirs(repo.common_dir)
    result: list[Worktree] = []
    for index, record in enumerate(raw.decode(errors="surrogateescape").split("\0\0")):
        fields: dict[str, str] = {}
        for line in record.split("\0"):
            if not line:
                continue
            key, _, value = line.partition(" ")
            fields[key] = value
        if "worktree" not in fields:
            continue
        path = fields["worktree"]
        resolved = os.path.realpath(path) if os.path.exists(path) else path
        branch = fields.get("branch")
        head = fields.get("HEAD")
        is_primary = index == 0
        gitdir = (
            repo.common_dir
            if is_primary
            else admins.get(resolved) or admins.get(path) or Path(path)
        )
        result.append(
            Worktree(
                path=Path(resolved),
                head=None if head is None or set(head) == {"0"} else head,
                branch=branch.removeprefix("refs/heads/") if branch else None,
                gitdir=gitdir,
                is_primary=is_primary,
                bare="bare" in fields,
                locked="locked" in fields,
                prunable="prunable" in fields,
                adding=fields.get("locked") == "initializing",
            )
        )
    return result


class Trunk(NamedTuple):
    branch: str  # short name, e.g. "main"
    ref: str  # full ref that is compared against, e.g. refs/heads/main
    commit: str


def resolve_trunk(repo: Repository, override: str | None = None) -> Trunk:
    """Trunk: OVERRIDE, else `agentls.trunk`, else origin/HEAD's branch, `main`, `master`."""
    explicit = override or run_git(["config", "--get", "agentls.trunk"], cwd=repo.cwd, check=False)
    if explicit:
        found = _find_branch(repo, explicit)
        if found is None:
            if _unborn_branch(repo) == explicit:
                raise AgentlsError.refuse("trunk-unborn", branch=explicit)
            raise AgentlsError.refuse("trunk-not-found", branch=explicit)
        return found
    origin = run_git(
        ["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], cwd=repo.cwd, check=False
    )
    candidates = ["main", "master"]
    if origin.startswith("refs/remotes/origin/"):
        candidates.insert(0, origin.removeprefix("refs/remotes/origin/"))
    for name in candidates:
        found = _find_branch(repo, name)
        if found is not None:
            return found
    unborn = _unborn_branch(repo)
    if unborn is not None and unborn in candidates:
        raise AgentlsError.refuse("trunk-unborn", branch=unborn)
    raise AgentlsError.refuse("no-trunk", candidates=["origin/HEAD", "main", "master"])


def _unborn_branch(repo: Repository) -> str | None:
    """The branch HEAD names when it has no commit yet (a repository without commits)."""
    head = run_git(["symbolic-ref", "--quiet", "HEAD"], cwd=repo.cwd, check=False)
    if not head.startswith("refs/heads/") or rev_parse(repo.cwd, head) is not None:
        return None
    return head.removeprefix("refs/heads/")


def read_trunk(git: pygit2.Repository, override: str | None = None) -> Trunk | None:
    """resolve_trunk's answer read in process with pygit2 (no git processes), or None
    when it finds none (resolve_trunk then says why)."""
    import pygit2  # not at the top: hooks that ask the engine never load pygit2

    names: list[str] = []
    configured: object = override
    if not configured:
        try:
            configured = git.config["agentls.trunk"]
        except (KeyError, pygit2.GitError):
            configured = None
    if configured:
        names.append(str(configured))
    else:
        try:
            origin = git.references["refs/remotes/origin/HEAD"].target
            if isinstance(origin, str) and origin.startswith("refs/remotes/origin/"):
                names.append(origin.removeprefix("refs/remotes/origin/"))
        except (KeyError, pygit2.GitError):
            pass
        names += ["main", "master"]
    for name in names:
        for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
            try:
                commit = git.references[ref].peel(pygit2.Commit)
            except (KeyError, pygit2.GitError, ValueError):
                continue
            return Trunk(branch=name, ref=ref, commit=str(commit.id))
        if configured:
            return None  # a configured trunk that does not exist is an error, not a fallback
    return None


def _find_branch(repo: Repository, name: str) -> Trunk | None:
    for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
        commit = rev_parse(repo.cwd, ref)
        if commit:
            return Trunk(branch=name, ref=ref, commit=commit)
    return None


def rev_parse(cwd: str | Path, rev: str) -> str | None:
    """The commit REV names, or None when it does not exist."""
    proc = run_git_bytes(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=cwd,
        check=False,
    )
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def merge_base(cwd: str | Path, a: str, b: str) -> str | None:
    proc = run_git_bytes(["merge-base", a, b], cwd=cwd, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def ahead_behind(cwd: str | Path, head: str, trunk: str) -> tuple[int, int]:
    """Commits on HEAD not on trunk, and on trunk not on HEAD."""
    out = run_git(["rev-list", "--left-right", "--count", f"{head}...{trunk}"], cwd=cwd)
    ahead, behind = out.split()
    return int(ahead), int(behind)
