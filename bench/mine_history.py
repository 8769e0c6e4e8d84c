"""Mine real merges from local git repositories into small, anonymised merge scenarios.

    python -m bench.mine_history --repo /path/to/clone [--repo ...] \\
        [--out bench/data/real-merges.fi] [--per-repo 8] [--scan 1500] [--cache DIR]

For every two-parent merge (newest first, up to --scan per repository) git's own
`merge-tree` says whether merging its parents conflicts (one `git merge-tree --stdin`
per repository; the objects it writes go to a scratch folder, never into the
repository read; with --cache the list of conflicting merges is kept per repository,
so a later run only builds). A conflicting merge becomes a
scenario: three commits (its merge-base, then each parent) holding only the paths
either side changed. Every line of text is replaced by a token of the same length
(the same line always by the same token, short lines kept), binary blobs by bytes
of the same length, so no foreign code is stored, only the shape of real edits. A
scenario is kept only when git gives the same answer (conflicted paths and conflict
kinds) on the trimmed, anonymised commits as on the real parents. The output is a
`git fast-import` stream (text) with one ref per side: refs/scenarios/<n>/{base,ours,theirs}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pygit2

from agentls.errors import GitError
from agentls.git.attributes import NO_ATTRIBUTES
from agentls.git.merge import MergeResult, MergeTree, conflict_path

MAX_PATHS = 40
MAX_BYTES = 48_000  # of text per scenario, all three versions
RARE_MAX_BYTES = 2 * MAX_BYTES  # for merges with rarer conflicts (modify/delete, renames)
SHORT_LINE = 5  # lines this short (stripped) stay as they are: "pass", "}", "else:"
ENV = {**os.environ, "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1"}
Entry = tuple[bytes, int] | None


@dataclass
class Scenario:
    project: str
    merge: str
    kinds: tuple[str, ...]
    conflicted: tuple[str, ...]
    files: dict[str, tuple[Entry, Entry, Entry]]  # path -> (base, ours, theirs)


def _git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, env=ENV, check=False)
    if check and proc.returncode not in (0, 1):
        raise RuntimeError(f"git {args} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode(errors="surrogateescape")


def merge_tree(repo: Path, ours: str, theirs: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(conflicted paths, conflict kinds) of git's merge of OURS and THEIRS."""
    out = _git(repo, "merge-tree", "--write-tree", "--name-only", "-z", ours, theirs)
    head, _, messages = out.partition("\0\0")
    conflicted = tuple(sorted({conflict_path(p) for p in head.split("\0")[1:] if p}))
    kinds: list[str] = []
    tokens = messages.split("\0")
    i = 0
    while i < len(tokens) and tokens[i]:
        count = int(tokens[i])
        kind = tokens[i + 1 + count]
        if kind.startswith("CONFLICT"):
            kinds.append(kind)
        i += count + 3
    return conflicted, tuple(sorted(kinds))


def _entry(repo: pygit2.Repository, tree: pygit2.Tree, path: str) -> Entry:
    try:
        item = tree[path]
    except KeyError:
        return None
    if item.filemode == pygit2.enums.FileMode.TREE or item.filemode == 0o160000:
        return None
    return bytes(repo[item.id].peel(pygit2.Blob).data), int(item.filemode)


@dataclass
class Candidate:
    """A conflicting merge found by the scan (what the cache keeps)."""

    merge: str
    ours: str
    theirs: str
    base: str
    conflicted: tuple[str, ...]
    kinds: tuple[str, ...]
    names: tuple[str, ...]  # every path either side changed


def _kinds(result: MergeResult) -> tuple[tuple[str, ...], tuple[str, ...]]:
    kinds = sorted(m.kind for m in result.messages if m.kind.startswith("CONFLICT"))
    return tuple(sorted(result.conflicted)), tuple(kinds)


