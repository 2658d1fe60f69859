"""Conversations: one ``Session`` per user or chat.

A session remembers the exercise being discussed, the last question, what the user said
about themselves (level, equipment, injuries), red flags they reported, and the choices the
last reply offered, so that "how many reps?", "and nordics?", "the first one" or "2" make
sense. Its state is a small JSON-serialisable dict (``to_dict``) that ``Coach.session``
accepts back, in any process.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .models import WARNED, Profile, RedFlag, Reply
from .normalize import content_words, words
from .render import fill, join_names
from .schema import LEVELS

if TYPE_CHECKING:
    from .coach import Coach, Context, Turn

STATE_VERSION = 1
RESET_WORDS = frozenset({"/reset", "reset", "start over", "start again", "new topic", "/start"})
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "fourth": 3,
    "4th": 3,
    "four": 3,
    "last": -1,
}
_YES = frozenset(
    {"yes", "yeah", "yep", "yup", "sure", "y", "correct", "right", "please", "ok", "okay"}
)
_SELF = frozenset({"i", "am", "im", "my", "me", "we", "here", "myself"})
_EXPLORING = frozenset({"and", "for", "about", "what", "how", "if"})
"""Words that make a level alone a question about that level ("and for advanced?")."""


def _about_self(text: str) -> bool:
    return not _SELF.isdisjoint(content_words(text))


_DESCRIBE_FILLER = frozenset(
    {
        "the",
        "one",
        "ones",
        "a",
        "an",
        "i",
        "mean",
        "meant",
        "please",
        "version",
        "variation",
        "type",
        "kind",
        "that",
        "with",
    }
)
_OTHER = re.compile(r"\bthe\s+(?:other|second|2nd)\s+(?:one|exercise|version)\b", re.IGNORECASE)
_ONE_LEG = re.compile(
    r"\b(?:the\s+)?(?:single|one)[\s-]?leg(?:ged)?(?:\s+(?:version|one|variation|variant))?\b",
    re.IGNORECASE,
)
_PICK = re.compile(r"^\s*(?:#|no\.?\s*)?(\d{1,2})\s*[.)!]?\s*$")


class Session:
    """One conversation. Safe to call from several threads (turns are serialised)."""

    def __init__(self, coach: Coach, state: Mapping[str, Any] | None = None) -> None:
        from .coach import Context

        self.coach = coach
        self._lock = threading.Lock()
        self._context = Context() if state is None else _context_from_state(coach, state)
        self._offered: tuple[str, ...] = tuple(state.get("offered") or ()) if state else ()
        self._candidates: tuple[str, ...] = tuple(state.get("candidates") or ()) if state else ()
        self.last_reply: Reply | None = None
        self.last_text: str | None = None
        """The message the last reply answered (a picked option is spelt out here)."""

    @property
    def context(self) -> Context:
        return self._context

    def ask(self, text: str) -> Reply:
        """Answer ``text`` in the light of the conversation so far."""
        if not isinstance(text, str):
            raise TypeError(f"a question must be a str, not {type(text).__name__}")
        with self._lock:
            stripped = " ".join(content_words(text))
            if text.strip().lower() in RESET_WORDS or stripped in RESET_WORDS:
                return self._reset()
            picked = (
                self._pick(text)
                or self._describe_pick(text)
                or self._the_other(text)
                or self._one_leg(text)
            )
            options = self._candidates_as_text() or self._offered
            if picked is None and options and _PICK.match(text):
                # "3" when two were offered: say so and show them again, rather than read "3"
                # as a question.
                reply = Reply(
                    fill(self.coach.messages["no_such_option"], count=str(len(options))),
                    suggestions=options,
                    candidates=self._candidates,
                )
                self.last_text, self.last_reply = text, reply
                return reply
            if picked is not None:
                text = picked
            self.last_text = text
            turn = self.coach.analyse(text)
            exploring = self._other_level(text, turn)
            context = self._remember_profile(text, turn, self._context, exploring)
            if self._only_about_self(text, turn, context):
                # "I'm a beginner", "I train at home with no bench": nothing to answer yet.
                reply = self._noted(context.profile)
            else:
                reply, context = self.coach.respond(text, context, turn)
            if (
                reply.level
                and not exploring
                and (reply.intent != "difficulty" or _about_self(text))
            ):
                # "I'm a beginner", "sets for a newbie": the level sticks. Asking whether an
                # exercise suits beginners says nothing about the asker, and neither does
                # "and for advanced?" from someone whose level is known.
                context = replace(context, profile=replace(context.profile, level=reply.level))
            self._context = context
            self._offered = reply.suggestions
            self._candidates = reply.candidates
            self.last_reply = reply
            return reply

    def reset(self) -> Reply:
        with self._lock:
            return self._reset()

    def _reset(self) -> Reply:
        from .coach import Context

        self._context = Context()
        self._offered = self._candidates = ()
        reply = Reply(
            self.coach.messages["reset"],
            suggestions=self.coach._suggest("help", None),
        )
        self.last_reply = reply
        return reply

    # -- turn helpers -----------------------------------------------------------------------
    def _the_other(self, text: str) -> str | None:
        """ "and for the other one?" after a comparison: the message with that exercise's
        name in place of the phrase."""
        other = self._context.other
        if other is None or not _OTHER.search(text):
            return None
        return _OTHER.sub(self.coach.exercises[other].name, text, count=1)

    def _one_leg(self, text: str) -> str | None:
        """ "and the single leg version?" after the hip thrust: the single-leg hip thrust, by
        the naming the exercise ids follow ("single-leg-" + id)."""
        one_leg = f"single-leg-{self._context.exercise}"
        if one_leg not in self.coach.exercises or not _ONE_LEG.search(text):
            return None
        if self.coach.finder.find(words(text)).mentions:
            return None  # "single leg hip thrust" names its exercise already
        # Only the phrase and filler ("and the single leg version?"): "one leg is swollen"
        # is a symptom, for the screen to read as written.
        left = tuple(content_words(_ONE_LEG.sub(" ", text)))
        if not self.coach.only_filler(left):
            return None
        return _ONE_LEG.sub(self.coach.exercises[one_leg].name, text, count=1)

    def _describe_pick(self, text: str) -> str | None:
        """ "the standing one" after "standing curl or prone hip extension?" picks the first."""
        ids = [c for c in self._candidates if c in self.coach.exercises]
        if not ids:
            return None
        said = {w for w in content_words(text) if w not in _DESCRIBE_FILLER}
        if not said:
            return None
        fits = []
        for ex_id in ids:
            ex = self.coach.exercises[ex_id]
            vocabulary = {w for name in (ex.name, *ex.aliases) for w in content_words(name)}
            if said <= vocabulary:
                fits.append(ex.name)
        return fits[0] if len(fits) == 1 else None

    def _pick(self, text: str) -> str | None:
        """The offered option the user picked ("2", "the first one", "yes"), as a message."""
        options = self._candidates_as_text() or self._offered
        if not options:
            return None
        match = _PICK.match(text)
        index: int | None = None
        if match:
            index = int(match.group(1)) - 1
            if index < 0:
                return None  # "0" is not an option; -1 is reserved for "the last one"
        else:
            tokens = [
                w
                for w in content_words(text)
                if w not in {"the", "one", "please", "option", "number"}
                or w == "one"
                and len(content_words(text)) == 1
            ]
            if len(tokens) == 1 and tokens[0] in _ORDINALS:
                index = _ORDINALS[tokens[0]]
            elif tokens and all(t in _YES for t in tokens) and self._candidates:
                index = 0
        if index is None or not (-len(options) <= index < len(options)):
            return None
        return options[index]

    def _candidates_as_text(self) -> tuple[str, ...]:
        if not self._candidates:
            return ()
        names = {ex_id: ex.name for ex_id, ex in self.coach.exercises.items()}
        if all(c in names for c in self._candidates):
            return tuple(names[c] for c in self._candidates)
        return self._offered

    def _only_about_self(self, text: str, turn: Turn, context: Context) -> bool:
        """A statement that told us something about the user and asked nothing."""
        if (
            context.profile == self._context.profile
            or self.coach.screened(turn, context.profile).assessment.red_flag is not None
        ):
            return False
        if self.coach.only_a_level(turn.entities):
            # "beginner": after "how many reps?" that question at this level (the coach sees
            # to it); after anything else, noted like "I'm a beginner".
            return context.intent not in self.coach.levelled
        if turn.entities.mentions:
            return False
        return not self._asks(text)

    def _asks(self, text: str) -> bool:
        """Whether the message asks something (a "?" or a question word)."""
        return "?" in text or not self.coach.general.question_words.isdisjoint(content_words(text))

    def _noted(self, profile: Profile) -> Reply:
        facts = []
        if profile.level:
            facts.append(f"you're at {profile.level} level")
        facts.extend(profile.equipment)
        if profile.injury:
            facts.append(f"you mentioned {profile.injury}")
        conditions = self.coach.general.conditions
        if profile.conditions:
            facts.append(f"you have {join_names(conditions[c].label for c in profile.conditions)}")
        text = self.coach.messages["noted"].format(facts=join_names(facts))
        return Reply(text, level=profile.level, suggestions=self.coach.suggestion_sets["noted"])

    def _other_level(self, text: str, turn: Turn) -> bool:
        """ "and for advanced?" from someone whose level is known: a question about another
        level, not news about theirs (which "advanced" alone, or "I'm advanced now", is)."""
        return (
            self._context.profile.level is not None
            and self.coach.only_a_level(turn.entities)
            and not _about_self(text)
            and not _EXPLORING.isdisjoint(turn.entities.rest)
        )

    def _remember_profile(
        self, text: str, turn: Turn, context: Context, exploring: bool = False
    ) -> Context:
        profile = context.profile
        if (
            turn.entities.level
            and not exploring
            and (_about_self(text) or self.coach.only_a_level(turn.entities))
        ):
            profile = replace(profile, level=turn.entities.level)
        joined = " " + " ".join(content_words(text)) + " "
        found = [
            key
            for key, phrases in self.coach.general.equipment_phrases.items()
            if any(f" {' '.join(content_words(p))} " in joined for p in phrases)
        ]
        if found:
            profile = replace(profile, equipment=tuple(dict.fromkeys((*profile.equipment, *found))))
        # Only the user's own, told as such or in a question about training with one ("I have
        # a bad back", "is it ok with my bad knees?"): "should I feel it in my knees?" says
        # nothing about the knees, "my wife is pregnant" nothing about the user. One the screen
        # uses (pregnancy, a replaced joint) is kept from any mention of one's own; "I was
        # pregnant last year" is over.
        conditions: list[str] = []
        if _about_self(text):
            best = turn.ranking[0].intent if turn.ranking else None
            told = best in self.coach.conditional or not self._asks(text)
            known = self.coach.general.conditions
            conditions = [
                c
                for c, how in turn.conditions
                if how in ("current", "historical") and (told or known[c].signal)
            ]
        if conditions:
            profile = replace(
                profile, conditions=tuple(dict.fromkeys((*profile.conditions, *conditions)))
            )
        categories = self.coach.screen.categories
        injuries = [
            h
            for h in turn.assessment.hits
            if h.context in ("current", "historical") and categories[h.category].injury
        ]
        if injuries:
            label = self.coach.screen.categories[injuries[0].category].label
            profile = replace(profile, injury=label)
        return replace(context, profile=profile) if profile != context.profile else context

    # -- persistence ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The conversation state as plain JSON types."""
        with self._lock:
            c = self._context
            return {
                "version": STATE_VERSION,
                "exercise": c.exercise,
                "intent": c.intent,
                "pending": c.pending,
                "profile": {
                    "level": c.profile.level,
                    "equipment": list(c.profile.equipment),
                    "injury": c.profile.injury,
                    "conditions": list(c.profile.conditions),
                },
                "flagged": list(c.flagged),
                "other": c.other,
                "asked": list(c.asked),
                "alert": _flag_state(c.alert),
                "warned": _flag_state(c.warned),
                "offered": list(self._offered),
                "candidates": list(self._candidates),
            }


