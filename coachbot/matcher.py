"""Intent matching: which intent a message (with exercise names removed) is asking about.

A TF-IDF-style index over the intent examples does the heavy lifting in a few microseconds:
words are stemmed, informal words mapped through the synonym table, unknown words corrected
to the nearest known word (RapidFuzz, cached), and each example and intent is a weighted
bag of words and word pairs. Only the best few intents are then compared with RapidFuzz's
``token_set_ratio``, which rewards close wording without paying for a fuzzy pass over every
example. Unknown words count against a match, which is what keeps "how long to cook a ham"
from looking like a question about rest times.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from .normalize import PUNCTUATION, Corrector, content_words, stem

TYPO_MIN_SCORE = 85.0
"""An unknown word is read as a known one when RapidFuzz's ratio reaches this."""
TYPO_MIN_LENGTH = 5
RERANK = 4
"""How many of the best intents get the (slower) fuzzy comparison."""
W_EXAMPLE, W_INTENT, W_FUZZ = 0.45, 0.35, 0.20
"""How the nearest example, the intent as a whole and the fuzzy score add up to a score."""
SHORTLIST = 6
"""How many intents (best by the intent-level score) have their examples compared."""
PAIR_WEIGHT = 0.7
"""Word pairs count this much relative to single words."""

Vector = dict[str, float]


@dataclass(frozen=True, slots=True)
class Match:
    intent: str
    score: float
    example: str


