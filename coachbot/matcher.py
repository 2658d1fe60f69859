"""Intent matching: which intent a message (with exercise names removed) is asking about.

A TF-IDF-style index over the intent examples does the heavy lifting: words are stemmed,
informal words mapped through the synonym table, unknown words corrected to the nearest known
word (RapidFuzz, cached), and each example and intent is a weighted bag of words and word
pairs. Only the best few intents are then compared with RapidFuzz's ``token_set_ratio``,
which rewards close wording without paying for a fuzzy pass over every example. Unknown words
count against a match, which is what keeps "how long to cook a ham" from looking like a
question about rest times.

The index is two sparse matrices (feature -> intent centroids, feature -> examples) scored
for a whole block of queries at once with numpy: every centroid, then only the examples of
each query's shortlisted intents. ``rank`` is a block of one, so a question
gets the same ranking alone as in a batch of 100,000: each query's sums are added in its own
feature order whatever else is in the block (``np.bincount`` adds in input order), so even
the last bit of every score is the same.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from .normalize import (
    PUNCTUATION,
    SETS_BY_REPS,
    Corrector,
    content_words,
    lengths_by_first_word,
    remember,
    stem,
)

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

BLOCK_CELLS = 1 << 17
"""Queries x (intents + examples) scored in one numpy pass at most (1 MB of scores): small
enough to stay in the processor's cache, and memory stays flat whatever the block size."""
NUMBER = "#"
"""What every number in a message or an example is read as."""
_ASKING = frozenset(
    {"how", "what", "why", "which", "when", "where", "who", "can", "could", "should", "would"}
    | {"is", "are", "am", "do", "does", "will", "any", "anything"}
)
"""Words a question starts with: only a question's closer is read past ("how many sets?
thanks", "is it ok thanks", but "that is great thanks", "great help thanks")."""
_UNITS = frozenset(
    {"rep", "reps", "set", "sets", "second", "seconds"}
    | {"kg", "kgs", "kilo", "kilos", "lb", "lbs", "pound", "pounds", "time", "times", "x"}
    | {"day", "days", "week", "weeks", "session", "sessions"}
)
"""Words that make the number before them a count or a time ("20 reps", "45 seconds"): the
word says what it is about, and the number is left out. (A lone "#" weighs as much as the
rarest word, and "i do 20 reps" is no "i'm 65".)"""
_SPOKEN = {"2": "to", "4": "for"}
"""Digits that text-speak writes for a word: "how 2 do them", "a bench 4 hip thrusts"."""

Vector = dict[str, float]


@dataclass(frozen=True, slots=True)
class Match:
    intent: str
    score: float
    example: str


@dataclass(frozen=True, slots=True)
class Query:
    """A message as the matcher reads it: its stems and its weighted features."""

    stems: tuple[str, ...]
    vector: tuple[tuple[str, float], ...]
    """(feature, weight) pairs of the normalised query vector (a tuple keeps ``Query``
    hashable, like every other record of a turn)."""
    features: tuple[int, ...]
    """Index numbers of the vector's features that the examples use, in vector order."""
    weights: tuple[float, ...]
    inside: tuple[str, ...]
    """The message words between its openers and closers, however few ("quick question:
    ghr" is a name alone): worked out with the rest, so that the coach need not frame the
    message again."""


