"""The interactive sweep: one session at a time, a key per action.

Each item shows its summary; `d` pages its diff (base to current state) through the
user's pager ($GIT_PAGER, $PAGER, else `less`, split into words and run without a
shell), and the verdict keys record and act through agentls.review.actions. Notes
for a change request come from $VISUAL/$EDITOR (a temporary file), else a prompt.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from agentls.changes import NOTES_FILES
from agentls.cli import review_text as text
from agentls.cli.review import ReviewSource, _progress
from agentls.errors import AgentlsError
from agentls.git.runner import run_git_bytes

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
KEYS = (
    "[d]iff  [a]pprove  [l] approve+land  [c] request changes  [s]kip  [n]ext  "
    "[r]un checks  [x] remove  [q]uit  [?]"
)
HELP = """\
  d  page the diff: merge-base to the session's current state
  v  page what changed since the last review (when it moved)
  a  approve the current head (land --all lands approved sessions)
  l  approve and land now
  c  request changes: your notes go into the session's HANDOFF.md
  s  skip: record that you looked and decided later
  n  next, without a verdict
  r  run trunk's build/test commands on this head (scratch checkout)
  x  remove the session (a backup ref keeps its work)
  q  quit"""
NOTES_TEMPLATE = """

# What should session {name} change? Write it above; lines starting with '#' are
# dropped. An empty note cancels the request. It goes into {path}/HANDOFF.md.
"""


def read_key(stream: TextIO = sys.stdin) -> str:
    """One key press (no Enter needed inside `keys_mode`); 'q' at end of input."""
    fd = stream.fileno()
    if not os.isatty(fd):
        line = stream.readline()
        return line.strip()[:1] or ("q" if not line else "")
    data = os.read(fd, 1)
    return data.decode(errors="replace") if data else "q"


@contextmanager
def keys_mode(stream: TextIO = sys.stdin) -> Iterator[None]:
    """Keys arrive one by one, unechoed, for the whole sweep (cbreak mode). TCSANOW keeps
    keys typed ahead; flushing them would lose a quick reviewer's input."""
    fd = stream.fileno()
    if not os.isatty(fd):
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextmanager
def line_mode(stream: TextIO = sys.stdin) -> Iterator[None]:
    """Typed lines with echo and editing, inside `keys_mode` (a note typed at the prompt)."""
    fd = stream.fileno()
    if not os.isatty(fd):
        yield
        return
    import termios

    keys = termios.tcgetattr(fd)
    line = list(keys)
    line[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, line)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, keys)


def pager_command() -> list[str] | None:
    """The user's pager as words ($GIT_PAGER, $PAGER, else less); None for no pager."""
    for variable in ("GIT_PAGER", "PAGER"):
        if variable in os.environ:
            value = os.environ[variable]
            break
    else:
        value = "less"
    try:
        words = shlex.split(value)
    except ValueError:
        return None
    return None if not words or words == ["cat"] else words


def page(data: bytes, out: TextIO = sys.stdout) -> None:
    """Show DATA through the pager (never a shell: the command is split into words)."""
    out.flush()
    words = pager_command()
    if words is not None:
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")  # as git does: quit when short, keep colours
        env.setdefault("LV", "-c")
        try:
            proc = subprocess.Popen(words, stdin=subprocess.PIPE, env=env)
        except OSError:
            words = None
        else:
            try:
                proc.communicate(data)
            except BrokenPipeError:
                proc.wait()
            return
    out.buffer.write(data) if hasattr(out, "buffer") else out.write(data.decode(errors="replace"))
    out.flush()


def diff_bytes(cwd: str, old: str | None, new: str, pathspec: list[str], color: bool) -> bytes:
    colour = f"color.ui={'always' if color else 'never'}"
    args = ["-c", colour, "diff", "--no-ext-diff", "--stat", "--patch", "-M"]
    args += [old or EMPTY_TREE, new, "--", *pathspec]
    proc = run_git_bytes(args, cwd, check=False)
    return proc.stdout or proc.stderr


def item_pathspec(item: dict[str, Any]) -> list[str]:
    """Leave out the session's untracked notes, which the item's file list leaves out too."""
    listed = {f["path"] for f in item["files"]}
    return [f":(top,exclude,literal){note}" for note in sorted(NOTES_FILES) if note not in listed]


