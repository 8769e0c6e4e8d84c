"""What a write can be told without pygit2: "clear", or "you were told already".

Without a running engine every write waited for the full check (agentls.agents.check),
whose `import pygit2` alone is half of a cold hook (~70 ms on a quiet machine, 120 ms
or more on a slow one). Two answers need no merge and no diff, only which other
sessions changed the file and to what:
- clear: no other session changed or claims it (most writes an agent makes);
- already told: every session that changed it was already reported to this agent
  session for the very version it has now (deny once, agentls.agents.seen), so the
  write goes through; a finding's fingerprint is the other session's id and blob id
  (agentls.agents.targets.fingerprint), not its kind or lines.
This module finds those from what git and the disk say directly, and gives up (None)
at the first thing it cannot decide exactly as the full check would: then the full
check runs, as before. When it answers, the answer is the full check's
(tests/agents/test_quick.py, property-based against it).

Another session's version of a path is the blob `git add` would store from its disk,
compared with the blob its base (merge-base with trunk) has there. What that takes:
- the base: remembered by the last full check (agentls.agents.bases), since finding
  it needs git's history walk; a session that committed since is a miss;
- the base's entry for the path: one `git cat-file --batch` reads the folder's tree
  for every session (most share their base);
- a regular file (or none) with no attribute source that could reach the path (no
  attributes file anywhere git looks, core.autocrlf off, an index without
  skip-worktree entries), no symlinked or nested-repository folder above it, a size
  agentls reads whole; and no claim on the path.
Whatever else it meets (sha256 or reftable repositories, per-worktree config,
`includeIf`, a session with no remembered base, a research session writing) it
leaves to the full check.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

from agentls.agents.bases import read_bases
from agentls.agents.targets import answer, fingerprint, written_files
from agentls.claims import matching_claim
from agentls.files import FileTooLarge, NotARegularFile, read_regular
from agentls.git import ATTRIBUTES_FILE
from agentls.git.repo import Repository, attribute_files, index_version
from agentls.git.runner import git_env
from agentls.sessions import Session, discover_sessions
from agentls.store import Store

MODE_FILE, MODE_EXEC, MODE_TREE = 0o100644, 0o100755, 0o040000
SHA1_BYTES = 20
# Every setting the answer depends on, read by one `git config` with git's own rules
# (system, global, includes): a key this module cannot follow sends the check to pygit2.
CONFIG_KEYS = (
    r"^(agentls\.(trunk|ignore)|core\.(autocrlf|attributesfile|filemode)"
    r"|extensions\..*|includeif\..*)$"
)
OFF = ("false", "no", "off", "0")
ON = ("true", "yes", "on", "1", "")
Entry = tuple[str, int] | None  # (blob id, mode), as agentls.git.trees has it


class Unsure(Exception):
    """Something the full check decides differently, or that this module cannot read."""


class Quick(NamedTuple):
    """The full check's answer when every file is clear; else, in FINDINGS, the
    (file, fingerprint) of every finding it would have (what deny-once compares)."""

    answer: dict[str, Any] | None
    findings: tuple[tuple[str, str], ...]


def quick_check(cwd: str | Path, paths: Sequence[str], located: tuple[Path, Path]) -> Quick | None:
    """What the full check would say about PATHS written from CWD, as far as it is
    known without pygit2, or None when it is not (the full check must run)."""
    try:
        with _QuickCheck(located) as check:
            return check.run(Path(cwd).resolve(), paths)
    except Unsure:
        return None


class _Objects:
    """One `git cat-file --batch` for every object this check reads."""

    def __init__(self, common_dir: Path) -> None:
        self.proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=common_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env({"GIT_DIR": str(common_dir)}),
        )
        self._trees: dict[str, bytes | None] = {}
        self._entries: dict[tuple[str, str], Entry] = {}

    def read(self, name: str) -> tuple[str, str, bytes] | None:
        """(id, type, content) of the object NAME, or None when there is none."""
        if "\n" in name or "\0" in name:
            raise Unsure(f"cannot ask cat-file for {name!r}")
        stdin: IO[bytes] | None = self.proc.stdin
        stdout: IO[bytes] | None = self.proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(os.fsencode(name) + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3 or not header[2].isdigit():
            if header and header[-1] in (b"missing", b"ambiguous"):
                return None
            raise Unsure(f"cat-file said {header!r}")
        data = stdout.read(int(header[2]) + 1)[:-1]
        return header[0].decode(), header[1].decode(), data

    def tree(self, commit: str, folder: str) -> bytes | None:
        """The raw tree of FOLDER ("" for the root) at COMMIT, None when it has none."""
        key = f"{commit}:{folder}"
        if key not in self._trees:
            found = self.read(key)
            self._trees[key] = found[2] if found is not None and found[1] == "tree" else None
        return self._trees[key]

    def entry(self, commit: str | None, path: str) -> tuple[str, int] | None:
        """PATH's (blob id, mode) at COMMIT, None when absent or a folder."""
        if commit is None:
            return None
        folder, _, name = path.rpartition("/")
        tree = self.tree(commit, folder)
        if tree is None:
            return None
        key = (commit, path)
        if key not in self._entries:  # sessions mostly share their base
            found = _tree_item(tree, os.fsencode(name))
            self._entries[key] = None if found is None or found[1] == MODE_TREE else found
        return self._entries[key]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # cat-file exits at the end of its input
        # No timeout: with one, Popen.wait polls in sleeps of growing length (a few ms).
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _tree_item(tree: bytes, name: bytes) -> tuple[str, int] | None:
    """NAME's (id, mode) in a raw tree object (`<octal mode> <name>\\0<20-byte id>`...)."""
    at = 0
    while at < len(tree):
        space = tree.index(b" ", at)
        nul = tree.index(b"\0", space)
        end = nul + 1 + SHA1_BYTES
        if tree[space + 1 : nul] == name:
            return tree[nul + 1 : end].hex(), int(tree[at:space], 8)
        at = end
    return None


