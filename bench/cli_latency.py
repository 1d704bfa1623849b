"""How long the secretariat waits for the command line, and print one JSON object.

    uv run python bench/cli_latency.py [--runs N] [--workspace DIR]

Builds a demo round (`consult demo`, about half a minute) in a fresh workspace unless
--workspace names one that holds it, then times three commands as a user starts them (the
installed `consult` script, a new process each time): `consult --help`, `consult round status`
and `consult blocks list` on the demo round. Each figure is the median of --runs (default 5).

Keys: help_s, status_s, blocks_list_s (medians), python_s (the median start of a bare Python,
the floor under every command), runs, and targets_met (issue 13: help <= 0.5 s, status <= 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUND = "demo-bouwstenen"


def consult_command() -> list[str]:
    """The `consult` script next to this Python (what `uv run consult` runs), else `-m`."""
    script = Path(sys.executable).with_name("consult")
    return [str(script)] if script.exists() else [sys.executable, "-m", "consult"]


def median_wall(command: list[str], runs: int, env: dict[str, str]) -> float:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - started)
    return round(statistics.median(walls), 3)


def measure(workspace: Path, runs: int) -> dict[str, object]:
    consult = consult_command()
    # As an installed consult would have (and script/bootstrap makes): bytecode for its modules,
    # which PYTHONDONTWRITEBYTECODE would otherwise keep every command compiling anew.
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(root / "consult"), str(root / "models")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    config = workspace / "consult.toml"
    if not config.exists():
        subprocess.run(
            [*consult, "demo", "--workspace", str(workspace)], check=True, stdout=subprocess.DEVNULL
        )
    env = {**os.environ, "CONSULT_CONFIG": str(config)}
    figures: dict[str, object] = {
        "help_s": median_wall([*consult, "--help"], runs, env),
        "status_s": median_wall([*consult, "round", "status", ROUND], runs, env),
        "blocks_list_s": median_wall([*consult, "blocks", "list", ROUND], runs, env),
        "python_s": median_wall([sys.executable, "-c", "pass"], runs, env),
        "runs": runs,
    }
    help_s = figures["help_s"]
    status_s = figures["status_s"]
    assert isinstance(help_s, float) and isinstance(status_s, float)
    figures["targets_met"] = help_s <= 0.5 and status_s <= 1.0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args()
    if args.workspace is not None:
        figures = measure(args.workspace, args.runs)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = measure(Path(tmp) / "demo", args.runs)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
