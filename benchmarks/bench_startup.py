"""`tables --help` and `tables drift --help` start-up time: this checkout against a baseline commit.

    venv/bin/python benchmarks/bench_startup.py --baseline b496f30 --runs 15

The baseline is checked out into a temporary git worktree; both trees run with the same
interpreter and packages (`python -m scripts.cli` from the tree's root, so each imports its own
code), alternating run by run so both see the same machine load. Reports the median and the
fastest wall time of each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
COMMANDS = {"tables --help": ["--help"], "tables drift --help": ["drift", "--help"]}


def timed(tree: Path, argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "scripts.cli", *argv], cwd=tree, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="a commit to compare with (e.g. the one before a change)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.baseline], cwd=HERE, check=True,
                       capture_output=True)
        try:
            trees = {f"baseline {args.baseline}": baseline, "this checkout": HERE}
            for tree in trees.values():  # warm the file cache and bytecode
                timed(tree, ["--help"])
            print(f"{'command':<22} {'tree':<18} {'median':>8} {'fastest':>8}   ({args.runs} runs each, alternating)")
            for name, argv in COMMANDS.items():
                samples: dict[str, list[float]] = {label: [] for label in trees}
                for _ in range(args.runs):
                    for label, tree in trees.items():
                        samples[label].append(timed(tree, argv))
                for label, values in samples.items():
                    print(f"{name:<22} {label:<18} {statistics.median(values):>7.3f}s {min(values):>7.3f}s")
                first, second = (statistics.median(v) for v in samples.values())
                print(f"{name:<22} {'ratio':<18} {first / second:>7.1f}x faster")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=HERE, check=True)


if __name__ == "__main__":
    main()
