"""Claims: globs of repository paths a session owns, e.g. `auth/**` or `*.lock`.

Rules: paths are relative to the repository root with `/` separators; `*` and
`?` stay inside one path segment, `**` spans any number of segments, a pattern
without wildcards names a file or a whole folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from agentls.errors import InvalidInputError


def validate_glob(glob: object) -> str:
    """Return GLOB normalised (no leading './', no trailing '/'), or refuse it."""
    if not isinstance(glob, str) or not glob.strip():
        raise InvalidInputError.refuse("invalid-glob", glob=None, reason="empty")
    text = glob.strip()
    if text.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", text):
        raise InvalidInputError.refuse("invalid-glob", glob=glob, reason="absolute")
    text = text.removeprefix("./").rstrip("/")
    parts = text.split("/")
    if any(part == ".." for part in parts) or "\0" in text or "\\" in text:
        raise InvalidInputError.refuse("invalid-glob", glob=glob, reason="outside")
    if not text or any(part == "" for part in parts):
        raise InvalidInputError.refuse("invalid-glob", glob=glob, reason="malformed")
    return text


@lru_cache(maxsize=4096)
def _compile(glob: str) -> re.Pattern[str]:
    pattern = ""
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            pattern += "(?:.*/)?"
            i += 3
        elif glob.startswith("**", i):
            pattern += ".*"
            i += 2
        elif glob[i] == "*":
            pattern += "[^/]*"
            i += 1
        elif glob[i] == "?":
            pattern += "[^/]"
            i += 1
        else:
            pattern += re.escape(glob[i])
            i += 1
    if not any(ch in glob for ch in "*?"):
        pattern += "(?:/.*)?"  # a plain path claims the file or everything under the folder
    return re.compile(pattern)


def glob_matches(glob: str, path: str) -> bool:
    return _compile(glob).fullmatch(path) is not None


def matching_claim(globs: Iterable[str], path: str) -> str | None:
    """The first of GLOBS that covers PATH, if any."""
    for glob in globs:
        if glob_matches(glob, path):
            return glob
    return None


def globs_intersect(a: str, b: str) -> bool:
    """Whether two claims can cover a common path (conservative: prefix comparison)."""
    if glob_matches(a, b) or glob_matches(b, a):
        return True
    fixed_a = re.split(r"[*?]", a, maxsplit=1)[0]
    fixed_b = re.split(r"[*?]", b, maxsplit=1)[0]
    has_wild_a = fixed_a != a
    has_wild_b = fixed_b != b
    if has_wild_a and has_wild_b:
        return fixed_a.startswith(fixed_b) or fixed_b.startswith(fixed_a)
    return False
