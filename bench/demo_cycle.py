"""Time a whole `consult demo` round in a fresh workspace and print one JSON object.

    uv run python bench/demo_cycle.py [--runs N]

Keys: runs, wall_s (each run), best_wall_s, peak_rss_mb (largest child process), mails,
people. Target (issue 2): a demo round in under 120 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(workspace: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "consult", "demo", "--workspace", str(workspace)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "demo"
        for _ in range(args.runs):
            walls.append(run_once(workspace))  # later runs reuse (and reset) the workspace
        mails = len(list((workspace / "mail").glob("*.eml")))
        people = sum(1 for _ in (workspace / "registry.csv").open(encoding="utf-8")) - 1
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "runs": args.runs,
                "wall_s": [round(w, 2) for w in walls],
                "best_wall_s": round(min(walls), 2),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "mails": mails,
                "people": people,
            }
        )
    )


if __name__ == "__main__":
    main()