class _QuickCheck:
    """One proof attempt: the repository's sessions, settings and trunk, read once."""

    def __init__(self, located: tuple[Path, Path]) -> None:
        self.repository = Repository(common_dir=located[1], toplevel=located[0])
        self.common = located[1]
        # Started first: both run while the worktree list is read.
        self.objects = _Objects(self.common)
        self.config_proc = subprocess.Popen(
            ["git", "config", "-z", "--get-regexp", CONFIG_KEYS],
            cwd=self.common,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env({"GIT_DIR": str(self.common)}),
        )
        self._index_versions: dict[Path, int] = {}

    def __enter__(self) -> _QuickCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.objects.close()
        if self.config_proc.poll() is None:
            self.config_proc.kill()
        self.config_proc.wait()
        if self.config_proc.stdout is not None:
            self.config_proc.stdout.close()

    def run(self, cwd: Path, paths: Sequence[str]) -> Quick:
        store = Store(self.repository.state_dir)
        try:
            sessions = discover_sessions(self.repository, store)
        finally:
            store.close()
        self.config = self._settings()
        trunk_branch, trunk = self._trunk()
        readable = {s.id for s in sessions if not s.missing}
        remembered = read_bases(self.common)
        bases: dict[str, str | None] = {}
        for session in sessions:
            if session.id in readable and not session.is_research:
                bases[session.id] = self._base(session, trunk, remembered)
        files: list[dict[str, Any]] = []
        findings: list[tuple[str, str]] = []
        ignore = self.config.get("agentls.ignore", [])
        written, writer_session = written_files(sessions, readable, cwd, paths, None, ignore)
        for writer, relative, full in written:
            if writer.is_research:
                raise Unsure("a research session's write is always reported")
            for other in sessions:
                if other.id not in bases or other is writer:
                    continue
                if other.claims and matching_claim(other.claims, relative) is not None:
                    raise Unsure(f"{other.name} claims {relative}")
                base_entry = self.objects.entry(bases[other.id], relative)
                theirs = self._their_entry(other, relative, base_entry)
                if theirs != base_entry:  # a finding of the full check's, claim-free
                    told = fingerprint(other.id, theirs, None, ownership=False)
                    findings.append((str(full), told))
            files.append({"path": relative, "file": str(full), "findings": []})
        if findings:
            return Quick(None, tuple(findings))
        return Quick(answer(self.common, trunk_branch, writer_session, files), ())

    # --- what the repository says ------------------------------------------------------

    def _settings(self) -> dict[str, list[str]]:
        """CONFIG_KEYS as git reads them: {lower-case key: values}."""
        out, _ = self.config_proc.communicate()  # no timeout: see _Objects.close
        if self.config_proc.returncode not in (0, 1):  # 1: none of the keys is set
            raise Unsure("git config failed")
        settings: dict[str, list[str]] = {}
        for item in out.decode(errors="surrogateescape").split("\0"):
            if item:
                key, _, value = item.partition("\n")
                settings.setdefault(key.lower(), []).append(value)
        for key in settings:
            if key.startswith("includeif."):
                raise Unsure("conditional includes can differ between worktrees")
        extensions = {k: v for k, v in settings.items() if k.startswith("extensions.")}
        if extensions.get("extensions.objectformat", ["sha1"])[-1].lower() != "sha1":
            raise Unsure("object ids other than sha1")
        if extensions.get("extensions.refstorage", ["files"])[-1].lower() != "files":
            raise Unsure("refs not stored as files")
        if "extensions.worktreeconfig" in extensions:
            raise Unsure("per-worktree config")
        autocrlf = settings.get("core.autocrlf", ["false"])[-1].strip().lower()
        if autocrlf not in ("", *OFF):
            raise Unsure("core.autocrlf converts line endings")
        return settings

    def _trunk(self) -> tuple[str, str]:
        """(branch, commit) of trunk, found as agentls.git.repo.read_trunk finds it."""
        configured = self.config.get("agentls.trunk", [""])[-1]
        names = [configured] if configured else [*self._origin_head(), "main", "master"]
        for name in names:
            if not name or any(c.isspace() for c in name):
                raise Unsure(f"trunk name {name!r}")
            for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
                found = self.objects.read(ref + "^{commit}")
                if found is not None:
                    return name, found[0]
            if configured:
                break
        raise Unsure("no trunk")  # the full check says why

    def _origin_head(self) -> list[str]:
        try:
            text = (self.common / "refs" / "remotes" / "origin" / "HEAD").read_text()
        except OSError:
            return []
        target = text.strip().removeprefix("ref: ")
        prefix = "refs/remotes/origin/"
        return [target.removeprefix(prefix)] if target.startswith(prefix) else []

    @staticmethod
    def _base(session: Session, trunk: str, remembered: dict[tuple[str, str], str]) -> str | None:
        head = session.head
        if not head:
            return None
        if head == trunk:
            return head
        base = remembered.get((head, trunk))
        if base is None:
            raise Unsure(f"no remembered base for {session.name}")
        return base

    # --- what a session has on disk ------------------------------------------------------

    def _their_entry(self, session: Session, path: str, known: Entry) -> Entry:
        """PATH in SESSION's worktree as `git add` would store it, KNOWN its base's entry
        (agentls.changes.read_worktree_file, for the cases this module can decide)."""
        worktree = session.path
        folder = str(worktree)
        for part in path.split("/")[:-1]:
            folder = os.path.join(folder, part)
            try:
                info = os.lstat(folder)
            except (FileNotFoundError, NotADirectoryError):
                break  # the folder is gone, so is the file
            if stat.S_ISLNK(info.st_mode) or os.path.lexists(os.path.join(folder, ".git")):
                raise Unsure("git stores a symlinked folder or nested repository whole")
        full = worktree / path
        try:
            info = os.lstat(full)
        except (FileNotFoundError, NotADirectoryError):
            # Gone: git drops it, unless it is a sparse (skip-worktree) entry, which only
            # an index with extended flags can have.
            if self._index_version(session) != 2:
                raise Unsure("an index with extended flags can keep absent files") from None
            return None
        if known is None or known[1] not in (MODE_FILE, MODE_EXEC):
            raise Unsure(f"{session.name} has {path} where its base has no file")
        if not stat.S_ISREG(info.st_mode):
            raise Unsure(f"{path} is not a regular file in {session.name}")
        self._require_no_attributes(session, path)
        try:
            data = read_regular(full, follow_symlinks=False)
        except (FileTooLarge, NotARegularFile) as exc:  # git streams it; or swapped
            raise Unsure(str(exc)) from None
        if self._trust_executable_bit():
            mode = MODE_EXEC if info.st_mode & stat.S_IXUSR else MODE_FILE
        else:
            mode = known[1]  # core.fileMode=false: the mode git has wins
        blob = hashlib.sha1(b"blob %d\0" % len(data))
        blob.update(data)
        return blob.hexdigest(), mode

    def _trust_executable_bit(self) -> bool:
        value = self.config.get("core.filemode", ["true"])[-1].strip().lower()
        if value not in (*ON, *OFF):
            raise Unsure(f"core.fileMode={value!r}")
        return value in ON

    def _require_no_attributes(self, session: Session, path: str) -> None:
        """As agentls.git.filters decides that git stores PATH's bytes as they are."""
        if self._index_version(session) != 2:
            raise Unsure("an index with extended flags can hold attributes files")
        folders = [str(session.path)]
        for part in path.split("/")[:-1]:
            folders.append(os.path.join(folders[-1], part))
        candidates = [os.path.join(f, ATTRIBUTES_FILE) for f in folders]
        configured = self.config.get("core.attributesfile")
        user_file = configured[-1] if configured else None
        candidates += attribute_files(session.worktree.gitdir, self.common, user_file)
        if any(os.path.lexists(c) for c in candidates):
            raise Unsure(f"attributes may apply to {path}")

    def _index_version(self, session: Session) -> int:
        """The version in SESSION's index header (git writes 2 unless an entry has
        extended flags, such as skip-worktree, or index.version asks for another)."""
        gitdir = session.worktree.gitdir
        if gitdir not in self._index_versions:
            self._index_versions[gitdir] = index_version(gitdir / "index")
        return self._index_versions[gitdir]