def ask_notes(name: str, path: str, out: TextIO) -> str | None:
    """The reviewer's notes: from $VISUAL/$EDITOR when set, else one line typed here."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor:
        try:
            words = shlex.split(editor)
        except ValueError:
            words = []
        if words:
            fd, temp = tempfile.mkstemp(prefix="agentls-review-", suffix=".md")
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(NOTES_TEMPLATE.format(name=name, path=path))
                if subprocess.run([*words, temp], check=False).returncode != 0:
                    print("the editor failed; no changes requested", file=out)
                    return None
                written = Path(temp).read_text(errors="replace")
            finally:
                Path(temp).unlink(missing_ok=True)
            lines = [line for line in written.splitlines() if not line.startswith("#")]
            return "\n".join(lines).strip() or None
    out.write(f"What should {name} change? (one line; empty cancels): ")
    out.flush()
    with line_mode():
        line = sys.stdin.readline()
    return line.strip() or None


class Sweep:
    """The terminal sweep over one ReviewSource."""

    def __init__(self, source: ReviewSource, out: TextIO = sys.stdout) -> None:
        self.source = source
        self.out = out
        self.done: dict[str, str] = {}  # session -> what happened, in order
        self.color = out.isatty() and "NO_COLOR" not in os.environ

    def say(self, message: str = "") -> None:
        print(message, file=self.out, flush=True)

    def run(self) -> int:
        with keys_mode():
            return self._run()

    def _run(self) -> int:
        queue = self.source.queue()
        self.say(text.queue_text(queue))
        while True:
            pending = [i for i in queue["items"] if i["session"] not in self.done]
            if not pending:
                break
            name = pending[0]["session"]
            try:
                item = self.source.item(name)
            except AgentlsError as exc:  # it went away meanwhile
                self.done[name] = f"gone ({exc.message})"
                continue
            if not self.review(item, len(queue["items"])):
                break
            queue = self.source.queue()
        self.say()
        if self.done:
            self.say("reviewed: " + "; ".join(f"{n} {what}" for n, what in self.done.items()))
        else:
            self.say("nothing reviewed")
        return 0

    def review(self, item: dict[str, Any], total: int) -> bool:
        """Show ITEM and act on keys until it is decided (True) or the user quits (False)."""
        name = item["session"]
        self.say()
        self.say(text.item_text(item, total))
        while True:
            self.say(KEYS)
            key = read_key()
            try:
                outcome = self.act(key, item)
            except AgentlsError as exc:
                self.say(f"agentls: {exc}")
                continue
            if outcome == "quit":
                return False
            if outcome == "stay":
                continue
            if outcome == "refresh":
                item = self.source.item(name)
                self.say(text.item_text(item, total))
                continue
            self.done[name] = outcome
            return True

    def act(self, key: str, item: dict[str, Any]) -> str:
        name, head = item["session"], item["head"]
        if key == "q":
            return "quit"
        if key == "d":
            new = item["snapshot"]
            page(diff_bytes(item["path"], item["base"], new, item_pathspec(item), self.color))
            return "stay"
        if key == "v":
            since = item.get("sinceReview")
            if not since or not since.get("available"):
                self.say("no earlier review of another head to compare with")
                return "stay"
            paths = [f":(top,literal){f['path']}" for f in since["files"]]
            paths = paths if since["rewritten"] else []  # rewritten: the session's files only
            page(diff_bytes(item["path"], since["from"], head, paths, self.color))
            return "stay"
        if key == "n":
            return "passed over"
        if key in ("a", "s"):
            from agentls.review.actions import record_verdict

            verdict = "approved" if key == "a" else "skipped"
            result = record_verdict(self.source.workspace(), name, verdict, head=head)
            self.say(text.verdict_text(result))
            self.source.changed()
            return verdict
        if key == "l":
            return self.land(item)
        if key == "c":
            notes = ask_notes(name, item["path"], self.out)
            if notes is None:
                self.say("no notes: nothing requested")
                return "stay"
            from agentls.review.actions import record_verdict

            result = record_verdict(
                self.source.workspace(), name, "changes-requested", notes, head=head
            )
            self.say(text.verdict_text(result))
            self.source.changed()
            return "changes requested"
        if key == "r":
            from agentls.review.checks import run_checks

            result = run_checks(self.source.workspace(), name, _progress(self.out))
            self.say(text.checks_run_text(result))
            self.source.changed()
            return "refresh"
        if key == "x":
            return self.remove(item)
        if key == "?":
            self.say(HELP)
        elif key not in ("\n", "\r", ""):
            self.say(f"unknown key {key!r}; ? for help")
        return "stay"

    def land(self, item: dict[str, Any]) -> str:
        from agentls.cli.lifecycle import _land_text
        from agentls.review.actions import approve_and_land

        progress = _progress(self.out)
        ws = self.source.workspace()
        result = approve_and_land(ws, item["session"], head=item["head"], progress=progress)
        self.say(text.verdict_text(result))
        self.say(_land_text(result["land"]))
        self.source.changed()
        return "approved and landed" if result["ok"] else "approved, land failed"

    def remove(self, item: dict[str, Any]) -> str:
        from agentls.review.actions import remove_reviewed

        self.out.write(
            f"remove session {item['session']} ({item['path']})? Its worktree and branch go;"
            " a backup ref keeps the work. [y/N] "
        )
        self.out.flush()
        if read_key() not in ("y", "Y"):
            self.say("\nnot removed")
            return "stay"
        self.say()
        result = remove_reviewed(self.source.workspace(), item["session"], force=True)
        self.say(f"removed session {result['session']}; backup at {result['backup']}")
        self.source.changed()
        return "removed"
