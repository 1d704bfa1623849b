"""The README's screenshots stay makeable: script/screenshots.py runs the demo, signs in per
role and photographs every page it lists; each answers 200 and becomes a PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from consult.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_the_screenshot_script_photographs_every_listed_page(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "script" / "screenshots.py"),
            "--output",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines() if ".png " in line]
    assert len(names) >= 8, done.stdout
    made = {p.name for p in tmp_path.glob("*.png")}
    assert "sign-in.png" in made and "dashboard.png" in made
    assert set(names) <= made
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
