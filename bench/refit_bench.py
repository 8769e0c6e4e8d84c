"""Re-fitting a file's diagnostics to the text the editor holds, per keystroke (issue 12).

An edit that changes no collision leaves the report as it was, so the server re-ends
the file's squiggles at their lines' new lengths on every `didChange`. The naive way
measures every line of the buffer; the server measures only the lines its diagnostics
end on. Both run here on the same generated buffers, in-process.

    python -m bench refit                    # 5k and 50k lines
    python -m bench refit --lines 2000,200000 --repeat 100
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from lsprotocol import types

from agentls.server.diagnostics import SOURCE, fit_to_text, line_lengths, lsp_range
from bench.options import count, counts
from bench.stats import row

DIAGNOSTICS = 6  # a file with three collisions of two ranges each


def buffer(lines: int) -> str:
    # Mixed ASCII and non-ASCII lines, as real source has.
    wide, plain = "    value_{} = compute({}, 'é')  # ünïcode\n", "    value_{} = {}\n"
    return "".join((wide if i % 7 == 0 else plain).format(i, i) for i in range(lines))


def naive_lengths(text: str) -> list[int]:
    return [len(line.encode("utf-16-le")) // 2 for line in text.split("\n")]


def diagnostics(lines: int) -> list[types.Diagnostic]:
    found = []
    for n in range(DIAGNOSTICS):
        line = 1 + (n * lines) // DIAGNOSTICS
        found.append(
            types.Diagnostic(
                range=lsp_range([line, line], None),
                message="conflicts with session billing",
                source=SOURCE,
                data={"range": [line, line]},
            )
        )
    return found


def sample(text: str, items: list[types.Diagnostic], measure: object, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        edited = text + ("x" * (i % 3))  # a keystroke: the text differs each time
        started = time.perf_counter()
        lengths: Sequence[int] = measure(edited)  # type: ignore[operator]
        fit_to_text(items, lengths)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench refit")
    parser.add_argument("--lines", type=counts(), default="5000,50000")
    parser.add_argument("--repeat", type=count(), default=60)
    args = parser.parse_args(argv)
    for lines in args.lines:
        text, items = buffer(lines), diagnostics(lines)
        print(f"buffer of {lines} lines ({len(text) // 1024} KiB), {DIAGNOSTICS} diagnostics")
        naive = sample(text, items, naive_lengths, args.repeat)
        lazy = sample(text, items, line_lengths, args.repeat)
        print(row("naive: measure every line", naive))
        print(row("server: measure the lines asked", lazy))