def scan(path: Path, limit: int) -> list[Candidate]:
    """Conflicting two-parent merges of PATH's default branch, newest first."""
    branch = _git(path, "symbolic-ref", "--short", "HEAD").strip() or "HEAD"
    lines = _git(path, "rev-list", "--merges", "--parents", f"--max-count={limit}", branch)
    merges = [line.split() for line in lines.splitlines() if len(line.split()) == 3]
    git_dir = Path(_git(path, "rev-parse", "--absolute-git-dir").strip())
    with tempfile.TemporaryDirectory() as objects:
        # merge-tree --write-tree writes objects: into a scratch store, never PATH's own.
        os.environ["GIT_OBJECT_DIRECTORY"] = objects
        os.environ["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = str(git_dir / "objects")
        merger = MergeTree(git_dir)
        try:
            found: list[Candidate] = []
            for (merge, ours, theirs), result in zip(merges, _merged(merger, merges), strict=True):
                if result is None or result.clean:
                    continue
                bases = _git(path, "merge-base", "--all", ours, theirs).split()
                if len(bases) != 1:
                    continue
                names: set[str] = set()
                for side in (ours, theirs):
                    diff = _git(path, "diff", "--no-renames", "--name-only", "-z", bases[0], side)
                    names |= {n for n in diff.split("\0") if n}
                conflicted, kinds = _kinds(result)
                found.append(
                    Candidate(
                        merge, ours, theirs, bases[0], conflicted, kinds, tuple(sorted(names))
                    )
                )
        finally:
            merger.close()
            del os.environ["GIT_OBJECT_DIRECTORY"], os.environ["GIT_ALTERNATE_OBJECT_DIRECTORIES"]
    return found


def _merged(merger: MergeTree, merges: list[list[str]]) -> list[MergeResult | None]:
    """git's merge of every merge's parents, in batches; None where git cannot merge
    (an object missing from a partial clone): one such merge must not end the scan."""
    results: list[MergeResult | None] = []
    for start in range(0, len(merges), 64):
        batch = [(m[1], m[2]) for m in merges[start : start + 64]]
        try:
            results += merger.merge_many(batch, NO_ATTRIBUTES)
        except GitError:
            for pair in batch:
                try:
                    results += merger.merge_many([pair], NO_ATTRIBUTES)
                except GitError:
                    print(
                        f"skipped: git cannot merge {pair[0][:12]} {pair[1][:12]}", file=sys.stderr
                    )
                    results.append(None)
    return results


def _project(path: Path) -> str:
    return path.name if path.name not in ("repo", ".git") else path.parent.name


def scanned(path: Path, limit: int, cache: Path | None) -> list[Candidate]:
    """SCAN's answer, from the cache when it has one for this repository."""
    stored = cache / f"{_project(path)}.json" if cache else None
    if stored is not None and stored.exists():
        return [Candidate(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})
                for c in json.loads(stored.read_text())]  # fmt: skip
    found = scan(path, limit)
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_text(json.dumps([asdict(c) for c in found]))
    return found


def candidates(path: Path, limit: int, cache: Path | None = None) -> Iterator[Scenario]:
    """Conflicting merges of one repository, trimmed to the paths either side changed:
    rarer conflict kinds first (modify/delete, renames...), then plain content ones."""
    repo = pygit2.Repository(str(path))
    found = [c for c in scanned(path, limit, cache) if len(c.names) <= MAX_PATHS]
    found.sort(key=lambda c: _plain(c.kinds))
    for candidate in found:
        commits = (candidate.base, candidate.ours, candidate.theirs)
        trees = [repo[c].peel(pygit2.Tree) for c in commits]
        files = {n: shrink(tuple(_entry(repo, t, n) for t in trees)) for n in candidate.names}  # type: ignore[arg-type]
        size = sum(len(e[0]) for versions in files.values() for e in versions if e)
        if size <= (MAX_BYTES if _plain(candidate.kinds) else RARE_MAX_BYTES):
            yield Scenario(
                _project(path), candidate.merge, candidate.kinds, candidate.conflicted, files
            )


def _plain(kinds: tuple[str, ...]) -> bool:
    """Only content conflicts (most merges); the rarer kinds are kept first."""
    return all(k == "CONFLICT (contents)" for k in kinds)


def _kept_lines(base: bytes, side: bytes, context: int) -> set[int]:
    """Base lines (0-based) within CONTEXT lines of a change from BASE to SIDE."""
    patch = pygit2.Patch.create_from(base, side, context_lines=0, interhunk_lines=0)
    kept: set[int] = set()
    for hunk in patch.hunks:
        start = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
        kept.update(range(start - context, start + hunk.old_lines + context))
    return kept


def _side_lines(base: list[bytes], side: bytes) -> dict[int, int]:
    """Base line -> the same line in SIDE, for every base line outside SIDE's hunks."""
    patch = pygit2.Patch.create_from(b"".join(base), side, context_lines=0, interhunk_lines=0)
    mapping: dict[int, int] = {}
    old = new = 0
    for hunk in patch.hunks:
        start = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
        while old < start:
            mapping[old] = new
            old, new = old + 1, new + 1
        old += hunk.old_lines
        new += hunk.new_lines
    while old < len(base):
        mapping[old] = new
        old, new = old + 1, new + 1
    return mapping


def shrink(versions: tuple[Entry, Entry, Entry], context: int = 4) -> tuple[Entry, Entry, Entry]:
    """Drop the base's long unchanged stretches from all three versions alike.

    Lines that neither side changed, far from any change, take no part in the merge;
    cutting the same stretch from every version keeps git's answer (checked after).
    """
    base = versions[0]
    if base is None or b"\0" in base[0][:8000]:
        return versions
    sides = [v for v in versions[1:] if v is not None]
    if any(b"\0" in v[0][:8000] for v in sides):
        return versions
    kept: set[int] = set()
    for side in sides:
        kept |= _kept_lines(base[0], side[0], context)
    lines = base[0].splitlines(keepends=True)
    if len(kept) >= len(lines):
        return versions
    drop = {i for i in range(len(lines)) if i not in kept}
    kept_text = b"".join(line for i, line in enumerate(lines) if i not in drop)
    shrunk: list[Entry] = [(kept_text, base[1])]
    for version in versions[1:]:
        if version is None:
            shrunk.append(None)
            continue
        side_lines = version[0].splitlines(keepends=True)
        mapping = _side_lines(lines, version[0])
        gone = {mapping[i] for i in drop}
        text = b"".join(line for i, line in enumerate(side_lines) if i not in gone)
        shrunk.append((text, version[1]))
    return shrunk[0], shrunk[1], shrunk[2]


