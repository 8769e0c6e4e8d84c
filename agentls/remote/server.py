"""The language server's side of remote sessions: the actions on a diagnostic whose
other side lives on another machine, and `agentls.openVersion`, which shows that
version (there is no worktree to open: the text is written to a private, read-only
file under the git common dir and shown at the colliding lines).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentls.vocabulary import lines_text, possessive

if TYPE_CHECKING:
    from agentls.server.protocol import Invocation
    from agentls.server.server import AgentlsServer

OPEN_VERSION = "agentls.openVersion"
COMPARE = "agentls.compare"


def remote_actions(data: dict[str, Any]) -> list[tuple[tuple[str, str], str, str, dict[str, Any]]]:
    """(key, title, command, argument) of the actions on a collision with a remote session."""
    me, other, path = data["session"], data["other"], data["path"]
    remote = data["remote"]
    other_ranges = data.get("otherRanges") or []
    first = other_ranges[0] if other_ranges else [1, 1]
    where = f" ({lines_text([first])})" if other_ranges else ""
    place = f"{remote.get('branch')} on {remote.get('remote')}"
    open_argument = {"session": other, "path": path, "line": first[0], "endLine": first[1]}
    compare_argument = {"path": path, "session": me, "other": other}
    return [
        (
            (OPEN_VERSION, json.dumps(open_argument, sort_keys=True)),
            f"agentls: open {possessive(other)} version ({place}){where}",
            OPEN_VERSION,
            open_argument,
        ),
        (
            (COMPARE, json.dumps(compare_argument, sort_keys=True)),
            f"agentls: compare with {possessive(other)} version ({place})",
            COMPARE,
            compare_argument,
        ),
    ]


async def cmd_open_version(ls: AgentlsServer, call: Invocation) -> dict[str, Any]:
    """Show SESSION's version of PATH (a remote session's, at its fetched commit)."""
    from pygls import uris

    from agentls.errors import AgentlsError
    from agentls.server import window
    from agentls.server.commands import one_object
    from agentls.server.refusals import refusal

    params = one_object(call, {"session": str, "path": str}, {"line": int, "endLine": int})
    line = max(params.get("line", 1), 1)
    end = max(params.get("endLine", line), line)
    version = await ls.engine_call(
        "fileVersion", {"session": params["session"], "path": params["path"], "at": "current"}
    )
    if version.get("uri"):  # a local session: its own file
        path = uris.to_fs_path(version["uri"]) or version["uri"]
        return await window.show_or_tell(ls, version["label"], version["uri"], path, [line, end])
    if version.get("binary") or not version.get("exists"):
        what = "is binary" if version.get("binary") else "does not have this file"
        ls.tell(f"{version['label']} {what}")
        return {"ok": True, "shown": False, "label": version["label"]}
    assert ls.common_dir is not None
    try:
        target = write_version(ls.common_dir, params["session"], params["path"], version["text"])
    except AgentlsError as exc:
        raise refusal(exc.code, f"cannot write that version: {exc.message}", exc.data) from exc
    except OSError as exc:
        raise refusal(
            "os-error", f"cannot write that version: {exc}", {"errno": exc.errno}
        ) from exc
    uri = uris.from_fs_path(str(target)) or str(target)
    result = await window.show_or_tell(ls, version["label"], uri, str(target), [line, end])
    return {**result, "label": version["label"], "path": str(target)}


def write_version(common_dir: Path, session: str, path: str, text: str) -> Path:
    """TEXT in `<common>/agentls/tmp/versions/<session>--<path>`, read-only, written to a
    fresh temporary file and renamed over the target (a planted link is replaced)."""
    from agentls.engine.guard import make_private_dir

    folder = common_dir / "agentls"
    for part in ("tmp", "versions"):
        folder = folder / part
        make_private_dir(folder)
    name = f"{session}--{path}".replace("/", "__").replace(":", "_").replace("\0", "_")
    suffix = Path(path).suffix[:16]  # keep the extension: the editor picks the language
    name = name.encode("utf-8", "replace").decode("utf-8")[:180]
    if suffix and not name.endswith(suffix):
        name += suffix
    target = folder / name
    fd, temp = tempfile.mkstemp(prefix=".version-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
            out.write(text)
        os.chmod(temp, 0o400)  # a copy to read: edits belong in the session that owns it
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
