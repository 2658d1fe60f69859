"""The intent classifier a team would otherwise build: scikit-learn TF-IDF + LinearSVC.

Trained on the same intent examples as the coach (``{exercise}`` removed), with the
out-of-scope examples as one more class that stands for "no intent". It answers the intent
only: no exercise, no red-flag screen, no answer text. Needs ``scikit-learn`` (optional).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT_OF_SCOPE = "out_of_scope"


def available() -> bool:
    try:
        import sklearn  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


def training_set(intents: Path = ROOT / "intents") -> tuple[list[str], list[str]]:
    """(texts, labels) from every intent file; out-of-scope examples get ``OUT_OF_SCOPE``."""
    texts: list[str] = []
    labels: list[str] = []
    for path in sorted(intents.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        label = str(doc.get("id") or path.stem.lstrip("_"))
        for example in doc.get("examples") or []:
            text = re.sub(r"\s+", " ", str(example).replace("{exercise}", " ")).strip()
            if text:
                texts.append(text)
                labels.append(label)
    return texts, labels


def build() -> Any:
    """The untrained pipeline: word 1-2 grams and char_wb 2-4 grams, then a linear SVM."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.pipeline import make_pipeline, make_union  # type: ignore[import-untyped]
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
    )
    return make_pipeline(features, LinearSVC())


def intent_of(label: str) -> str | None:
    return None if label == OUT_OF_SCOPE else label
