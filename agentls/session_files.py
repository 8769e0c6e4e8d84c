"""Session files: agentls's notes and agent hook configuration, never a session's work.

A session keeps notes at its worktree root (`HANDOFF.md`, which agentls writes, and
`BRIEF.md`, a research fork's findings) and the hook configuration agentls installs
for its agent (`.claude/settings.local.json`, ...). They belong to the session but
never to its landed work, so git itself is told to leave them alone: each one is
listed in the repository's `info/exclude` (shared by every worktree, like
`.gitignore` but never committed). An ignored file never makes a worktree dirty
(`git status`, land's and remove's checks), never enters a snapshot, so it is
never a change or a collision, and never reaches a commit (`git add -A` skips it),
so it never lands. Backups keep them beside the branch (`agentls.lifecycle.backups`).
Why `info/exclude` and not a per-worktree list: git has none without switching the
repository to `extensions.worktreeConfig` (a per-worktree `core.excludesFile`), a
format change older tools refuse; and the names are the same in every worktree.

A *tracked* note is different: whoever committed `HANDOFF.md` made it part of the
project, and `info/exclude` has no effect on tracked files. It is then the user's
work like any file; agentls never edits it on its own (a land's result skips it)
and writes it only when asked (`agentls handoff`).

Standard library only: the agent hook's fast path reads the markers from here.
"""

from __future__ import annotations

import os
from pathlib import Path

HANDOFF = "HANDOFF.md"
BRIEF = "BRIEF.md"
NOTES = (HANDOFF, BRIEF)

# The section of HANDOFF.md agentls generates; the rest is the agent's own notes.
BEGIN = "<!-- agentls:begin -->"
END = "<!-- agentls:end -->"

# Where agentls installs each agent's hooks, relative to a worktree root. Claude Code
# reads `.claude/settings.local.json` as the person's own, uncommitted settings; the
# other agents have one project file each (Codex reads the main checkout's, see
# agentls.agents.install).
HOOK_CONFIG = {
    "claude": ".claude/settings.local.json",
    "codex": ".codex/hooks.json",
    "cursor": ".cursor/hooks.json",
    "gemini": ".gemini/settings.json",
    "copilot": ".github/hooks/agentls.json",
}
# Earlier releases wrote Claude's hooks into the shared `.claude/settings.json`.
LEGACY_HOOK_CONFIG = {"claude": ".claude/settings.json"}

# Always agentls's (or local by convention), whoever creates them: excluded up front.
# The other hook files are shared names a project may commit, so they are excluded
# only when agentls creates them (see agentls.agents.install).
ALWAYS_EXCLUDED = (*NOTES, HOOK_CONFIG["claude"], HOOK_CONFIG["copilot"])

EXCLUDE_HEADER = "# agentls: session notes and agent hook configuration, never a session's work"


def is_session_file(path: str) -> bool:
    """PATH (relative to a worktree root) is a note or a hook file agentls installs."""
    return path in NOTES or path in HOOK_CONFIG.values()


def exclude_file(common_dir: Path) -> Path:
    return common_dir / "info" / "exclude"


def exclude(common_dir: Path, paths: tuple[str, ...] | list[str] = ALWAYS_EXCLUDED) -> list[str]:
    """List PATHS (root-anchored) in the repository's `info/exclude`; the lines added.

    Appends only what is missing, so it is cheap to call before every write. Racing
    callers may both append a line; a repeated line means the same to git.
    """
    target = exclude_file(common_dir)
    try:
        existing = target.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        existing = ""
    present = {line.strip() for line in existing.splitlines()}
    missing = [f"/{p}" for p in dict.fromkeys(paths) if f"/{p}" not in present]
    if not missing:
        return []
    lines = ([] if EXCLUDE_HEADER in present else [EXCLUDE_HEADER]) + missing
    text = ("" if existing == "" or existing.endswith("\n") else "\n") + "\n".join(lines) + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a", encoding="utf-8", errors="surrogateescape") as out:
        out.write(text)
    return missing


def excluded(common_dir: Path) -> set[str]:
    """The root-anchored paths `info/exclude` lists (without the slash)."""
    try:
        text = exclude_file(common_dir).read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return set()
    return {line.strip()[1:] for line in text.splitlines() if line.strip().startswith("/")}


def is_tracked(worktree: Path, path: str) -> bool:
    """PATH is in WORKTREE's index: committed or staged, so it is the user's work."""
    from agentls.git.runner import run_git_bytes

    proc = run_git_bytes(["ls-files", "-z", "--", f":(literal){path}"], worktree, check=False)
    return proc.returncode == 0 and bool(proc.stdout.strip(b"\0"))


def own_notes(text: str) -> str:
    """TEXT of a HANDOFF.md without agentls's generated section: what the agent wrote."""
    begin, end = text.find(BEGIN), text.find(END)
    if begin == -1 or end == -1 or end < begin:
        return text
    return text[:begin] + text[end + len(END) :]


def collect(worktree: Path) -> dict[str, bytes]:
    """The session files WORKTREE holds that are not tracked: what a backup keeps."""
    found: dict[str, bytes] = {}
    for path in (*NOTES, *HOOK_CONFIG.values()):
        full = worktree / path
        if full.is_symlink() or not full.is_file():
            continue  # a link could point anywhere: keep only the session's own files
        if is_tracked(worktree, path):
            continue  # part of the branch: the backup ref keeps it
        try:
            found[path] = full.read_bytes()
        except OSError:
            continue
    return found


def put_back(worktree: Path, files: dict[str, bytes]) -> list[str]:
    """Write FILES into WORKTREE where nothing is yet (never over a file); the paths written."""
    written = []
    for path, data in files.items():
        if not is_session_file(path):
            continue  # only agentls's own files, whatever the record says
        full = worktree / path
        if any(p.is_symlink() for p in (full, *full.parents) if worktree in p.parents):
            continue
        full.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except OSError:
            continue  # already there: the worktree's own copy wins
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        written.append(path)
    return written
