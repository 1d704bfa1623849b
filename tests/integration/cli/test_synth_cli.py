"""`consult synth evaluate FILE`: the command as the README and the issue name it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TEXTS = {
    "a": [
        "stageplaatsen in de ouderenzorg zijn schaars",
        "te weinig stageplaatsen voor studenten in de ouderenzorg",
        "meer stageplaatsen en begeleiding voor studenten",
    ],
    "b": [
        "roosters maken werken in de zorg zwaar",
        "flexibele roosters houden mensen in de zorg",
        "zelf roosteren geeft medewerkers regie over hun tijd",
    ],
}


def test_evaluate_is_a_subcommand_and_prints_the_figures_as_json(tmp_path: Path) -> None:
    lines = [
        {"id": f"{gold}{n}", "theme": "t", "text": text, "gold_block": gold}
        for gold, texts in TEXTS.items()
        for n, text in enumerate(texts)
    ]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    env = {**os.environ, "CONSULT_SYNTHESIS__EMBEDDING_BACKEND": "tfidf", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "consult", "synth", "evaluate", str(labelled), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["method"] == "tfidf"
    assert 0.0 <= figures["assigned_share"] <= 1.0
    assert "mean_theme_ari" in figures
