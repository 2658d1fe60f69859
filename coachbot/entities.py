"""Finding exercise, level, age and health-condition mentions in a message.

Aliases are matched as whole word sequences, longest first, after each unknown word has been
corrected to the nearest alias word (RapidFuzz, cached). The mentions are then cut out of the
text, so that intent matching sees "how many sets of" whatever exercise was named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .models import Condition, Exercise
from .normalize import PUNCTUATION, Corrector, content_words, lengths_by_first_word, remember

TYPO_MIN_SCORE = 82.0
"""A word is read as an alias word when RapidFuzz's ratio reaches this (e.g. "nordik")."""
TYPO_MIN_LENGTH = 5
"""Shorter words are never corrected: too many short English words are one edit apart."""


_FINE = frozenset({"fine", "ok", "okay", "good", "great", "healthy", "perfect"})
"""Words that, just after a condition, say there is nothing wrong ("knees are fine")."""
_HABIT = frozenset(
    {
        "keep",
        "keeps",
        "kept",
        "always",
        "tend",
        "tends",
        "to",
        "start",
        "starts",
        "started",
        "sometimes",
        "still",
        "just",
        "slightly",
        "a",
        "bit",
        "little",
        "will",
        "would",
        "want",
    }
)
"""Words between a body part and a movement word ("hips keep dropping")."""


_ARTICLES = frozenset({"the", "a", "an"})
_OF = frozenset({"of"})
_VERSION = frozenset({"version", "variation", "variant", "form"})
_LEG = frozenset({"leg", "legged"})
_ONE = frozenset({"single", "one", "1"})
"""Words that ask for the one-leg version of a named exercise ("single leg version of")."""


@dataclass(frozen=True, slots=True)
class Mention:
    """A span of words that names an exercise (several ids when the name is ambiguous)."""

    exercises: tuple[str, ...]
    start: int
    end: int
    text: str
    corrected: bool = False


@dataclass(frozen=True, slots=True)
class Entities:
    mentions: tuple[Mention, ...]
    level: str | None
    rest: tuple[str, ...]
    """The message's words with every exercise mention removed."""

    @property
    def exercise_ids(self) -> tuple[str, ...]:
        """Distinct unambiguous exercise ids, in the order they were mentioned."""
        seen: list[str] = []
        for mention in self.mentions:
            if len(mention.exercises) == 1 and mention.exercises[0] not in seen:
                seen.append(mention.exercises[0])
        return tuple(seen)

    @property
    def ambiguous(self) -> Mention | None:
        return next((m for m in self.mentions if len(m.exercises) > 1), None)


AGES = range(10, 101)
"""The numbers read as an age: below ten a number is rather a count ("i am 3 sets in")."""
_YEARS_OLD = frozenset({"years", "year", "yrs", "yr", "yo"})
_POSSESSIVES = frozenset({"my", "your", "his", "her", "their"})
_NOT_AN_AGE = frozenset(
    {"weeks", "week", "wks", "days", "day", "months", "month", "kg", "kgs", "lbs", "lb",
     "pounds", "stone", "reps", "rep", "sets", "set", "minutes", "mins", "min", "seconds",
     "secs", "sec", "percent", "times", "x", "cm", "inches", "feet", "ft"}
)  # fmt: skip
"""Words after "I'm 20" that make the number something else ("i'm 20 weeks pregnant")."""


def age_said(said: Sequence[str]) -> int | None:
    """The age a message tells ("i'm 68", "aged 45", "a 70 year old", "in my 60s"), or None."""
    for i, word in enumerate(said):
        decade = word.endswith("s") and word[:-1].isdigit()
        number = word[:-1] if decade else word
        if not number.isdigit() or int(number) not in AGES:
            continue
        before = said[i - 1] if i else ""
        after = said[i + 1] if i + 1 < len(said) else ""
        if decade:
            told = before in _POSSESSIVES  # "in my 60s"
        else:
            told = (
                after in _YEARS_OLD
                or before in ("aged", "age")
                or (tuple(said[max(i - 2, 0) : i]) == ("i", "am") and after not in _NOT_AN_AGE)
            )
        if told:
            return int(number)
    return None


