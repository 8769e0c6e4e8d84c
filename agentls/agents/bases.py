"""Merge-bases the last cold check found, so the next one can answer without pygit2.

A session's base is the merge-base of its HEAD and trunk. Both are commit ids, and
the merge-base of two commits never changes, so a remembered base is right for as
long as the pair it was found for is the current one; a session that commits or a
trunk that moves is simply a new pair, found again by the full check (which then
remembers it). One line per session: `<head> <trunk> <base>`. Losing or mangling the
file costs one full check, never a wrong answer: anything that does not parse is
ignored.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

FILE_NAME = "merge-bases"
_ID = r"([0-9a-f]{40}|[0-9a-f]{64})"
_LINE = re.compile(f"{_ID} {_ID} {_ID}")


def bases_file(common_dir: Path) -> Path:
    return common_dir / "agentls" / FILE_NAME


def read_bases(common_dir: Path) -> dict[tuple[str, str], str]:
    """{(head, trunk): merge-base} as remembered (empty when there is no usable file)."""
    try:
        text = bases_file(common_dir).read_text(encoding="ascii")
    except (OSError, ValueError):
        return {}
    found: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        match = _LINE.fullmatch(line)
        if match:
            found[(match[1], match[2])] = match[3]
    return found


def remember_bases(common_dir: Path, bases: Mapping[tuple[str, str], str]) -> None:
    """Replace the remembered bases with BASES (the current sessions' only, so the file
    never grows), unless they are already what the file says. Best effort: a cache."""
    if not bases or read_bases(common_dir) == dict(bases):
        return
    target = bases_file(common_dir)
    text = "".join(f"{head} {trunk} {base}\n" for (head, trunk), base in sorted(bases.items()))
    temporary = target.with_name(f"{FILE_NAME}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="ascii")
        os.replace(temporary, target)  # readers see the old file or the new one, whole
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
