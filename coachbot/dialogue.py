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
from .models import WARNED, Option, Profile, RedFlag, Reply
from .normalize import content_words, words
from .render import fill, join_names, kit, sentence
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
_BACK = frozenset({"it", "its", "this", "that", "they", "them", "these", "those", "also", "too"})
"""Words by which a message refers back to the last one ("it's also swollen now")."""


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
_DESCRIBED = re.compile(
    r"\bthe\s+([a-z][a-z -]{0,30}?)\s+(?:one|version|variation|variant)\b", re.IGNORECASE
)
""""the natural one", "the standing version": one of two exercises, by a word of its name."""
_ONE_LEG = re.compile(
    r"\b(?:the\s+)?(?:single|one)[\s-]?leg(?:ged)?(?:\s+(?:version|one|variation|variant))?\b",
    re.IGNORECASE,
)
_PICK = re.compile(r"^\s*(?:#|no\.?\s*)?(\d{1,2})\s*[.)!]?\s*$")
_LISTED = re.compile(
    r"(?:\bthe\s+)?\b(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\b"
    r"(?:\s+(?:one|exercise|option|version|variation|variant)\b|(?=\s*(?:[?.!,]|$)))",
    re.IGNORECASE,
)
""""the first one", "the last exercise", "the second?": an item of the list just shown."""
_PLACES = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3}
_PLACES |= {"4th": 3, "fifth": 4, "5th": 4, "last": -1}
MAX_FRAME = 300
"""The longest question about a list item kept to ask again ("and the last one?")."""
_AND_WHAT = re.compile(r"^\s*(?:ok\s+)?(?:and|what about|how about)\b", re.IGNORECASE)
_LEVEL_NOTE = re.compile(r"\s*\([^)]*\)")