def _normalise(vector: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {k: v / norm for k, v in vector.items()}


@dataclass(frozen=True, slots=True)
class _Postings:
    """A sparse feature -> column matrix in compressed rows (one row per feature), each row's
    columns in increasing order."""

    starts: NDArray[np.int64]
    columns: NDArray[np.int64]
    weights: NDArray[np.float64]

    @classmethod
    def build(cls, rows: Sequence[Sequence[tuple[int, float]]]) -> _Postings:
        starts = np.zeros(len(rows) + 1, np.int64)
        np.cumsum([len(r) for r in rows], out=starts[1:])
        flat = [posting for r in rows for posting in sorted(r)]
        columns = np.array([c for c, _ in flat], np.int64)
        weights = np.array([w for _, w in flat], np.float64)
        return cls(starts, columns, weights)

    def sums(
        self,
        rows: NDArray[np.int64],
        first: NDArray[np.int64],
        counts: NDArray[np.int64],
        weights: NDArray[np.float64],
        shape: tuple[int, int],
        exclude: int | None = None,
    ) -> NDArray[np.float64]:
        """``shape``-sized sums of query weight x posting weight: entry k of the lists adds
        ``weights[k]`` times the ``counts[k]`` postings from ``first[k]`` on to row ``rows[k]``
        (``exclude``, a column, gets nothing). Each cell is added up in entry order, exactly as
        a loop over the entries would."""
        ends = np.cumsum(counts)
        at = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(first - ends + counts, counts)
        columns = self.columns[at]
        values = np.repeat(weights, counts) * self.weights[at]
        if exclude is not None:
            values[columns == exclude] = 0.0
        cells = np.repeat(rows, counts) * shape[1] + columns
        sums = np.bincount(cells, values, minlength=shape[0] * shape[1])
        return sums.astype(np.float64, copy=False).reshape(shape)  # (float64 already)


class IntentMatcher:
    """Ranks intents for a message. Built once from the examples; afterwards only its bounded
    word caches change (pure results, safe to race), so threads can share it."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        synonyms: Mapping[str, str] | None = None,
        stopwords: Iterable[str] = (),
        ignore: Iterable[str] = (),
        interjections: Iterable[str] = (),
        openers: Iterable[tuple[str, ...]] = (),
        closers: Iterable[tuple[str, ...]] = (),
    ) -> None:
        self._synonyms = dict(synonyms or {})
        self._openers = frozenset(openers)
        self._opener_lengths = lengths_by_first_word(self._openers)
        self._closers = frozenset(closers)
        self._closer_starts = lengths_by_first_word(self._closers)
        # (by last word: a closer is mostly found from the end of a message)
        self._closer_lengths = lengths_by_first_word(c[::-1] for c in self._closers)
        # Pronouns stand for the exercise, whose name is removed before matching: dropping
        # them too keeps "how do i do them" and "how do i do {exercise}" the same question.
        self._interjections = frozenset(interjections)
        """Words that only set a tone ("lol"): ignored, and skipped wherever they stand when
        openers and closers are looked for."""
        self._ignore = frozenset(ignore) | self._interjections
        self._stopwords = frozenset(stopwords)
        self._intent_of: list[str] = []
        self._example_text: list[str] = []
        self._example_stems: list[str] = []
        feats_per_example: list[list[str]] = []
        raw_vocab: set[str] = set()
        followers: dict[str, set[str]] = defaultdict(set)
        # Examples are stored intent by intent, in intent order, so that each intent's are
        # one contiguous run of columns (its best example is a max over that run).
        for intent in sorted(examples):
            for text in examples[intent]:
                words = self._words(text.replace("{exercise}", " "))
                raw_vocab.update(words)
                for a, b in zip(words, words[1:], strict=False):
                    if a == NUMBER or a in _SPOKEN.values():
                        followers[a].add(b)
                stems = self._stems(self._counted(words))
                self._intent_of.append(intent)
                self._example_text.append(text)
                self._example_stems.append(" ".join(stems))
                feats_per_example.append(self._features(stems))
        self._followers = {word: frozenset(after) for word, after in followers.items()}
        """The words that follow a number, "to" or "for" in the examples."""
        self.intents = tuple(dict.fromkeys(self._intent_of))
        """Intents that have examples, sorted (their index numbers break score ties)."""
        number = {intent: n for n, intent in enumerate(self.intents)}
        feats_of_intent: dict[str, set[str]] = defaultdict(set)
        for intent, example_feats in zip(self._intent_of, feats_per_example, strict=True):
            feats_of_intent[intent].update(example_feats)
        df: dict[str, int] = defaultdict(int)
        for intent_feats in feats_of_intent.values():
            for f in intent_feats:
                df[f] += 1
        n = max(len(self.intents), 1)
        self._idf = {f: math.log(1.0 + n / d) for f, d in df.items()}
        self._unknown_idf = math.log(1.0 + n)
        if NUMBER in self._idf:
            # Which number a message gives varies, that it gives one does not: "#" counts
            # as much as the rarest word, as each number did before numbers were merged.
            self._idf[NUMBER] = self._unknown_idf
        self._feature_id = {f: i for i, f in enumerate(self._idf)}
        weights = {f: self._weight(f) for f in self._idf}
        self._weights = weights
        # Two matrices: feature -> intent centroids, and feature -> examples. A block of
        # queries is scored against every centroid first; only the examples of each query's
        # shortlisted intents are then expanded, most of the work on a big index.
        rows_of_intents: list[list[tuple[int, float]]] = [[] for _ in self._idf]
        rows_of_examples: list[list[tuple[int, float]]] = [[] for _ in self._idf]
        feature_id = self._feature_id
        centroids: dict[str, Vector] = defaultdict(lambda: defaultdict(float))
        for index, (intent, feats) in enumerate(
            zip(self._intent_of, feats_per_example, strict=True)
        ):
            vector = _normalise({f: weights[f] for f in feats})
            centroid = centroids[intent]
            for f, weight in vector.items():
                rows_of_examples[feature_id[f]].append((index, weight))
                centroid[f] += weight
        for intent, centroid in centroids.items():
            for f, weight in _normalise(centroid).items():
                rows_of_intents[feature_id[f]].append((number[intent], weight))
        self._centroids = _Postings.build(rows_of_intents)
        self._postings = _Postings.build(rows_of_examples)
        runs = np.fromiter((number[i] for i in self._intent_of), np.int64, len(self._intent_of))
        self._run_starts = np.searchsorted(runs, np.arange(len(self.intents)))
        self._run_sizes = np.diff(np.append(self._run_starts, len(runs)))
        self._columns = np.arange(len(runs))
        # Where each intent's examples are in each feature's row (a row's columns are in
        # example order, so an intent's are one run of it): row f, intent i holds postings
        # ``bounds[f, i]`` up to ``bounds[f, i + 1]``.
        width = len(self.intents)
        keys = np.repeat(np.arange(len(self._idf)), np.diff(self._postings.starts)) * width
        keys += runs[self._postings.columns]
        wanted = np.arange(len(self._idf))[:, None] * width + np.arange(width + 1)[None, :]
        self._bounds = np.searchsorted(keys, wanted)
        self._word_stems: dict[str, tuple[str, ...]] = {}
        """What each message word seen so far reads as (a pure, bounded cache)."""
        self.correct = Corrector(
            raw_vocab,
            set(self._synonyms),
            min_score=TYPO_MIN_SCORE,
            min_length=TYPO_MIN_LENGTH,
        )

    def examples(self) -> list[tuple[str, str]]:
        """(intent, example text) for every indexed example, in index order."""
        return list(zip(self._intent_of, self._example_text, strict=True))

    # -- text to features -------------------------------------------------------------------
    def _words(self, text: str) -> list[str]:
        out: list[str] = []
        for word in self.framed(content_words(text)):
            if word not in self._ignore:
                out.extend(self._canonical(word).split())
        return out

    def _counted(self, words: Sequence[str]) -> list[str]:
        """``words`` (canonical) without each number a unit follows ("20 reps")."""
        return [
            w
            for i, w in enumerate(words)
            if w != NUMBER or i + 1 == len(words) or words[i + 1] not in _UNITS
        ]

    def framed(self, words: Sequence[str]) -> Sequence[str]:
        """The words between the phrases that open a message ("quick question:", "hey
        coach,") and those that close a question ("thanks", "cheers", also before one:
        "thanks! how many sets?"), as long as two words or more are left: "hi there" and "ok
        thanks" are what they say."""
        return self._framed(words, *self._frame(words))

    def _framed(self, words: Sequence[str], start: int, end: int) -> Sequence[str]:
        """``framed`` for a message whose frame (see ``_frame``) is known."""
        for part in (words[start:end], words[start:]):
            if sum(w not in PUNCTUATION and w not in self._ignore for w in part) >= 2:
                return part
        return words

    def _frame(self, words: Sequence[str]) -> tuple[int, int]:
        start = self._opened(words)
        end = self._closed(words, start)
        if end < len(words) and not self._asks(words[start:end]):
            end = len(words)  # "that helps, thanks" is all thanks
        return start, end

    def _asks(self, words: Sequence[str]) -> bool:
        """Whether the words are a question: a question mark, or a first word that opens
        one."""
        first = next(
            (w for w in words if w not in PUNCTUATION and w not in self._interjections), ""
        )
        return first in _ASKING or "?" in words

    def _opened(self, words: Sequence[str]) -> int:
        """Where the message starts past its openers, and past closers before a question
        (and the punctuation and ignored words ("lol") around them)."""
        start = 0
        while start < len(words):
            if words[start] in PUNCTUATION or words[start] in self._interjections:
                start += 1
                continue
            n = self._phrase_at(words, start, self._openers, self._opener_lengths)
            if not n:
                n = self._phrase_at(words, start, self._closers, self._closer_starts)
                if not self._asks(words[start + n :]):
                    n = 0
            if not n:
                break
            start += n
        return start

    @staticmethod
    def _phrase_at(
        words: Sequence[str],
        at: int,
        phrases: frozenset[tuple[str, ...]],
        lengths: Mapping[str, tuple[int, ...]],
    ) -> int:
        """The length of the longest of ``phrases`` that starts at word ``at``, or 0."""
        return next(
            (n for n in lengths.get(words[at], ()) if tuple(words[at : at + n]) in phrases), 0
        )

    def _closed(self, words: Sequence[str], start: int) -> int:
        """Where the message ends before its closers (and the punctuation and ignored words
        around them)."""
        end, closers, lengths = len(words), self._closers, self._closer_lengths
        while end > start:
            if words[end - 1] in PUNCTUATION or words[end - 1] in self._interjections:
                end -= 1
                continue
            n = next(
                (
                    n
                    for n in lengths.get(words[end - 1], ())
                    if end - n >= start and tuple(words[end - n : end]) in closers
                ),
                0,
            )
            if not n:
                break
            end -= n
        return end

    def _stems(self, words: Iterable[str]) -> list[str]:
        return [stem(w) for w in words if w not in PUNCTUATION]

    @staticmethod
    def _features(stems: Sequence[str]) -> list[str]:
        pairs = [f"{a}_{b}" for a, b in zip(stems, stems[1:], strict=False)]
        return list(dict.fromkeys([*stems, *pairs]))

    def query_stems(self, words: Sequence[str]) -> list[str]:
        """The stems the matcher compares for these message words."""
        out: list[str] = []
        known = self._word_stems
        for i, word in enumerate(words):
            if word in _SPOKEN and i + 1 < len(words) and self._spoken(word, words[i + 1]):
                word = _SPOKEN[word]
            elif (
                word == "x"
                and 0 < i < len(words) - 1
                and words[i - 1].isdigit()
                and (words[i + 1].isdigit())
            ):
                word = "sets of"  # "3 x 5", as "3x5"
            elif word.isdigit() and i + 1 < len(words) and self._unit(words[i + 1]):
                continue  # ("20 reps": see _UNITS)
            stems = known.get(word)
            if stems is None:
                stems = remember(known, word, self._stems_of(word))
            out.extend(stems)
        return out

    def _unit(self, word: str) -> bool:
        return word in _UNITS or self._canonical(word) in _UNITS

    def _spoken(self, digit: str, following: str) -> bool:
        """Whether ``digit`` stands for its word here: the next word follows that word in
        the examples and never a number ("2 do" is "to do", "2 sets" is two sets)."""
        after = self._canonical(following)
        return after in self._followers.get(_SPOKEN[digit], ()) and after not in (
            self._followers.get(NUMBER, ())
        )

    def _stems_of(self, word: str) -> tuple[str, ...]:
        if word in PUNCTUATION or word in self._ignore:
            return ()
        return tuple(stem(self.correct(part)) for part in self._canonical(word).split())

    def _canonical(self, word: str) -> str:
        # Any number reads as any other: "i'm 14" is as much about age as the example's
        # "i'm 65", and "3 sets" as much about sets as "4 sets".
        if word.isdigit():
            return NUMBER
        if SETS_BY_REPS.fullmatch(word):
            return f"sets of {NUMBER}"  # (its first number is a count: see _UNITS)
        return self._synonyms.get(word, word)

    def vector(self, stems: Sequence[str]) -> Vector:
        """A query vector; unknown single words weigh as much as the rarest known ones."""
        return self._vector(stems)[0]

    def _vector(self, stems: Sequence[str]) -> tuple[Vector, list[str]]:
        """The vector and, in its order, the features the index has."""
        vector: Vector = {}
        known: list[str] = []
        weights, stopwords = self._weights, self._stopwords
        for f in self._features(stems):
            weight = weights.get(f)
            if weight is not None:
                vector[f] = weight
                known.append(f)
            elif "_" not in f and f not in stopwords:
                vector[f] = self._unknown_idf
        return _normalise(vector), known

    def query(self, words: Sequence[str]) -> Query:
        """The message words as the matcher reads them (for ``rank_queries``, ``similarity``)."""
        start, end = self._frame(words)
        stems = self.query_stems(self._framed(words, start, end))
        vector, known = self._vector(stems)
        ids = self._feature_id
        return Query(
            tuple(stems),
            tuple(vector.items()),
            tuple(ids[f] for f in known),
            tuple(vector[f] for f in known),
            tuple(words[start:end]),
        )

    def _weight(self, feature: str) -> float:
        return self._idf[feature] * (PAIR_WEIGHT if "_" in feature else 1.0)

    # -- scoring ----------------------------------------------------------------------------
    def rank(self, words: Sequence[str], n: int = 5, exclude: int | None = None) -> list[Match]:
        """The ``n`` best intents for the message words, best first (ties by intent id).

        ``exclude`` leaves one example out (by its position in ``examples()``), which is how
        ``coachbot check`` tests whether each example would be matched by the others.
        """
        return self.rank_queries([self.query(words)], n, exclude)[0]

    def rank_queries(
        self, queries: Sequence[Query], n: int = 5, exclude: int | None = None
    ) -> list[list[Match]]:
        """``rank`` for each query, scored together; each result is what it would be alone."""
        if not self._intent_of:
            return [[] for _ in queries]
        if exclude is not None and not 0 <= exclude < len(self._intent_of):
            raise ValueError(f"no example {exclude} to leave out")
        step = max(1, BLOCK_CELLS // (len(self.intents) + len(self._intent_of)))
        out: list[list[Match]] = []
        for start in range(0, len(queries), step):
            out.extend(self._rank_block(queries[start : start + step], n, exclude))
        return out

    def _rank_block(
        self, queries: Sequence[Query], n: int, exclude: int | None
    ) -> list[list[Match]]:
        sizes = [len(q.features) for q in queries]
        rows = np.repeat(np.arange(len(queries), dtype=np.int64), sizes)
        features = np.fromiter((f for q in queries for f in q.features), np.int64, sum(sizes))
        weights = np.fromiter((w for q in queries for w in q.weights), np.float64, sum(sizes))
        first = self._centroids.starts[features]
        counts = self._centroids.starts[features + 1] - first
        by_intent = self._centroids.sums(
            rows, first, counts, weights, (len(queries), len(self.intents))
        )
        # Only the best few intents by the intent-level score are shortlisted, ties to the
        # lower intent number (sorted ids), and only their examples are scored.
        shortlist = np.argsort(-by_intent, axis=1, kind="stable")[:, :SHORTLIST]
        picked = shortlist[rows]
        first = self._bounds[features[:, None], picked].ravel()
        counts = self._bounds[features[:, None], picked + 1].ravel() - first
        by_example = self._postings.sums(
            np.repeat(rows, picked.shape[1]),
            first,
            counts,
            np.repeat(weights, picked.shape[1]),
            (len(queries), len(self._intent_of)),
            exclude,
        )
        # Each intent's nearest example: the best score in its run of columns, and the
        # first column that reaches it.
        nearest = np.maximum.reduceat(by_example, self._run_starts, axis=1)
        reached = by_example == np.repeat(nearest, self._run_sizes, axis=1)
        where = np.minimum.reduceat(
            np.where(reached, self._columns, len(self._intent_of)), self._run_starts, axis=1
        )
        line = np.arange(len(queries))[:, None]  # pairs with a column per row in indexing
        intent_score = by_intent[line, shortlist]
        best = nearest[line, shortlist]
        examples = where[line, shortlist]
        coarse = W_EXAMPLE * best + W_INTENT * intent_score
        # Every score is a sum of positive products, so 0 means nothing in common.
        missing = (intent_score <= 0.0) | (best <= 0.0)
        coarse[missing] = -np.inf
        # The best few by the coarse score (ties to the lower intent number) get the fuzzy
        # comparison with their nearest example; token_set_ratio is generous when one side
        # is a subset of the other, so it only counts in proportion to how well the nearest
        # example already covers the query.
        by_coarse = np.lexsort((shortlist, -coarse), axis=1)
        fuzzy = best.copy()
        top = np.zeros_like(missing)
        top[line, by_coarse[:, :RERANK]] = True
        rows_, cols_ = np.nonzero(top & ~missing)
        if len(rows_):
            texts = [" ".join(q.stems) for q in queries]
            stems = self._example_stems
            fuzzy[rows_, cols_] = (
                process.cpdist(
                    [texts[r] for r in rows_.tolist()],
                    [stems[e] for e in examples[rows_, cols_].tolist()],
                    scorer=fuzz.token_set_ratio,
                    dtype=np.float64,
                    workers=1,
                )
                / 100.0
            )
        final = np.minimum((coarse + W_FUZZ * fuzzy * best) / (W_EXAMPLE + W_INTENT + W_FUZZ), 1.0)
        final[missing] = -np.inf
        order = np.lexsort((shortlist, -final), axis=1)[:, :n]
        ranked = zip(
            final[line, order].tolist(),
            shortlist[line, order].tolist(),
            examples[line, order].tolist(),
            strict=True,
        )
        intents, texts_ = self.intents, self._example_text
        return [
            [
                Match(intents[i], score, texts_[e])
                for score, i, e in zip(*row, strict=True)
                if score != -math.inf
            ]
            for row in ranked
        ]

    def text_index(self, texts: Sequence[str]) -> TextIndex:
        """Stored texts (e.g. an exercise's FAQ questions) indexed for ``similarity``."""
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, text in enumerate(texts):
            words = self._words(text.replace("{exercise}", " "))
            for f, w in self.vector(self._stems(self._counted(words))).items():
                postings[f].append((i, w))
        return TextIndex(len(texts), {f: tuple(p) for f, p in postings.items()})

    @staticmethod
    def similarity(query: Query, index: TextIndex) -> list[float]:
        """Cosine similarity of the message to each text of ``index``."""
        sims = [0.0] * index.size
        postings = index.postings
        for f, w in query.vector:
            for i, other in postings.get(f, ()):
                sims[i] += w * other
        return sims


@dataclass(frozen=True, slots=True)
class TextIndex:
    size: int
    postings: Mapping[str, tuple[tuple[int, float], ...]]
    """feature -> (text number, weight) for every text that has it."""