def _variants(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    """An alias with its plural/singular and its run-together spelling ("hipthrust")."""
    out = {words}
    last = words[-1]
    if last.endswith("s") and len(last) > 3 and not last.endswith("ss"):
        out.add((*words[:-1], last[:-1]))
    elif not last.endswith("s"):
        out.add((*words[:-1], last + "s"))
    for variant in list(out):
        if len(variant) > 1:
            out.add(("".join(variant),))
    return out


def _canonical_spellings(phrases: Mapping[tuple[str, ...], object]) -> dict[str, str]:
    """Misspellings listed as aliases ("stabilty ball hamstring curl") mapped onto the common
    spelling, so that one misspelt word also works inside every other alias of that phrase."""
    counts: dict[str, int] = {}
    for phrase in phrases:
        for word in set(phrase):
            counts[word] = counts.get(word, 0) + 1
    common = sorted(w for w, n in counts.items() if n >= 3 and len(w) >= TYPO_MIN_LENGTH)
    out: dict[str, str] = {}
    for word, n in counts.items():
        if n > 2 or len(word) < TYPO_MIN_LENGTH or word in common:
            continue
        best = process.extractOne(word, common, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_SCORE)
        # A typo keeps the first letter and roughly the length; "hipbridges" or "naturalghr"
        # are run-together names, not misspellings of "bridges" or "natural".
        if (
            best is not None
            and counts[best[0]] >= 2 * n
            and best[0][0] == word[0]
            and abs(len(best[0]) - len(word)) <= 2
        ):
            out[word] = best[0]
    return out


class EntityFinder:
    """Finds exercise and level mentions; built once, safe to share between threads."""

    def __init__(
        self,
        exercises: Mapping[str, Exercise],
        shared_aliases: Mapping[str, tuple[str, ...]],
        levels: Mapping[str, tuple[str, ...]],
        known_words: Iterable[str] = (),
        not_names: Iterable[tuple[str, ...]] = (),
        conditions: Mapping[str, Condition] | None = None,
        form_words: Iterable[str] = (),
    ) -> None:
        """``not_names`` are phrases that contain a name but mean something else (the
        "leg curl" in "seated leg curl", a machine this coach does not cover): their words
        are never read as a mention."""
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        # "the single leg version of the glute bridge": by the naming the ids follow.
        self._one_leg = {e: f"single-leg-{e}" for e in exercises if f"single-leg-{e}" in exercises}
        for ex in exercises.values():
            names = (ex.name, ex.id.replace("-", " "), *ex.aliases)
            for name in names:
                for variant in _variants(content_words(name)):
                    self._phrases.setdefault(variant, (ex.id,))
        for alias, ids in shared_aliases.items():
            for variant in _variants(content_words(alias)):
                self._phrases[variant] = tuple(ids)
        self._levels: dict[tuple[str, ...], str] = {}
        for level, phrases in levels.items():
            for phrase in phrases:
                self._levels[content_words(phrase)] = level
        self._canonical = _canonical_spellings(self._phrases)
        self._phrases = {
            tuple(self._canonical.get(w, w) for w in phrase): ids
            for phrase, ids in sorted(self._phrases.items(), key=lambda item: len(item[1]))
        }
        # Most words start no name at all: the lengths of the phrases each word starts (longest
        # first) save slicing the message at every position for every possible length.
        self._phrase_lengths = lengths_by_first_word(self._phrases)
        self._level_lengths = lengths_by_first_word(self._levels)
        self._not_names = frozenset(
            tuple(self._canonical.get(w, w) for w in phrase) for phrase in not_names
        )
        self._not_name_lengths = lengths_by_first_word(self._not_names)
        alias_words = {w for phrase in self._phrases for w in phrase}
        level_words = {w for phrase in self._levels for w in phrase}
        self.correct = Corrector(
            alias_words | level_words,
            {*known_words, *self._canonical, *(w for p in self._not_names for w in p)},
            min_score=TYPO_MIN_SCORE,
            min_length=TYPO_MIN_LENGTH,
        )
        """The alias word that a word is a typo of, or the word itself."""
        self._fixed: dict[str, str] = {}
        self._conditions = {p: c.id for c in (conditions or {}).values() for p in c.phrases}
        self._condition_lengths = lengths_by_first_word(self._conditions)
        self._form_words = frozenset(form_words)

    def conditions(self, words: tuple[str, ...]) -> list[tuple[str, int, int]]:
        """The health conditions the words name, as (id, start, end) in order ("bad knees":
        knee); one that the next words call fine ("my knees are fine") is left out."""
        found: list[tuple[str, int, int]] = []
        starts, phrases = self._condition_lengths, self._conditions
        if starts.keys().isdisjoint(words):
            return found  # most messages: one pass in C instead of a loop
        for i, word in enumerate(words):
            # Each condition a phrase starting here names, longest phrase first: "knee
            # replacement" is a replaced joint and a knee.
            here: set[str] = set()
            for n in starts.get(word, ()):
                # (A slice past the end is shorter than n and may be another phrase.)
                condition = phrases.get(words[i : i + n]) if i + n <= len(words) else None
                if condition is not None and condition not in here:
                    here.add(condition)
                    if not self._called_fine(words, i + n) and not self._moving(words, i + n):
                        found.append((condition, i, i + n))
        return found

    def _moving(self, words: tuple[str, ...], at: int) -> bool:
        """Whether the first word after a condition's phrase, past "keep", "always" and the
        like, describes a movement ("my hips keep dropping"): a form question."""
        for word in words[at : at + 4]:
            if word not in _HABIT:
                return word in self._form_words
        return False

    @staticmethod
    def _called_fine(words: tuple[str, ...], at: int) -> bool:
        """Whether the next few words of the clause say it is fine ("knees are fine")."""
        for word in words[at : at + 3]:
            if word in PUNCTUATION:
                return False
            if word in _FINE:
                return True
        return False

    def find(self, words: tuple[str, ...]) -> Entities:
        """Exercise mentions (longest alias first), the level, and the words left over."""
        known = self._fixed
        fixed = tuple([known.get(w) or self._fix(w) for w in words])
        mentions: list[Mention] = []
        level: str | None = None
        rest: list[str] = []
        names, levels = self._phrase_lengths, self._level_lengths
        i = 0
        while i < len(words):
            word = fixed[i]
            hit = self._longest(fixed, i) if word in names else None
            other = self._longest_not_name(fixed, i) if word in self._not_name_lengths else None
            if other is not None and (hit is None or other > hit[0]):
                rest.extend(fixed[i:other])  # "seated leg curl": no mention in there
                i = other
                continue
            if hit is not None:
                end, ids = hit
                ids = self._one_leg_of(rest, ids)
                mentions.append(
                    Mention(ids, i, end, " ".join(words[i:end]), fixed[i:end] != words[i:end])
                )
                i = end
                continue
            if level is None and word in levels:
                level = self._longest_level(fixed, i)
            rest.append(word)
            i += 1
        return Entities(tuple(mentions), level, tuple(rest))

    def _one_leg_of(self, rest: list[str], ids: tuple[str, ...]) -> tuple[str, ...]:
        """``ids``, or the one-leg version of its one exercise when the words just before the
        name ask for it ("the single leg version of", "one legged"): those words are then
        part of the name, and leave ``rest``."""
        if len(ids) != 1 or ids[0] not in self._one_leg:
            return ids
        i = len(rest)
        for skippable in (_ARTICLES, _OF, _VERSION):
            if i and rest[i - 1] in skippable:
                i -= 1
        if i < 2 or rest[i - 1] not in _LEG or rest[i - 2] not in _ONE:
            return ids
        del rest[i - 2 :]
        return (self._one_leg[ids[0]],)

    def _fix(self, word: str) -> str:
        """The alias or level word that ``word`` is a typo of, in its common spelling, or
        ``word`` itself (remembered, bounded)."""
        corrected = self.correct(word)
        return remember(self._fixed, word, self._canonical.get(corrected, corrected))

    def _longest(self, words: tuple[str, ...], start: int) -> tuple[int, tuple[str, ...]] | None:
        left = len(words) - start
        for n in self._phrase_lengths.get(words[start], ()):
            if n <= left:
                ids = self._phrases.get(words[start : start + n])
                if ids is not None:
                    return start + n, ids
        return None

    def _longest_not_name(self, words: tuple[str, ...], start: int) -> int | None:
        left = len(words) - start
        for n in self._not_name_lengths.get(words[start], ()):
            if n <= left and words[start : start + n] in self._not_names:
                return start + n
        return None

    def without_level(self, rest: tuple[str, ...]) -> tuple[str, ...]:
        """``rest`` (``Entities.rest``) without the phrases that tell a level: "how do i do
        nordics as a beginner" read as "how do i do nordics as a"."""
        out: list[str] = []
        i = 0
        while i < len(rest):
            n = next(
                (
                    n
                    for n in self._level_lengths.get(rest[i], ())
                    if rest[i : i + n] in self._levels
                ),
                0,
            )
            if not n:
                out.append(rest[i])
            i += n or 1
        return tuple(out)

    def _longest_level(self, words: tuple[str, ...], start: int) -> str | None:
        left = len(words) - start
        for n in self._level_lengths.get(words[start], ()):
            if n <= left:
                level = self._levels.get(words[start : start + n])
                if level is not None:
                    return level
        return None

    def names(self) -> list[str]:
        """Every alias phrase, for completion in the chat."""
        return sorted({" ".join(p) for p in self._phrases if len(p) > 1 or len(p[0]) > 3})
