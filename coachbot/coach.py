"""The ``Coach`` facade: loads the data once and answers questions.

    text -> normalize -> safety screen -> exercise & level -> intent -> template -> Reply

The safety screen runs first and nothing overrides it. What a ``Coach`` knows is fixed after
construction; its only moving parts are bounded caches of pure results (how each word reads,
compiled templates, rendered answers) whose updates are safe to race, so one instance can
serve every thread of a bot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from . import render
from .entities import Entities, EntityFinder, age_said
from .errors import DataError, DataErrors
from .loader import (
    OUT_OF_SCOPE,
    General,
    IntentFiles,
    bundled_dir,
    line_containing,
    load_exercises,
    load_general,
    load_intents,
)
from .matcher import IntentMatcher, Match, Query
from .models import SEVERITIES, WARNED, Exercise, Intent, Option, Profile, RedFlag, Reply
from .normalize import (
    MAX_CHARS,
    MAX_SCREEN_CHARS,
    PUNCTUATION,
    PhraseTable,
    content_words,
    head,
    word_set,
    words,
)
from .safety import PAST, Assessment, SafetyScreen, load_safety
from .store import Responder, SessionStore

if TYPE_CHECKING:
    from .dialogue import Session

log = logging.getLogger("coachbot")

_PAST = frozenset({"was", "were"})
"""A word just before a condition that puts it in the past ("I was pregnant")."""
_SPEAKER = frozenset({"i", "am", "im", "me", "here"})
"""Words that only say who is speaking, as in "I'm a beginner" or "advanced lifter here"."""
_DENIALS = frozenset({"not", "never", "nothing"})
"""Words that turn small talk into something else ("not ok", "not good")."""
_COMPARING = frozenset({"than", "vs", "versus"})
"""Words that set two named exercises against each other ("nordics vs the ghr")."""
_SENTENCE_ENDS = frozenset(".?!")
_ARTICLES = frozenset({"a", "an", "the", "any"})
_KIT = frozenset({"mat", "mats", "ball", "balls", "block", "blocks"})
"""Words that make the exercise name before them a piece of kit ("a yoga mat")."""
_LACK = frozenset({"no", "without"})
_LACK_PAIRS = frozenset({("not", "have"), ("not", "got"), ("access", "to")})
"""Words that say what comes next is missing: "no leg curl machine", "have not got a"."""
_MEANING = frozenset({"no", "yes", "what", "how"})
"""Filler words that a repair phrase keeps: "makes no sense" is not "makes sense"."""

MIN_SCORE = 0.32
"""Below this intent score the coach says it did not understand (``intent=None``)."""
AMBIGUITY_MARGIN = 0.01
"""When the two best intents are closer than this, the coach asks which one was meant."""
FOLLOW_UP_SCORE = 0.5
"""Right after the coach asked which exercise, or with a condition on record, a question
naming one that scores below this on every intent ("can I do nordics?") is read as being
about what the conversation is about: the pending question, or the condition."""
FAQ_ALONE_SCORE = 0.5
"""A message that names no exercise and matches no intent is answered from the one exercise
FAQ it matches at least this well ("sliders hurt my heels" is the slider curl's)."""
EXERCISE_EVIDENCE = 0.10
"""Naming one of our exercises is evidence the question is in scope: the minimum score is
lowered by this much when one is named."""
MAX_SUGGESTIONS = 3
MAX_RENDERED = 4096
"""Rendered answers kept for reuse (an answer depends only on intent, exercise, level, the
exercise compared with, the profile, the conditions and the focus of the question, so a busy
coach renders each one once)."""

SAFETY_INTENT = "safety_info"
OUTSIDE_COMPARISON = "benefits"
"""What a comparison with an exercise this coach does not cover answers instead: what the one
it covers is good for."""
ACKNOWLEDGE = "acknowledge"
"""The intent of "ok", "got it": right after an escalation, or with an emergency on record,
it gets the escalation again (an "ok" may be all someone types before doing nothing)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """What the coach worked out about one message, before rendering (for ``/explain``)."""

    entities: Entities
    assessment: Assessment
    ranking: tuple[Match, ...]
    truncated: bool
    query: Query
    """The words left after the names, as the matcher read them."""
    conditions: tuple[tuple[str, str], ...] = ()
    """The health conditions named, each with how it was spoken of: the screen's contexts
    ("current", "negated", "third_party"...) or "over" ("I was pregnant")."""
    asked: tuple[str, ...] | None = None
    """The words of its asking sentences, past the names, when it also has others that tell
    ("I started running in May. How often should I train glutes?")."""


@dataclass(frozen=True, slots=True)
class Context:
    """What a conversation already knows; empty for one-off questions."""

    exercise: str | None = None
    intent: str | None = None
    profile: Profile = field(default_factory=Profile)
    flagged: tuple[str, ...] = ()
    """Exercises a red flag was reported for, so later answers remind the user."""
    pending: str | None = None
    """An intent waiting for the user to say which exercise they mean."""
    alert: RedFlag | None = None
    """The red flag of the last turn, until a question is answered: "what should I do?" after
    an escalation gets the escalation again, not a shrug."""
    warned: RedFlag | None = None
    """The last emergency reported in this conversation: every later coaching answer, for
    any exercise, starts by saying there is no training until a doctor has seen them."""
    other: str | None = None
    """The exercise last compared with ``exercise``: "which is harder?" and "the other one"
    after "nordics vs ghr" mean that pair."""
    asked: tuple[str, ...] = ()
    """The conditions the last injury question named: "and for hip thrusts?" after "is the
    ghr ok with bad knees?" is about knees too."""
    shown: tuple[str, ...] = ()
    """The exercises of the list the last reply showed: "how many sets?" right after it asks
    which of those."""


_RenderKey = tuple[
    str,
    str | None,
    str | None,
    str | None,
    Profile,
    tuple[str, ...],
    tuple[str, ...],
    int | None,
    bool,
]
"""What an answer is rendered for: intent, exercise, level, other exercise, profile,
conditions, focus, age and whether it follows an escalation."""
_NO_MEMORY = Context()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the duration (and back on after, if it was on):
    for work that makes many long-lived objects and no garbage cycles."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _prose_words(exercises: Mapping[str, Exercise], files: IntentFiles) -> set[str]:
    """The words of the coach's own prose (exercise facts, answer templates, messages): real
    words, spelt right, which the red-flag screen must never take for typos of its trigger
    words. Aliases and example questions are left out, since they list misspellings on
    purpose ("hamstirng curl")."""
    texts: list[str] = [*files.messages.values()]
    for intent in files.intents.values():
        texts.extend(t for t in (intent.response, intent.general) if t)

    def collect(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                collect(item)
        elif isinstance(value, tuple):
            for item in value:
                collect(item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                if f.name not in ("aliases", "id", "file", "sources"):  # names in citations
                    collect(getattr(value, f.name))

    for exercise in exercises.values():
        collect(exercise)
    return word_set("\n".join(texts))


def _lacking(before: Sequence[str]) -> bool:
    """Whether the words before a name say it is missing ("no", "without a", "does not
    have a").

    >>> _lacking(("my", "gym", "does", "not", "have", "a"))
    True
    >>> _lacking(("instead", "of"))
    False
    """
    said = [w for w in before[-4:] if w not in _ARTICLES]
    return bool(said) and (said[-1] in _LACK or tuple(said[-2:]) in _LACK_PAIRS)


def _asked(said: Sequence[str]) -> tuple[str, ...] | None:
    """The sentences that ask (end in "?") of a message that also has others that tell, or
    None.

    >>> _asked(("i", "am", "52", ".", "how", "do", "i", "do", "it", "?"))
    ('how', 'do', 'i', 'do', 'it', '?')
    >>> _asked(("how", "do", "i", "do", "it", "?")) is None
    True
    """
    sentences: list[list[str]] = [[]]
    for word in said:
        sentences[-1].append(word)
        if word in _SENTENCE_ENDS:
            sentences.append([])
    spoken = [s for s in sentences if any(w not in PUNCTUATION for w in s)]
    asking = [s for s in spoken if "?" in s]
    if len(spoken) < 2 or not asking or len(asking) == len(spoken):
        return None
    return tuple(w for s in asking for w in s)


def _clear(ranking: Sequence[Match]) -> bool:
    """Whether a ranking's best is above the minimum score and clear of the next."""
    return (
        bool(ranking)
        and ranking[0].score >= MIN_SCORE
        and (len(ranking) < 2 or ranking[0].score - ranking[1].score >= AMBIGUITY_MARGIN)
    )


def _merged(whole: Sequence[Match], part: Sequence[Match]) -> list[Match]:
    """Each intent of two rankings with its better score, best first."""
    best: dict[str, Match] = {}
    for match in (*whole, *part):
        if match.intent not in best or match.score > best[match.intent].score:
            best[match.intent] = match
    return sorted(best.values(), key=lambda m: -m.score)[: max(len(whole), len(part))]


class Coach:
    """Answers questions about posterior-chain exercises. Build once, share freely."""

    def __init__(
        self,
        knowledge: str | Path | None = None,
        intents: str | Path | None = None,
        store: SessionStore | None = None,
    ) -> None:
        # Loading allocates tens of thousands of small long-lived objects; the cyclic garbage
        # collector would rescan them again and again for nothing (about a fifth of load time).
        with _collector_paused():
            self._load(knowledge, intents, store)

    def _load(
        self,
        knowledge: str | Path | None,
        intents: str | Path | None,
        store: SessionStore | None,
    ) -> None:
        knowledge_dir = Path(knowledge) if knowledge is not None else bundled_dir("knowledge")
        intents_dir = Path(intents) if intents is not None else bundled_dir("intents")
        errors: list[DataError] = []
        self.knowledge_dir, self.intents_dir = knowledge_dir, intents_dir
        files = load_intents(intents_dir, errors)
        before = len(errors)
        self.general: General = load_general(knowledge_dir / "general.yaml", errors)
        self.exercises: Mapping[str, Exercise] = load_exercises(
            knowledge_dir / "exercises",
            errors,
            intent_ids=set(files.intents) or None,
            # A broken general.yaml is reported once, not as every condition an exercise uses.
            condition_ids=self.general.conditions.keys() if len(errors) == before else None,
            focus_ids=self.general.focus_words.keys() if len(errors) == before else None,
        )
        screen = load_safety(
            knowledge_dir / "safety.yaml", errors, _prose_words(self.exercises, files)
        )
        self.intents: Mapping[str, Intent] = files.intents
        self.messages = files.messages
        self.example_lines = files.lines
        # Every template is parsed and its names checked now, so bad data fails here, not
        # mid-conversation; turning them into code waits for first use, which halves load time.
        self._personalised: dict[str, frozenset[str]] = {}
        """Intents whose answer reads the user's profile, with the fields it reads: with one
        of them known, the answer beats a fixed FAQ answer."""
        self._pairs: set[str] = set()
        """Intents whose answer is about two exercises (it reads ``other``)."""
        self._aged: set[str] = set()
        """Intents whose answer reads the age a question tells."""
        self.levelled: set[str] = set()
        """Intents whose answer depends on the level (a level alone asks them again)."""
        self.conditional: set[str] = set()
        """Intents whose answer depends on the health conditions the question names."""
        lists_cautions: set[str] = set()
        for intent in self.intents.values():
            for kind in ("response", "general"):
                source = getattr(intent, kind)
                if source is not None:
                    try:
                        names = render.check_template(
                            source, intent.file, kind, intent.lines.get(kind)
                        )
                    except DataError as exc:
                        errors.append(exc)
                    else:
                        if kind == "response" and "profile" in names:
                            self._personalised[intent.id] = render.fields_read(source, "profile")
                        if kind == "response" and "other" in names:
                            self._pairs.add(intent.id)
                        if "level" in names:
                            self.levelled.add(intent.id)
                        if "age" in names:
                            self._aged.add(intent.id)
                        if names & {"cautions", "asked"}:
                            self.conditional.add(intent.id)
                        if "cautions" in names:
                            lists_cautions.add(intent.id)
        # The one whose answer lists the cautions (ties by id, so the choice is stable).
        self._injury_intent = min(
            self.conditional, key=lambda i: (i not in lists_cautions, i), default=None
        )
        """What an unclear question naming an exercise asks someone with a condition."""
        self._templates: dict[tuple[str, str], jinja2.Template] = {}
        self._template_lock = threading.Lock()
        # Both caches hold pure results, so two threads racing to fill one entry only
        # compute the same value twice.
        self._rendered: dict[_RenderKey, str] = {}
        self._suggested: dict[
            tuple[str, str | None, tuple[str, ...], str | None], tuple[str, ...]
        ] = {}
        self._check_aliases(errors)
        if screen is not None:
            self._check_signals(screen, errors)
        if errors or screen is None:
            raise DataErrors(errors)
        self.screen: SafetyScreen = screen
        examples = {i.id: i.examples for i in self.intents.values()}
        if files.out_of_scope:
            examples[OUT_OF_SCOPE] = files.out_of_scope
        self.matcher = IntentMatcher(
            examples,
            self.general.synonyms,
            self.general.stopwords | self.general.pronouns,
            ignore=self.general.pronouns,
            interjections=self.general.interjections,
            openers=self.general.openers,
            closers=self.general.closers,
        )
        self.finder = EntityFinder(
            self.exercises,
            self.general.shared_aliases,
            self.general.levels,
            known_words={w for texts in examples.values() for t in texts for w in content_words(t)}
            | screen.vocabulary
            | {w for c in self.general.conditions.values() for p in c.phrases for w in p},
            not_names=self.general.other_exercises,
            conditions=self.general.conditions,
            form_words=self.general.form_words,
        )
        self._faq_index = {
            ex_id: self.matcher.text_index([self._strip_names(f.question) for f in ex.faq])
            for ex_id, ex in self.exercises.items()
        }
        self._every_faq = [(ex_id, faq) for ex_id, ex in self.exercises.items() for faq in ex.faq]
        self._every_faq_index = self.matcher.text_index(
            [self._strip_names(faq.question) for _, faq in self._every_faq]
        )
        self._by_name = sorted(self.exercises.values(), key=lambda e: e.name)
        self._others = PhraseTable((phrase, True) for phrase in self.general.other_exercises)
        self._other_muscles = PhraseTable((p, True) for p in self.general.other_muscles)
        trained = {
            w
            for ex in self.exercises.values()
            for m in (*ex.muscles.primary, *ex.muscles.secondary)
            for w in words(m)
        }
        self._our_muscles = frozenset(
            g
            for g, phrases in self.general.focus_words.items()
            if any(p[0] in trained for p in phrases if len(p) == 1)
        )
        """The focus groups that are muscles these exercises train ("glute", "hamstring")."""
        # A message of filler alone ("ok") is neither; and a repair keeps the words that
        # carry its meaning ("makes no sense" is not "ok, makes sense").
        self._fix_questions = frozenset(map(self._bare, self.general.fix_questions)) - {()}
        self._repairs = frozenset(self._bare(p, _MEANING) for p in self.general.repairs) - {()}
        self._focus_table = PhraseTable(
            (phrase, group)
            for group, phrases in self.general.focus_words.items()
            for phrase in phrases
        )
        """Each focus word or phrase -> the group or aspect it names."""
        self._kit_table = PhraseTable(
            (content_words(saying), key)
            for key, sayings in self.general.equipment_phrases.items()
            for saying in sayings
        )
        """Each equipment phrase -> the setup (a general.yaml key) it tells of."""
        self._option_table = PhraseTable(self._named_options())
        """Each variation the exercise files suggest without a file of its own ("Romanian
        deadlift", also with a plural "s") -> the exercise, list and option."""
        self._others_ok = frozenset(i.id for i in self.intents.values() if i.names_other_exercises)
        self._about_coach = frozenset(i.id for i in self.intents.values() if i.about_the_coach)
        self._background = frozenset(i.id for i in self.intents.values() if i.background)
        # (what a background intent's question may also be read as without being another one)
        self._told_or_fit = (
            self._background
            | {self._injury_intent}
            | {i.id for i in self.intents.values() if i.small_talk}
        )
        self._small_talk = {
            i.id: frozenset(
                s for e in i.examples for s in self.matcher.query_stems(content_words(e))
            )
            for i in self.intents.values()
            if i.small_talk
        }
        """The words of each small-talk intent's examples, as the matcher reads them."""
        self._coaching = frozenset(
            i.id
            for i in self.intents.values()
            if i.needs_exercise or any(i.id in c.answers_too for c in screen.categories.values())
        )
        """Intents that give training advice (not greetings or thanks): after an emergency,
        their answers start with the no-training reminder."""
        self._level_words = frozenset(
            w for phrases in self.general.levels.values() for p in phrases for w in content_words(p)
        )
        self.suggestions: Mapping[str, tuple[str, ...]] = files.suggestions
        self.follow_ups: Mapping[str, tuple[str, ...]] = files.follow_ups
        self.unsuited_follow_ups: Mapping[str, frozenset[str]] = files.unsuited
        """Setup -> the follow-ups not offered after the user told of it (``_messages.yaml``)."""
        self.suggestion_sets: Mapping[str, tuple[str, ...]] = files.suggestion_sets
        # Built here, not on first use, so two threads can never each make their own.
        self._responder = Responder(self, store)

    @classmethod
    def from_paths(
        cls, knowledge: str | Path | None = None, intents: str | Path | None = None
    ) -> Coach:
        """A coach on your own data folders (either may be omitted to use the bundled one)."""
        return cls(knowledge=knowledge, intents=intents)

    def _check_aliases(self, errors: list[DataError]) -> None:
        owner: dict[tuple[str, ...], str] = {}
        for ex in self.exercises.values():
            names = {content_words(a): a for a in (ex.name.lower(), *ex.aliases)}
            for key, alias in names.items():
                if key in owner and owner[key] != ex.id:
                    errors.append(
                        DataError(
                            ex.file,
                            line_containing(ex.file, alias, "aliases"),
                            "aliases",
                            f"'{alias}' is also an alias of {owner[key]} (list it under "
                            "shared_aliases in general.yaml if it means both)",
                        )
                    )
                owner.setdefault(key, ex.id)
        for alias, ids in self.general.shared_aliases.items():
            for ex_id in ids:
                if ex_id not in self.exercises:
                    errors.append(
                        DataError(
                            self.general.file,
                            line_containing(self.general.file, ex_id, "shared_aliases"),
                            f"shared_aliases[{alias}]",
                            f"unknown exercise id '{ex_id}'",
                        )
                    )

    def _check_signals(self, screen: SafetyScreen, errors: list[DataError]) -> None:
        signals = {c.id for c in screen.categories.values() if c.severity == "signal"}
        for condition in self.general.conditions.values():
            if condition.signal is not None and condition.signal not in signals:
                errors.append(
                    DataError(
                        self.general.file,
                        line_containing(self.general.file, f"signal: {condition.signal}"),
                        f"conditions.{condition.id}.signal",
                        f"'{condition.signal}' is not a signal category in safety.yaml",
                    )
                )

    def only_filler(self, rest: tuple[str, ...]) -> bool:
        """True for "and nordics?", "what about the ghr", "nordic curls" (no question words)."""
        words_ = [w for w in rest if w.isalnum()]
        for i, w in enumerate(words_):
            if w in ("what", "how") and (i + 1 >= len(words_) or words_[i + 1] != "about"):
                return False
            if not (
                w in self.general.filler
                or w in self.general.pronouns
                or w in self.general.interjections
            ):
                return False
        return True

    def only_a_level(self, ents: Entities) -> bool:
        """True for "beginner", "and for an advanced lifter?", "I'm a beginner": a level and
        nothing else."""
        return (
            ents.level is not None
            and not ents.mentions
            and self.only_filler(
                tuple(w for w in ents.rest if w not in self._level_words and w not in _SPEAKER)
            )
        )

    def _mentions_other_exercise(self, rest: tuple[str, ...]) -> bool:
        """Whether the words name an exercise this coach does not cover ("bench press"), other
        than to say it is missing ("no leg curl machine, what else can I do?" is about ours)
        or to name a piece of kit ("a yoga mat")."""
        return any(
            not _lacking(rest[:start]) and (end == len(rest) or rest[end] not in _KIT)
            for start, end in self._others.spans(rest)
        )

    def _named_options(self) -> Iterator[tuple[tuple[str, ...], tuple[Exercise, str, Option]]]:
        for ex in self.exercises.values():
            for section in ("alternatives", "regressions", "progressions"):
                for option in getattr(ex, section):
                    said = content_words(option.name)
                    if option.exercise is None and said and f"named_{section}" in self.messages:
                        for phrase in (said, (*said[:-1], said[-1] + "s")):
                            yield phrase, (ex, section, option)

    def _strip_names(self, text: str) -> str:
        ents = self.finder.find(words(text))
        return " ".join(ents.rest)

    # -- public API -------------------------------------------------------------------------
    def ask(self, text: str) -> Reply:
        """Answer one message with no conversation memory (but what it says of the user's
        setup: "I have no bench, what can I do instead of hip thrusts?")."""
        return self.respond(text, self._one_off(text))[0]

    def _one_off(self, text: str, said: tuple[str, ...] | None = None) -> Context:
        """``said``: ``words(head(text))``, when the caller has it already."""
        if not isinstance(text, str):
            return _NO_MEMORY  # (analyse says what is wrong with it)
        if said is None:
            said = words(head(text))
        kit = self.equipment_in(tuple(w for w in said if w not in PUNCTUATION))
        return Context(profile=Profile(equipment=kit)) if kit else _NO_MEMORY

    def equipment_in(self, said: Sequence[str]) -> tuple[str, ...]:
        """The setups the words tell of ("no bench", "at home"), as keys of general.yaml's
        ``equipment_phrases``, in its order."""
        found = set(self._kit_table.found(said))
        return tuple(k for k in self.general.equipment_phrases if k in found) if found else ()

    def ask_block(self, texts: Iterable[str]) -> list[Reply]:
        """``ask`` for each text, with the intents of all of them ranked in one pass: the
        replies are those of one ``ask`` at a time, in about half the time."""
        if isinstance(texts, str):
            raise TypeError("ask_block takes a list of questions; use ask for one")
        texts = list(texts)
        # A block keeps a turn per question until its replies are made, and answering makes
        # no reference cycles: the cyclic collector would only walk those turns, and the whole
        # coach, again and again (a sixth of the time of a block of 20,000). Whatever the
        # block leaves is collected as usual once it is done.
        with _collector_paused():
            return [
                self.respond(text, self._one_off(text, said), turn)[0]
                for text, (turn, said) in zip(texts, self._analysed(texts), strict=True)
            ]

    def ask_many(self, texts: Iterable[str], workers: int = 1) -> Iterator[Reply]:
        """``ask`` for each text, in order, streamed: answered in blocks (see ``ask_block``),
        repeats once, and ``workers`` > 1 spreads the blocks over that many processes."""
        from .batch import answer_many

        return answer_many(
            self, texts, workers, knowledge=self.knowledge_dir, intents=self.intents_dir
        )

    def sources(self, reply: Reply) -> tuple[str, ...]:
        """Where a reply's facts come from: the safety references for an escalation, then
        the sources of the exercise it is about; empty for small talk and clarifications."""
        found: list[str] = list(self.screen.sources) if reply.red_flag is not None else []
        ex = self.exercises.get(reply.exercise) if reply.exercise else None
        if ex is not None and reply.intent is not None:
            found.extend(ex.sources)
        return tuple(dict.fromkeys(found))

    def session(self, state: Mapping[str, Any] | None = None) -> Session:
        """A conversation that remembers earlier turns (optionally resumed from ``state``)."""
        from .dialogue import Session

        return Session(self, state)

    def reply(self, chat_id: str | int, text: str) -> Reply:
        """Answer a message in chat ``chat_id``, keeping its conversation in the store.

        For bots that would rather not manage sessions: the store given to ``Coach(store=)``
        (a bounded in-memory one by default) holds each chat's state between messages.
        """
        return self._responder.reply(chat_id, text)

    # -- the pipeline -----------------------------------------------------------------------
    def analyse(self, text: str) -> Turn:
        """Everything the coach works out about a message, without answering it."""
        return self.analyse_many([text])[0]

    def analyse_many(self, texts: Sequence[str]) -> list[Turn]:
        """``analyse`` for each text; the intents of all of them are ranked in one pass."""
        if isinstance(texts, str):
            raise TypeError("analyse_many takes a list of questions; use analyse for one")
        return [turn for turn, _ in self._analysed(texts)]

    def _analysed(self, texts: Sequence[str]) -> list[tuple[Turn, tuple[str, ...]]]:
        """``analyse_many``, each turn with the words of the message's head (``words``),
        which every stage reads: they are worked out once per message here and handed on,
        since a block larger than the ``words`` cache would otherwise read each message
        three times."""
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"a question must be a str, not {type(text).__name__}")
        heads = [words(head(text)) for text in texts]
        if len(texts) > 1:
            # Every stage's typos found for the whole block at once (the same readings,
            # in a fraction of the time of a search per word).
            seen = {
                w
                for text, said in zip(texts, heads, strict=True)
                for w in (said if len(text) <= MAX_CHARS else words(text[:MAX_SCREEN_CHARS]))
            }
            self.screen.prime(seen)
            self.finder.correct.prime(seen)
            self.matcher.correct.prime(seen)
        screened = []
        for text, said in zip(texts, heads, strict=True):
            entities = self.finder.find(said)
            screened.append(
                (
                    self.screen.assess(text[:MAX_SCREEN_CHARS], said),
                    entities,
                    self.matcher.query(entities.rest),
                    len(text) > MAX_CHARS,
                    self._named_conditions(text, said, entities),
                )
            )
        rankings = self.matcher.rank_queries([query for _, _, query, _, _ in screened], n=5)
        # A message that asks in some of its sentences and tells in others ("Back after a long
        # break and my trainer put single-leg glute bridges in my plan. Could you explain how
        # to do one?"), when it reads unclearly as a whole, is read by its asking sentences
        # alone: their reading if that is clear, else each intent with the better of its two
        # scores. (A clear whole stands: in "I'm 62. Is it safe for me?" the age is the point.)
        asked: list[tuple[str, ...] | None] = [
            None if len(text) > MAX_CHARS else _asked(said)
            for text, said in zip(texts, heads, strict=True)
        ]
        asking = [
            (i, self.finder.find(part).rest)
            for i, part in enumerate(asked)
            if part and (not _clear(rankings[i]) or rankings[i][0].intent in self._background)
        ]
        if asking:
            parts = self.matcher.rank_queries([self.matcher.query(rest) for _, rest in asking], n=5)
            for (i, rest), ranking in zip(asking, parts, strict=True):
                asked[i] = rest
                if not _clear(rankings[i]):
                    rankings[i] = ranking if _clear(ranking) else _merged(rankings[i], ranking)
                elif _clear(ranking) and ranking[0].intent not in self._told_or_fit:
                    # "I'm 52 and back after a break. How do I do a glute bridge?": the age is
                    # background; "I'm 62. Is it safe for me?" asks whether it suits them.
                    rankings[i] = ranking
        return [
            (
                Turn(entities, assessment, tuple(ranking), truncated, query, conditions, part),
                said,
            )
            for (assessment, entities, query, truncated, conditions), ranking, part, said in zip(
                screened, rankings, asked, heads, strict=True
            )
        ]

    def _named_conditions(
        self, text: str, said: tuple[str, ...], entities: Entities
    ) -> tuple[tuple[str, str], ...]:
        found = self.finder.conditions(said)
        if found and entities.mentions:
            # Not inside an exercise's name: the "hip" of "hip thrusts" is no hip problem.
            names = [(m.start, m.end) for m in entities.mentions]
            found = [f for f in found if not any(f[1] < e and s < f[2] for s, e in names)]
        if not found:
            return ()
        contexts = self.screen.contexts(text, [(a, b) for _, a, b in found], said)
        # "I was pregnant last year, can I do them now?": the "now" is about the training.
        return tuple(
            dict.fromkeys(
                (
                    c,
                    "over"
                    if ctx in ("current", "historical") and a and said[a - 1] in _PAST
                    else ctx,
                )
                for (c, a, _), ctx in zip(found, contexts, strict=True)
            )
        )

    def respond(
        self, text: str, context: Context, turn: Turn | None = None
    ) -> tuple[Reply, Context]:
        """The reply to ``text`` given what the conversation knows, and the updated context.

        ``turn`` is ``analyse(text)`` when the caller has already worked it out.
        """
        turn = turn if turn is not None else self.analyse(text)
        before = context
        # Right after an escalation, and for as long as an emergency is on record, "what
        # should I do?" or a message not understood gets that escalation again.
        alert = context.alert or context.warned
        reply, context = self._decide(turn, context)
        if context.other is not None and (
            context.other == context.exercise
            or (
                context.other == before.other
                and context.exercise not in (before.exercise, before.other)
            )
        ):
            context = replace(context, other=None)  # the talk moved on from that pair
        if (
            alert is not None
            and reply.red_flag is None
            and (
                reply.intent in (None, ACKNOWLEDGE)
                or content_words(text) in self.general.after_red_flag
            )
        ):
            reply = self._repeated_alert(alert, reply)
            context = replace(context, alert=alert)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%r -> intent=%s exercise=%s: %s",
                text[:80],
                reply.intent,
                reply.exercise,
                "; ".join(reply.notes),
            )
        if turn.truncated:
            note = render.fill(self.messages["too_long"], limit=str(MAX_CHARS))
            reply = replace(reply, text=f"{reply.text}\n\n{note}")
        return reply, context

    def _decide(self, turn: Turn, context: Context) -> tuple[Reply, Context]:
        """The reply: the red-flag screen first, then the intent, then what to say."""
        ents = turn.entities
        level = ents.level or context.profile.level
        mentioned = ents.exercise_ids
        exercise = mentioned[0] if mentioned else context.exercise
        notes: list[str] = []

        turn = self.screened(turn, context.profile)
        flag = turn.assessment.red_flag
        if flag is not None:
            return self._red_flag_reply(flag, turn, exercise, level, context)
        if not ents.rest and not ents.mentions:
            return Reply(self.messages["empty"], suggestions=self._suggest("none", None)), context
        if (
            context.intent is not None
            and "repair" in self.messages
            and not ents.mentions
            and self._bare(ents.rest, _MEANING) in self._repairs
        ):
            # "that didn't answer my question", "huh?": say so and offer ways on, rather than
            # read it as a new question.
            suggestions = self._suggest(
                context.intent, context.exercise, context.profile.equipment, level
            )
            reply = Reply(
                self.messages["repair"], exercise=context.exercise, suggestions=suggestions
            )
            return reply, context

        best, context = self._choose(turn, context, notes)
        # A named exercise is evidence for a question about it, not for a general answer
        # ("should i go to failure on hip thrusts" is no request for the warning signs).
        about_it = (
            best is not None
            and best.intent in self.intents
            and self.intents[best.intent].needs_exercise
        )
        floor = MIN_SCORE - (EXERCISE_EVIDENCE if mentioned and about_it else 0.0)
        if mentioned and best is not None and best.example and best.score < FOLLOW_UP_SCORE:
            # No intent is a clear match, but the named exercise's own FAQ may have this very
            # question ("why do my hips tilt in single-leg bridges?").
            found = self._from_faq(mentioned[0], turn, best.score, level, context, notes)
            if found is not None:
                return found
        # "Which exercise do you have in mind?" -> "can I do nordics?", or "can I do nordics?"
        # from someone who said they have bad knees: unclear on its own, but the name answers
        # the question the conversation is about.
        about = context.pending or (self._injury_intent if context.profile.conditions else None)
        if (
            about is not None
            and mentioned
            and best is not None
            and best.example
            and (best.score < FOLLOW_UP_SCORE or self._close_call(best, turn))
        ):
            notes.append(f"the name answers the question the conversation is about: {about}")
            best = Match(about, 1.0, "")
        if best is None or best.intent == OUT_OF_SCOPE or best.score < floor:
            named = None if mentioned else self._named_option(ents.rest)
            if named is not None:
                # "what about romanian deadlifts?" after they were suggested: what we said.
                notes.append(f"names a variation the {named[0].id} file suggests")
                return self._option_reply(*named, level, notes), context
            key = "out_of_scope" if best is not None and best.intent == OUT_OF_SCOPE else None
            # (Not for one out of scope: "where does the pad sit on a lying leg curl machine"
            # is no question about the glute ham raise's pad.)
            found = (
                None if mentioned or key else self._from_any_faq(turn, best, level, context, notes)
            )
            if found is not None:
                return found
            reply = Reply(
                self.messages[key or "not_understood"],
                confidence=best.score if best else 0.0,
                suggestions=self._suggest("none", exercise, level=level),
                level=level,
                notes=tuple(notes),
            )
            # "I've never done nordics before": not a question, but later ones are about it.
            return reply, replace(context, exercise=mentioned[0]) if mentioned else context

        if best.example and self._close_call(best, turn):  # a forced choice never is
            settled = self._settled(best, turn)
            if settled is None:
                runner_up = self._runner_up(best, turn)
                assert runner_up is not None  # (a close call has one)
                # The exercise is settled even if the question is not: "what's easier?" next
                # is about it.
                return self._which_intent(best, runner_up, exercise, level, notes), replace(
                    context, exercise=exercise
                )
            best, how = settled
            notes.append(f"read with {how}, the question is clearly {best.intent}")

        intent = self.intents[best.intent]
        if (
            intent.id not in self._pairs
            and not mentioned
            and context.other is not None
            and "which" in ents.rest
            and len(self._pairs) == 1
        ):
            # "which can I do at home?" after "hip thrust vs glute bridge": one of the pair.
            intent = self.intents[next(iter(self._pairs))]
            notes.append(f"a which-question about the pair: {intent.id}")
        elif (
            intent.id not in self._pairs
            and intent.id != self._injury_intent  # ("nordics or the ghr with bad knees?")
            and len(mentioned) > 1
            and len(self._pairs) == 1
            and (
                not _COMPARING.isdisjoint(ents.rest)
                or ("or" in ents.rest and not intent.needs_exercise)
            )
        ):
            # "is the natural ghr harder than a nordic?" asks about two exercises, though its
            # words match a question about one ("what's harder than {exercise}?"); an "or"
            # does so only against a general answer ("hip thrust or single-leg deadlift for
            # glutes?"), not a question about an exercise ("how many sets of nordics or ghr?").
            intent = self.intents[next(iter(self._pairs))]
            notes.append(f"two exercises set against each other: {intent.id}")
        other = mentioned[1] if len(mentioned) > 1 else None
        earlier = context.exercise
        if intent.id in self._pairs and len(mentioned) == 1 and earlier not in (None, mentioned[0]):
            # "is it better than the ghr?" after talking about Nordics: the two to compare.
            exercise, other = earlier, mentioned[0]
            notes.append(f"comparing {exercise}, from earlier, with {other}")
        elif intent.id in self._pairs and not mentioned and context.other is not None:
            exercise, other = context.exercise, context.other  # "which is harder?" after "a vs b"
            notes.append(f"comparing {exercise} and {other} again")
        # A fixed FAQ answer cannot use what the user told us; a template that reads the
        # profile (alternatives for a home gym, cautions after an injury) answers instead.
        conditions = self._conditions(intent.id, turn, context)
        personalised = bool(conditions) or any(
            getattr(context.profile, f, None) for f in self._personalised.get(intent.id, ())
        )
        lead = ""
        if (
            intent.again is not None
            and not mentioned  # ("what's easier than nordics?" asks about nordics)
            and exercise is not None
            and other is None
            and context.intent == intent.id
            and context.exercise == exercise
        ):
            # "still too hard" right after the easier versions: one step further along.
            lead, exercise = self._step_along(intent.again, exercise, notes)
            if exercise is None:
                return self._final(
                    lead, intent.id, context.exercise, best.score, level, context, notes
                )
        if (
            exercise is not None
            and intent.needs_exercise
            and best.example
            and not personalised
            and other is None
            and not lead
        ):
            found = self._from_faq(exercise, turn, best.score, level, context, notes)
            if found is not None:
                return found
        if (
            intent.id in self._pairs
            and exercise is not None
            and other is None
            and OUTSIDE_COMPARISON in self.intents
            and "compare_outside" in self.messages
            and self._mentions_other_exercise(ents.rest)
        ):
            # "hip thrusts vs squats": the other one has no file to set side by side, so say
            # so and tell what this one is good for, rather than ask what to compare it with.
            notes.append("compared with an exercise this coach does not cover")
            answer = self._answer_text(
                self.intents[OUTSIDE_COMPARISON], exercise, level, None, context.profile
            )
            opening = render.fill(self.messages["compare_outside"], name=self.spoken_name(exercise))
            return self._final(
                f"{opening}\n{answer}", intent.id, exercise, best.score, level, context, notes
            )

        ambiguous = ents.ambiguous if not mentioned else None
        focus = self._focus(ents.rest)
        if (
            exercise is None
            and ambiguous is None
            and intent.general is None
            and intent.for_a_muscle is not None
            and not self._our_muscles.isdisjoint(focus)
        ):
            # (The reply keeps the intent asked; the answer is the other one's.)
            notes.append(f"no exercise, but a muscle group: answered as {intent.for_a_muscle}")
            answering = self.intents[intent.for_a_muscle]
        else:
            answering = intent
        if answering.needs_exercise and (
            ambiguous is not None or (exercise is None and answering.general is None)
        ):
            if ambiguous is not None:
                names = [self.exercises[i].name for i in ambiguous.exercises]
                text = render.fill(
                    self.messages["which_of"],
                    alias=ambiguous.text,
                    names=render.join_names(names, "or"),
                )
                candidates = ambiguous.exercises
            else:
                candidates = self._likely_exercises(context)
                names = [self.exercises[i].name for i in candidates]
                text = render.fill(
                    self.messages["which_exercise"], names=render.join_names(names, "or")
                )
            reply = Reply(
                text,
                intent=intent.id,
                confidence=best.score,
                level=level,
                suggestions=tuple(names),
                candidates=candidates,
                notes=tuple(notes),
            )
            return reply, replace(context, intent=intent.id, pending=intent.id)

        age = age_said(ents.rest) if intent.id in self._aged else None
        text = self._answer_text(
            answering, exercise, level, other, context.profile, conditions, focus, age
        )
        if lead:
            text = f"{lead}\n{text}"
        return self._final(
            text, intent.id, exercise, best.score, level, context, notes, other, conditions
        )

    def _step_along(self, section: str, exercise: str, notes: list[str]) -> tuple[str, str | None]:
        """The line that leads to the first exercise ``exercise``'s ``section`` links to, and
        that exercise; or, at the end of the line, what to do instead and None."""
        ex = self.exercises[exercise]
        options: tuple[Option, ...] = getattr(ex, section)
        after = next((o.exercise for o in options if o.exercise in self.exercises), None)
        if after is None:
            notes.append(f"asked again: {ex.name} has no {section} to step on to")
            return render.fill(self.messages[f"again_{section}_end"], name=ex.name), None
        notes.append(f"asked again: one step further along its {section}, to {after}")
        name = self.exercises[after].name
        return render.fill(self.messages[f"again_{section}"], name=name), after

    def _named_option(self, said: Sequence[str]) -> tuple[Exercise, str, Option] | None:
        """The first variation without a file of its own that the words name, if any."""
        return next(self._option_table.found(said), None)

    def _option_reply(
        self, owner: Exercise, section: str, option: Option, level: str | None, notes: list[str]
    ) -> Reply:
        text = render.fill(
            self.messages[f"named_{section}"],
            name=option.name,
            owner=self.spoken_name(owner.id),
            why=render.sentence(option.why),
            needs=render.kit(option.needs),
        )
        return Reply(
            text,
            suggestions=self._suggest("none", owner.id),
            level=level,
            notes=tuple(notes),
        )

    def _runner_up(self, best: Match, turn: Turn) -> Match | None:
        """The best other intent the message may mean: never out of scope, and no small talk
        for a question ("hey, how do I do a nordic?" is not the greeting it starts with)."""
        skip = {best.intent, OUT_OF_SCOPE}
        if best.intent not in self._small_talk:
            skip.update(self._small_talk)
        if turn.entities.mentions and best.intent not in self._about_coach:
            skip.update(self._about_coach)  # ("what are nordics" is no "what are you?")
        return next((m for m in turn.ranking if m.intent not in skip), None)

    def _close_call(self, best: Match, turn: Turn) -> bool:
        """Whether another intent scores within the ambiguity margin of ``best``."""
        runner_up = self._runner_up(best, turn)
        return runner_up is not None and best.score - runner_up.score < AMBIGUITY_MARGIN

    def _settled(self, best: Match, turn: Turn) -> tuple[Match, str] | None:
        """Which of a close call's two intents the message means, read more plainly, when
        that settles it (with how it was read); else None.

        - A level said alongside ("... as a beginner") is evidence for the intents whose
          examples name levels ("is it for beginners?"): "what's a prone hip extension for
          an advanced lifter" is the question "what's a prone hip extension", clearly.
        - The sentences that ask ("is it worth adding hip thrusts? i mostly squat") are the
          question; the rest tells why it is asked.
        """
        runner_up = self._runner_up(best, turn)
        if runner_up is None:
            return None
        readings: list[tuple[tuple[str, ...], str]] = []
        if turn.entities.level is not None:
            readings.append((self.finder.without_level(turn.entities.rest), "the level aside"))
        if turn.asked is not None:
            readings.append((turn.asked, "its asking sentences alone"))
        for words_, how in readings:
            ranking = self.matcher.rank_queries([self.matcher.query(words_)], n=5)[0]
            if not ranking or ranking[0].intent not in (best.intent, runner_up.intent):
                continue
            if not self._close_call(ranking[0], replace(turn, ranking=tuple(ranking))):
                return (best if ranking[0].intent == best.intent else runner_up), how
        return None

    def _choose(
        self, turn: Turn, context: Context, notes: list[str]
    ) -> tuple[Match | None, Context]:
        """The intent to answer: the ranking's best, unless the message is only a name, asks
        about warning signs, or is about an exercise this coach does not cover."""
        ents = turn.entities
        best = turn.ranking[0] if turn.ranking else None
        if best is not None:
            notes.append(f"best intent {best.intent} {best.score:.3f} via {best.example!r}")
        rest = turn.query.inside  # (the words inside the frame: "cheers, what about nordics?")
        if best is not None and best.intent in self._small_talk and not self._mostly(best, turn):
            # "can I do glute bridges in the morning" shares "morning" with a greeting, but
            # it is a question: the best intent that is not small talk answers it, if any.
            # "thanks, what about glute bridges?" is "what about glute bridges?".
            own = self._small_talk[best.intent]
            rest = tuple(w for w in rest if not own.issuperset(self.matcher.query_stems((w,))))
            best = next(
                (
                    m
                    for m in turn.ranking
                    if m.intent not in self._small_talk and m.intent != OUT_OF_SCOPE
                ),
                None,
            )
            notes.append(
                "small talk is not most of the message: "
                + (f"answering {best.intent}" if best else "nothing else matches")
            )
        if best is not None and best.intent in self._about_coach and ents.mentions:
            # "what are nordics" shares "what are" with "what are you?", but it asks about
            # the Nordic curl. (With nothing else close, "what can i ask about nordics" is
            # still best answered by what the coach can do.)
            instead = next(
                (
                    m
                    for m in turn.ranking
                    if m.intent not in self._about_coach
                    and m.intent not in self._small_talk
                    and m.intent != OUT_OF_SCOPE
                ),
                None,
            )
            if instead is not None and instead.score >= MIN_SCORE - EXERCISE_EVIDENCE:
                notes.append(f"names an exercise, so it is not about the coach: {instead.intent}")
                best = instead
        if ents.mentions and self.only_filler(rest):
            # Just a name: it answers a pending question ("which exercise?" -> "ghr"), repeats
            # the last question for another exercise ("and nordics?"), or asks what it is.
            follow = context.pending or context.intent or "overview"
            if follow not in self.intents or self.intents[follow].response is None:
                follow = "overview"
            notes.append(f"a name alone: answering {follow}")
            return Match(follow, 1.0, ""), replace(context, pending=None)
        if (
            context.exercise is not None
            and not ents.mentions
            and "common_mistakes" in self.intents
            and self._bare(ents.rest) in self._fix_questions
        ):
            notes.append("asks how to fix it: the exercise's mistakes and their fixes")
            return Match("common_mistakes", 1.0, ""), context
        last = context.intent
        if last is not None and last in self.levelled and self.only_a_level(ents):
            # "beginner", "and for advanced?": the last question again, at that level.
            notes.append(f"a level alone: answering {last} again")
            return Match(last, 1.0, ""), context
        if turn.assessment.educational and (
            best is None or best.intent in (SAFETY_INTENT, OUT_OF_SCOPE) or best.score < MIN_SCORE
        ):
            notes.append("asks about warning signs")
            return Match(SAFETY_INTENT, max(best.score if best else 0.0, MIN_SCORE), ""), context
        if (
            not ents.mentions
            # (Only where it asks: "I started running in May" tells why, not what about.)
            and self._mentions_other_exercise(ents.rest if turn.asked is None else turn.asked)
            and not (context.exercise and best and best.intent in self._others_ok)
        ):
            # (In a conversation about hip thrusts, "before or after squats?" is still about
            # hip thrusts: intents flagged names_other_exercises may name them.)
            notes.append("names an exercise this coach does not cover")
            return Match(OUT_OF_SCOPE, best.score if best else 0.0, ""), context
        if (
            best is not None
            and not ents.mentions
            and best.intent in self.intents
            and not self.intents[best.intent].needs_exercise
            and best.intent not in self._small_talk
            and best.intent != SAFETY_INTENT  # ("when should i worry about my chest?")
            and next(self._other_muscles.found(ents.rest), False)
            and self._our_muscles.isdisjoint(self._focus(ents.rest))
        ):
            # "best bicep exercises?" shares all but one word with "best glute exercises?",
            # and a list of glute exercises would be a confident wrong answer.
            notes.append("names a muscle group this coach does not train")
            return Match(OUT_OF_SCOPE, best.score, ""), context
        return best, context

    def _mostly(self, match: Match, turn: Turn) -> bool:
        """Whether the message is mostly words of ``match``'s small-talk intent: half of its
        words, or more than half beside the name of an exercise or a muscle ("cheers coach,
        that helped" and "ok bye" are; "prone hip extension at night" is no goodbye and
        "what is up with my hamstrings" no greeting)."""
        said = turn.query.stems  # (no punctuation: the matcher drops it)
        if not said:
            return True
        if not _DENIALS.isdisjoint(said):
            return False  # "not ok", "that's not right": no acknowledgement or greeting
        share = sum(s in self._small_talk[match.intent] for s in said) / len(said)
        about = turn.entities.mentions or self._focus(turn.entities.rest)
        return share > 0.5 if about else share >= 0.5

    def _which_intent(
        self,
        best: Match,
        runner_up: Match,
        exercise: str | None,
        level: str | None,
        notes: list[str],
    ) -> Reply:
        questions = (
            self._question(best.intent, exercise),
            self._question(runner_up.intent, exercise),
        )
        options = " or ".join(f'"{q}"' for q in questions)
        return Reply(
            render.fill(self.messages["which_intent"], options=options),
            confidence=best.score,
            exercise=exercise,
            suggestions=questions,
            candidates=(best.intent, runner_up.intent),
            level=level,
            notes=tuple(notes),
        )

    def _answer_text(
        self,
        intent: Intent,
        exercise: str | None,
        level: str | None,
        other: str | None,
        profile: Profile,
        conditions: tuple[str, ...] = (),
        focus: tuple[str, ...] = (),
        age: int | None = None,
        *,
        escalated: bool = False,
    ) -> str:
        """The rendered answer, or an honest "I don't have that" when a fact is missing."""
        ex = self.exercises.get(exercise) if exercise else None
        # An intent that needs no exercise may still have a response for when one is named
        # ("only 10 minutes for nordics"): its general answer is for when none is.
        if ex is None or intent.response is None:
            return self.render_intent(
                intent.id, None, level, other, profile, conditions, focus, age, escalated=escalated
            )
        if any(not ex.has(f) for f in intent.requires):
            available = [self._topic(i) for i in ("how_to", "sets_reps", "easier_variation")]
            return render.fill(
                self.messages["missing_fact"],
                topic=self._topic(intent.id),
                name=ex.name,
                available=render.join_names(available),
            )
        return self.render_intent(
            intent.id, ex.id, level, other, profile, conditions, focus, age, escalated=escalated
        )

    def _bare(self, said: Sequence[str], keep: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """The words without punctuation and filler (but those in ``keep``), for matching
        set phrases."""
        filler = self.general.filler
        return tuple(w for w in said if w not in PUNCTUATION and (w not in filler or w in keep))

    def _focus(self, said: Sequence[str]) -> tuple[str, ...]:
        """What a question is about, in the order of ``focus_words``: the muscle groups it
        names ("best exercise for my hamstrings"), or an aspect ("which is harder?"), read
        through the synonyms as the matcher reads them ("evry day" is "every day")."""
        synonyms = self.general.synonyms
        named = set(self._focus_table.found(said))
        read = [synonyms.get(w, w) for w in said]
        if read != list(said):  # (most messages have no synonym in them)
            named.update(self._focus_table.found(read))
        return tuple(g for g in self.general.focus_words if g in named) if named else ()

    def screened(self, turn: Turn, profile: Profile) -> Turn:
        """``turn`` with the screen's verdict given what the user told us: "I'm 20 weeks
        pregnant" earlier makes "I've had some bleeding" a red flag now."""
        signals = [self.general.conditions[c].signal for c in profile.conditions]
        if not any(signals):
            return turn
        assessment = self.screen.with_signals(turn.assessment, [s for s in signals if s])
        return replace(turn, assessment=assessment)

    def _conditions(self, intent: str, turn: Turn, context: Context) -> tuple[str, ...]:
        """For an answer that depends on them, the conditions the message names, else the
        ones the user said they have, else those the last injury question named."""
        if intent not in self.conditional:
            return ()
        named = tuple(dict.fromkeys(c for c, how in turn.conditions if how != "negated"))
        return named or context.profile.conditions or context.asked

    def compile_all(self) -> list[DataError]:
        """Compile every template now; the problems found (syntax, unknown names)."""
        problems = []
        for intent in self.intents.values():
            for kind in ("response", "general"):
                if getattr(intent, kind) is not None:
                    try:
                        self._template(intent.id, kind)
                    except DataError as exc:
                        problems.append(exc)
        return problems

    def _template(self, intent_id: str, kind: str) -> jinja2.Template:
        key = (intent_id, kind)
        template = self._templates.get(key)
        if template is None:
            intent = self.intents[intent_id]
            with self._template_lock:
                template = self._templates.get(key)  # another thread may have just made it
                if template is None:
                    template = render.compile_template(
                        getattr(intent, kind), intent.file, kind, intent.lines.get(kind)
                    )
                    self._templates[key] = template
        return template

    def render_intent(
        self,
        intent_id: str,
        exercise: str | None,
        level: str | None = None,
        other: str | None = None,
        profile: Profile | None = None,
        conditions: tuple[str, ...] = (),
        focus: tuple[str, ...] = (),
        age: int | None = None,
        *,
        escalated: bool = False,
    ) -> str:
        """One intent's answer for one exercise (its general answer when ``exercise`` is None),
        for someone with ``conditions`` (ids from general.yaml; unknown ones are ignored),
        about what ``focus`` names (keys of general.yaml's ``focus_words``), at the ``age``
        the question tells; ``escalated`` when it follows advice to see a clinician."""
        profile = profile or Profile()
        key = (intent_id, exercise, level, other, profile, conditions, focus, age, escalated)
        text = self._rendered.get(key)
        if text is None:
            kind = "response" if exercise is not None else "general"
            template = self._template(intent_id, kind)
            ex = self.exercises[exercise] if exercise else None
            named = [self.general.conditions[c] for c in conditions if c in self.general.conditions]
            covered = ex.covers([c.id for c in named]) if ex is not None else ()
            context = {
                "ex": ex,
                "asked": named,
                "not_covered": [c for c in named if ex is not None and c.id not in covered],
                "cautions": ex.cautions([c.id for c in named]) if ex is not None else (),
                "for_everyone": ex.cautions_for_everyone() if ex is not None else (),
                "points_for": [
                    c for c in self.general.conditions.values() if ex and ex.covers([c.id])
                ],
                "level": level,
                "other": self.exercises[other] if other else None,
                "exercises": self._by_name,
                "profile": profile,
                "focus": focus,
                "age": age,
                "escalated": escalated,
                "safety": [c for c in self.screen.categories.values() if c.severity != "signal"],
            }
            try:
                text = render.render(template, context)
            except (
                jinja2.TemplateError,
                ArithmeticError,
                AttributeError,
                LookupError,
                RuntimeError,
                TypeError,
                ValueError,
            ) as exc:
                # What a template's own expressions can raise: a data problem, reported as one.
                intent = self.intents[intent_id]
                start, at = intent.lines.get(kind), render.failed_line(exc)
                raise DataError(
                    intent.file,
                    start + at if start is not None and at is not None else start,
                    kind,
                    f"template failed for {exercise or 'no exercise'}: {type(exc).__name__}: {exc}",
                ) from exc
            if len(self._rendered) >= MAX_RENDERED:
                self._rendered.clear()
            self._rendered[key] = text
        return text

    def _final(
        self,
        text: str,
        intent: str,
        exercise: str | None,
        score: float,
        level: str | None,
        context: Context,
        notes: list[str],
        other: str | None = None,
        conditions: tuple[str, ...] = (),
    ) -> tuple[Reply, Context]:
        if context.warned is not None and intent in self._coaching:
            # Muscle breakdown or chest pain is not about one exercise: no training at all.
            text = f"{self._emergency_reminder(context.warned)}\n\n{text}"
        elif exercise in context.flagged:
            reminder = render.fill(self.messages["flag_reminder"], name=self.spoken_name(exercise))
            text = f"{reminder}\n\n{text}"
        elif (
            (context.profile.injury or context.profile.conditions)
            and exercise
            and self.intents[intent].needs_exercise
            and intent not in self.conditional  # that answer is about them already
        ):
            reminder = render.fill(self.messages["injury_reminder"], injury=self._told(context))
            text = f"{text}\n\n{reminder}"
        reply = Reply(
            text=text,
            intent=intent,
            exercise=exercise,
            confidence=min(max(score, 0.0), 1.0),
            suggestions=self._suggest(intent, exercise, context.profile.equipment, level),
            level=level,
            notes=tuple(notes),
        )
        # Built directly: dataclasses.replace costs more than the rest of this method.
        now = exercise or context.exercise
        pair = (context.exercise, context.other)
        if other is None and context.other is not None and now is not None and now in pair:
            # The pair stays while the talk is about one of them ("and the other one?").
            other = next(e for e in pair if e != now)
        elif other is None and exercise is not None and context.exercise not in (None, exercise):
            # "how do I do a nordic?", "what about the ghr?": the one before is the other one
            # ("which is better?", "and the other one?"), also when the talk moves on again.
            other = context.exercise
        after = Context(
            exercise=now,
            intent=intent,
            profile=context.profile,
            flagged=context.flagged,
            # A general answer ends by asking which exercise: the next name answers that.
            pending=intent if exercise is None and self.intents[intent].needs_exercise else None,
            warned=context.warned,
            other=other if other != now else None,
            asked=conditions if intent in self.conditional else context.asked,
        )
        return reply, after

    def _told(self, context: Context) -> str:
        """The conditions (else the injury) the user told us about, as a reminder names
        them: "knee problems" says more than the screen's label for starting again after an
        injury, and the reminder's advice is the same for all."""
        if context.profile.conditions:
            labels = (self.general.conditions[c].label for c in context.profile.conditions)
            return render.join_names(labels)
        return context.profile.injury or ""

    def _from_faq(
        self,
        exercise: str,
        turn: Turn,
        score: float,
        level: str | None,
        context: Context,
        notes: list[str],
    ) -> tuple[Reply, Context] | None:
        """The reply from the exercise's FAQ, when one of its questions beats ``score``."""
        faq = self._faq(exercise, turn.query, score)
        if faq is None:
            return None
        answer, faq_intent, faq_score = faq
        notes.append(f"answered from the {exercise} FAQ ({faq_score:.3f})")
        return self._final(answer, faq_intent, exercise, faq_score, level, context, notes)

    def _from_any_faq(
        self,
        turn: Turn,
        best: Match | None,
        level: str | None,
        context: Context,
        notes: list[str],
    ) -> tuple[Reply, Context] | None:
        """The reply from the one exercise FAQ a message naming no exercise asks, if any."""
        if not self._every_faq:
            return None
        sims = self.matcher.similarity(turn.query, self._every_faq_index)
        top = max(range(len(sims)), key=lambda i: (sims[i], -i))
        exercise, faq = self._every_faq[top]
        # The same question on file for two exercises ("can bridges fix pelvic tilt?" and
        # "can hip thrusts?") leaves the exercise open: no guessing which.
        rival = max(
            (s for (ex, _), s in zip(self._every_faq, sims, strict=True) if ex != exercise),
            default=0.0,
        )
        if (
            sims[top] < FAQ_ALONE_SCORE
            or sims[top] <= (best.score if best is not None else 0.0)
            or sims[top] - rival < AMBIGUITY_MARGIN
        ):
            return None
        notes.append(f"names no exercise, but asks the {exercise} FAQ ({sims[top]:.3f})")
        return self._final(faq.answer, faq.intent, exercise, sims[top], level, context, notes)

    def _faq(self, exercise: str, query: Query, score: float) -> tuple[str, str, float] | None:
        ex = self.exercises[exercise]
        if not ex.faq:
            return None
        sims = self.matcher.similarity(query, self._faq_index[exercise])
        top = max(range(len(sims)), key=lambda i: (sims[i], -i))
        if sims[top] > score and sims[top] >= MIN_SCORE:
            faq = ex.faq[top]
            return faq.answer, faq.intent, sims[top]
        return None

    def _red_flag_reply(
        self,
        flag: RedFlag,
        turn: Turn,
        exercise: str | None,
        level: str | None,
        context: Context,
    ) -> tuple[Reply, Context]:
        text = self.screen.advice(flag)
        category = self.screen.categories[flag.category]
        intent: str | None = None
        answered: tuple[str, ...] | None = None  # the conditions of a coaching answer given
        # (Small talk never follows an escalation: "i've got sciatica" is no "got it".)
        best = next((m for m in turn.ranking if m.intent not in self._small_talk), None)
        if (
            best is not None
            and best.intent in category.answers_too
            and best.score >= MIN_SCORE
            and (best.intent not in category.answers_once_past or flag.context in PAST)
        ):
            intent = best.intent
        elif (
            (category.situation or flag.context in PAST or turn.conditions)
            and turn.entities.exercise_ids
            and self._injury_intent in category.answers_too
        ):
            # "I'm 22 weeks pregnant, are hip thrusts ok?", "I tweaked a hamstring a while
            # back, bridges?", "I have hamstring tendinopathy, iso holds?": whatever the
            # wording, the question is whether that exercise suits the situation.
            intent = self._injury_intent
        if intent is not None and (
            exercise is not None or self.intents[intent].general is not None
        ):
            try:
                conditions = self._conditions(intent, turn, context)
                answer = self._answer_text(
                    self.intents[intent],
                    exercise,
                    level,
                    None,
                    context.profile,
                    conditions,
                    self._focus(turn.entities.rest),
                    age_said(turn.entities.rest) if intent in self._aged else None,
                    escalated=True,
                )
            except Exception:  # the escalation must go out whatever the coaching text does
                log.exception("could not render %s after a red flag", intent)
            else:
                if context.warned is not None:  # an earlier emergency still comes first
                    answer = f"{self._emergency_reminder(context.warned)}\n\n{answer}"
                text = f"{text}\n\n{self.messages['after_escalation']}\n{answer}"
                answered = conditions
        # Remember the warning for the exercise the message names (a symptom reported on its
        # own is not pinned on whatever exercise the conversation was about).
        named = turn.entities.exercise_ids[:1]
        flagged = context.flagged
        if (
            named
            and flag.context in ("current", "historical")
            and not category.situation  # pregnancy is no warning sign about that exercise
            and named[0] not in flagged
        ):
            flagged = (*flagged, named[0])
        suggestions = self._flag_suggestions(flag)
        reply = Reply(
            text=text,
            intent=intent,
            exercise=exercise,
            confidence=1.0,
            red_flag=flag,
            suggestions=suggestions,
            level=level,
            notes=(f"red flag {flag.category} ({flag.severity}, {flag.context})",),
        )
        # An emergency or a same-day problem of one's own holds every later coaching answer
        # until it is checked ("I feel dizzy", then "how many sets?"); a more severe one on
        # record stays.
        warned = context.warned
        if (
            flag.severity in WARNED
            and flag.context == "current"
            and not category.situation
            and (
                warned is None
                or SEVERITIES.index(flag.severity) <= SEVERITIES.index(warned.severity)
            )
        ):
            warned = flag
        if answered is not None:
            # "what about glute bridges?" next asks the same question about them.
            asked = answered if intent in self.conditional else context.asked
            context = replace(context, intent=intent, asked=asked)
        after = replace(
            context,
            exercise=exercise or context.exercise,
            flagged=flagged,
            alert=None if category.situation else flag,  # a situation has nothing to repeat
            warned=warned,
        )
        return reply, after

    def _repeated_alert(self, alert: RedFlag, instead: Reply) -> Reply:
        return Reply(
            text=f"{self.messages['repeat_alert']}\n{self.screen.advice(alert)}",
            exercise=instead.exercise,
            confidence=1.0,
            red_flag=alert,
            suggestions=self._flag_suggestions(alert),
            level=instead.level,
            notes=(*instead.notes, f"after the red flag {alert.category}: its advice again"),
        )

    def _emergency_reminder(self, warned: RedFlag) -> str:
        return render.fill(self.messages["emergency_reminder"], label=warned.label)

    def _flag_suggestions(self, flag: RedFlag) -> tuple[str, ...]:
        key = "see_professional" if flag.severity == "see_professional" else "red_flag"
        return self.suggestion_sets.get(key, ())

    def _likely_exercises(self, context: Context) -> tuple[str, ...]:
        """The exercises offered when a question names none: those of the list just shown,
        else the ones people ask about most, leaving out those that need special kit when
        the user has told of their setup ("no equipment": no glute ham machine)."""
        shown = [i for i in context.shown if i in self.exercises]
        if shown:
            return tuple(shown[:4])
        preferred = self.general.suggested_exercises
        ids = [i for i in preferred if i in self.exercises] or [e.id for e in self._by_name]
        if context.profile.equipment:
            ids = [i for i in ids if self.exercises[i].equipment.household is not False] or ids
        return tuple(ids[:4])

    # -- wording helpers --------------------------------------------------------------------
    def spoken_name(self, exercise: str) -> str:
        """The name as it reads mid-sentence: "the hip thrust", but "the Nordic curl"."""
        name = self.exercises[exercise].name
        first = name.split()[0]
        return name if first in self.general.proper_nouns else name[:1].lower() + name[1:]

    def _question(self, intent: str, exercise: str | None) -> str:
        options = self.suggestions.get(intent)
        if not options and intent in self.intents:
            # No phrasing on file: the intent's first example, as a question.
            example = self.intents[intent].examples[0].replace("{exercise}", "{name}")
            options = (example[:1].upper() + example[1:].rstrip("?") + "?",)
        if not options:
            return intent.replace("_", " ")
        if exercise is None:
            return options[0].replace("the {name}", "it").replace("{name}", "this exercise")
        return options[0].replace("{name}", self.spoken_name(exercise))

    def _topic(self, intent: str) -> str:
        return intent.replace("_", " ").replace("sets reps", "sets and reps")

    def suggestion_set(self, name: str, level: str | None = None) -> tuple[str, ...]:
        """A fixed set of questions to offer (``suggestion_sets`` in ``_messages.yaml``): the
        one for the user's level where there is one ("noted_beginner" offers no Nordics)."""
        sets = self.suggestion_sets
        return (level is not None and sets.get(f"{name}_{level}")) or sets.get(name, ())

    def _suggest(
        self,
        intent: str,
        exercise: str | None,
        kit: tuple[str, ...] = (),
        level: str | None = None,
    ) -> tuple[str, ...]:
        """The follow-up questions to offer, leaving out those that do not suit the setup
        the user told of ("How do I add weight?" to someone with no weights)."""
        key = (intent, exercise, kit, level)
        found = self._suggested.get(key)
        if found is None:  # intents x exercises x the few setups and levels told: small
            found = self._suggestions_for(intent, exercise, kit, level)
            self._suggested[key] = found
        return found

    def _suggestions_for(
        self, intent: str, exercise: str | None, kit: tuple[str, ...], level: str | None
    ) -> tuple[str, ...]:
        unsuited = frozenset().union(*(self.unsuited_follow_ups.get(k, ()) for k in kit))
        out = []
        for follow in self.follow_ups.get(intent, self.follow_ups.get("none", ())):
            if follow in unsuited:
                continue
            # Without an exercise, only questions that have a general answer make sense.
            answerable = exercise is not None or (
                follow in self.intents and self.intents[follow].general is not None
            )
            if follow in self.suggestions and answerable:
                out.append(self._question(follow, exercise))
        if len(out) < 2:
            out.extend(q for q in self.suggestion_set("default", level) if q not in out)
        return tuple(out[:MAX_SUGGESTIONS])
