"""The frozen records everything else passes around: loaded knowledge and returned replies."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

Severity = Literal["emergency", "urgent", "see_professional"]
SEVERITIES: tuple[Severity, ...] = ("emergency", "urgent", "see_professional")
"""Most to least severe."""
WARNED: tuple[Severity, ...] = ("emergency", "urgent")
"""Severities that, reported for oneself, hold every later coaching answer in a conversation."""


@dataclass(frozen=True, slots=True)
class Difficulty:
    level: str
    note: str


@dataclass(frozen=True, slots=True)
class Equipment:
    required: tuple[str, ...]
    home: str
    optional: tuple[str, ...] = ()
    household: bool | None = None
    """Whether it can be done with household things alone (a floor, a wall, a chair, a sofa,
    a towel), with no gym kit; None when the file does not say."""


@dataclass(frozen=True, slots=True)
class Muscles:
    primary: tuple[str, ...]
    secondary: tuple[str, ...]
    stabilisers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mistake:
    mistake: str
    fix: str


@dataclass(frozen=True, slots=True)
class Option:
    """A regression, progression or alternative: another exercise or a named variation."""

    name: str
    why: str
    exercise: str | None = None
    needs: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Programming:
    sets: str
    reps: str
    rest: str
    per_week: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Feel:
    target: str
    lower_back: str
    instead: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    """Muscle group (a key of general.yaml's ``focus_words``) -> what to change when that is
    where it is felt instead ("quad": feet too close to the bench)."""


@dataclass(frozen=True, slots=True)
class Faq:
    question: str
    answer: str
    intent: str


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    name: str
    aliases: tuple[str, ...]
    summary: str
    benefits: tuple[str, ...]
    difficulty: Difficulty
    equipment: Equipment
    muscles: Muscles
    steps: tuple[str, ...]
    cues: tuple[str, ...]
    mistakes: tuple[Mistake, ...]
    regressions: tuple[Option, ...]
    progressions: tuple[Option, ...]
    alternatives: tuple[Option, ...]
    programming: Mapping[str, Programming]
    tempo: str
    placement: str
    warm_up: tuple[str, ...]
    feel: Feel
    avoid_or_modify: tuple[str, ...]
    faq: tuple[Faq, ...]
    sources: tuple[str, ...]
    why_hard: str | None = None
    loading: str | None = None
    build_muscle: str | None = None
    cramps: str | None = None
    soreness: str | None = None
    file: str = ""
    about: tuple[frozenset[str], ...] = ()
    """For each ``avoid_or_modify`` point, the conditions it is about (none: everyone's)."""

    def has(self, field_name: str) -> bool:
        """Whether this exercise has a non-empty value for ``field_name``."""
        value = getattr(self, field_name, None)
        return bool(value)

    def covers(self, conditions: Collection[str]) -> tuple[str, ...]:
        """Those of ``conditions`` that some ``avoid_or_modify`` point is about."""
        return tuple(c for c in conditions if any(c in about for about in self.about))

    def cautions_for_everyone(self) -> tuple[str, ...]:
        """The ``avoid_or_modify`` points about no condition in particular."""
        about = self.about or (frozenset(),) * len(self.avoid_or_modify)
        return tuple(t for t, on in zip(self.avoid_or_modify, about, strict=True) if not on)

    def cautions(self, conditions: Collection[str] = ()) -> tuple[str, ...]:
        """The ``avoid_or_modify`` points for someone with ``conditions``: those about one
        of them and those about no condition in particular (every point when no condition
        is given)."""
        if not conditions:
            return self.avoid_or_modify
        wanted = set(self.covers(conditions))
        about = self.about or (frozenset(),) * len(self.avoid_or_modify)
        points = zip(self.avoid_or_modify, about, strict=True)
        return tuple(text for text, on in points if not on or on & wanted)


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    examples: tuple[str, ...]
    needs_exercise: bool = True
    requires: tuple[str, ...] = ()
    response: str | None = None
    general: str | None = None
    file: str = ""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    """The line of each key in the intent's file (for error messages)."""
    names_other_exercises: bool = False
    """Its questions may name exercises this coach does not cover ("before or after squats?")
    and still be about one it does."""
    for_a_muscle: str | None = None
    """The intent that answers it when no exercise is known but a muscle group is named ("no
    leg curl machine, what else for my hamstrings?" is asking which exercise to do)."""
    background: bool = False
    """What a message may tell in passing ("I'm 52"): when it also asks something else,
    clearly, in a sentence of its own, it is about what it asks."""
    about_the_coach: bool = False
    """A question about the coach itself ("what are you?"): a message naming one of its
    exercises ("what are nordics?") is about that exercise instead."""
    small_talk: bool = False
    """A social message (hello, thanks, bye): it answers only a message that is mostly that,
    not a question that happens to share a word ("glute bridges in the morning")."""
    again: str | None = None
    """A list of each exercise's options (``regressions``, ``progressions``): asked again
    right after its answer ("still too hard"), the intent answers for the first exercise
    that list links to, one step further along."""


@dataclass(frozen=True, slots=True)
class RedFlag:
    """The safety screen's verdict on a message that reports a red-flag symptom."""

    severity: Severity
    category: str
    label: str = ""
    context: str = "current"
    """How the symptom was reported: ``current`` (the user's, now), ``historical`` (the
    user's, over), ``third_party`` (someone else's, now) or ``third_party_historical``
    (someone else's, over: "my dad had a heart attack years ago")."""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def __reduce__(self) -> tuple[type[RedFlag], tuple[Any, ...]]:
        return (RedFlag, (self.severity, self.category, self.label, self.context))


@dataclass(frozen=True, slots=True)
class Condition:
    """A health condition an injury question can name ("bad knees", "postpartum")."""

    id: str
    label: str
    """How an answer names it: "Hip thrust and {label}"."""
    phrases: tuple[tuple[str, ...], ...]
    """The word sequences that name it in a message."""
    signal: str | None = None
    """A signal category of the safety screen that holds for everyone with this condition:
    once the user says they have it, every later message is screened as if it said so too."""

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, slots=True)
class Profile:
    """What a user has told the coach about themselves during a conversation."""

    level: str | None = None
    equipment: tuple[str, ...] = ()
    injury: str | None = None
    conditions: tuple[str, ...] = ()
    """Ids of the health conditions they said they have ("my bad knees"), from general.yaml."""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    intent: str | None = None
    exercise: str | None = None
    confidence: float = 0.0
    red_flag: RedFlag | None = None
    suggestions: tuple[str, ...] = ()
    level: str | None = None
    candidates: tuple[str, ...] = ()
    """When the coach asks "did you mean": the intent or exercise ids it offers."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """Why this reply was chosen (shown by ``/explain`` and ``--explain``)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only."""
        return {
            "text": self.text,
            "intent": self.intent,
            "exercise": self.exercise,
            "confidence": round(self.confidence, 4),
            "red_flag": self.red_flag.to_dict() if self.red_flag else None,
            "suggestions": list(self.suggestions),
            "level": self.level,
            "candidates": list(self.candidates),
        }

    def __reduce__(self) -> tuple[type[Reply], tuple[Any, ...]]:
        # Rebuilt by one constructor call, which pickles and unpickles in half the time of
        # the default for slotted dataclasses: batch workers send back a reply per question.
        return (Reply, tuple(getattr(self, name) for name in _REPLY_FIELDS))


_REPLY_FIELDS = tuple(f.name for f in fields(Reply))


def frozen_map(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))
