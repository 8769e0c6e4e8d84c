"""The report: sessions and their collisions, the one shape every front end reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

KINDS = ("conflict", "overlap", "ownership", "research-write", "semantic")
Range = tuple[int, int]  # 1-based, inclusive


class MadeOnce:
    """JSON made once for a record never changed once made (SessionInfo, Collision):
    at 30 sessions the engine publishes all of them after every edit, and most are
    the same objects as in the report before. Each keeps `_json` and `_text` fields."""

    _json: dict[str, Any] | None
    _text: str | None

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def shared_json(self) -> dict[str, Any]:
        """to_json's answer, the same object every time: read it, never change it."""
        if self._json is None:
            self._json = self.to_json()
        return self._json

    def json_text(self) -> str:
        """json.dumps(self.to_json(), sort_keys=True), made once."""
        if self._text is None:
            self._text = json.dumps(self.shared_json(), sort_keys=True)
        return self._text


@dataclass
class SessionInfo(MadeOnce):
    id: str
    name: str
    path: str
    branch: str | None
    role: str
    head: str | None
    base: str | None
    dirty: bool
    changed: list[str]
    claims: list[str]
    priority: int
    ahead: int = 0
    behind: int = 0
    missing: bool = False
    locked: bool = False
    is_trunk: bool = False
    source: str | None = None
    landed: bool = False  # landed by agentls, with no commits since
    remote: dict[str, Any] | None = None  # role "remote": where it lives (agentls.remote)
    # shared_json's answers, made once: an info is never changed once made, and the
    # Workspace keeps each session's until the session or its state changes.
    _json: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _text: str | None = field(default=None, init=False, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies every value through its generic
        # recursion, ~20 µs a session, and the engine publishes all sessions on every edit.
        return {
            "id": self.id,
            "name": self.name,
            "path": self.path,
            "branch": self.branch,
            "role": self.role,
            "head": self.head,
            "base": self.base,
            "dirty": self.dirty,
            "changed": list(self.changed),
            "claims": list(self.claims),
            "priority": self.priority,
            "ahead": self.ahead,
            "behind": self.behind,
            "missing": self.missing,
            "locked": self.locked,
            "is_trunk": self.is_trunk,
            "source": self.source,
            "landed": self.landed,
            "remote": dict(self.remote) if self.remote is not None else None,
        }


@dataclass
class Collision(MadeOnce):
    kind: str
    path: str
    sessions: list[str]
    ranges: dict[str, list[Range]]
    detail: list[str] = field(default_factory=list)  # git's conflict types, the claim glob…
    # "trunk" when one session reaches this conflict only through trunk work it carries
    # (commits that landed after the other session branched); None for its own work.
    via: str | None = None
    # Sessions whose file for this collision is at another path (a rename): name -> path.
    paths: dict[str, str] = field(default_factory=dict)
    # Where git puts the conflicted file, when this collision is reported at the path a
    # session still has (a rename's old path): that session sees it in its own file.
    merged_path: str | None = None
    # A semantic conflict's check: the command, its exit code, failing tests, output tail,
    # full log (agentls.semantic.findings); None for every other kind.
    semantic: dict[str, Any] | None = None
    # shared_json's answers, made once: a collision is never changed once made (pairs
    # cache theirs until a side changes), and the engine publishes every one on each edit.
    _json: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _text: str | None = field(default=None, init=False, repr=False, compare=False)

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.kind, self.path, tuple(self.sessions))

    def path_of(self, name: str) -> str:
        """Where session NAME has this collision's file."""
        return self.paths.get(name, self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "sessions": list(self.sessions),
            "ranges": {name: [list(r) for r in rs] for name, rs in self.ranges.items()},
            "detail": list(self.detail),
            "via": self.via,
            "paths": dict(self.paths),
            "merged_path": self.merged_path,
        } | ({"semantic": self.semantic} if self.semantic is not None else {})


@dataclass
class Report:
    trunk_branch: str
    trunk_commit: str
    sessions: list[SessionInfo]
    overlaps: list[Collision]
    repository: str = ""
    warnings: list[str] = field(default_factory=list)
    remotes: list[dict[str, Any]] = field(default_factory=list)  # each remote's last fetch

    def to_json(self, *, shared: bool = False) -> dict[str, Any]:
        """The report as JSON-able data. SHARED: each session's and collision's dict is the
        one it keeps (shared_json), for a caller that only reads and serializes it."""
        return {
            "repository": self.repository,
            "trunk": {"branch": self.trunk_branch, "commit": self.trunk_commit},
            "sessions": [s.shared_json() if shared else s.to_json() for s in self.sessions],
            "overlaps": [c.shared_json() if shared else c.to_json() for c in self.overlaps],
            "warnings": list(self.warnings),
            "remotes": list(self.remotes),
        }

    def sorted_text(self, data: dict[str, Any], texts: dict[str, str] | None = None) -> str:
        """json.dumps(DATA, sort_keys=True) for DATA = to_json() plus keys of the caller's,
        with each session's and collision's text made once (json_text): at 30 sessions a
        report can hold hundreds of collisions, and the engine sends it on every edit.
        TEXTS: keys of DATA whose value the caller has as sorted JSON text already."""
        parts = []
        for key in sorted(data):
            if texts is not None and key in texts:
                value = texts[key]
            elif key == "overlaps":
                value = "[" + ", ".join(c.json_text() for c in self.overlaps) + "]"
            elif key == "sessions":
                value = "[" + ", ".join(s.json_text() for s in self.sessions) + "]"
            else:
                value = json.dumps(data[key], sort_keys=True)
            parts.append(f"{json.dumps(key)}: {value}")
        return "{" + ", ".join(parts) + "}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """The inverse of to_json (for reports that come from the shared engine)."""
        fields = set(SessionInfo.__dataclass_fields__)
        return cls(
            trunk_branch=data["trunk"]["branch"],
            trunk_commit=data["trunk"]["commit"],
            sessions=[
                SessionInfo(**{k: v for k, v in s.items() if k in fields}) for s in data["sessions"]
            ],
            overlaps=[
                Collision(
                    kind=c["kind"],
                    path=c["path"],
                    sessions=list(c["sessions"]),
                    ranges={n: [(r[0], r[1]) for r in rs] for n, rs in c["ranges"].items()},
                    detail=list(c.get("detail", [])),
                    via=c.get("via"),
                    paths=dict(c.get("paths") or {}),
                    merged_path=c.get("merged_path"),
                    semantic=c.get("semantic"),
                )
                for c in data["overlaps"]
            ],
            repository=data.get("repository", ""),
            warnings=list(data.get("warnings", [])),
            remotes=list(data.get("remotes", [])),
        )

    def session(self, name: str) -> SessionInfo | None:
        return next((s for s in self.sessions if s.name == name), None)

    def collisions_of(self, name: str) -> list[Collision]:
        return [c for c in self.overlaps if name in c.sessions]

    def counts(self, name: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for collision in self.overlaps if name is None else self.collisions_of(name):
            counts[collision.kind] += 1
        return counts
