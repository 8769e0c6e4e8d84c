"""Which tests failed, and where, read from a test runner's output.

Runners understood: pytest (its "short test summary" and traceback locations),
unittest (`FAIL: name (id)` blocks), node's test runner (TAP, its default when not
on a terminal, and the spec reporter's "failing tests" list), and `go test`
(`--- FAIL: TestName`, located through go.mod's module path). Anything else still
gets a location when its output names a file of the checkout in the compiler style
(`path:line:`) or in a Python traceback. Paths are reported relative to the
checkout's root (the repository's own paths), and only when they lie inside it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FAILURES = 50


@dataclass(frozen=True)
class Failure:
    name: str  # as the runner names the test: tests/test_app.py::test_total, TestTotal...
    path: str | None = None  # repository path of the failing test (or its assertion)
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "line": self.line}


@dataclass
class Findings:
    tests: list[Failure] = field(default_factory=list)
    location: tuple[str, int] | None = None  # where to point: the first failure's place

    def names(self) -> list[str]:
        return [f.name for f in self.tests]


class _Paths:
    """Turns paths printed by a runner into repository paths (None outside ROOT)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefixes = {str(root)}
        with contextlib.suppress(OSError):
            self.prefixes.add(str(root.resolve()))

    def relative(self, raw: str) -> str | None:
        raw = raw.strip().strip("'\"")
        if raw.startswith("file://"):
            raw = raw[len("file://") :]
        if os.path.isabs(raw):
            for prefix in self.prefixes:
                if raw.startswith(prefix + os.sep):
                    raw = raw[len(prefix) + 1 :]
                    break
            else:
                return None
        raw = raw.removeprefix("./")
        parts = Path(raw).parts
        if not parts or ".." in parts or raw.startswith("<"):
            return None
        relative = Path(*parts).as_posix()
        return relative if (self.root / relative).is_file() else None


# --- pytest ------------------------------------------------------------------------

_PYTEST_SUMMARY = re.compile(r"^(FAILED|ERROR) ([^\s(]\S*?)(?: - .*)?$")


def _pytest(lines: list[str], paths: _Paths) -> list[Failure]:
    found = []
    for line in lines:
        match = _PYTEST_SUMMARY.match(line)
        if not match:
            continue
        nodeid = match.group(2)
        file = paths.relative(nodeid.split("::", 1)[0])
        where = _pytest_line(lines, nodeid, file) if file else None
        found.append(Failure(nodeid, file, where))
    return found


def _pytest_line(lines: list[str], nodeid: str, file: str) -> int | None:
    """The line of FILE in the test's own traceback section (its first entry in FILE)."""
    located = re.compile(r"^" + re.escape(file) + r":(\d+): ")
    test = nodeid.split("::")[-1] if "::" in nodeid else None
    start = 0
    if test is not None:
        header = ".".join(nodeid.split("::")[1:])
        for index, line in enumerate(lines):
            if line.startswith("_") and line.strip("_ ").endswith((f" {test}", header, test)):
                start = index
                break
    for line in lines[start:]:
        match = located.match(line)
        if match:
            return int(match.group(1))
    return None


# --- unittest ----------------------------------------------------------------------

_UNITTEST = re.compile(r"^(FAIL|ERROR): (\S+) \(([^)]+)\)")
_PY_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)')


def _unittest(lines: list[str], paths: _Paths) -> list[Failure]:
    found = []
    for index, line in enumerate(lines):
        match = _UNITTEST.match(line)
        if not match:
            continue
        method, ident = match.group(2), match.group(3)
        name = ident if ident.endswith("." + method) else f"{ident}.{method}"
        file, where = None, None
        for body in lines[index + 1 :]:
            if body.startswith(("=====", "FAIL: ", "ERROR: ")) or body.startswith("Ran "):
                break
            frame = _PY_FRAME.match(body)
            if frame and (relative := paths.relative(frame.group(1))) is not None:
                file, where = relative, int(frame.group(2))
                break
        found.append(Failure(name, file, where))
    return found


# --- node's test runner --------------------------------------------------------------

_TAP_NOT_OK = re.compile(r"^(\s*)not ok \d+ - (.+?)(?:\s+#\s.*)?$")
_TAP_SUBTEST = re.compile(r"^(\s*)# Subtest: (.+)$")
_JS_FRAME = re.compile(r"\(?((?:file://)?/[^():\s]+):(\d+):\d+\)?")
_TAP_LOCATION = re.compile(r"^\s*location: '(.+):(\d+):\d+'")
_SPEC_TEST_AT = re.compile(r"^test at (.+):(\d+):\d+$")
_SPEC_FAILED = re.compile(r"^\s*✖ (.+?) \([\d.]+m?s\)$")


def _node_location(block: list[str], paths: _Paths) -> tuple[str | None, int | None]:
    fallback: tuple[str | None, int | None] = (None, None)
    for body in block:
        declared = _TAP_LOCATION.match(body)
        if declared and fallback[0] is None:
            relative = paths.relative(declared.group(1))
            if relative is not None:
                fallback = (relative, int(declared.group(2)))
            continue
        for frame in _JS_FRAME.finditer(body):
            relative = paths.relative(frame.group(1))
            if relative is not None:
                return relative, int(frame.group(2))
    return fallback


