"""`make bench`: run every benchmark module (bench/*_bench.py) in turn.

Each module has `run(argv) -> None` and prints its own table of medians and p99.
`python -m bench core --sizes 200,5000` runs one module with its own options.
"""

from __future__ import annotations

import compileall
import importlib
import pkgutil
import sys
from pathlib import Path

import agentls


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.endswith("_bench"))
    if argv and not argv[0].startswith("-"):
        wanted, argv = argv[0], argv[1:]
        modules = [m for m in modules if m == f"{wanted}_bench"]
        if not modules:
            print(f"no benchmark named {wanted!r}", file=sys.stderr)
            return 2
    # Benchmarks start agentls as new processes (commands, hooks, servers). An installed
    # package has its bytecode written; a checkout run with PYTHONDONTWRITEBYTECODE set
    # (as some sandboxes and CI images do) compiled every changed module again on every
    # start: 15-20 ms more per `agentls overlaps`, measured 2026-12-04.
    compileall.compile_dir(Path(agentls.__file__).parent, quiet=1)
    for name in modules:
        print(f"\n=== bench/{name}.py ===", flush=True)
        importlib.import_module(f"bench.{name}").run(argv)
    return 0


raise SystemExit(main(sys.argv[1:]))