class Anonymiser:
    """Every distinct line becomes a token of the same length; the same line, the same token."""

    def __init__(self) -> None:
        self._lines: dict[bytes, bytes] = {}

    def line(self, text: bytes) -> bytes:
        stripped = text.strip()
        if len(stripped) <= SHORT_LINE:
            return text
        if text not in self._lines:
            indent = text[: len(text) - len(text.lstrip())]
            tag = b"t" + _base36(len(self._lines)).encode() + b"_"
            body = tag + b"x" * (len(text) - len(indent) - len(tag))
            self._lines[text] = indent + body[: len(text) - len(indent)]
        return self._lines[text]

    def blob(self, data: bytes) -> bytes:
        if b"\0" in data[:8000]:  # binary: same length, still binary, equal stays equal
            seed = hashlib.sha256(data).digest()
            filler = (seed * (len(data) // len(seed) + 1))[: max(0, len(data) - 1)]
            return b"\0" + filler
        out = []
        for raw in data.splitlines(keepends=True):
            body = raw.rstrip(b"\r\n")
            out.append(self.line(body) + raw[len(body) :])
        return b"".join(out)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        n, r = divmod(n, 36)
        text = digits[r] + text
        if n == 0:
            return text


def _write(
    repo: pygit2.Repository, files: dict[str, Entry], parent: pygit2.Oid | None, message: str
) -> pygit2.Oid:
    index = pygit2.Index()
    for path, entry in files.items():
        if entry is not None:
            blob = repo.create_blob(entry[0])
            index.add(pygit2.IndexEntry(path, blob, pygit2.enums.FileMode(entry[1])))
    tree = index.write_tree(repo)
    signature = pygit2.Signature("agentls bench", "bench@example.com", 1_700_000_000, 0)
    return repo.create_commit(None, signature, signature, message, tree, [parent] if parent else [])


def build(
    out: pygit2.Repository, number: int, scenario: Scenario, anonymiser: Anonymiser | None
) -> tuple[str, str, str]:
    def version(path: str, entry: Entry) -> Entry:
        # Attribute files are kept as they are: they decide how git merges.
        if entry is None or anonymiser is None or Path(path).name == ".gitattributes":
            return entry
        return (anonymiser.blob(entry[0]), entry[1])

    sides = []
    base = None
    for i, label in enumerate(("base", "ours", "theirs")):
        files = {path: version(path, versions[i]) for path, versions in scenario.files.items()}
        message = f"scenario {number} {label}: {scenario.project} merge {scenario.merge[:12]}\n"
        commit = _write(out, files, base, message)
        if label == "base":
            base = commit
        sides.append(str(commit))
    return sides[0], sides[1], sides[2]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mine_history")
    parser.add_argument("--repo", action="append", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("bench/data/real-merges.fi"))
    parser.add_argument("--per-repo", type=int, default=8)
    parser.add_argument("--scan", type=int, default=1500)
    parser.add_argument("--cache", type=Path, help="keep each repository's scan here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp) / "scenarios"
        _git(Path(temp), "init", "-q", "--bare", str(scratch))
        out = pygit2.Repository(str(scratch))
        anonymiser = Anonymiser()
        number = 0
        for path in args.repo:
            kept: Counter[tuple[str, ...]] = Counter()
            for scenario in candidates(path, args.scan, args.cache):
                if sum(kept.values()) >= args.per_repo:
                    break
                # Prefer variety: at most two scenarios with the same kinds per repository.
                if kept[scenario.kinds] >= 2:
                    continue
                commits = build(out, number, scenario, anonymiser)
                if merge_tree(scratch, *commits[1:]) != (scenario.conflicted, scenario.kinds):
                    continue  # trimming or tokens changed git's answer: not a faithful copy
                for label, commit in zip(("base", "ours", "theirs"), commits, strict=True):
                    _git(scratch, "update-ref", f"refs/scenarios/{number:03d}/{label}", commit)
                kept[scenario.kinds] += 1
                number += 1
                kinds = ", ".join(scenario.kinds)
                print(f"{scenario.project} {scenario.merge[:12]}: {kinds}", file=sys.stderr)
        stream = _git(scratch, "fast-export", "--all", "--reference-excluded-parents")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(stream, encoding="utf-8", errors="surrogateescape")
        size = len(stream.encode(errors="surrogateescape"))
        print(f"{number} scenarios, {size:,} bytes -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
