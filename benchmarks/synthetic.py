"""Ten times the bundled data, for measuring how the coach scales with its knowledge.

``scale(dest, factor)`` copies ``knowledge/`` and ``intents/`` into ``dest`` and adds, for
each exercise, ``factor - 1`` copies under new ids, names and aliases (``nordics mk2``), and
for each intent example ``factor - 1`` light paraphrases (a filler word before or after it).
The result loads with ``Coach(knowledge=dest / "knowledge", intents=dest / "intents")``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

FILLERS = (
    "hey",
    "so",
    "quick question",
    "coach",
    "please tell me",
    "i was wondering",
    "just curious",
    "tell me",
    "hi",
)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    return data


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8"
    )


def paraphrase(example: str, k: int) -> str:
    """The k-th light paraphrase of an intent example (k >= 1)."""
    filler = FILLERS[(k - 1) % len(FILLERS)]
    return f"{filler} {example}" if k % 2 else f"{example} {filler}"


def _copy_exercise(doc: dict[str, Any], k: int) -> dict[str, Any]:
    copy = dict(doc)
    copy["id"] = f"{doc['id']}-mk{k}"
    copy["name"] = f"{doc['name']} mk{k}"
    copy["aliases"] = [f"{alias} mk{k}" for alias in doc["aliases"]]
    return copy


def scale(dest: Path, factor: int = 10, root: Path = ROOT) -> tuple[Path, Path]:
    """Write the scaled copy under ``dest``; returns its (knowledge, intents) folders."""
    knowledge, intents = dest / "knowledge", dest / "intents"
    shutil.copytree(root / "knowledge", knowledge)
    shutil.copytree(root / "intents", intents)
    for path in sorted((root / "knowledge" / "exercises").glob("*.yaml")):
        doc = _load(path)
        for k in range(2, factor + 1):
            copy = _copy_exercise(doc, k)
            _dump(knowledge / "exercises" / f"{copy['id']}.yaml", copy)
    for path in sorted((root / "intents").glob("*.yaml")):
        doc = _load(path)
        if "examples" in doc:
            originals = [str(e) for e in doc["examples"]]
            doc["examples"] = originals + [
                paraphrase(e, k) for k in range(1, factor) for e in originals
            ]
            _dump(intents / path.name, doc)
    return knowledge, intents
