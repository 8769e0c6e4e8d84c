"""How `git add` sees one worktree: clean filters, nested repositories, modes, sparse entries.

`git add` does not store a file's bytes as they are: CRLF normalisation
(core.autocrlf, `text`, `text=auto`, `eol`), `ident` keyword collapsing, filter
drivers (`filter=lfs`) and `working-tree-encoding` all run first. Snapshots get
this for free from `git add -A`; the per-file paths (file events, unsaved
buffers, the hook check) must apply the same rules or an untouched file looks
changed after any event.

libgit2 applies crlf and ident in-process (~15 µs a file when attributes apply).
It runs no external filter drivers and knows no working-tree-encoding, so paths
using those ask git itself (`git hash-object --path`, one process).

libgit2's first attribute lookup in a worktree loads that worktree's whole index
(~20 ms and ~7 MiB at 50k files), so a path none of git's attribute sources can
reach (no attributes file on disk or in HEAD along its folders, none in info/ or
the global and system places, core.autocrlf off) is stored as it is without
asking libgit2: with thirty sessions that is the difference between a few MiB and
a few hundred.

Beyond content: git stores a nested repository as one gitlink (its HEAD), a
symlinked folder as the link, ignores the executable bit when core.fileMode is
false, and keeps skip-worktree (sparse checkout) entries whose files are absent.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pygit2
from pygit2 import C, ffi

from agentls.errors import GitError
from agentls.git import ATTRIBUTES_FILE
from agentls.git.repo import attribute_files, index_version
from agentls.git.runner import run_git_bytes

SKIP_WORKTREE = 1 << 14  # GIT_INDEX_ENTRY_SKIP_WORKTREE, in an index entry's extended flags
# The config files _attribute_files_state ends with (their stat results come last).
CONFIG_FILES = 2


class WorktreeFilters:
    """Clean filters and ignore rules of one worktree, read with pygit2.

    TRACKED_ATTRIBUTES(path) says whether git reads an attributes file at PATH from
    the index although the worktree has none (a skip-worktree entry): such a path
    still needs libgit2's lookup.
    """

    def __init__(
        self, worktree: Path, tracked_attributes: Callable[[str], bool] | None = None
    ) -> None:
        self.worktree = worktree
        self.tracked_attributes = tracked_attributes
        self._repo: pygit2.Repository | None = None
        self._autocrlf: bool | None = None
        self._index_version: tuple[tuple[int, int, int] | None, int] | None = None
        self._index_mtime: int | None = None
        self._index: pygit2.Index | None = None
        self._trust_exec: bool | None = None
        self._sparse: bool | None = None
        self._drivers: set[str] | None = None
        self._global_attribute_files: list[str] | None = None
        self._config_files: list[str] = []
        self._config_state: tuple[object, ...] | None = None
        self._rule_cache: dict[
            str, tuple[tuple[object, ...], bool, pygit2.filter.FilterList | None]
        ] = {}
        # While batch() is on: stat results and folder kinds, looked at once each.
        self._batch_stats: dict[str, tuple[int, int, int] | None] | None = None
        self._batch_kinds: dict[str, str] | None = None

    @property
    def repo(self) -> pygit2.Repository:
        """The worktree opened as a repository (its index, attributes and config)."""
        if self._repo is None:
            self._repo = pygit2.Repository(str(self.worktree))
        return self._repo

    def warm(self) -> None:
        """Open the worktree and do one attribute lookup now: libgit2's first lookup in a
        repository loads its index (~25 ms at 50k files), which an edit should not wait on.
        Free when no attribute source exists (nothing is loaded then)."""
        # Problems are reported by the first real lookup, as usual.
        with contextlib.suppress(pygit2.GitError, OSError, ValueError, KeyError):
            self._rules(self.repo, ATTRIBUTES_FILE)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """While many files are read at once (a worktree's scan), each attributes file
        and folder above them is looked at once, not once per file (a scan of 60 files
        stats ~750 attribute files otherwise). Outside it every call looks afresh."""
        self._batch_stats, self._batch_kinds = {}, {}
        try:
            yield
        finally:
            self._batch_stats = self._batch_kinds = None

    def _stat(self, path: str) -> tuple[int, int, int] | None:
        memo = self._batch_stats
        if memo is None:
            return _stat_key(path)
        if path not in memo:
            memo[path] = _stat_key(path)
        return memo[path]

    def is_ignored(self, path: str) -> bool:
        try:
            return bool(self.repo.path_is_ignored(path))
        except pygit2.GitError:
            return False

    def stored_path(self, path: str) -> str:
        """The path git stores PATH under: PATH itself, or the nested repository or
        symlinked folder above it (git records those as one entry, never files inside)."""
        parts = path.split("/")
        folder = str(self.worktree)
        for i, part in enumerate(parts[:-1]):
            folder = os.path.join(folder, part)
            kind = self._folder_kind(folder)
            if kind == "missing":
                return path
            if kind == "stored":
                return "/".join(parts[: i + 1])
        return path

    def _folder_kind(self, folder: str) -> str:
        """'missing', 'stored' (a symlink or a nested repository: git records it as one
        entry) or 'folder'; looked at once per batch()."""
        memo = self._batch_kinds
        if memo is not None and folder in memo:
            return memo[folder]
        try:
            info = os.lstat(folder)
        except OSError:
            kind = "missing"
        else:
            stored = stat.S_ISLNK(info.st_mode) or os.path.lexists(os.path.join(folder, ".git"))
            kind = "stored" if stored else "folder"
        if memo is not None:
            memo[folder] = kind
        return kind

    def nested_head(self, path: str) -> str | None:
        """HEAD of the repository at folder PATH (a gitlink's target), or None when it has none."""
        try:
            nested = pygit2.Repository(str(self.worktree / path))
            if nested.head_is_unborn:
                return None
            return str(nested.head.target)
        except (pygit2.GitError, KeyError, ValueError):
            return None

    @property
    def trust_executable_bit(self) -> bool:
        """core.fileMode: false means git keeps the mode it has and ignores the disk's x bit."""
        if self._trust_exec is None:
            self._trust_exec = self._config_bool("core.fileMode", True)
        return self._trust_exec

    def may_skip_worktree(self) -> bool:
        """Whether any index entry can be skip-worktree: git writes index version 2 only
        when no entry has extended flags, so a version-2 index has none (8 bytes read)."""
        return self._index_format() != 2

    def skip_worktree(self, path: str) -> bool:
        """PATH is marked skip-worktree in the worktree's index (outside a sparse checkout)."""
        if not self.may_skip_worktree():
            return False
        try:
            repo = self.repo
            self._refresh_index(repo)
            if self._index is None:
                self._index = repo.index
            centry = C.git_index_get_bypath(self._index._index, path.encode(), 0)
            if centry == ffi.NULL:
                return False
            return bool(centry.flags_extended & SKIP_WORKTREE)
        except (pygit2.GitError, OSError, ValueError):
            return False

    def _index_format(self) -> int:
        """The version in the index file's header (0 when unreadable), cached by its stat.

        Reading 8 bytes instead of the whole index (~20 ms and ~7 MiB at 50k files).
        """
        index_file = os.path.join(self.repo.path, "index")
        key = _stat_key(index_file)
        if self._index_version is not None and self._index_version[0] == key:
            return self._index_version[1]
        version = index_version(index_file)
        self._index_version = (key, version)
        return version

    @property
    def sparse(self) -> bool:
        """core.sparseCheckout is on: files present on disk may still be skip-worktree."""
        if self._sparse is None:
            self._sparse = self._config_bool("core.sparseCheckout", False)
        return self._sparse

    def _config_bool(self, name: str, default: bool) -> bool:
        try:
            return bool(self.repo.config.get_bool(name))
        except (KeyError, pygit2.GitError, ValueError):
            return default

    def clean(self, path: str, data: bytes) -> bytes:
        """DATA as `git add PATH` would store it."""
        try:
            repo = self.repo
            needs_git, filters = self._rules(repo, path)
            if needs_git:
                return self._clean_with_git(repo, path, data)
            if filters is None:
                return data
            if "crlf" in filters:
                self._refresh_index(repo)  # git keeps CRs a file already has in the index
            return _apply(filters, data)
        except (pygit2.GitError, GitError, OSError, ValueError, KeyError):
            # e.g. core.safecrlf=true refusing the conversion: git add fails too
            return data

    def _rules(
        self, repo: pygit2.Repository, path: str
    ) -> tuple[bool, pygit2.filter.FilterList | None]:
        """(needs git, libgit2's filter list) for PATH, cached while no attribute file
        that could apply changed: libgit2's lookups cost ~40 µs, a few stats ~5 µs."""
        key = self._attribute_files_state(repo, path)
        config = key[-2:]  # see _attribute_files_state: the config files come last
        if self._config_state is not None and config != self._config_state:
            self._reopen()  # libgit2 caches core.autocrlf & co. for a repository's life
            repo = self.repo
        self._config_state = config
        cached = self._rule_cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        if self._unreachable(repo, path, key):
            rules: tuple[bool, pygit2.filter.FilterList | None] = (False, None)
        else:
            rules = (self._needs_git(repo, path), repo.load_filter_list(path))
        if len(self._rule_cache) > 4096:
            self._rule_cache.clear()
        self._rule_cache[path] = (key, *rules)
        return rules

    def _attribute_files_state(self, repo: pygit2.Repository, path: str) -> tuple[object, ...]:
        """Stat results of every attributes file PATH's lookup reads, the index (git
        reads .gitattributes from it when a worktree copy is missing) and the config."""
        if self._global_attribute_files is None:
            gitdir = Path(repo.path)
            common = gitdir.parent.parent if gitdir.parent.name == "worktrees" else gitdir
            try:
                user_file: str | None = str(repo.config["core.attributesFile"])
            except (KeyError, pygit2.GitError):
                user_file = None
            files = attribute_files(gitdir, common, user_file)
            self._global_attribute_files = [*files, str(gitdir / "index")]
            self._config_files = [str(common / "config"), str(gitdir / "config.worktree")]
        folders = [str(self.worktree)]
        for part in path.split("/")[:-1]:
            folders.append(os.path.join(folders[-1], part))
        candidates = [*self._global_attribute_files]
        candidates += [os.path.join(f, ".gitattributes") for f in folders]
        candidates += self._config_files
        return tuple(self._stat(f) for f in candidates)

    def attributes_apply(self, path: str) -> bool:
        """Whether an attributes file or core.autocrlf can change how PATH is stored
        (when not, libgit2 is never asked: see the module docstring)."""
        repo = self.repo
        key = self._attribute_files_state(repo, path)
        if self._config_state is not None and key[-CONFIG_FILES:] != self._config_state:
            self._reopen()
            repo = self.repo
            key = self._attribute_files_state(repo, path)
        self._config_state = key[-CONFIG_FILES:]
        return not self._unreachable(repo, path, key)

    def _unreachable(self, repo: pygit2.Repository, path: str, key: tuple[object, ...]) -> bool:
        """No attribute source can apply to PATH, and core.autocrlf is off: git stores
        the bytes as they are. KEY is _attribute_files_state's answer for PATH.

        The hook's pygit2-free shortcut states the same rule again
        (agentls.agents.quick._QuickCheck._require_no_attributes): change both."""
        assert self._global_attribute_files is not None
        globals_ = len(self._global_attribute_files)
        # Every attributes file (the index's stat, the last global entry, aside) is absent.
        if any(k is not None for k in key[: globals_ - 1]):
            return False
        if any(k is not None for k in key[globals_:-CONFIG_FILES]):
            return False
        if self._autocrlf is None:
            value = ""
            with contextlib.suppress(KeyError, pygit2.GitError, ValueError):
                value = str(repo.config["core.autocrlf"]).strip().lower()
            self._autocrlf = value not in ("", "false", "no", "off", "0")
        if self._autocrlf:
            return False
        if self.tracked_attributes is None:
            return True
        parts = path.split("/")[:-1]
        folders = ["/".join(parts[:i]) for i in range(len(parts) + 1)]
        return not any(
            self.tracked_attributes(f"{f}/{ATTRIBUTES_FILE}" if f else ATTRIBUTES_FILE)
            for f in folders
        )

    def forget_rules(self) -> None:
        """Look attributes up again (the caller learned of attribute files in the index)."""
        self._rule_cache.clear()

    def _reopen(self) -> None:
        self._repo = self._index = None
        self._index_mtime = self._trust_exec = self._sparse = self._drivers = None
        self._autocrlf = None
        self._rule_cache.clear()

    def _needs_git(self, repo: pygit2.Repository, path: str) -> bool:
        """PATH uses a configured filter driver or a working-tree-encoding."""
        if repo.get_attr(path, "working-tree-encoding"):
            return True
        if self._drivers is None:  # read once: most repositories configure none
            names = (entry.name for entry in repo.config)
            self._drivers = {
                n.split(".")[1] for n in names if n.startswith("filter.") and n.count(".") >= 2
            }
        if not self._drivers:
            return False
        driver = repo.get_attr(path, "filter")
        if not isinstance(driver, str):
            return False
        config = repo.config
        return any(f"filter.{driver}.{key}" in config for key in ("clean", "process"))

    def store_large(self, path: str) -> str:
        """Write the worktree's file PATH to the object store as `git add` would; its blob id.

        For files too large to read into memory (agentls.files.MAX_FILE_BYTES): git
        streams them, applying the same clean filters.
        """
        proc = run_git_bytes(["hash-object", "-w", f"--path={path}", "--", path], cwd=self.worktree)
        return proc.stdout.decode().strip()

    def _clean_with_git(self, repo: pygit2.Repository, path: str, data: bytes) -> bytes:
        proc = run_git_bytes(
            ["hash-object", "-w", "--stdin", f"--path={path}"], cwd=self.worktree, input=data
        )
        return bytes(repo[proc.stdout.decode().strip()].peel(pygit2.Blob).data)

    def _refresh_index(self, repo: pygit2.Repository) -> None:
        # libgit2 reads the worktree's index once; re-read it when git rewrote it.
        index_file = Path(repo.path) / "index"
        try:
            mtime = index_file.stat().st_mtime_ns
        except OSError:
            return
        if mtime != self._index_mtime:
            self._index_mtime = mtime
            repo.index.read(False)
            self._sparse = None  # `git sparse-checkout` rewrites the index and the config


def _stat_key(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _apply(filters: pygit2.filter.FilterList, data: bytes) -> bytes:
    # FilterList.apply_to_buffer stops at the first NUL byte (ffi.string); keep them all.
    buf = ffi.new("git_buf *")
    err = C.git_filter_list_apply_to_buffer(buf, filters._pointer, data, len(data))
    try:
        if err < 0:
            raise pygit2.GitError(f"clean filter failed ({err})")
        return bytes(ffi.buffer(buf.ptr, buf.size)) if buf.ptr != ffi.NULL else b""
    finally:
        C.git_buf_dispose(buf)