def _normalise(vector: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {k: v / norm for k, v in vector.items()}


class IntentMatcher:
    """Ranks intents for a message. Built once from the examples; read-only afterwards."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        synonyms: Mapping[str, str] | None = None,
        stopwords: Iterable[str] = (),
        ignore: Iterable[str] = (),
    ) -> None:
        self._synonyms = dict(synonyms or {})
        # Pronouns stand for the exercise, whose name is removed before matching: dropping
        # them too keeps "how do i do them" and "how do i do {exercise}" the same question.
        self._ignore = frozenset(ignore)
        self._stopwords = frozenset(stopwords)
        self._intent_of: list[str] = []
        self._example_text: list[str] = []
        self._example_stems: list[str] = []
        feats_per_example: list[list[str]] = []
        raw_vocab: set[str] = set()
        for intent, texts in examples.items():
            for text in texts:
                words = self._words(text.replace("{exercise}", " "))
                raw_vocab.update(words)
                stems = self._stems(words)
                self._intent_of.append(intent)
                self._example_text.append(text)
                self._example_stems.append(" ".join(stems))
                feats_per_example.append(self._features(stems))
        intents = sorted(set(self._intent_of))
        feats_of_intent: dict[str, set[str]] = defaultdict(set)
        for intent, example_feats in zip(self._intent_of, feats_per_example, strict=True):
            feats_of_intent[intent].update(example_feats)
        df: dict[str, int] = defaultdict(int)
        for intent_feats in feats_of_intent.values():
            for f in intent_feats:
                df[f] += 1
        n = max(len(intents), 1)
        self._idf = {f: math.log(1.0 + n / d) for f, d in df.items()}
        self._unknown_idf = math.log(1.0 + n)
        # feature -> intent -> [(example index, weight)]: grouped by intent so that only the
        # shortlisted intents' examples are scored.
        self._postings: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        centroids: dict[str, Vector] = defaultdict(lambda: defaultdict(float))
        weights = {f: self._weight(f) for f in self._idf}
        postings = self._postings
        for index, (intent, feats) in enumerate(
            zip(self._intent_of, feats_per_example, strict=True)
        ):
            vector = _normalise({f: weights[f] for f in feats})
            centroid = centroids[intent]
            for f, weight in vector.items():
                postings[f][intent].append((index, weight))
                centroid[f] += weight
        self._centroid_postings: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for intent, centroid in centroids.items():
            for f, weight in _normalise(centroid).items():
                self._centroid_postings[f].append((intent, weight))
        self.correct = Corrector(
            raw_vocab,
            set(self._synonyms),
            min_score=TYPO_MIN_SCORE,
            min_length=TYPO_MIN_LENGTH,
        )
        self.intents = tuple(intents)

    def examples(self) -> list[tuple[str, str]]:
        """(intent, example text) for every indexed example, in index order."""
        return list(zip(self._intent_of, self._example_text, strict=True))

    # -- text to features -------------------------------------------------------------------
    def _words(self, text: str) -> list[str]:
        out: list[str] = []
        for word in content_words(text):
            if word not in self._ignore:
                out.extend(self._synonyms.get(word, word).split())
        return out

    def _stems(self, words: Iterable[str]) -> list[str]:
        return [stem(w) for w in words if w not in PUNCTUATION]

    @staticmethod
    def _features(stems: Sequence[str]) -> list[str]:
        pairs = [f"{a}_{b}" for a, b in zip(stems, stems[1:], strict=False)]
        return list(dict.fromkeys([*stems, *pairs]))

    def query_stems(self, words: Sequence[str]) -> list[str]:
        """The stems the matcher compares for these message words."""
        out: list[str] = []
        for word in words:
            if word in PUNCTUATION or word in self._ignore:
                continue
            for part in self._synonyms.get(word, word).split():
                out.append(stem(self.correct(part)))
        return out

    def vector(self, stems: Sequence[str]) -> Vector:
        """A query vector; unknown single words weigh as much as the rarest known ones."""
        vector: Vector = {}
        for f in self._features(stems):
            if f in self._idf:
                vector[f] = self._weight(f)
            elif "_" not in f and f not in self._stopwords:
                vector[f] = self._unknown_idf
        return _normalise(vector)

    def _weight(self, feature: str) -> float:
        return self._idf[feature] * (PAIR_WEIGHT if "_" in feature else 1.0)

    # -- scoring ----------------------------------------------------------------------------
    def rank(self, words: Sequence[str], n: int = 5, exclude: int | None = None) -> list[Match]:
        """The ``n`` best intents for the message words, best first (ties by intent id).

        ``exclude`` leaves one example out (by its position in ``examples()``), which is how
        ``coachbot check`` tests whether each example would be matched by the others.
        """
        stems = self.query_stems(words)
        if not stems:
            return []
        query = self.vector(stems)
        by_intent: dict[str, float] = defaultdict(float)
        for f, weight in query.items():
            for intent, w in self._centroid_postings.get(f, ()):
                by_intent[intent] += weight * w
        # The intent-level score is cheap (one posting per intent); only the best few
        # intents' examples are compared one by one.
        shortlist = sorted(by_intent, key=lambda i: (-by_intent[i], i))[:SHORTLIST]
        by_example: dict[int, float] = defaultdict(float)
        for f, weight in query.items():
            per_intent = self._postings.get(f)
            if per_intent is None:
                continue
            for intent in shortlist:
                for index, w in per_intent.get(intent, ()):
                    if index != exclude:
                        by_example[index] += weight * w
        best: dict[str, tuple[float, int]] = {}
        for index, score in by_example.items():
            intent = self._intent_of[index]
            if intent not in best or score > best[intent][0]:
                best[intent] = (score, index)
        coarse = sorted(
            ((W_EXAMPLE * s + W_INTENT * by_intent[i], i, idx) for i, (s, idx) in best.items()),
            key=lambda t: (-t[0], t[1]),
        )
        text = " ".join(stems)
        matches = []
        for position, (score, intent, index) in enumerate(coarse):
            nearest = best[intent][0]
            # token_set_ratio is generous when one side is a subset of the other, so it only
            # counts in proportion to how well the nearest example already covers the query.
            fuzzy = (
                fuzz.token_set_ratio(text, self._example_stems[index]) / 100.0
                if position < RERANK
                else nearest
            )
            final = (score + W_FUZZ * fuzzy * nearest) / (W_EXAMPLE + W_INTENT + W_FUZZ)
            matches.append(Match(intent, min(final, 1.0), self._example_text[index]))
        matches.sort(key=lambda m: (-m.score, m.intent))
        return matches[:n]

    def text_vector(self, text: str) -> Vector:
        """The vector of a stored text (e.g. an FAQ question), for ``similarity``."""
        return self.vector(self._stems(self._words(text.replace("{exercise}", " "))))

    def similarity(self, words: Sequence[str], others: Sequence[Vector]) -> list[float]:
        """Cosine similarity of the message to each of ``others``."""
        query = self.vector(self.query_stems(words))
        return [sum(w * other.get(f, 0.0) for f, w in query.items()) for other in others]