class Session:
    """One conversation. Safe to call from several threads (turns are serialised)."""

    def __init__(self, coach: Coach, state: Mapping[str, Any] | None = None) -> None:
        from .coach import Context

        self.coach = coach
        self._lock = threading.Lock()
        self._context = Context() if state is None else _context_from_state(coach, state)
        self._offered: tuple[str, ...] = tuple(state.get("offered") or ()) if state else ()
        self._candidates: tuple[str, ...] = tuple(state.get("candidates") or ()) if state else ()
        self._listed: tuple[str, ...] = tuple(state.get("listed") or ()) if state else ()
        """The names in the last reply's list, in order ("how do I do the first one?")."""
        self._listed_from: str | None = state.get("listed_from") if state else None
        """The exercise that list was about (its easier and harder versions are its own)."""
        frame = state.get("item_frame") if state else None
        self._item_frame: tuple[str, str] | None = (
            (frame[0], frame[1]) if frame and self._plain_frame(frame[0], frame[1]) else None
        )
        """The question last asked about an item of the list, as the words before and after
        it: "and the last one?" after "how do I do the first one?" asks it again."""
        self._said: tuple[str, ...] = _signals(coach, state.get("said")) if state else ()
        """The screen's signal categories in the user's last message about themselves ("my
        calf is sore"), for a follow-up that refers back to it ("it's swollen and hot")."""
        explored = state.get("explored") if state else None
        self._explored: str | None = explored if explored in LEVELS else None
        """The level the last answer was given for when the user only asked about it ("and
        for advanced?"): "what about glute bridges?" straight after is at that level too,
        though the user's own level stays as it was."""
        self.last_reply: Reply | None = None
        self.last_text: str | None = None
        """The message the last reply answered (a picked option is spelt out here)."""

    def _plain_frame(self, before: str, after: str) -> bool:
        """Whether a question frame from a saved state can be asked again as the user's own
        words: short, and with nothing in it for the screen (a state is no way to put a
        symptom in the user's mouth)."""
        joined = f"{before} {after}"
        return len(joined) <= MAX_FRAME and not self.coach.screen.assess(joined).hits

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
            # An offer to pick from comes first ("the first one" after "which did you mean?"),
            # then the list the last reply showed, then its suggested questions.
            listed, variation = self._listed_item(text) if not self._candidates else (None, None)
            picked = (
                listed
                or self._pick(text)
                or self._describe_pick(text)
                or self._the_other(text)
                or self._pair_pick(text)
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
            said = _signals(
                self.coach, (h.category for h in turn.assessment.hits if h.context == "current")
            )
            if self._said and not _BACK.isdisjoint(turn.entities.rest):
                # "my calf is sore", then "it's also swollen and hot": screened as one report.
                assessment = self.coach.screen.with_signals(turn.assessment, self._said)
                turn = replace(turn, assessment=assessment)
            exploring = self._other_level(text, turn)
            context = self._remember_profile(text, turn, self._context, exploring)
            # "how many sets?" right after a list of exercises asks which of those.
            shown = tuple(i for i in map(self._named, self._listed) if i is not None)
            context = replace(context, shown=shown)
            # "what about glute bridges?" right after "and for advanced?": still advanced.
            carried = (
                self._explored is not None
                and turn.entities.level is None
                and bool(turn.entities.mentions)
                and self.coach.only_filler(turn.entities.rest)
            )
            if self._only_about_self(text, turn, context):
                # "I'm a beginner", "I train at home with no bench": nothing to answer yet.
                reply = self._noted(context.profile)
            elif carried:
                own = context.profile
                asking = replace(context, profile=replace(own, level=self._explored))
                reply, context = self.coach.respond(text, asking, turn)
                context = replace(context, profile=replace(context.profile, level=own.level))
            else:
                reply, context = self.coach.respond(text, context, turn)
            if variation is not None and reply.red_flag is None:
                if listed is None:  # another exercise: what the list said is all there is
                    about = self._listed_from
                    reply = Reply(variation, exercise=about, suggestions=self._offered)
                elif reply.intent is not None:
                    reply = replace(reply, text=f"{variation}\n\n{reply.text}")
            self._explored = reply.level if exploring or carried else None
            if (
                reply.level
                and not exploring
                and not carried
                and (reply.intent != "difficulty" or _about_self(text))
            ):
                # "I'm a beginner", "sets for a newbie": the level sticks. Asking whether an
                # exercise suits beginners says nothing about the asker, and neither does
                # "and for advanced?" from someone whose level is known.
                context = replace(context, profile=replace(context.profile, level=reply.level))
            self._context = context
            self._offered = reply.suggestions
            self._candidates = reply.candidates
            self._said = said
            # After an answer about one item of a list, "and the last one?" is still about
            # that list, unless the answer is a list of its own.
            used = listed is not None or variation is not None
            shown = self._list_of(reply)
            if shown or not used:
                self._listed, self._listed_from = shown, reply.exercise
                self._item_frame = None  # (a question about the items of that list)
            self.last_reply = reply
            return reply

    def reset(self) -> Reply:
        with self._lock:
            return self._reset()

    def _reset(self) -> Reply:
        from .coach import Context

        self._context = Context()
        self._offered = self._candidates = self._listed = self._said = ()
        self._item_frame = None
        self._listed_from = self._explored = None
        reply = Reply(
            self.coach.messages["reset"],
            suggestions=self.coach._suggest("help", None),
        )
        self.last_reply = reply
        return reply

    # -- turn helpers -----------------------------------------------------------------------
    def _named(self, name: str) -> str | None:
        """The exercise ``name`` is the whole name of, or None."""
        said = words(name)
        mentions = self.coach.finder.find(said).mentions
        if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(said):
            ids = mentions[0].exercises
            return ids[0] if len(ids) == 1 else None
        return None

    def _option(self, name: str, exercise: str | None) -> tuple[Option, bool] | None:
        """The easier, harder or alternative option of ``exercise`` that is called ``name``,
        and whether it is a version of that exercise (not an alternative)."""
        if exercise is None or exercise not in self.coach.exercises:
            return None
        ex = self.coach.exercises[exercise]
        for options, version in ((ex.regressions, True), (ex.progressions, True)):
            for option in options:
                if option.name.lower() == name.lower():
                    return option, version
        for option in ex.alternatives:
            if option.name.lower() == name.lower():
                return option, False
        return None

    def _list_of(self, reply: Reply) -> tuple[str, ...]:
        """The exercises and options a reply lists as bullets ("- Glute bridge: ..."), or
        that a bullet lists after a heading ("- Glutes: Glute bridge (beginner), ...")."""
        items: list[str] = []
        for line in reply.text.splitlines():
            if not line.startswith("- "):
                continue
            head, _, rest = line[2:].partition(": ")
            if self._named(head) or self._option(head, reply.exercise):
                items.append(head)
            elif rest:
                parts = (_LEVEL_NOTE.sub("", part).strip() for part in rest.split(", "))
                items.extend(part for part in parts if self._named(part))
        return tuple(dict.fromkeys(items))

    def _listed_item(self, text: str) -> tuple[str | None, str | None]:
        """ "how do I do the first one?" after a list: the message with the item's name in
        place of the phrase, and, for a version of the exercise that is not an exercise of
        its own ("Band-assisted Nordic"), what the list said about it, to go first."""
        match = _LISTED.search(text) if self._listed else None
        if match is None:
            return None, None
        place = _PLACES[match.group(1).lower()]
        if not -len(self._listed) <= place < len(self._listed):
            return None, None
        name = self._listed[place]
        left = tuple(content_words(f"{text[: match.start()]} {text[match.end() :]}"))
        # "the first one?" alone asks what it is; "how do I do the first one?" asks that, and
        # "and the last one?" straight after asks it again.
        frame = (text[: match.start()], text[match.end() :])
        if not self.coach.only_filler(left):
            self._item_frame = frame if len(text) <= MAX_FRAME else None
        elif self._item_frame is not None and _AND_WHAT.match(text):
            frame = self._item_frame
        else:
            frame = ("what is the ", "?")

        def said_with(spoken: str) -> str:
            return f"{frame[0]}{spoken}{frame[1]}"

        exercise = self._named(name)
        if exercise is not None:
            return said_with(self.coach.exercises[exercise].name), None
        found = self._option(name, self._listed_from)
        if found is None:
            return None, None
        option, version = found
        said = f"{option.name}: {sentence(option.why)}{kit(option.needs)}"
        if not version:
            # Another exercise this coach has no more on: what the list said, and no more.
            return None, said
        parent = self.coach.exercises[self._listed_from or ""].name
        return said_with(parent), said

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
        fits = [self.coach.exercises[e].name for e in ids if said <= self._name_words(e)]
        return fits[0] if len(fits) == 1 else None

    def _pair_pick(self, text: str) -> str | None:
        """ "how do i do the natural one" after the glute ham raise and the natural one were
        compared: the message with the one its words describe in place of the phrase."""
        pair = (self._context.exercise, self._context.other)
        match = _DESCRIBED.search(text) if None not in pair else None
        if match is None:
            return None
        said = {w for w in content_words(match.group(1)) if w not in _DESCRIBE_FILLER}
        fits = [e for e in pair if e is not None and said and said <= self._name_words(e)]
        if len(fits) != 1:
            return None
        return f"{text[: match.start()]}{self.coach.exercises[fits[0]].name}{text[match.end() :]}"

    def _name_words(self, exercise: str) -> set[str]:
        ex = self.coach.exercises[exercise]
        return {w for name in (ex.name, *ex.aliases) for w in content_words(name)}

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
        # "you train at home", "you have no bench": the setup said back as a sentence.
        facts.extend(
            f"you have {e}" if e.startswith("no ") else f"you train {e}" for e in profile.equipment
        )
        if profile.injury:
            facts.append(f"you mentioned {profile.injury}")
        conditions = self.coach.general.conditions
        if profile.conditions:
            facts.append(f"you have {join_names(conditions[c].label for c in profile.conditions)}")
        text = self.coach.messages["noted"].format(facts=join_names(facts))
        suggestions = self.coach.suggestion_set("noted", profile.level)
        return Reply(text, level=profile.level, suggestions=suggestions)

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
        found = self.coach.equipment_in(content_words(text))
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
                "listed": list(self._listed),
                "listed_from": self._listed_from,
                "item_frame": list(self._item_frame) if self._item_frame else None,
                "said": list(self._said),
                "explored": self._explored,
            }


def _strings(value: Any, name: str) -> None:
    if value is not None and (
        not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value)
    ):
        raise TypeError(f"{name} must be a list of strings")


def _check_state_types(state: Mapping[str, Any]) -> None:
    for key in ("exercise", "intent", "pending", "other", "listed_from", "explored"):
        if state.get(key) is not None and not isinstance(state[key], str):
            raise TypeError(f"{key} must be a string or null")
    for key in ("flagged", "offered", "candidates", "asked", "listed", "said", "item_frame"):
        _strings(state.get(key), key)
    if state.get("item_frame") is not None and len(state["item_frame"]) != 2:
        raise TypeError("item_frame must be two strings (the words before and after an item)")
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


def _signals(coach: Coach, ids: Any) -> tuple[str, ...]:
    """Those of ``ids`` (a message's categories, or a saved state's) that are signal
    categories of this coach's screen."""
    categories = coach.screen.categories
    return tuple(c for c in ids or () if c in categories and categories[c].severity == "signal")