def _strings(value: Any, name: str) -> None:
    if value is not None and (
        not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value)
    ):
        raise TypeError(f"{name} must be a list of strings")


def _check_state_types(state: Mapping[str, Any]) -> None:
    for key in ("exercise", "intent", "pending", "other"):
        if state.get(key) is not None and not isinstance(state[key], str):
            raise TypeError(f"{key} must be a string or null")
    for key in ("flagged", "offered", "candidates", "asked"):
        _strings(state.get(key), key)
    profile = state.get("profile")
    if profile is None:
        return
    if not isinstance(profile, Mapping):
        raise TypeError("profile must be a mapping")
    for key in ("level", "injury"):
        if profile.get(key) is not None and not isinstance(profile[key], str):
            raise TypeError(f"profile.{key} must be a string or null")
    _strings(profile.get("equipment"), "profile.equipment")
    _strings(profile.get("conditions"), "profile.conditions")


def _context_from_state(coach: Coach, state: Mapping[str, Any]) -> Context:
    from .coach import Context

    if not isinstance(state, Mapping):
        raise UsageError(f"session state must be a dict (got {type(state).__name__})")
    version = state.get("version")
    if type(version) is not int or version != STATE_VERSION:
        raise UsageError(
            f"session state version {version!r} is not supported (expected {STATE_VERSION})"
        )
    try:
        _check_state_types(state)
        exercise = state.get("exercise")
        if exercise is not None and exercise not in coach.exercises:
            exercise = None  # an exercise removed from the data since: forget it, don't fail
        intent = state.get("intent")
        if intent is not None and intent not in coach.intents:
            intent = None
        pending = state.get("pending")
        if pending is not None and pending not in coach.intents:
            pending = None
        raw = state.get("profile") or {}
        level = raw.get("level")
        # Only what this coach itself could have written: the injury and equipment are
        # quoted back in replies, so a tampered state must not put words in its mouth.
        known = coach.general.equipment_phrases
        injuries = {c.label for c in coach.screen.categories.values() if c.injury}
        injury = raw.get("injury")
        profile = Profile(
            level=level if level in LEVELS else None,
            equipment=tuple(dict.fromkeys(e for e in raw.get("equipment") or () if e in known)),
            injury=injury if injury in injuries else None,
            conditions=_known_conditions(coach, raw.get("conditions")),
        )
        flagged = tuple(f for f in state.get("flagged") or () if f in coach.exercises)
        alert = _alert_from_state(coach, state.get("alert"))
        warned = _warned_from_state(coach, state.get("warned"))
        asked = _known_conditions(coach, state.get("asked"))
        other = state.get("other")
        if other is not None and (
            other not in coach.exercises or other == exercise or not exercise
        ):
            other = None
    except (AttributeError, TypeError, KeyError) as exc:
        raise UsageError(f"session state is corrupted ({exc})") from None
    return Context(
        exercise=exercise,
        intent=intent,
        pending=pending,
        profile=profile,
        flagged=flagged,
        alert=alert,
        warned=warned,
        other=other,
        asked=asked,
    )


def _known_conditions(coach: Coach, ids: Any) -> tuple[str, ...]:
    """The condition ids of a saved state that the data defines, once each, in order."""
    return tuple(dict.fromkeys(c for c in ids or () if c in coach.general.conditions))


def _flag_state(flag: RedFlag | None) -> dict[str, str] | None:
    if flag is None:
        return None
    return {"severity": flag.severity, "category": flag.category, "context": flag.context}


def _alert_from_state(coach: Coach, raw: Any) -> RedFlag | None:
    """The saved red flag, rebuilt by the screen from its category and context alone (the
    saved severity is not trusted, so a state cannot make up advice), or None when the data
    no longer has a category that escalates by that name."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not all(
        isinstance(raw.get(k), str) for k in ("severity", "category", "context")
    ):
        raise TypeError("alert must be an object with severity, category and context strings")
    return coach.screen.flag(raw["category"], raw["context"])


def _warned_from_state(coach: Coach, raw: Any) -> RedFlag | None:
    flag = _alert_from_state(coach, raw)
    return flag if flag is not None and flag.severity in WARNED else None
