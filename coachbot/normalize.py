"""Text -> canonical lower-case words. Pure functions, shared by every later stage.

Contractions are spelt out ("can't" -> "can not") so that the safety screen's negation rules
and the matcher see one form, and typographic quotes, emoji and control characters are
dropped. ``MAX_CHARS`` caps what the matching stages look at, so a 100 KB message costs
them no more than a normal one; the safety screen reads up to ``MAX_SCREEN_CHARS``, because a
symptom mentioned at the end of a long message must never go unseen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Generic, TypeVar

import numpy as np
from rapidfuzz import fuzz, process

MAX_CHARS = 1000
"""Exercise and intent matching read only this many characters of a message."""
MAX_SCREEN_CHARS = 200_000
"""The safety screen reads this much (a screen of 200 KB costs a few tens of milliseconds)."""


def head(text: str) -> str:
    """The first ``MAX_CHARS`` characters of ``text``, or fewer so that no word is cut in
    two: "chest" across the limit would read as "che" and "st", and match no symptom."""
    if len(text) <= MAX_CHARS:
        return text
    cut = MAX_CHARS
    while cut > 0 and _inside(text[cut - 1]) and _inside(text[cut]):
        cut -= 1
    return text[:cut] if cut else text[:MAX_CHARS]  # (one word longer than the limit)


def _inside(ch: str) -> bool:
    return ch.isalnum() or ch == "'"


_TYPOGRAPHIC = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u00d7": "x"}
)
"""Typographic apostrophes as the plain one, and "3\u00d75" as "3x5"."""
_HEIGHT = re.compile(r"\d+'\d+")
"""Feet and inches ("5'4"): one word, so that neither number reads as an age."""
_WORD = re.compile(rf"{_HEIGHT.pattern}|[a-z0-9]+(?:'[a-z]+)?|[.!?;,]")
_CONTRACTIONS = {
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "cnt": "can not",
    "won't": "will not",
    "wont": "will not",
    "i'm": "i am",
    "im": "i am",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "whats": "what is",
    "thats": "that is",
    "i've": "i have",
    "ive": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "you're": "you are",
    "there's": "there is",
    "he's": "he is",
    "hes": "he is",
    "she's": "she is",
    "shes": "she is",
    "dont": "do not",
    "dnt": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "wasnt": "was not",
    "arent": "are not",
    "havent": "have not",
    "hasnt": "has not",
    "aint": "is not",
    "shouldnt": "should not",
    "couldnt": "could not",
    "wouldnt": "would not",
}
PUNCTUATION = frozenset(".!?;,")
SETS_BY_REPS = re.compile(r"\d+x\d+")
"""A word that gives sets by reps the short way: "3x5" is three sets of five."""


def clean(text: str) -> str:
    """Unicode-normalised, case-folded text with control characters and symbols removed."""
    if text.isascii():  # most messages: nothing for Unicode normalisation to do
        return text.translate(_TYPOGRAPHIC).lower()
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC).casefold()
    # Letters of other scripts survive NFKC; accents on Latin letters are dropped so that
    # "nórdic" still reads as "nordic".
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return text


def _expand(word: str) -> list[str]:
    if _HEIGHT.fullmatch(word):
        return [word]
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word].split()
    if word.endswith("n't"):
        stem = word[:-3]
        return [{"ca": "can", "wo": "will", "sha": "shall"}.get(stem, stem), "not"]
    if word.endswith("'s") or word.endswith("'d") or word.endswith("'ll") or word.endswith("'re"):
        return [word.split("'", 1)[0]]
    if word.endswith("'ve"):
        return [word[:-3], "have"]
    return [word.replace("'", "")]


def words(text: str) -> tuple[str, ...]:
    """Canonical words and sentence punctuation, e.g. ``("can", "not", "walk", ".")``."""
    # Only normal-sized messages are cached, so a flood of huge ones cannot fill memory.
    return _cached_words(text) if len(text) <= MAX_CHARS else _words(text)


@lru_cache(maxsize=4096)
def _cached_words(text: str) -> tuple[str, ...]:
    return _words(text)


def _words(text: str) -> tuple[str, ...]:
    text = clean(text)
    found = _WORD.findall(text)
    if "'" not in text and _CONTRACTIONS.keys().isdisjoint(found):
        return tuple(found)  # the usual case: nothing to spell out, one pass in C
    out: list[str] = []
    for match in found:
        if "'" in match or match in _CONTRACTIONS:
            out.extend(w for w in _expand(match) if w)
        else:
            out.append(match)
    return tuple(out)


def word_set(text: str) -> set[str]:
    """The distinct words of ``text`` as ``words`` reads them, without punctuation: for long
    texts, where spelling out each of thousands of repeats would be wasted."""
    out: set[str] = set()
    for match in set(_WORD.findall(clean(text))):
        if "'" in match or match in _CONTRACTIONS:
            out.update(w for w in _expand(match) if w)
        else:
            out.add(match)
    return out - PUNCTUATION


def content_words(text: str) -> tuple[str, ...]:
    """Like ``words`` without punctuation."""
    return tuple(w for w in words(text) if w not in PUNCTUATION)


def lengths_by_first_word(phrases: Iterable[tuple[str, ...]]) -> dict[str, tuple[int, ...]]:
    """For each word that starts a phrase, the lengths of the phrases it starts, longest
    first: a scan then slices a message only where a phrase can begin (empty phrases, such
    as a name with no letters we read, start nowhere)."""
    lengths: dict[str, set[int]] = {}
    for phrase in phrases:
        if phrase:
            lengths.setdefault(phrase[0], set()).add(len(phrase))
    return {word: tuple(sorted(ns, reverse=True)) for word, ns in lengths.items()}


T = TypeVar("T")


class PhraseTable(Generic[T]):
    """Phrases (as words) with a value each, found in a message by one scan that slices it
    only where a phrase can begin. A phrase given twice keeps every value, in order."""

    def __init__(self, items: Iterable[tuple[tuple[str, ...], T]]) -> None:
        self._values: dict[tuple[str, ...], list[T]] = {}
        for phrase, value in items:
            self._values.setdefault(phrase, []).append(value)
        self._lengths = lengths_by_first_word(self._values)

    def found(self, said: Sequence[str]) -> Iterator[T]:
        """The values of the phrases in ``said``, in the order they occur (at one word, the
        longest phrase first)."""
        for _, _, values in self._matches(said):
            yield from values

    def spans(self, said: Sequence[str]) -> Iterator[tuple[int, int]]:
        """Where the phrases are in ``said``: (start, end) word positions, in order."""
        for start, end, _ in self._matches(said):
            yield start, end

    def _matches(self, said: Sequence[str]) -> Iterator[tuple[int, int, list[T]]]:
        for i, word in enumerate(said):
            for n in self._lengths.get(word, ()):  # (most messages: no word starts one)
                values = self._values.get(tuple(said[i : i + n]))
                if values:
                    yield i, i + n, values


_SUFFIXES = (("ies", "y"), ("ing", ""), ("ness", ""), ("ed", ""), ("es", "e"), ("s", ""))


_WHOLE_WORDS = frozenset(
    {
        "evening",
        "morning",
        "thing",
        "nothing",
        "something",
        "anything",
        "everything",
        "during",
        "string",
        "spring",
        "bring",
        "being",
        "ceiling",
        "feeling",
        "ring",
        "king",
    }
)
"""Words whose "-ing" is not a suffix ("evening" is not "even" + "-ing")."""


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """A light suffix stripper: enough to make "reps"/"rep" and "curling"/"curl" meet."""
    if len(word) <= 3 or word.isdigit() or word in _WHOLE_WORDS:
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)] + repl
    return word


_RUN = re.compile(r"(.)\1{2,}")
"""A letter three or more times in a row."""
_RUN2 = re.compile(r"(.)\1")
"""A doubled letter."""
MAX_WORD = 30
"""Longer "words" (pasted hashes, keyboard mashing) are never typo-corrected or remembered."""
MAX_KNOWN_WORDS = 50_000
"""Words a per-word table remembers before it is emptied."""


def remember(table: dict[str, T], word: str, value: T, limit: int = MAX_KNOWN_WORDS) -> T:
    """Store how a stage reads ``word`` in its per-word table and return it.

    The tables hold pure results, so threads racing to fill one entry only work it out
    twice; a full table is simply emptied, and over-long junk is never kept, so arbitrary
    input cannot grow memory.
    """
    if len(word) <= MAX_WORD:
        if len(table) >= limit:
            table.clear()
        table[word] = value
    return value


def unstretched(word: str) -> tuple[str, ...]:
    """For a word with a letter held down ("peee"), the word with each run of a letter cut
    to two letters and to one ("pee", "pe"); nothing for other words."""
    if not _RUN.search(word):
        return ()
    return (_RUN.sub(r"\1\1", word), _RUN.sub(r"\1", word))


def _swapped(word: str, vocabulary: Collection[str]) -> str | None:
    """The first of ``vocabulary`` that ``word`` becomes with two neighbouring letters
    swapped, the commonest slip of all."""
    for i in range(len(word) - 1):
        form = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if form in vocabulary:
            return form
    return None


class Corrector:
    """Reads an unknown word as the vocabulary word it is most likely a typo of.

    One per stage (exercise names, intent examples, safety triggers), each with its own
    vocabulary. RapidFuzz finds the nearest word; answers are cached in a bounded table that
    is simply emptied when full, so arbitrary input can never grow memory.
    """

    def __init__(
        self,
        vocabulary: Iterable[str],
        known: Iterable[str] = (),
        *,
        min_score: float = 85.0,
        min_length: int = 5,
        short_edits: bool = False,
        max_cache: int = 20_000,
    ) -> None:
        vocab = set(vocabulary)
        self._vocab = sorted(w for w in vocab if len(w) >= min_length - 1)
        self._vocab_set = frozenset(self._vocab)
        # Four-letter words are only ever one slip away from each other ("pain"/"pian"), so
        # where asked for they are corrected only for a doubled letter or a swap.
        self._short = frozenset(w for w in vocab if len(w) == 4) if short_edits else frozenset()
        self._doubled = (
            frozenset(w for w in vocab if len(w) == 5 and _RUN2.search(w))
            if short_edits
            else frozenset()
        )
        self._known = frozenset(vocab) | frozenset(known)
        self._min_score = min_score
        self._min_length = min_length
        self._max_cache = max_cache
        self._cache: dict[str, str] = {}
        self._by_length: dict[int, list[str]] = {}

    def __call__(self, word: str) -> str:
        if self._as_written(word):
            return word
        cached = self._cache.get(word)
        if cached is None:
            reading, search = self._settled(word)
            if search:
                reading = self._nearest(reading)
            cached = remember(self._cache, word, reading, self._max_cache)
        return cached

    def prime(self, words: Iterable[str]) -> None:
        """Work out at once how each of many words reads, as ``__call__`` would one by one.

        RapidFuzz compares a whole group of words of one length with the vocabulary in one
        call, several at a time, which costs a fraction of one search per word; a block of
        questions is primed before it is read, so its typos are found here.
        """
        by_length: dict[int, list[tuple[str, str]]] = {}
        for word in set(words):
            if self._as_written(word) or word in self._cache:
                continue
            reading, search = self._settled(word)
            if search:
                by_length.setdefault(len(reading), []).append((word, reading))
            else:
                remember(self._cache, word, reading, self._max_cache)
        for length, pairs in by_length.items():
            choices = self._near_length(length)
            if not choices:
                for word, form in pairs:
                    remember(self._cache, word, form, self._max_cache)
                continue
            scores = process.cdist(
                [form for _, form in pairs],
                choices,
                scorer=fuzz.ratio,
                score_cutoff=self._min_score,
                dtype=np.float64,  # the scores extractOne compares, so ties go the same way
                workers=1,
            )
            # The first best choice, as extractOne takes it; below the cutoff a score is 0
            # (and with no cutoff at all, extractOne takes even a score of 0).
            best = scores.argmax(axis=1)
            for (word, form), row, j in zip(pairs, scores, best, strict=True):
                reading = choices[j] if row[j] > 0 or self._min_score <= 0 else form
                remember(self._cache, word, reading, self._max_cache)

    def _as_written(self, word: str) -> bool:
        """A word read as it is, never looked up: known, over-long, or not all letters."""
        return word in self._known or len(word) > MAX_WORD or not word.isalpha()

    def _settled(self, word: str) -> tuple[str, bool]:
        """How ``word`` reads without searching the vocabulary by ratio, and False; or the
        form of it to search for (see ``_nearest``), and True."""
        squeezed = unstretched(word)
        if squeezed:
            # Letters held down for emphasis ("peee", "painnnn"): the word with each run
            # cut to two letters, or to one, if that is a word; else it is read as cut to two.
            for form in squeezed:
                if form in self._known:
                    return form, False
            word = squeezed[0]
        if len(word) < self._min_length and not (self._short and len(word) == 4):
            return word, False
        if len(word) == 4:
            return self._nearest_short(word), False
        # Two neighbouring letters swapped is the commonest slip, and the ratio search
        # misses it in a five-letter word ("itght" scores 80 against "tight").
        swapped = _swapped(word, self._vocab_set)
        return (swapped, False) if swapped is not None else (word, True)

    def _nearest_short(self, word: str) -> str:
        # A doubled letter typed once ("dizy") is the commonest slip in a short word.
        for i in range(len(word)):
            doubled = word[: i + 1] + word[i:]
            if doubled in self._doubled:
                return doubled
        # Only a swap of two neighbouring letters ("pian" -> "pain"): a changed letter makes
        # another real word too often ("slot" is not "clot").
        return _swapped(word, self._short) or word

    def _nearest(self, word: str) -> str:
        best = process.extractOne(
            word, self._near_length(len(word)), scorer=fuzz.ratio, score_cutoff=self._min_score
        )
        return best[0] if best else word

    def _near_length(self, length: int) -> list[str]:
        """The vocabulary words whose length allows ``fuzz.ratio`` to reach the minimum score
        against a word of ``length`` (in vocabulary order, so ties still go the same way)."""
        found = self._by_length.get(length)
        if found is None:
            # ratio = 100 * (1 - indel / (a + b)) and indel >= |a - b|; the margin only keeps
            # a word or two that fail the cutoff anyway.
            most = 1.0 - self._min_score / 100.0 + 1e-9
            found = [w for w in self._vocab if abs(len(w) - length) <= most * (len(w) + length)]
            self._by_length[length] = found
        return found
