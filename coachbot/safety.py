"""The red-flag screen: does a message report a symptom that needs a clinician?

It runs before anything else and nothing overrides it. Everything it knows is data
(``knowledge/safety.yaml``): categories with trigger patterns, combinations of categories,
and ConText-style context rules (Chapman 2001; Harkema 2009):

- a negation ("no", "not", "without", ...) reaches a few words forward and stops at
  punctuation and at terminators ("but", "however", ...); a few words may follow a symptom
  ("numbness? nope"). Triggers that contain a negation ("can not pee") are affirmative.
- pseudo-negations ("not sure if", "not going away") never negate, and a reversal later in
  the sentence ("never fainted until today", "nothing hurts except my chest") undoes one;
- hypothetical or educational wording ("what if", "signs of") reports nothing, but the coach
  answers with safety information;
- historical wording ("last year", "it passed") lowers the tier one step, never clears it;
- someone else's symptoms ("my friend collapsed") keep the tier, with bystander wording.

Trigger syntax, one pattern per string, matched against canonical words:
``word``, ``a|b`` (either), ``pre*`` (any word starting with "pre"), ``<class>`` (a word
list from ``classes``), ``word?`` (optional), ``*`` (up to ``GAP`` other words, never across
sentence punctuation). Words of ``TYPO_MIN_LENGTH`` letters or more also match with one
or two typos.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import schema
from .errors import DataError
from .loader import display_path, read_yaml
from .models import SEVERITIES, RedFlag
from .normalize import (
    MAX_CHARS,
    PUNCTUATION,
    SETS_BY_REPS,
    Corrector,
    head,
    remember,
    unstretched,
    words,
)

GAP = 4
"""How many unrelated words ``*`` may skip inside a trigger."""
NEGATION_REACH = 5
"""How many words a preceding negation reaches ("no" ... "numbness")."""
NUMBER = "#"
"""A word of a context phrase that matches any number."""
SETS = "#x#"
"""A word of a context phrase that matches sets by reps written as one word ("3x12")."""
YEAR = "#year"
"""A word of a context phrase that matches a year ("back in 2019"), which "#" does not."""
_UNITS = frozenset(
    {"m", "metres", "meters", "metre", "meter", "km", "kg", "kgs", "kilos", "lb", "lbs"}
    | {"pounds", "reps", "rep", "kcal", "cal", "cals", "calories", "steps", "yards", "yd"}
    | {"ft", "feet", "miles", "mile", "seconds", "secs", "s", "row"}
)
"""Words after a number that make it an amount, not a year ("a 2000 m row")."""
FOLLOWING_REACH = 3
"""How many words back a following negation reaches ("numbness" ... "gone")."""
CONTEXT_REACH = 40
"""How many words either side of a symptom its context is read from, at most (a sentence
longer than that is a pasted log, and reading all of it for every symptom in it would cost
the square of its length)."""
TYPO_MIN_SCORE = 85.0
TYPO_MIN_LENGTH = 5
ASIDE_MAX = 15
"""How many words an aside between two commas may have and still be read past ("my pee,
which I only noticed this morning, is dark brown" is also read as "my pee is dark brown")."""


@dataclass(frozen=True, slots=True)
class _Token:
    options: frozenset[str]
    prefixes: tuple[str, ...] = ()
    optional: bool = False
    gap: bool = False

    def accepts(self, word: str) -> bool:
        return word in self.options or (bool(self.prefixes) and word.startswith(self.prefixes))


@dataclass(frozen=True, slots=True)
class Pattern:
    category: str
    source: str
    tokens: tuple[_Token, ...]
    required: tuple[frozenset[str], ...] = ()
    """The word options of each later token that must match (no gap, optional or prefix),
    last first: a message without a word of each cannot match, so most patterns are
    rejected before the backtracking match runs. The last words of a trigger are usually
    its rarest ("can not ... walk"), hence the order."""

    @classmethod
    def compiled(cls, category: str, source: str, tokens: tuple[_Token, ...]) -> Pattern:
        # The first token is left out: a pattern is only tried where it accepts the word.
        required = tuple(
            t.options for t in reversed(tokens[1:]) if not (t.gap or t.optional or t.prefixes)
        )
        return cls(category, source, tokens, required)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    severity: str
    """One of ``SEVERITIES``, or ``"signal"``: counts only in combinations."""
    label: str
    advice: str
    watch_for: str
    triggers: tuple[str, ...]
    answers_too: tuple[str, ...] = ()
    """Intents whose questions naturally mention this (e.g. training after surgery): the
    coaching answer follows the escalation, and their examples may trip this category."""
    injury: bool = False
    """A report of this is remembered in a conversation as the user's injury, so later
    coaching answers carry a reminder to get clearance."""
    situation: bool = False
    """A situation to plan around (after surgery, in pregnancy), not a symptom: its reply does
    not call it "a sign of something that needs checking"."""
    first: str = ""
    """Replaces the tier's first line ("Stop whatever brings it on for now") where that does
    not fit, e.g. for someone asking before they start after surgery or in pregnancy."""
    where: str = ""
    """Replaces the tier's line on where to go, where another service is the right one (the
    maternity unit in pregnancy)."""
    historical: str = ""
    """Replaces the tier's line for a past episode, for the same reason."""
    bystander: str = ""
    """Replaces ``first`` (or the tier's line) for someone else's symptom, where ``first``
    speaks to the user ("Stop exercising now and don't train again today")."""
    lasting: bool = False
    """A lasting state (a replaced joint, a pregnancy): a past cue in its clause dates the
    state, not a symptom in another clause ("knee replacement 2 yrs ago, during bridges it
    gave way")."""
    overrides_exclusions: bool = False
    """In a message that reports this (a replaced joint), exclusions do not cancel the other
    categories' matches: "my new hip pops when i squat" is no habitual click."""
    answers_once_past: tuple[str, ...] = ()
    """Of ``answers_too``, those that follow the escalation only for a past episode: how to
    prevent another strain suits one of years ago, not the week of a tear."""


@dataclass(frozen=True, slots=True)
class Combination:
    category: str
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Tier:
    first: str
    where: str
    bystander: str
    historical: str
    bystander_historical: str = ""
    """For someone else's past episode ("my dad had a heart attack years ago")."""


@dataclass(frozen=True, slots=True)
class Hit:
    category: str
    start: int
    end: int
    context: str


REMEMBERED = "remembered"
"""The context of a signal the conversation supplies: it adds to a combination but never sets
whose symptom it is (a friend's bleeding stays a friend's)."""
THIRD_PARTY_PAST = "third_party_historical"
"""Someone else's episode that is over: one tier lower, and advice for them to act on."""
PAST = ("historical", THIRD_PARTY_PAST)
REPORTED = ("current", "historical", "third_party", THIRD_PARTY_PAST)
"""The contexts in which a red flag escalates (the others deny or only ask about it)."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the screen saw in one message."""

    hits: tuple[Hit, ...]
    red_flag: RedFlag | None

    @property
    def educational(self) -> bool:
        """The message asks about red flags without reporting one."""
        return self.red_flag is None and any(h.context == "hypothetical" for h in self.hits)


_PhraseIndex = dict[str, tuple[tuple[str, ...], ...]]
"""Phrases of one context list, keyed by their first word."""
_Spans = dict[str, Sequence[tuple[int, int]]]
"""Where each kind of context phrase occurs in a message: (start, end) word spans."""


@dataclass(frozen=True, slots=True)
class _PhraseNode:
    """The context phrases that go on with one more word, as a tree of words."""

    kinds: tuple[str, ...]
    """The kinds of the phrase that ends at this word (none when no phrase does)."""
    after: dict[str, _PhraseNode]
    rank: int
    """The phrase's place among those with its first word, for ``_occurrences``'s order."""


_Start = tuple[tuple[Pattern, ...], frozenset[str] | None, frozenset[str]]
"""The patterns a word can start, the union of their first required words (None when one of
them requires nothing more), and every word that any of them requires."""
MAX_VIABLE = 20_000
"""How many (start word, required words present) keys ``_find`` remembers the patterns of."""
_SENTENCE_END = PUNCTUATION - {","}
_REVERSING = frozenset(
    {"but", "however", "although", "though", "yet", "except", "because", "cos", "coz", "cuz"}
)
"""Terminators that turn from a question or a wish to a report ("..., but my hamstring popped",
"is rhabdo possible from nordics cos my pee has gone dark")."""
_PRESENT = frozenset({"is", "are", "am", "been", "feels", "looks", "hurts", "seems", "keeps"})
"""Words that tell a symptom in the present tense ("my calf is swollen")."""
_HAS = frozenset({"has", "have", "having", "getting"})
"""Besides ``_PRESENT``, what tells someone else's symptom as now ("he has chest pain")."""
_POINTED = frozenset({"this", "these"})
"""Words that point at a symptom that is there ("this chest pain")."""
_LINKING = frozenset(
    {"cause", "causes", "make", "makes", "give", "gives", "bring", "lead", "do", "does", "can"}
    | {"could", "would", "will", "be", "is", "are", "was", "were", "get", "gets", "trigger"}
)
"""Verbs between "this"/"these" and a symptom: then the words point at something else."""
POINTED_REACH = 3
"""How many words before a symptom "this", "these" or "my" may come ("this really bad chest
pain")."""
PRESENT_REACH = 2
"""How many words after a symptom a present-tense word may come and still tell it as there
now ("my chest pain is serious")."""
CLAIM_REACH = 2
"""How many words after a claim ("mine is") a word may clear it ("mine is fine")."""
_FILLERS = frozenset(
    {"it", "that", "this", "one", "too", "also", "again", "as", "well", "lol", "haha", "tbh"}
    | {"sometimes", "often", "always", "lots", "loads", "constantly", "regularly", "a", "lot"}
)
"""Words that may end a claim ("mine has it too", "i get that sometimes") without making it
about something else."""
_CLEAR = frozenset({"fine", "normal", "ok", "okay", "clear", "good", "alright", "great", "healthy"})
"""Words right after a claim that clear it ("mine is fine")."""


def _says_i_am(text: Sequence[str], start: int, end: int) -> bool:
    """Whether a new "i am" comes after word ``start`` and before word ``end`` ("how do I
    avoid hypos im t1 and shaking"); one right at ``start`` continues the frame ("what if i
    am dizzy")."""
    return any(text[i] == "i" and text[i + 1] == "am" for i in range(start + 1, end - 1))


def _own_before(text: Sequence[str], start: int, end: int) -> bool:
    """Whether the words from ``start`` up to a symptom at ``end`` make it the user's: "i" or
    "me" among them ("watched me pass out", not "next to me"), or "my" right before it
    ("... but my pee is dark", not "at my gym")."""
    # (An "i" right after the cue is in a clause about them: "my friend i train with".)
    return any(
        word in _SELF and i > start and not (word == "me" and text[i - 1] in _PLACE)
        for i, word in enumerate(text[start:end], start)
    ) or (end > start and text[end - 1] == "my")


def _claimed_before(text: Sequence[str], lo: int, start: int) -> bool:
    """Whether the sentence up to a symptom at ``start`` already makes it the user's: an "i"
    or "me" in it, or "my" right before the symptom ("my throat is closing")."""
    return (start > lo and text[start - 1] == "my") or any(
        word in _SELF and not (word == "me" and i > lo and text[i - 1] in _PLACE)
        for i, word in enumerate(text[lo:start], lo)
    )


_SELF = frozenset({"i", "me", "myself"})
_PLACE = frozenset({"to", "beside", "near", "behind", "by", "from", "at", "with", "past"})


@dataclass(frozen=True, slots=True)
class _Cues:
    """Where each kind of context phrase occurs in one message (start, end word index)."""

    negations: tuple[tuple[int, int], ...]
    following: tuple[tuple[int, int], ...]
    hypothetical: tuple[tuple[int, int], ...]
    prevention: tuple[tuple[int, int], ...]
    """Frames about avoiding or preventing ("how do I avoid a pulled hamstring"): questions,
    except about an emergency, which someone may well be having as they ask."""
    historical: tuple[tuple[int, int], ...]
    current: tuple[tuple[int, int], ...]
    third_party: tuple[tuple[int, int], ...]
    reversals: tuple[tuple[int, int], ...]
    first_person: tuple[tuple[int, int], ...]
    terminators: frozenset[int]
    sentence_ends: tuple[int, ...]
    """Where sentence punctuation is, in order."""
    clause: tuple[int, ...] = ()
    """The clause number of each word (clauses end at punctuation and terminators)."""
    claimed: frozenset[int] = frozenset()
    """The clauses that hold a lasting state (or a span asked about)."""
    dated_training: tuple[tuple[int, int], ...] = ()
    """Current cues that end a question about training ("can I do nordics now?")."""
    long_ago: tuple[tuple[int, int], ...] = ()
    """Cues that put an episode well in the past ("years ago", "in 2015", "as a kid"): only
    these make someone else's episode one that is over."""
    claims: tuple[tuple[int, int], ...] = ()
    """Phrases by which the user takes a question's symptom as their own ("... because mine
    is dark brown today", "that's happening to me")."""


_IRREGULAR = {"foot": "feet", "tooth": "teeth", "man": "men", "woman": "women"}


def _number_forms(word: str) -> set[str]:
    """A singular trigger word with its plural: "leg" also matches "legs". A plural stays
    plural ("legs" in "can not feel my legs" means both legs, which is a different tier)."""
    forms = {word}
    if word in _IRREGULAR:
        forms.add(_IRREGULAR[word])
    elif len(word) >= 3 and word.isalpha() and not word.endswith("s"):
        forms.add(word + "s")
    return forms


def _shape(word: str, following: str = "") -> str:
    """A word that starts with a digit, as context phrases see it: "#" for any number
    ("knocked out # reps"), "#year" for a year ("in 2019", but not "in 2000 m row"), "#x#"
    for sets by reps ("knocked out 3x12")."""
    if word.isdigit():
        year = len(word) == 4 and word[:2] in ("19", "20") and following not in _UNITS
        return YEAR if year else NUMBER
    return SETS if SETS_BY_REPS.fullmatch(word) else word


def _phrases(items: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(w for w in (_phrase_words(i) for i in items) if w)


def _phrase_words(item: str) -> tuple[str, ...]:
    if NUMBER not in item:
        return tuple(words(item))
    return tuple(
        w
        for part in item.split()
        for w in ((part,) if part in (NUMBER, SETS, YEAR) else words(part))
    )


def _written_out(items: Sequence[str], classes: Mapping[str, Sequence[str]]) -> list[str]:
    """Context phrases with each ``<class>`` in them written out as every word of the class:
    "can <activity> cause" is "can squats cause", "can deadlifts cause" and so on. (Load
    checks that the classes exist.)"""
    out: list[str] = []
    for item in items:
        if "<" not in item:
            out.append(item)
            continue
        choices = [
            classes.get(part[1:-1], ()) if part.startswith("<") and part.endswith(">") else (part,)
            for part in item.split()
        ]
        out.extend(" ".join(chosen) for chosen in itertools.product(*choices))
    return out


def _index(items: Sequence[str]) -> _PhraseIndex:
    index: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for phrase in _phrases(items):
        index[phrase[0]].append(phrase)
    return {first: tuple(group) for first, group in index.items()}


def _match(
    tokens: tuple[_Token, ...], text: Sequence[str], t: int, i: int, used: tuple[int, ...]
) -> tuple[int, tuple[int, ...]] | None:
    """Depth first: a gap tries the fewest words first, an optional token tries to match
    before it tries to skip. (A plain function, not a closure: a closure that calls itself is
    a reference cycle, left for the garbage collector after every attempt.)"""
    if t == len(tokens):
        return i, used
    token = tokens[t]
    if token.gap:
        # A word that must come right after the gap is looked for here, saving a call for
        # each word it skips.
        after = tokens[t + 1] if t + 1 < len(tokens) else None
        if after is not None and (after.gap or after.optional):
            after = None
        for j in range(i, min(i + GAP, len(text)) + 1):
            if j > i and text[j - 1] in PUNCTUATION:
                break  # a gap never crosses punctuation
            if after is not None and (j == len(text) or not after.accepts(text[j])):
                continue
            found = _match(tokens, text, t + 1, j, used)
            if found is not None:
                return found
        return None
    if i < len(text) and token.accepts(text[i]):
        found = _match(tokens, text, t + 1, i + 1, (*used, i))
        if found is not None:
            return found
    return _match(tokens, text, t + 1, i, used) if token.optional else None


_TELLING = ("historical", "long_ago", "hypothetical", "prevention", "resolved")
"""The context phrases that make an aside part of what it is said of ("back in 2019")."""
ASIDE_OPENERS = frozenset(
    {"which", "who", "whose", "where", "when", "that", "right", "just", "especially", "the"}
    | {"he", "she", "they", "i", "after", "since", "like", "from", "on", "in", "at", "around"}
)
"""First words of an aside ("which i only noticed", "right in the middle", "the one i
tweaked"); a list item ("shoulders and triceps") or a filler ("honestly") is no aside."""


def _asides(text: Sequence[str], telling: Callable[[int, int], bool]) -> dict[int, int]:
    """The asides of a message: second comma by first comma (word positions). A few words
    that open like one ("which ...", "right in ...") or that date or frame something ("back
    in 2019") are an aside."""
    commas = [i for i, word in enumerate(text) if word == ","]
    found: dict[int, int] = {}
    for a, b in zip(commas, commas[1:], strict=False):
        inside = text[a + 1 : b]
        if (
            inside
            and (inside[0] in ASIDE_OPENERS or telling(a, b))
            and len(inside) <= ASIDE_MAX
            and PUNCTUATION.isdisjoint(inside)
            and b + 1 < len(text)
        ):
            found[a] = b
    return found


def _past_asides(
    text: Sequence[str], asides: Mapping[int, int], telling: Callable[[int, int], bool]
) -> list[int]:
    """The word positions of ``text`` read past its asides: an aside is left out, or, when
    it dates or frames what it is said of (``telling``: "my chest, back in 2019, had ..."),
    put at the start of its clause ("back in 2019 my chest had ..."), where its cues still
    count."""
    order: list[int] = []
    clause = 0  # where the clause being read starts in ``order``
    i = 0
    while i < len(text):
        b = asides.get(i)
        if b is not None:
            if telling(i, b):
                order[clause:clause] = range(i + 1, b)
            i = b if b in asides else b + 1  # two asides in a row share a comma
            continue
        order.append(i)
        if text[i] in PUNCTUATION:
            clause = len(order)
        i += 1
    return order


class SafetyScreen:
    """Compiled safety rules; immutable and safe to share between threads."""

    def __init__(
        self, doc: Mapping[str, Any], file: str = "safety.yaml", known_words: Iterable[str] = ()
    ) -> None:
        """``known_words`` are real words (the coach's own texts use them): a message word
        among them is never read as a typo of a trigger word ("arching" is not "aching",
        "regular" is not "irregular")."""
        self.file = file
        self.sources: tuple[str, ...] = tuple(doc.get("sources") or ())
        """Where the red flags and the advice come from."""
        self.tiers = {
            name: Tier(
                t["first"],
                t["where"],
                t["bystander"],
                t["historical"],
                t.get("bystander_historical", ""),
            )
            for name, t in doc["tiers"].items()
        }
        self.categories: dict[str, Category] = {}
        for c in doc["categories"]:
            self.categories[c["id"]] = Category(
                c["id"],
                c["severity"],
                c["label"],
                c.get("advice", ""),
                c.get("watch_for", ""),
                tuple(c.get("triggers") or ()),
                tuple(c.get("answers_too") or ()),
                bool(c.get("injury", False)),
                bool(c.get("situation", False)),
                c.get("first", ""),
                c.get("where", ""),
                c.get("historical", ""),
                c.get("bystander", ""),
                bool(c.get("lasting", False)),
                bool(c.get("overrides_exclusions", False)),
                answers_once_past=tuple(c.get("answers_once_past") or ()),
            )
        self.combinations = tuple(
            Combination(c["category"], tuple(c["all_of"]), tuple(c.get("any_of") or ()))
            for c in doc.get("combinations") or ()
        )
        self.classes = {k: tuple(v) for k, v in (doc.get("classes") or {}).items()}
        ctx = doc["context"]
        # The context lists by kind; the YAML names two of them differently.
        kinds = {
            kind: _index(_written_out(ctx.get(key) or (), self.classes))
            for kind, key in (
                ("negations", "negations"),
                ("following", "following_negations"),
                ("pseudo", "pseudo_negations"),
                ("terminators", "terminators"),
                ("hypothetical", "hypothetical"),
                ("historical", "historical"),
                ("current", "current"),
                ("third_party", "third_party"),
                ("exclusions", "exclusions"),
                ("resolved", "resolved"),
                ("reversals", "reversals"),
                ("first_person", "first_person"),
                ("training_questions", "training_questions"),
                ("prevention", "prevention"),
                ("long_ago", "long_ago"),
                ("claims", "claims"),
            )
        }
        self._kinds = tuple(kinds)
        # Every context list in one table, so a message is scanned once rather than once
        # per list: first word -> phrase length -> phrase -> the kinds it belongs to.
        merged: dict[str, dict[int, dict[tuple[str, ...], list[str]]]] = {}
        for kind, index in kinds.items():
            for word, phrases in index.items():
                for phrase in phrases:
                    by_length = merged.setdefault(word, {}).setdefault(len(phrase), {})
                    found = by_length.setdefault(phrase, [])
                    if kind not in found:  # (a phrase also spelt out by a class)
                        found.append(kind)
        # That table as a tree of words, walked a word at a time along a message, so that no
        # slice of it is made for a phrase that is not there. Phrases of several lengths
        # that start at one word are found in the order the table has their lengths
        # (``rank``), the order a scan length by length found them in.
        self._context_tree: dict[str, _PhraseNode] = {}
        for lengths in merged.values():
            for rank, of_length in enumerate(lengths.values()):
                for phrase, ks in of_length.items():
                    level = self._context_tree
                    for depth, w in enumerate(phrase, 1):
                        node = level.get(w)
                        if node is None or depth == len(phrase):
                            ending = tuple(ks) if depth == len(phrase) else ()
                            after = node.after if node is not None else {}
                            node = level[w] = _PhraseNode(ending, after, rank)
                        level = node.after
        self.patterns: list[Pattern] = []
        self._by_word: dict[str, list[Pattern]] = defaultdict(list)
        self._by_prefix: dict[str, list[Pattern]] = defaultdict(list)
        vocab: set[str] = set()
        prefixes: set[str] = set()
        for category in self.categories.values():
            for source in category.triggers:
                pattern = Pattern.compiled(category.id, source, self._compile(source))
                self.patterns.append(pattern)
                first = pattern.tokens[0]
                for option in first.options:
                    self._by_word[option].append(pattern)
                for prefix in first.prefixes:
                    self._by_prefix[prefix].append(pattern)
                for token in pattern.tokens:
                    vocab.update(token.options)
                    prefixes.update(token.prefixes)
        # Words of the context lists are real words too: "years" must not become "year".
        context_words = {
            w
            for kind, index in kinds.items()
            if kind != "terminators"
            for phrases in index.values()
            for phrase in phrases
            for w in phrase
        }
        self.vocabulary = frozenset(vocab | context_words)
        """Every word the rules use, so other stages never "correct" one into something else."""
        self._prefixes = tuple(sorted(prefixes))
        # Short words matter here ("pian" is "pain"), so four-letter typos are corrected too.
        real = {w for item in doc.get("real_words") or () for w in words(item)}
        self._corrector = Corrector(
            vocab,
            context_words | set(known_words) | real,
            min_score=TYPO_MIN_SCORE,
            min_length=TYPO_MIN_LENGTH,
            short_edits=True,
        )
        self._starts: dict[str, _Start] = {}
        self._viable: dict[tuple[str, frozenset[str]], tuple[Pattern, ...]] = {}
        """(start word, the words its patterns require that a message has) -> the patterns
        whose required words are all there (see ``_find``)."""
        self._fixed: dict[str, str] = {}
        self._order = {cid: n for n, cid in enumerate(self.categories)}
        self._levels = {
            c.id: SEVERITIES.index(c.severity)
            for c in self.categories.values()
            if c.severity in SEVERITIES
        }
        """How severe each category is on its own (signals are left out: never alone)."""

    # -- compiling ---------------------------------------------------------------------------
    def _compile(self, source: str) -> tuple[_Token, ...]:
        tokens: list[_Token] = []
        for part in source.split():
            if part == "*":
                tokens.append(_Token(frozenset(), gap=True))
                continue
            optional = part.endswith("?") and len(part) > 1
            part = part.rstrip("?")
            options: set[str] = set()
            prefixes: list[str] = []
            for alt in part.split("|"):
                if alt.startswith("<") and alt.endswith(">"):
                    for word in self.classes.get(alt[1:-1], ()):
                        options.update(words(word)[:1] if " " not in word else ())
                elif alt.endswith("*") and len(alt) > 1:
                    prefixes.append(alt[:-1])
                else:
                    for word in words(alt) or (alt,):
                        options.update(_number_forms(word))
            tokens.append(_Token(frozenset(options), tuple(prefixes), optional))
        if not tokens or tokens[0].gap or tokens[0].optional:
            raise ValueError("a trigger must start with a word")
        return tuple(tokens)

    # -- matching ----------------------------------------------------------------------------
    def prime(self, said: Iterable[str]) -> None:
        """Find the typos among many message words at once (see ``Corrector.prime``)."""
        fixed, vocabulary = self._fixed, self.vocabulary
        self._corrector.prime(
            w for w in said if w not in fixed and w not in vocabulary and w not in PUNCTUATION
        )

    def _correct_all(self, text: Sequence[str]) -> tuple[str, ...]:
        fixed = self._fixed
        out = [fixed.get(w) or self._correct(w) for w in text]
        return tuple(out)

    def _correct(self, word: str) -> str:
        """The trigger word that ``word`` is a typo of, or ``word`` (remembered)."""
        return remember(self._fixed, word, self._correct_uncached(word))

    def _correct_uncached(self, word: str) -> str:
        if word in self.vocabulary or word in PUNCTUATION:
            return word
        fixed = self._corrector(word)
        if fixed[:1] != word[:1] and fixed[:2] != word[1::-1]:
            # Typos seldom hit the first letter (but for a swap: "itght"), real words often
            # sit one letter from a trigger there: "creaking" is no "breaking", "wheat" no
            # "heat", "eating" no "beating".
            return word
        if (
            fixed != word
            and fixed not in unstretched(word)
            and any(word.startswith(p) and len(word) - len(p) <= 4 for p in self._prefixes)
        ):
            # "flapping" is "flap*" plus an ending, not a typo of "flipping"; a long tail
            # ("breathlesness" after "breath*") is still worth correcting.
            return word
        return fixed

    @staticmethod
    def _match_at(
        tokens: tuple[_Token, ...], text: Sequence[str], start: int
    ) -> tuple[int, frozenset[int]] | None:
        """End of a match of ``tokens`` starting at ``start`` and the positions its words
        (not its gaps) matched, or None."""
        found = _match(tokens, text, 0, start, ())
        return None if found is None else (found[0], frozenset(found[1]))

    def _candidates(self, word: str) -> _Start:
        """The patterns whose first token accepts ``word`` (cached: a word's are fixed)."""
        cached = self._starts.get(word)
        if cached is None:
            found = list(self._by_word.get(word, ()))
            for prefix, patterns in self._by_prefix.items():
                if word.startswith(prefix):
                    found.extend(patterns)
            # A message with none of the patterns' first required words can match none of
            # them: one set test instead of one per pattern ("can" starts 45 of them).
            anchors: frozenset[str] | None = None
            if found and all(p.required for p in found):
                anchors = frozenset().union(*(p.required[0] for p in found))
            needed = frozenset().union(*(o for p in found for o in p.required))
            cached = remember(self._starts, word, (tuple(found), anchors, needed), 20_000)
        return cached

    def _find(self, text: Sequence[str]) -> list[tuple[str, int, int, frozenset[int]]]:
        found: list[tuple[str, int, int, frozenset[int]]] = []
        present = frozenset(text)
        starts, viable = self._starts, self._viable
        for i, word in enumerate(text):
            patterns, anchors, needed = starts.get(word) or self._candidates(word)
            if not patterns or (anchors is not None and anchors.isdisjoint(present)):
                continue
            # Which of a word's patterns have all their required words in the message
            # depends only on which of those words it has: remembered by that, a set
            # operation and a look-up stand for a test of each pattern ("can" starts 75).
            key = (word, needed & present)
            candidates = viable.get(key)
            if candidates is None:
                candidates = self._viable_patterns(patterns, key[1])
                if len(viable) >= MAX_VIABLE:
                    viable.clear()  # (pure results: emptied when full, like the word tables)
                viable[key] = candidates
            for pattern in candidates:
                match = self._match_at(pattern.tokens, text, i)
                if match is not None:
                    found.append((pattern.category, i, match[0], match[1]))
        return found

    @staticmethod
    def _viable_patterns(
        patterns: tuple[Pattern, ...], present: frozenset[str]
    ) -> tuple[Pattern, ...]:
        """The patterns with a word of each of their required tokens in ``present``."""
        viable = []
        for pattern in patterns:  # (loops: the first look at a word's patterns is common)
            for options in pattern.required:
                if options.isdisjoint(present):
                    break
            else:
                viable.append(pattern)
        return tuple(viable)

    # -- context -----------------------------------------------------------------------------
    def _occurrences(self, text: Sequence[str]) -> _Spans:
        """Where each kind of context phrase occurs: (start, end) word spans, in order."""
        # Most kinds occur nowhere in a message: they share one empty tuple.
        spans: _Spans = dict.fromkeys(self._kinds, ())
        tree = self._context_tree
        shaped = [
            _shape(word, text[i + 1] if i + 1 < len(text) else "") if word[:1].isdigit() else word
            for i, word in enumerate(text)
        ]
        for i, word in enumerate(shaped):
            node = tree.get(word)
            found: list[tuple[int, int, tuple[str, ...]]] = []
            end = i + 1
            while node is not None:
                if node.kinds:
                    found.append((node.rank, end, node.kinds))
                node = node.after.get(shaped[end]) if end < len(shaped) else None
                end += 1
            for _, end, kinds in sorted(found) if len(found) > 1 else found:
                for kind in kinds:
                    spans[kind] = [*spans[kind], (i, end)]
        return spans

    @staticmethod
    def _sentence(text: Sequence[str], cues: _Cues, start: int, end: int) -> tuple[int, int]:
        """The sentence around words ``start`` to ``end``: from after the sentence
        punctuation before it up to the next one (or the ends of the message)."""
        ends = cues.sentence_ends
        before = bisect_left(ends, start)
        after = bisect_left(ends, end)
        return (
            ends[before - 1] + 1 if before else 0,
            ends[after] if after < len(ends) else len(text),
        )

    @staticmethod
    def _cues(
        text: Sequence[str],
        spans: _Spans,
        literal: frozenset[int],
        claimants: Iterable[tuple[int, int]] = (),
    ) -> _Cues:
        """The context cues of a message. A past cue in the clause of one of ``claimants``
        (lasting states, or the spans asked about) is theirs alone."""
        pseudo = spans["pseudo"]
        terminators = frozenset(a for a, _ in spans["terminators"])
        clause: list[int] = []
        if spans["historical"] or spans["training_questions"] or spans["long_ago"]:
            # (only those read clauses)
            number = 0
            for i, word in enumerate(text):
                if word in PUNCTUATION or i in terminators:
                    number += 1
                clause.append(number)
        blocked = set(literal).union(*(range(a, b) for a, b in pseudo))
        historical = spans["historical"]

        # (Most kinds occur nowhere in a message, and most messages have no pseudo-negation:
        # those spans are taken as they are.)
        def live(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
            if not spans or not blocked:
                return tuple(spans)
            return tuple((a, b) for a, b in spans if a not in blocked)

        inside_pseudo = set().union(*(range(a, b) for a, b in pseudo))

        def unless_pseudo(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
            if not spans or not inside_pseudo:
                return tuple(spans)
            return tuple((a, b) for a, b in spans if a not in inside_pseudo)

        # "been fine since" is historical and "fine now" reports no current symptom, even
        # though "since" and "now" alone mark one.
        masked = set().union(*(range(a, b) for a, b in (*historical, *spans["resolved"])))
        current = [(a, b) for a, b in spans["current"] if a not in masked]
        # "I tore my hamstring last year, can I do nordics now?": a current cue that ends a
        # question about training dates the training, so it covers only its own clause.
        questions = [q for q, _ in spans["training_questions"]]
        asking = {clause[q] for q in questions}

        def asked_before(a: int) -> bool:
            """A training question earlier in the clause of word ``a`` (clauses run in order,
            so the nearest question before it is the one to look at)."""
            i = bisect_left(questions, a)
            return i > 0 and clause[questions[i - 1]] == clause[a]

        dated = {
            (a, b)
            for a, b in (current if asking else ())
            if clause[a] in asking
            and (b == len(text) or clause[b] != clause[a])
            and asked_before(a)
        }
        return _Cues(
            negations=live(spans["negations"]),
            following=live(spans["following"]),
            hypothetical=unless_pseudo(spans["hypothetical"]),
            prevention=unless_pseudo(spans["prevention"]),
            historical=unless_pseudo(historical),
            current=unless_pseudo([c for c in current if c not in dated]),
            third_party=unless_pseudo(spans["third_party"]),
            reversals=tuple(spans["reversals"]),
            first_person=tuple(spans["first_person"]),
            terminators=terminators,
            sentence_ends=tuple(i for i, w in enumerate(text) if w in _SENTENCE_END),
            clause=tuple(clause),
            claimed=frozenset(clause[i] for a, b in claimants for i in range(a, b))
            if clause
            else frozenset(),
            dated_training=unless_pseudo(sorted(dated)),
            long_ago=unless_pseudo(spans["long_ago"]),
            claims=unless_pseudo(spans["claims"]),
        )

    @staticmethod
    def _clause_ok(text: Sequence[str], cues: _Cues, a: int, b: int, allow: str = "") -> bool:
        """No punctuation (other than ``allow``) and no terminator from a up to b."""
        return not any(
            (text[i] in PUNCTUATION and text[i] not in allow) or i in cues.terminators
            for i in range(a, b)
        )

    def _context(
        self,
        text: Sequence[str],
        start: int,
        end: int,
        cues: _Cues,
        emergency: bool = False,
        used: frozenset[int] = frozenset(),
    ) -> str:
        """``used``: the words of the match itself (a negation sharing one is part of it)."""
        lo, hi = self._sentence(text, cues, start, end)
        lo, hi = max(lo, start - CONTEXT_REACH), min(hi, end + CONTEXT_REACH)

        def near(
            spans: tuple[tuple[int, int], ...], first: int = lo, last: int = hi
        ) -> tuple[tuple[int, int], ...]:
            """The spans that start from word ``first`` up to ``last`` (spans are in order)."""
            if not spans:
                return spans  # (most kinds of cue, in most messages)
            return spans[bisect_left(spans, (first, -1)) : bisect_left(spans, (last, -1))]

        def reversing(a: int, b: int) -> bool:
            """A "but" or "because" from word a up to word b."""
            return any(t in cues.terminators and text[t] in _REVERSING for t in range(a, b))

        for a, b in near(cues.negations):
            if not used.isdisjoint(range(a, b)):
                continue  # the "has not" of "the baby has not really moved" is the symptom
            before = (
                b <= start and start - b < NEGATION_REACH and self._clause_ok(text, cues, b, start)
            )
            # A negation in a gap of the match denies it ("my chest does not hurt"); one that
            # is a word of a trigger ("can not pee") was excluded from ``cues`` as literal.
            inside = start < a and b <= end
            # "I'd never fainted until today", "nothing hurts except my chest": a reversal
            # after the negation, from the symptom on, says it did happen after all.
            reversed_ = any(b <= r and start < r < hi for r, _ in near(cues.reversals))
            if (before or inside) and not reversed_:
                return "negated"
        for a, _ in near(cues.following, end, end + FOLLOWING_REACH + 1):
            # "numbness? none": a following negation may answer across a question mark.
            if (
                end <= a
                and a - end < FOLLOWING_REACH + 1
                and self._clause_ok(text, cues, end, a, "?")
            ):
                return "negated"

        def cue(spans: tuple[tuple[int, int], ...]) -> bool:
            return any(b <= hi for _, b in near(spans))

        # A question frame covers what follows it ("what if my pee goes dark"), but not a
        # report of one's own made before it in the same sentence ("my chest hurts, what if i
        # keep going"); a question about no one in particular is one wherever the frame is
        # ("is tingling down the leg ever a bad sign").
        # "How do I avoid chest pain on nordics" may come from someone who has it: a frame
        # about preventing something makes only a lesser symptom a question.
        frames = near(cues.hypothetical)
        if not emergency:
            frames = (*frames, *near(cues.prevention))
        if cue(cues.first_person):
            # ... and not past a "but" ("I want to avoid strains, but my hamstring popped"),
            # a comma ("how do I prevent numbness, it goes numb on every set") or a new
            # sentence about oneself with none ("how do I avoid hypos im t1 and shaking").
            asks = any(
                a < end
                and b <= hi
                and "," not in text[b:start]
                and not reversing(b, start)
                and not _says_i_am(text, b, start)
                for a, b in frames
            )
        else:
            # ... unless a comma sets the report apart ("chest pain after hip thrusts, what if
            # it's serious?") or a "but" or "because" comes between ("is rhabdo possible from
            # nordics cos my pee has gone dark"): then it is one.
            asks = any(
                b <= hi and (a < end or "," not in text[end:a]) and not reversing(b, start)
                for a, b in frames
            )
        own = {cues.clause[i] for i in range(start, end)} if cues.clause else set()
        # "knee replacement 2 yrs ago, during bridges it gave way": a past cue in a clause
        # with a lasting state dates that state, not the symptoms beside it. Nor does one in
        # another clause date a symptom told in the present ("I tore my hamstring last year
        # and my calf is swollen").
        # The words of the symptom's own clause (clauses are read when a past cue is there).
        said_now = (
            {word for i, word in enumerate(text[lo:hi], lo) if cues.clause[i] in own}
            if own
            else set()
        )
        told_now = not _PRESENT.isdisjoint(said_now)
        past = any(
            b <= hi
            and (cues.clause[a] in own or (cues.clause[a] not in cues.claimed and not told_now))
            for a, b in near(cues.historical)
        )
        now = cue(cues.current) or any(
            b <= hi and cues.clause[a] in own for a, b in near(cues.dated_training)
        )
        if asks and not now and not self._told_as_present(text, cues, start, end):
            return self._claim(text, cues, start, end, used) or "hypothetical"
        # "my mate collapsed" is someone else's; "my mate says I went grey and collapsed" and
        # "he said it's just doms but my pee is dark" are the user's own.
        # A person named after it takes it over only if nothing before it made it the user's:
        # "i collapsed and my mate called an ambulance" is the user's, "collapsed at the gym,
        # my client" is not.
        others = near(cues.third_party)
        claimed = bool(others) and _claimed_before(text, lo, start)
        if any(
            b <= hi
            and not (b <= start and _own_before(text, b, start))
            and not (a >= end and claimed)
            for a, b in others
        ):
            # "my dad had a heart attack 10 years ago and now does bridges with me": someone
            # else's, and long over (a "now" in another clause is about them today). Anything
            # less, or told in the present ("he had one years ago and has chest pain"), and
            # they may need help now.
            over = (
                any(b <= hi and cues.clause[a] in own for a, b in near(cues.long_ago))
                and not told_now
                and _HAS.isdisjoint(said_now)
                and not any(b <= hi and cues.clause[a] in own for a, b in near(cues.current))
            )
            return THIRD_PARTY_PAST if over else "third_party"
        if past and not now:
            # "my throat is closing, i had a reaction last year": an emergency told in the
            # present beside nothing but a date is happening now ("my chest pain is gone now"
            # is not).
            if (
                emergency
                and set(near(cues.historical)) <= set(near(cues.long_ago))
                and self._told_as_present(text, cues, start, end)
            ):
                return "current"
            return "historical"
        return "current"

    def _claim(
        self, text: Sequence[str], cues: _Cues, start: int, end: int, used: frozenset[int]
    ) -> str | None:
        """How the user, anywhere in the message, says that what was asked about is theirs
        ("could nordics make you pee dark brown? because mine is dark brown today"):
        "current", or "historical" in a sentence dated to the past ("happened to me last
        year"); None without a claim. A claim is one only if it ends its clause ("i have
        that right now") or goes on with a word of the symptom ("mine is dark"), and is not
        cleared ("mine is fine", "mine is not"): "i have this question" claims nothing."""
        symptom = {text[i] for i in used}
        for a, b in cues.claims:
            if a < end and start < b:
                continue  # a word of the symptom itself
            if not _CLEAR.isdisjoint(text[b : b + CLAIM_REACH]) or any(
                b <= n < b + CLAIM_REACH for n, _ in cues.negations
            ):
                continue
            if self._clause_ends(text, cues, b) or not symptom.isdisjoint(
                text[b : b + CLAIM_REACH + 2]
            ):
                break
        else:
            return None
        lo, hi = self._sentence(text, cues, a, b)
        dated = any(lo <= s and e <= hi for s, e in (*cues.historical, *cues.long_ago)) and not any(
            lo <= s and e <= hi for s, e in cues.current
        )
        return "historical" if dated else "current"

    @staticmethod
    def _clause_ends(text: Sequence[str], cues: _Cues, i: int) -> bool:
        """Nothing but time cues ("right now", "last year") and fillers ("too") from word
        ``i`` to the end of its clause."""
        timed = {
            w for a, b in (*cues.current, *cues.historical, *cues.long_ago) for w in range(a, b)
        }
        for j in range(i, len(text)):
            if text[j] in PUNCTUATION or j in cues.terminators:
                return True
            if j not in timed and text[j] not in _FILLERS:
                return False
        return True

    @staticmethod
    def _told_as_present(text: Sequence[str], cues: _Cues, start: int, end: int) -> bool:
        """The symptom is pointed at ("how do I stop this really bad chest pain") or, as one's
        own, told in the present right after it ("what if my chest pain is serious"): it is
        there now, so a question around it does not make it hypothetical ("what if my pee
        goes dark" still is, and so is "how would I know if dark pee is rhabdo")."""
        mine = False
        for i in range(start - 1, max(start - 1 - POINTED_REACH, -1), -1):
            if text[i] in PUNCTUATION or i in cues.terminators or text[i] in _LINKING:
                break  # "would these cause chest pain": "these" are the exercises
            if text[i] in _POINTED:
                return True
            mine = mine or text[i] == "my"
        if not mine:
            return False
        if any(word in _PRESENT for word in text[start:end]):
            return True  # "... my chest is crushing"
        for i in range(end, min(end + PRESENT_REACH, len(text))):
            if text[i] in PUNCTUATION or i in cues.terminators:
                return False
            if text[i] in _PRESENT:
                return True
        return False

    # -- the screen --------------------------------------------------------------------------
    def assess(self, text: str, said: tuple[str, ...] | None = None) -> Assessment:
        """What the screen sees in ``text``; ``said`` is ``words(head(text))``, when the
        caller has it already."""
        # Typos are corrected in the first MAX_CHARS characters; beyond that (a pasted essay)
        # words are matched as written, which keeps a 200 KB message to milliseconds.
        first = head(text)
        fixed = self._correct_all(words(first) if said is None else said)
        if len(first) < len(text):
            fixed += words(text[len(first) :])
        assessment = self._assess(fixed)
        # An aside can part a symptom from what it is about ("my chest, right in the middle,
        # has this crushing weight"), and a gap never crosses a comma: the message is read
        # once more past its asides, for the symptoms only that reading finds. (A pasted
        # essay is read once.)
        if len(text) > MAX_CHARS or fixed.count(",") < 2:
            return assessment
        spans = self._occurrences(fixed)
        cues = [span for kind in _TELLING for span in spans[kind]]

        def telling(a: int, b: int) -> bool:
            return any(a < s and e <= b for s, e in cues)

        asides = _asides(fixed, telling)
        if not asides:
            return assessment
        order = _past_asides(fixed, asides, telling)
        live = {h.category for h in assessment.hits if h.context in REPORTED}
        found = []
        for h in self._assess(tuple(fixed[i] for i in order)).hits:
            if h.category not in live and h.context in REPORTED:
                where = [order[i] for i in range(h.start, h.end)]
                found.append(replace(h, start=min(where), end=max(where) + 1))
        if not found:
            return assessment
        hits = (*assessment.hits, *found)
        return Assessment(hits, self._verdict(hits))

    def _assess(self, fixed: tuple[str, ...]) -> Assessment:
        found = self._find(fixed)
        if not found:
            return Assessment((), None)  # most messages: no trigger, no context to work out
        spans = self._occurrences(fixed)
        excluded = spans["exclusions"]

        def kept(match: tuple[str, int, int, frozenset[int]]) -> bool:
            return not any(a < match[2] and match[1] < b for a, b in excluded)

        # Beside some states (a replaced hip) no gym phrase explains a symptom away: "my new
        # hip pops when i squat" is no habitual click. (The state itself is gone only under a
        # phrase that holds all of it: "new hip thrust".)
        strict = any(
            self.categories[c].overrides_exclusions
            and not any(a <= s and e <= b for a, b in excluded)
            for c, s, e, _ in found
        )
        found = [
            m
            for m in found
            if kept(m) or (strict and not self.categories[m[0]].overrides_exclusions)
        ]
        # A negation that is a word of any trigger match ("can not pee") or of a
        # pseudo-negation ("not sure if") is part of that phrase, not a negation.
        literal = frozenset().union(*(used for *_, used in found))
        lasting = [(a, b) for c, a, b, _ in found if self.categories[c].lasting]
        cues = self._cues(fixed, spans, literal, lasting)
        hits = tuple(
            Hit(
                category,
                start,
                end,
                self._context(
                    fixed,
                    start,
                    end,
                    cues,
                    self.categories[category].severity == "emergency",
                    used,
                ),
            )
            for category, start, end, used in found
        )
        return Assessment(hits, self._verdict(hits))

    def contexts(
        self, text: str, spans: Sequence[tuple[int, int]], said: tuple[str, ...] | None = None
    ) -> list[str]:
        """How the message speaks of each span of its words (``words(text)``): "current",
        "negated", "hypothetical", "historical" or "third_party", by the cues that decide a
        symptom's ("I don't have bad knees" is negated, "my wife's bad back" third party).
        ``said`` is ``words(head(text))``, when the caller has it already."""
        if not spans:
            return []
        fixed = self._correct_all(words(head(text)) if said is None else said)
        cues = self._cues(fixed, self._occurrences(fixed), frozenset(), spans)
        return [self._context(fixed, a, b, cues) for a, b in spans]

    def with_signals(self, assessment: Assessment, signals: Iterable[str]) -> Assessment:
        """``assessment`` as if the message also reported these signal categories, which the
        conversation knows hold for the user (pregnancy, said earlier): "I've had some
        bleeding today" is then judged as it would be in one message with the pregnancy."""
        if not any(h.context in ("current", "historical") for h in assessment.hits):
            return assessment  # someone else's symptom, or none: the user's pregnancy is moot
        present = {h.category for h in assessment.hits}
        known = [
            Hit(s, -1, -1, REMEMBERED)
            for s in signals
            if s in self.categories and s not in self._levels and s not in present
        ]
        if not known:
            return assessment
        hits = (*assessment.hits, *known)
        return Assessment(hits, self._verdict(hits))

    def screen(self, text: str) -> RedFlag | None:
        """The red flag a message reports, or None."""
        return self.assess(text).red_flag

    def _verdict(self, hits: Sequence[Hit]) -> RedFlag | None:
        live = [h for h in hits if h.context not in ("negated", "hypothetical")]
        if not live:
            return None
        present = {h.category for h in live}
        candidates: list[tuple[int, int, str, str]] = []
        for combo in self.combinations:
            if present.issuperset(combo.all_of) and (
                not combo.any_of or not present.isdisjoint(combo.any_of)
            ):
                involved = [h for h in live if h.category in (*combo.all_of, *combo.any_of)]
                if any(h.context == REMEMBERED for h in involved) and all(
                    h.context in (REMEMBERED, "third_party", THIRD_PARTY_PAST) for h in involved
                ):
                    continue  # the user's pregnancy and a friend's bleeding are no combination
                # When it happened is the symptom's, not the state's: "I'm pregnant and had
                # some bleeding last week" is a past episode in a current pregnancy.
                timed = [h for h in involved if not self.categories[h.category].lasting]
                context = self._combined_context(timed or involved)
                candidates.append(self._rank(combo.category, context))
        for hit in live:
            if hit.category in self._levels:
                candidates.append(self._rank(hit.category, hit.context))
        if not candidates:
            return None
        level, _, category, context = min(candidates)
        return RedFlag(SEVERITIES[level], category, self.categories[category].label, context)

    @staticmethod
    def _combined_context(hits: Sequence[Hit]) -> str:
        contexts = {h.context for h in hits}
        for context in ("current", "third_party", "historical", THIRD_PARTY_PAST):
            if context in contexts:
                return context
        return "current"

    def flag(self, category: str, context: str) -> RedFlag | None:
        """The red flag for ``category`` reported in ``context`` (its severity lowered for a
        past episode), or None for a category that never escalates alone (or is unknown)."""
        if category not in self._levels or context not in REPORTED:
            return None
        level = self._rank(category, context)[0]
        return RedFlag(SEVERITIES[level], category, self.categories[category].label, context)

    def _rank(self, category: str, context: str) -> tuple[int, int, str, str]:
        """A sort key for an escalation: most severe first, then in file order."""
        level = self._levels[category]
        if context in PAST:
            level = min(level + 1, len(SEVERITIES) - 1)
        return (level, self._order[category], category, context)

    def advice(self, flag: RedFlag) -> str:
        """The escalation text for a red flag: stop, where to go, no diagnosis, what to watch."""
        category = self.categories[flag.category]
        tier = self.tiers[flag.severity]
        if flag.context == "third_party":
            lines = [category.bystander or category.first or tier.bystander]
        elif flag.context == THIRD_PARTY_PAST:
            tier_ = self.tiers[category.severity]
            lines = [tier_.bystander_historical or tier_.historical]
        elif flag.context == "historical":
            # Nothing to stop: what it was is what decides the next step (chest pain last
            # year still means a doctor before training, not a physio for "that leg").
            lines = [category.historical or self.tiers[category.severity].historical]
        else:
            lines = [category.first or tier.first, category.where or tier.where]
        if not category.situation and flag.context not in PAST:
            # (For a past episode the line above says what to do; "can be a sign of
            # something" reads oddly of a strain healed years ago.)
            lines.append(
                f"What you describe ({category.label}) can be a sign of something that needs "
                "checking. I can't tell what it is; a clinician can."
            )
        if category.advice and flag.context not in PAST:
            # The advice is worded for now ("get medical care now, do not train"); for a past
            # episode the historical line above says what to do.
            lines.append(category.advice)
        if category.watch_for:
            lines.append(f"Watch for: {category.watch_for}")
        return "\n".join(lines)


_PHRASES = schema.ListOf(schema.Text())
SAFETY = schema.Obj(
    required={
        "version": schema.Version(),
        "tiers": schema.MapOf(
            schema.Obj(
                {
                    "first": schema.Text(),
                    "where": schema.Text(),
                    "bystander": schema.Text(),
                    "historical": schema.Text(),
                },
                optional={"bystander_historical": schema.Text()},
            ),
            keys=SEVERITIES,
        ),
        "categories": schema.ListOf(
            schema.Obj(
                {
                    "id": schema.Text(),
                    "severity": schema.Choice((*SEVERITIES, "signal")),
                    "label": schema.Text(),
                },
                optional={
                    "advice": schema.Text(),
                    "watch_for": schema.Text(),
                    "answers_too": _PHRASES,
                    "answers_once_past": _PHRASES,
                    "triggers": _PHRASES,
                    "injury": schema.Flag(),
                    "first": schema.Text(),
                    "where": schema.Text(),
                    "historical": schema.Text(),
                    "bystander": schema.Text(),
                    "situation": schema.Flag(),
                    "lasting": schema.Flag(),
                    "overrides_exclusions": schema.Flag(),
                },
            ),
            min_items=1,
        ),
        "context": schema.Obj(
            {
                "negations": _PHRASES,
                "following_negations": _PHRASES,
                "pseudo_negations": _PHRASES,
                "terminators": _PHRASES,
                "hypothetical": _PHRASES,
                "historical": _PHRASES,
                "third_party": _PHRASES,
            },
            optional={
                "current": _PHRASES,
                "exclusions": _PHRASES,
                "resolved": _PHRASES,
                "reversals": _PHRASES,
                "first_person": _PHRASES,
                "training_questions": _PHRASES,
                "prevention": _PHRASES,
                "long_ago": _PHRASES,
                "claims": _PHRASES,
            },
        ),
    },
    optional={
        "sources": schema.ListOf(schema.Text()),
        "real_words": _PHRASES,
        "classes": schema.MapOf(schema.ListOf(schema.Text(), min_items=1)),
        "combinations": schema.ListOf(
            schema.Obj(
                {"category": schema.Text(), "all_of": schema.ListOf(schema.Text(), min_items=1)},
                optional={"any_of": _PHRASES},
            )
        ),
    },
)


def _alternative_problem(alt: str, classes: Mapping[str, Any]) -> str | None:
    """Why one ``a|b`` alternative of a trigger can never match, or None."""
    if alt.startswith("<"):
        return None if alt[1:-1] in classes else f"unknown word class {alt}"
    if alt in ("", "*"):
        return "empty alternative"
    if len(words(alt.rstrip("*"))) != 1:
        # "won't" reads as two words ("will not"): one slot of a trigger holds one word.
        return f"'{alt}' is not a single word after normalising; write it as separate words"
    return None


def load_safety(
    path: Path, errors: list[DataError], known_words: Iterable[str] = ()
) -> SafetyScreen | None:
    """The compiled screen, or None with the reasons appended to ``errors``."""
    name = display_path(path)
    try:
        doc = read_yaml(path)
    except DataError as exc:
        errors.append(exc)
        return None
    problems = schema.validate(doc, SAFETY, name)
    if not problems:
        ids = [c["id"] for c in doc["categories"]]
        for index, combo in enumerate(doc.get("combinations") or ()):
            for key in ("category", "all_of", "any_of"):
                refs = combo.get(key) or ()
                for ref in [refs] if isinstance(refs, str) else refs:
                    if ref not in ids:
                        problems.append(
                            DataError(
                                name,
                                schema.line_of(doc["combinations"], index),
                                f"combinations[{index}].{key}",
                                f"unknown category '{ref}'",
                            )
                        )
        for index, category in enumerate(doc["categories"]):
            for t_index, trigger in enumerate(category.get("triggers") or ()):
                for part in trigger.split():
                    if part == "*":
                        continue
                    for alt in part.rstrip("?").split("|"):
                        problem = _alternative_problem(alt, doc.get("classes") or {})
                        if problem:
                            problems.append(
                                DataError(
                                    name,
                                    schema.line_of(category["triggers"], t_index),
                                    f"categories[{index}].triggers[{t_index}]",
                                    problem,
                                )
                            )
                if trigger.split()[0] == "*" or trigger.split()[0].endswith("?"):
                    problems.append(
                        DataError(
                            name,
                            schema.line_of(category["triggers"], t_index),
                            f"categories[{index}].triggers[{t_index}]",
                            "a trigger must start with a word",
                        )
                    )
        classes = doc.get("classes") or {}
        for key, phrases in doc["context"].items():
            for p_index, phrase in enumerate(phrases or ()):
                for part in phrase.split():
                    problem = _alternative_problem(part, classes) if part[:1] == "<" else None
                    if problem:
                        problems.append(
                            DataError(
                                name,
                                schema.line_of(phrases, p_index),
                                f"context.{key}[{p_index}]",
                                problem,
                            )
                        )
    errors.extend(problems)
    return None if problems else SafetyScreen(doc, name, known_words)
