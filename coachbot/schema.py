"""Declarative shapes for the YAML data files, and the validator that walks them.

The loader parses YAML into ``Located`` containers that remember the line of every key and
item; ``validate`` checks a document against a shape and returns every problem at once, each
as a ``DataError`` with file, line and the dotted path of the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import DataError

_RANGE = re.compile(r"^\d+(\s*-\s*\d+)?$")


class LocatedDict(dict[str, Any]):
    """A mapping parsed from YAML that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    """A sequence parsed from YAML that knows its own line and the line of each item."""

    line: int = 0
    item_lines: list[int]


def line_of(container: Any, key: str | int | None = None) -> int | None:
    """The 1-based line of ``container[key]`` (or of the container itself)."""
    if isinstance(container, LocatedDict):
        if isinstance(key, str) and key in container.key_lines:
            return container.key_lines[key]
        return container.line or None
    if isinstance(container, LocatedList):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line or None
    return None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Shape:
    """What a value must look like. ``check`` appends problems to ``errors``."""

    def check(self, value: Any, ctx: _Ctx) -> None:
        raise NotImplementedError


@dataclass
class _Ctx:
    file: str
    errors: list[DataError]
    path: str = ""
    line: int | None = None

    def at(self, key: str | int, container: Any) -> _Ctx:
        path = (
            f"{self.path}[{key}]"
            if isinstance(key, int)
            else (f"{self.path}.{key}" if self.path else key)
        )
        return _Ctx(self.file, self.errors, path, line_of(container, key) or self.line)

    def fail(self, message: str) -> None:
        self.errors.append(DataError(self.file, self.line, self.path, message))


class Text(Shape):
    """A non-empty string."""

    def check(self, value: Any, ctx: _Ctx) -> None:
        if not isinstance(value, str):
            ctx.fail(f"must be a string (got {_describe(value)})")
        elif not value.strip():
            ctx.fail("must not be empty")


@dataclass
class Choice(Shape):
    values: tuple[str, ...]

    def check(self, value: Any, ctx: _Ctx) -> None:
        if value not in self.values:
            ctx.fail(f"must be one of {', '.join(self.values)} (got {_describe(value)})")


class Count(Shape):
    """A whole number or a range such as ``2-3``."""

    def check(self, value: Any, ctx: _Ctx) -> None:
        if isinstance(value, bool) or not (
            (isinstance(value, int) and value >= 0)
            or (isinstance(value, str) and _RANGE.match(value.strip()))
        ):
            ctx.fail(f"must be a number or a range like 2-3 (got {_describe(value)})")


class Flag(Shape):
    def check(self, value: Any, ctx: _Ctx) -> None:
        if not isinstance(value, bool):
            ctx.fail(f"must be true or false (got {_describe(value)})")


class Version(Shape):
    def check(self, value: Any, ctx: _Ctx) -> None:
        if value != 1:
            ctx.fail(f"unsupported version {_describe(value)} (this coachbot reads version 1)")


@dataclass
class ListOf(Shape):
    item: Shape
    min_items: int = 0

    def check(self, value: Any, ctx: _Ctx) -> None:
        if not isinstance(value, list):
            ctx.fail(f"must be a list (got {_describe(value)})")
            return
        if len(value) < self.min_items:
            ctx.fail(f"needs at least {self.min_items} item(s) (got {len(value)})")
        for index, item in enumerate(value):
            self.item.check(item, ctx.at(index, value))


@dataclass
class Obj(Shape):
    """A mapping with known keys; ``optional`` keys may be absent, any other key is an error."""

    required: Mapping[str, Shape]
    optional: Mapping[str, Shape] = field(default_factory=dict)
    one_of: tuple[str, ...] = ()

    def check(self, value: Any, ctx: _Ctx) -> None:
        if not isinstance(value, dict):
            ctx.fail(f"must be a mapping (got {_describe(value)})")
            return
        for key in value:
            if key not in self.required and key not in self.optional:
                known = ", ".join(sorted([*self.required, *self.optional]))
                ctx.at(str(key), value).fail(f"unknown key (known keys: {known})")
        for key, shape in self.required.items():
            if key not in value:
                ctx.fail(f"missing required field '{key}'")
            else:
                shape.check(value[key], ctx.at(key, value))
        for key, shape in self.optional.items():
            if key in value and value[key] is not None:
                shape.check(value[key], ctx.at(key, value))
        if self.one_of and sum(1 for k in self.one_of if k in value) != 1:
            ctx.fail(f"needs exactly one of: {', '.join(self.one_of)}")


@dataclass
class TextOr(Shape):
    """A string, or a mapping of ``shape`` for an item that needs more than its text."""

    shape: Shape

    def check(self, value: Any, ctx: _Ctx) -> None:
        (self.shape if isinstance(value, dict) else Text()).check(value, ctx)