def _node_tap(lines: list[str], paths: _Paths) -> list[Failure]:
    found = []
    parents: dict[int, str] = {}  # indentation -> subtest name, for nested names
    for index, line in enumerate(lines):
        subtest = _TAP_SUBTEST.match(line)
        if subtest:
            depth = len(subtest.group(1))
            parents = {d: n for d, n in parents.items() if d < depth}
            parents[depth] = subtest.group(2)
            continue
        match = _TAP_NOT_OK.match(line)
        if not match:
            continue
        indent = len(match.group(1))
        block: list[str] = []
        for body in lines[index + 1 :]:
            if body.strip() == "...":
                break
            block.append(body)
        if any("failureType: 'subtestsFailed'" in b for b in block):
            continue  # a suite whose tests failed: they are listed themselves
        outer = [parents[d] for d in sorted(parents) if d < indent]
        name = " > ".join([*outer, match.group(2)])
        file, where = _node_location(block, paths)
        found.append(Failure(name, file, where))
    return found


def _node_spec(lines: list[str], paths: _Paths) -> list[Failure]:
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "✖ failing tests:")
    except StopIteration:
        return []
    found = []
    rest = lines[start + 1 :]
    for index, line in enumerate(rest):
        declared = _SPEC_TEST_AT.match(line.strip())
        if not declared or index + 1 >= len(rest):
            continue
        failed = _SPEC_FAILED.match(rest[index + 1])
        if not failed:
            continue
        block = []
        for body in rest[index + 2 :]:
            if _SPEC_TEST_AT.match(body.strip()):
                break
            block.append(body)
        file, where = _node_location(block, paths)
        if file is None:
            file = paths.relative(declared.group(1))
            where = int(declared.group(2)) if file else None
        found.append(Failure(failed.group(1), file, where))
    return found


# --- go test ------------------------------------------------------------------------

_GO_FAIL = re.compile(r"^\s*--- FAIL: (\S+) \(")
_GO_LOCATION = re.compile(r"^\s+([\w.-]+_test\.go|[\w.-]+\.go):(\d+): ")
_GO_PACKAGE = re.compile(r"^(?:FAIL|ok)\s+(\S+)\s")


def _go_module(root: Path) -> str | None:
    try:
        text = (root / "go.mod").read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    return match.group(1) if match else None


def _go(lines: list[str], paths: _Paths) -> list[Failure]:
    module = _go_module(paths.root)
    pending: list[tuple[str, str | None, int | None]] = []
    found = []
    for index, line in enumerate(lines):
        failed = _GO_FAIL.match(line)
        if failed:
            name, file, where = failed.group(1), None, None
            for body in lines[index + 1 : index + 20]:
                if _GO_FAIL.match(body) or not body.startswith((" ", "\t")):
                    break
                located = _GO_LOCATION.match(body)
                if located:
                    file, where = located.group(1), int(located.group(2))
                    break
            pending.append((name, file, where))
            continue
        package = _GO_PACKAGE.match(line)
        if package and pending:
            folder = _go_folder(package.group(1), module)
            for name, file, where in pending:
                relative = None
                if file is not None and folder is not None:
                    relative = paths.relative(f"{folder}/{file}" if folder else file)
                found.append(Failure(name, relative, where if relative else None))
            pending = []
    found += [Failure(name) for name, _, _ in pending]
    # A test fails when one of its subtests does: the subtest is the one to name.
    names = {f.name for f in found}
    return [f for f in found if not any(n.startswith(f.name + "/") for n in names)]


def _go_folder(package: str, module: str | None) -> str | None:
    if module is None:
        return None
    if package == module:
        return ""
    if package.startswith(module + "/"):
        return package[len(module) + 1 :]
    return None


# --- anything else: a compiler's or Python's idea of where ---------------------------

_COMPILER = re.compile(r"^(?:\./)?([^\s:()'\"]+\.[\w]+):(\d+)(?::\d+)?:")


def _location(lines: list[str], paths: _Paths) -> tuple[str, int] | None:
    """Where a build broke: the first `path:line:` of the checkout, else the innermost
    frame of the checkout in the last Python traceback."""
    for line in lines:
        match = _COMPILER.match(line.strip())
        if match and (relative := paths.relative(match.group(1))) is not None:
            return relative, int(match.group(2))
    frame_found: tuple[str, int] | None = None
    for line in lines:
        frame = _PY_FRAME.match(line)
        if frame and (relative := paths.relative(frame.group(1))) is not None:
            frame_found = (relative, int(frame.group(2)))
    return frame_found


PARSERS = (_pytest, _unittest, _node_tap, _node_spec, _go)


def _unique(failures: list[Failure]) -> Iterator[Failure]:
    seen = set()
    for failure in failures:
        if failure.name not in seen:
            seen.add(failure.name)
            yield failure


def parse_failures(output: str, root: Path) -> Findings:
    """The failing tests in OUTPUT of a command run in ROOT, and where to point."""
    lines = output.splitlines()
    tests: list[Failure] = []
    for parser in PARSERS:
        tests += parser(lines, _Paths(root))
    findings = Findings(tests=list(_unique(tests))[:MAX_FAILURES])
    located = next((f for f in findings.tests if f.path is not None), None)
    if located is not None:
        findings.location = (located.path or "", located.line or 1)
    else:
        findings.location = _location(lines, _Paths(root))
    return findings
