"""Failing tests named from the runners' real output.

pytest, unittest and node's test runner run for real here; `go test` may not be
installed, so its output (captured from go 1.19's `go test ./...` on the module in
`_go_module`) is read from tests/semantic/outputs/, with the same files laid out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentls.semantic.failures import parse_failures

OUTPUTS = Path(__file__).parent / "outputs"


def run(cwd: Path, *argv: str) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


TESTS = {
    "tests/__init__.py": "",
    "tests/test_a.py": (
        "import unittest\n\n\ndef helper(x):\n    return x + 1\n\n\n"
        "def test_ok():\n    assert helper(1) == 2\n\n\n"
        "def test_total():\n    value = helper(2)\n    assert value == 4\n\n\n"
        "class TestCase(unittest.TestCase):\n    def test_method(self):\n"
        "        self.assertEqual(helper(1), 3)\n"
    ),
}


def test_pytest(tmp_path: Path) -> None:
    write(tmp_path, TESTS)
    out = run(tmp_path, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    found = parse_failures(out, tmp_path)
    assert [(f.name, f.path, f.line) for f in found.tests] == [
        ("tests/test_a.py::test_total", "tests/test_a.py", 14),
        ("tests/test_a.py::TestCase::test_method", "tests/test_a.py", 19),
    ]
    assert found.location == ("tests/test_a.py", 14)


def test_pytest_collection_error(tmp_path: Path) -> None:
    write(tmp_path, {"tests/test_b.py": "import gone_module\n\n\ndef test_x():\n    pass\n"})
    out = run(tmp_path, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    found = parse_failures(out, tmp_path)
    assert [(f.name, f.path, f.line) for f in found.tests] == [
        ("tests/test_b.py", "tests/test_b.py", 1)
    ]


def test_unittest(tmp_path: Path) -> None:
    write(tmp_path, TESTS)
    out = run(tmp_path, sys.executable, "-m", "unittest", "discover", "-s", "tests", "-t", ".")
    found = parse_failures(out, tmp_path)
    assert [(f.name, f.path, f.line) for f in found.tests] == [
        ("tests.test_a.TestCase.test_method", "tests/test_a.py", 19)
    ]


def test_a_python_traceback_without_tests(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "import os\nimport gone_module\n"})
    out = run(tmp_path, sys.executable, "-c", "import app")
    found = parse_failures(out, tmp_path)
    assert found.tests == [] and found.location == ("app.py", 2)


NODE_TEST = """\
const test = require('node:test');
const assert = require('node:assert');

test('adds', () => {
  assert.strictEqual(1 + 2, 3);
});

test('wrong total', () => {
  assert.strictEqual(2 + 2, 5);
});

test.describe('suite', () => {
  test.it('nested fails', () => {
    assert.ok(false);
  });
});
"""


@pytest.mark.parametrize("reporter", ["tap", "spec"])
def test_node_test_runner(tmp_path: Path, reporter: str) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed (the VS Code tests use it too)"
    write(tmp_path, {"test/a.test.js": NODE_TEST})
    out = run(tmp_path, node, "--test", f"--test-reporter={reporter}")
    found = parse_failures(out, tmp_path)
    located = {f.name.split(" > ")[-1]: (f.path, f.line) for f in found.tests}
    assert located == {
        "wrong total": ("test/a.test.js", 9),
        "nested fails": ("test/a.test.js", 14),
    }


@pytest.mark.parametrize("name", ["node-tap.txt", "node-spec.txt"])
def test_node_recorded_outputs(tmp_path: Path, name: str) -> None:
    """Node 20's two reporters as captured, absolute paths and all."""
    text = (OUTPUTS / name).read_text().replace("/tmp/semparse", str(tmp_path))
    write(tmp_path, {"test/a.test.js": "x\n"})
    found = parse_failures(text, tmp_path)
    assert [(f.path, f.line) for f in found.tests] == [
        ("test/a.test.js", 10),
        ("test/a.test.js", 15),
    ]


def _go_module(root: Path) -> None:
    write(
        root,
        {
            "go.mod": "module example.com/shop\n\ngo 1.19\n",
            "calc/calc.go": "package calc\n",
            "calc/calc_test.go": "package calc\n",
            "calc/broken.go": "package calc\n",
        },
    )


def test_go_test(tmp_path: Path) -> None:
    _go_module(tmp_path)
    found = parse_failures((OUTPUTS / "go-test.txt").read_text(), tmp_path)
    assert [(f.name, f.path, f.line) for f in found.tests] == [
        ("TestTotal", "calc/calc_test.go", 7),
        ("TestSub/inner", "calc/calc_test.go", 13),  # the subtest, not its parent
    ]


def test_go_build_failure(tmp_path: Path) -> None:
    _go_module(tmp_path)
    found = parse_failures((OUTPUTS / "go-build.txt").read_text(), tmp_path)
    assert found.tests == [] and found.location == ("calc/broken.go", 2)


def test_paths_outside_the_checkout_are_never_named(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x\n")
    root = tmp_path / "checkout"
    root.mkdir()
    text = (
        f'Traceback:\n  File "{outside}", line 1, in <module>\n  File "../elsewhere.py", line 1\n'
    )
    assert parse_failures(text, root).location is None
