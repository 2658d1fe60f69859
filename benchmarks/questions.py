"""Synthetic question files for the benchmarks, built from the repository's own data.

Two shapes of traffic, because a cache makes them behave very differently:

``repetitive``  questions drawn Zipf-style from a pool of a few thousand variants, so the
                popular ones repeat a lot (what a support inbox or a chat log looks like)
``unique``      every question assembled at random from a base wording, an exercise alias,
                a level, a prefix/suffix and sometimes a typo; nearly all are distinct

Run as a script to write a file: ``python3 benchmarks/questions.py unique 100000 out.txt``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

PREFIXES = ("", "", "", "hey ", "quick question: ", "coach, ", "hi! ", "so ", "ok ")
SUFFIXES = ("", "", "", "?", "??", " please", " thanks", " lol", "!")
LEVELS = ("", "", "", " as a beginner", " im intermediate", " for an advanced lifter")


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def aliases(root: Path = ROOT) -> list[str]:
    out: list[str] = []
    for path in sorted((root / "knowledge" / "exercises").glob("*.yaml")):
        doc = _yaml(path)
        out.extend(str(a) for a in doc.get("aliases", []) or [])
    return out


def base_questions(root: Path = ROOT) -> list[str]:
    """Intent examples (``{exercise}`` kept as a slot) plus the labelled and safety sets."""
    out: list[str] = []
    for path in sorted((root / "intents").glob("*.yaml")):
        out.extend(str(e) for e in _yaml(path).get("examples", []) or [])
    data = root / "tests" / "data"
    out.extend(str(q["q"]) for q in _yaml(data / "labelled.yaml").get("questions", []))
    out.extend(str(m["text"]) for m in _yaml(data / "safety_set.yaml").get("messages", []))
    return out


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(len(w) - 1)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def variant(base: str, names: list[str], rng: random.Random) -> str:
    text = base.replace("{exercise}", rng.choice(names))
    if "{exercise}" not in base and rng.random() < 0.5:
        text = f"{text} for {rng.choice(names)}"
    text = rng.choice(PREFIXES) + text.rstrip("?") + rng.choice(LEVELS) + rng.choice(SUFFIXES)
    if rng.random() < 0.15:
        text = _typo(text, rng)
    return text


def generate(kind: str, count: int, seed: int = 7, root: Path = ROOT) -> list[str]:
    rng = random.Random(seed)
    bases, names = base_questions(root), aliases(root)
    if kind == "unique":
        return [variant(rng.choice(bases), names, rng) for _ in range(count)]
    if kind == "repetitive":
        pool = [variant(rng.choice(bases), names, rng) for _ in range(5_000)]
        weights = [1.0 / (rank + 1) ** 1.1 for rank in range(len(pool))]
        return rng.choices(pool, weights=weights, k=count)
    raise ValueError(f"unknown kind {kind!r} (use unique or repetitive)")


def write(path: Path, kind: str, count: int, seed: int = 7) -> None:
    path.write_text("\n".join(generate(kind, count, seed)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[3]), sys.argv[1], int(sys.argv[2]))
