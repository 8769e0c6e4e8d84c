"""The playbook's advice, computed from a report."""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePosixPath

from agentls.report import Report
from agentls.vocabulary import noun, plural

# Files whose edits in two sessions collide almost every time (playbook: "Multiple
# features with shared config — config changes will collide").
SHARED_CONFIG = {
    "pyproject.toml", "setup.cfg", "setup.py", "requirements.txt", "package.json",
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "uv.lock",
    "Pipfile", "Pipfile.lock", "Cargo.toml", "Cargo.lock", "go.mod", "go.sum",
    "Gemfile", "Gemfile.lock", "composer.json", "composer.lock", "tsconfig.json",
    "Makefile", "Dockerfile", "docker-compose.yml", ".gitignore", ".env.example",
}  # fmt: skip


def session_count_verdict(count: int) -> str:
    """The playbook's verdict on COUNT code sessions (research forks don't count)."""
    if count <= 0:
        return "no code sessions yet: add a worktree with `agentls new NAME`"
    if count == 1:
        return "1 code session: the baseline, work is serialised"
    if count <= 3:
        return f"{count} code sessions: the sweet spot for most engineers"
    if count <= 5:
        return f"{count} code sessions: effective only if their tasks are truly independent"
    return f"{count} code sessions: diminishing returns, you cannot review this fast enough"


def is_shared_config(path: str) -> bool:
    name = PurePosixPath(path).name
    return name in SHARED_CONFIG or name.endswith((".lock", ".lockb"))


def advice(report: Report) -> list[str]:
    """Readable advice lines derived from the playbook."""
    # Every worktree writing code counts, trunk's checkout included (it is where work
    # is serialised when there is nothing else); a bare repository may have none.
    active = [s for s in report.sessions if not s.missing and s.role == "code"]
    lines = [session_count_verdict(len(active))]
    editors: dict[str, set[str]] = defaultdict(set)
    for session in report.sessions:
        if session.is_trunk:
            continue
        for path in session.changed:
            if is_shared_config(path):
                editors[path].add(session.name)
    for path, names in sorted(editors.items()):
        if len(names) > 1:
            lines.append(
                f"shared config {path} is edited in {', '.join(sorted(names))}: "
                "land those sessions one after another"
            )
    conflicts = [c for c in report.overlaps if c.kind == "conflict"]
    if conflicts:
        lines.append(
            f"{plural(len(conflicts), 'predicted conflict')}: land the higher-priority session"
            " first, then rebase the other (`agentls land --all` does this in order)"
        )
    via_trunk = [c for c in conflicts if c.via == "trunk"]
    if via_trunk:
        if len(conflicts) == 1:
            which, them = "it comes", "it"
        elif len(via_trunk) == len(conflicts):
            which, them = "all of them come", "them"
        else:
            which = f"{len(via_trunk)} of them {'comes' if len(via_trunk) == 1 else 'come'}"
            them = "it" if len(via_trunk) == 1 else "them"
        lines.append(
            f"{which} through work already on {report.trunk_branch}: the session without it"
            f" will meet {them} when it rebases onto {report.trunk_branch}"
        )
    semantic = [c for c in report.overlaps if c.kind == "semantic"]
    for collision in semantic:
        check = collision.semantic or {}
        if collision.via:
            lines.append(
                f"{collision.sessions[0]} breaks `{check.get('command')}` once merged with "
                f"{check.get('trunk') or 'trunk'} (semantic conflict): rebase onto it and fix "
                "before landing"
            )
        else:
            lines.append(
                f"{' and '.join(collision.sessions)} each pass alone but break "
                f"`{check.get('command')}` merged (semantic conflict): land one first, then fix "
                "the other on top (`agentls land --all` re-checks after the first lands)"
            )
    research = [c for c in report.overlaps if c.kind == "research-write"]
    if research:
        writers = sorted({c.sessions[0] for c in research})
        lines.append(
            f"research {noun(len(writers), 'session')} {', '.join(writers)} wrote files:"
            " forks answer questions, code belongs in a code session"
        )
    for session in report.sessions:
        if session.missing:
            lines.append(
                f"session {session.name}: its folder {session.path} is gone; "
                f"run `git worktree prune` or `agentls remove {session.name}`"
            )
    return lines
