"""A fast-forward of trunk's checkout killed half-way, finished or undone.

When trunk is checked out, land moves it with `git merge --ff-only` there: git
writes the new files, then the index, then the branch ref. Killed in between,
trunk's checkout holds some of the landed files while trunk has not moved, so it
looks like uncommitted work nobody made. Every such path holds exactly trunk's old
version or the tested, rebased version, which lives on in the rebased commit, or the
start of the rebased version (git was killed while writing that file: an empty file,
or a part of it); so this is finished (everything already matches the rebased commit:
move the ref by compare-and-swap) or undone (put those paths back to trunk's version),
and left alone, with a message, as soon as one path holds anything else.
"""

from __future__ import annotations

from pathlib import Path

from agentls.git.runner import run_git, run_git_bytes
from agentls.lifecycle.journal import Entry

NOTES = ("HANDOFF.md", "BRIEF.md")


def _changed(checkout: Path) -> list[str]:
    out = run_git(["status", "--porcelain", "-z", "--untracked-files=all"], cwd=checkout)
    paths: list[str] = []
    records = iter(out.split("\0"))
    for record in records:
        if len(record) < 4:
            continue
        if record[0] in "RC":
            next(records, None)
        if record[3:] not in NOTES:
            paths.append(record[3:])
    return paths


def _blob(checkout: Path, commit: str, path: str) -> str | None:
    proc = run_git_bytes(
        ["rev-parse", "--verify", "--quiet", f"{commit}:{path}"], checkout, check=False
    )
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def _on_disk(checkout: Path, path: str) -> str | None:
    file = checkout / path
    if file.is_symlink() or not file.exists():
        return None if not file.is_symlink() else "symlink"
    if not file.is_file():
        return "not a file"
    return run_git(["hash-object", "--", path], cwd=checkout)


def _cut_short(checkout: Path, commit: str, path: str) -> bool:
    """PATH on disk is a strict beginning of COMMIT's version as git checks it out (its
    filters applied): git was killed while writing it, and nothing in it is not in COMMIT."""
    file = checkout / path
    if file.is_symlink() or not file.is_file():
        return False
    checked_out = run_git_bytes(
        ["cat-file", "--filters", f"{commit}:{path}"], checkout, check=False
    )
    if checked_out.returncode != 0:
        return False
    try:
        on_disk = file.read_bytes()
    except OSError:
        return False
    return len(on_disk) < len(checked_out.stdout) and checked_out.stdout.startswith(on_disk)


def repair(entry: Entry, checkout: Path, cwd: Path) -> str | None:
    """Finish or undo ENTRY's half-done fast-forward of CHECKOUT; None when there is none."""
    if entry.step != "fast-forward" or not entry.rebased or not checkout.is_dir():
        return None
    head = run_git(["rev-parse", "HEAD"], cwd=checkout, check=False)
    trunk = run_git(["rev-parse", "--verify", "--quiet", entry.trunk_ref], cwd, check=False)
    if head != entry.trunk_old or trunk != entry.trunk_old:
        return None
    changed = _changed(checkout)
    if not changed:
        return None
    landed_only, finished = True, True
    for path in changed:
        old = _blob(checkout, entry.trunk_old, path)
        new = _blob(checkout, entry.rebased, path)
        disk = _on_disk(checkout, path)
        if disk not in (old, new) and not (new and _cut_short(checkout, entry.rebased, path)):
            landed_only = False
            break
        finished = finished and disk == new
    if not landed_only:
        return (
            f"trunk's checkout {checkout} has changes the interrupted fast-forward did not make;"
            " left it alone"
        )
    staged_new = (
        run_git_bytes(
            ["diff", "--cached", "--quiet", entry.rebased], checkout, check=False
        ).returncode
        == 0
    )
    if finished and staged_new and finish_trunk_ref(entry, cwd):
        return f"finished the fast-forward of {checkout} that was cut short"
    # Undo: the index back to trunk's tree, those paths back to trunk's versions.
    run_git_bytes(["read-tree", entry.trunk_old], checkout, check=False)
    for path in changed:
        if _blob(checkout, entry.trunk_old, path) is None:
            (checkout / path).unlink(missing_ok=True)
        else:
            run_git_bytes(["checkout", entry.trunk_old, "--", path], checkout, check=False)
    left = _changed(checkout)
    if left:
        return f"could not put trunk's checkout {checkout} back: {', '.join(left[:5])} still differ"
    return f"put trunk's checkout {checkout} back where trunk is (its fast-forward was cut short)"


def finish_trunk_ref(entry: Entry, cwd: Path) -> bool:
    """Move trunk's ref from where the land found it to the rebased head, only if it is
    still there (compare-and-swap); False when it moved meanwhile."""
    if not entry.rebased:
        return False
    moved = run_git_bytes(
        ["update-ref", "-m", f"agentls: finish landing {entry.name}", entry.trunk_ref,
         entry.rebased, entry.trunk_old],
        cwd, check=False,
    )  # fmt: skip
    return moved.returncode == 0