@dataclass
class MapOf(Shape):
    """A mapping from free keys to values of one shape."""

    value: Shape
    keys: tuple[str, ...] = ()

    def check(self, value: Any, ctx: _Ctx) -> None:
        if not isinstance(value, dict):
            ctx.fail(f"must be a mapping (got {_describe(value)})")
            return
        for key in self.keys:
            if key not in value:
                ctx.fail(f"missing required field '{key}'")
        for key, item in value.items():
            sub = ctx.at(str(key), value)
            if self.keys and key not in self.keys:
                sub.fail(f"unknown key (known keys: {', '.join(self.keys)})")
            else:
                self.value.check(item, sub)


def validate(document: Any, shape: Shape, file: str) -> list[DataError]:
    """Every way ``document`` departs from ``shape``, in document order."""
    errors: list[DataError] = []
    line = document.line if isinstance(document, (LocatedDict, LocatedList)) else 1
    shape.check(document, _Ctx(file, errors, "", line))
    return errors


TEXTS = ListOf(Text())
LEVELS = ("beginner", "intermediate", "advanced")

_OPTION = Obj(
    required={"why": Text()},
    optional={"exercise": Text(), "name": Text(), "needs": TEXTS},
    one_of=("exercise", "name"),
)
_PROGRAMMING = Obj(
    required={"sets": Count(), "reps": Text(), "rest": Text(), "per_week": Count()},
    optional={"note": Text()},
)

EXERCISE = Obj(
    required={
        "version": Version(),
        "id": Text(),
        "name": Text(),
        "aliases": ListOf(Text(), min_items=1),
        "summary": Text(),
        "benefits": ListOf(Text(), min_items=1),
        "difficulty": Obj({"level": Choice(LEVELS), "note": Text()}),
        "equipment": Obj(
            {"required": TEXTS, "home": Text()}, optional={"optional": TEXTS, "household": Flag()}
        ),
        "muscles": Obj(
            {"primary": ListOf(Text(), min_items=1), "secondary": TEXTS},
            optional={"stabilisers": TEXTS},
        ),
        "steps": ListOf(Text(), min_items=2),
        "cues": ListOf(Text(), min_items=1),
        "mistakes": ListOf(Obj({"mistake": Text(), "fix": Text()}), min_items=1),
        "regressions": ListOf(_OPTION),
        "progressions": ListOf(_OPTION),
        "alternatives": ListOf(_OPTION),
        "programming": MapOf(_PROGRAMMING, keys=LEVELS),
        "tempo": Text(),
        "placement": Text(),
        "warm_up": ListOf(Text(), min_items=1),
        "feel": Obj({"target": Text(), "lower_back": Text()}, {"instead": MapOf(Text())}),
        "avoid_or_modify": ListOf(
            TextOr(Obj({"text": Text(), "about": ListOf(Text(), min_items=1)})), min_items=1
        ),
        "faq": ListOf(Obj({"question": Text(), "answer": Text(), "intent": Text()})),
        "sources": ListOf(Text(), min_items=1),
    },
    optional={
        "why_hard": Text(),
        "loading": Text(),
        "build_muscle": Text(),
        "cramps": Text(),
        "soreness": Text(),
    },
)

INTENT = Obj(
    required={"version": Version(), "id": Text(), "examples": ListOf(Text(), min_items=1)},
    optional={
        "needs_exercise": Flag(),
        "names_other_exercises": Flag(),
        "small_talk": Flag(),
        "about_the_coach": Flag(),
        "background": Flag(),
        "for_a_muscle": Text(),
        "again": Choice(("regressions", "progressions")),
        "requires": TEXTS,
        "response": Text(),
        "general": Text(),
    },
)


MESSAGES = Obj(
    required={"version": Version(), "messages": MapOf(Text())},
    optional={
        "suggestions": MapOf(TEXTS),
        "follow_ups": MapOf(TEXTS),
        "unsuited_follow_ups": MapOf(TEXTS),
        "suggestion_sets": Obj(
            dict.fromkeys(("red_flag", "see_professional", "default", "noted"), TEXTS),
            # (for someone who told their level: "noted_beginner")
            {f"{name}_{level}": TEXTS for name in ("default", "noted") for level in LEVELS},
        ),
    },
)

GENERAL = Obj(
    required={"version": Version(), "levels": MapOf(ListOf(Text(), min_items=1), keys=LEVELS)},
    optional={
        "shared_aliases": ListOf(Obj({"alias": Text(), "exercises": ListOf(Text(), min_items=2)})),
        "synonyms": MapOf(Text()),
        "stopwords": TEXTS,
        "pronouns": TEXTS,
        "interjections": TEXTS,
        "openers": TEXTS,
        "closers": TEXTS,
        "filler": TEXTS,
        "other_exercises": TEXTS,
        "other_muscles": TEXTS,
        "proper_nouns": TEXTS,
        "suggested_exercises": TEXTS,
        "question_words": TEXTS,
        "after_red_flag": TEXTS,
        "form_words": TEXTS,
        "focus_words": MapOf(ListOf(Text(), min_items=1)),
        "fix_questions": TEXTS,
        "repairs": TEXTS,
        "equipment_phrases": MapOf(ListOf(Text(), min_items=1)),
        "conditions": MapOf(
            Obj({"label": Text(), "phrases": ListOf(Text(), min_items=1)}, {"signal": Text()})
        ),
    },
)
