"""Reading the YAML data folders into frozen records, validating everything on the way.

``load_exercises`` / ``load_intents`` (with ``_messages.yaml``) / ``load_general`` each return
the records of one folder or file and append every problem they find to an error list, which
the ``Coach`` raises together as ``DataErrors`` (each "file:line: field.path: message").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .errors import DataError
from .models import (
    Condition,
    Difficulty,
    Equipment,
    Exercise,
    Faq,
    Feel,
    Intent,
    Mistake,
    Muscles,
    Option,
    Programming,
    frozen_map,
)
from .normalize import content_words, words
from .schema import LocatedDict, LocatedList


def bundled_dir(name: str) -> Path:
    """Where the bundled ``knowledge`` or ``intents`` folder is.

    Inside an installed wheel the folders are copied into the package; in a source checkout
    (or an editable install) they are read from the top of the repository.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise DataError(str(here / "_data" / name), None, "", "bundled data folder is missing")


# libyaml's parser is about ten times faster than the pure-Python one and keeps the same
# node marks, so line numbers survive; fall back when PyYAML was built without it.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LocatedLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """A SafeLoader whose mappings and lists remember the line of each key and item."""


def _construct_mapping(loader: _LocatedLoader, node: yaml.MappingNode) -> LocatedDict:
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain words", key_node.start_mark
            )
        key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LocatedLoader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LocatedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LocatedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def display_path(path: Path) -> str:
    """A path as a person would want to read it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The line (from 1) a YAML error points at, if any, and what it says."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return (mark.line + 1 if mark else None), exc.problem or exc.context or "invalid YAML"
    return None, str(exc)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file into located containers; syntax errors become ``DataError``."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(name, None, "", f"cannot read file ({exc})") from None
    try:
        return yaml.load(text, Loader=_LocatedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line, problem = yaml_problem(exc)
        raise DataError(name, line, "", f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise DataError(name, None, "", f"YAML error: {exc}") from None


def _checked(path: Path, shape: schema.Shape, errors: list[DataError]) -> LocatedDict | None:
    """The parsed document when it has ``shape``; otherwise record why and return None."""
    try:
        document = read_yaml(path)
    except DataError as exc:
        errors.append(exc)
        return None
    problems = schema.validate(document, shape, display_path(path))
    errors.extend(problems)
    return None if problems or not isinstance(document, LocatedDict) else document


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DataError(display_path(folder), None, "", "not a folder")
    # "Glute-Bridge.YAML" is data too; ".#glute-bridge.yaml" (an editor's lock) is not.
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(".")
    )
    stems = [p.stem for p in paths]
    for path in paths:
        if stems.count(path.stem) > 1:
            raise DataError(display_path(path), None, "", "another file has the same name")
    return paths


def line_containing(file: str, needle: str, section: str | None = None) -> int | None:
    """The first line of ``file`` that contains ``needle``, from the line that starts the
    top-level key ``section`` on if given (for problems found after loading, when the record
    no longer knows where it came from: "bridge" is in "id: glute-bridge" too)."""
    try:
        lines = Path(file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    start = 0
    if section is not None:
        start = next((n for n, line in enumerate(lines) if line.startswith(f"{section}:")), 0)
    numbered = list(enumerate(lines[start:], start + 1))
    # A list item that is the needle itself beats one that contains it ("bridge" is on its
    # own line after "glute bridge").
    item = next((n for n, line in numbered if line.strip(" -'\"") == needle), None)
    return item or next((n for n, line in numbered if needle in line), None)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def _option(item: Mapping[str, Any]) -> Option:
    needs = item.get("needs")
    return Option(
        name=_text(item.get("name") or item["exercise"]),
        why=_text(item["why"]),
        exercise=item.get("exercise"),
        needs=tuple(needs) if needs is not None else None,
    )


def _exercise(doc: Mapping[str, Any], file: str) -> Exercise:
    programming = {
        level: Programming(
            sets=str(p["sets"]).replace(" ", ""),
            reps=_text(p["reps"]),
            rest=_text(p["rest"]),
            per_week=str(p["per_week"]).replace(" ", ""),
            note=_text(p["note"]) if p.get("note") else None,
        )
        for level, p in doc["programming"].items()
    }
    eq, mu = doc["equipment"], doc["muscles"]
    cautions = [_caution(c) for c in doc["avoid_or_modify"]]
    return Exercise(
        id=doc["id"],
        name=_text(doc["name"]),
        aliases=tuple(a.strip().lower() for a in doc["aliases"]),
        summary=_text(doc["summary"]),
        benefits=tuple(map(_text, doc["benefits"])),
        difficulty=Difficulty(doc["difficulty"]["level"], _text(doc["difficulty"]["note"])),
        equipment=Equipment(
            tuple(eq["required"]),
            _text(eq["home"]),
            tuple(eq.get("optional") or ()),
            eq.get("household"),
        ),
        muscles=Muscles(
            tuple(mu["primary"]), tuple(mu["secondary"]), tuple(mu.get("stabilisers") or ())
        ),
        steps=tuple(map(_text, doc["steps"])),
        cues=tuple(map(_text, doc["cues"])),
        mistakes=tuple(Mistake(_text(m["mistake"]), _text(m["fix"])) for m in doc["mistakes"]),
        regressions=tuple(map(_option, doc["regressions"])),
        progressions=tuple(map(_option, doc["progressions"])),
        alternatives=tuple(map(_option, doc["alternatives"])),
        programming=frozen_map(programming),
        tempo=_text(doc["tempo"]),
        placement=_text(doc["placement"]),
        warm_up=tuple(map(_text, doc["warm_up"])),
        feel=Feel(
            _text(doc["feel"]["target"]),
            _text(doc["feel"]["lower_back"]),
            frozen_map({k: _text(v) for k, v in (doc["feel"].get("instead") or {}).items()}),
        ),
        avoid_or_modify=tuple(_text(text) for text, _ in cautions),
        faq=tuple(Faq(_text(f["question"]), _text(f["answer"]), f["intent"]) for f in doc["faq"]),
        sources=tuple(map(_text, doc["sources"])),
        why_hard=_text(doc["why_hard"]) if doc.get("why_hard") else None,
        loading=_text(doc["loading"]) if doc.get("loading") else None,
        build_muscle=_text(doc["build_muscle"]) if doc.get("build_muscle") else None,
        cramps=_text(doc["cramps"]) if doc.get("cramps") else None,
        soreness=_text(doc["soreness"]) if doc.get("soreness") else None,
        file=file,
        about=tuple(about for _, about in cautions),
    )


def _caution(item: Any) -> tuple[str, frozenset[str]]:
    """An ``avoid_or_modify`` point: plain text is for everyone, ``{text, about}`` for
    people with those conditions."""
    if isinstance(item, Mapping):
        return item["text"], frozenset(item["about"])
    return item, frozenset()


def _resolve_names(exercises: dict[str, Exercise]) -> dict[str, Exercise]:
    """Give options that point at another exercise that exercise's display name."""
    from dataclasses import replace

    def fix(options: tuple[Option, ...]) -> tuple[Option, ...]:
        return tuple(
            replace(o, name=exercises[o.exercise].name)
            if o.exercise in exercises and o.name == o.exercise
            else o
            for o in options
        )

    return {
        key: replace(
            ex,
            regressions=fix(ex.regressions),
            progressions=fix(ex.progressions),
            alternatives=fix(ex.alternatives),
        )
        for key, ex in exercises.items()
    }


def load_exercises(
    folder: Path,
    errors: list[DataError],
    intent_ids: Collection[str] | None = None,
    condition_ids: Collection[str] | None = None,
    focus_ids: Collection[str] | None = None,
) -> dict[str, Exercise]:
    """Every ``*.yaml`` in ``folder`` as an ``Exercise``, keyed by id; problems go to ``errors``.

    With ``intent_ids``, each FAQ's ``intent`` must be one of them; with ``condition_ids``,
    each condition an ``avoid_or_modify`` point is about; with ``focus_ids``, each muscle
    group ``feel.instead`` names.
    """
    found: dict[str, Exercise] = {}
    docs: dict[str, tuple[LocatedDict, str]] = {}
    broken: set[str] = set()
    """Files with problems of their own: a reference to one is not reported again (one typo in
    glute-bridge.yaml is one problem, not one per exercise that points at the bridge)."""
    for path in _yaml_files(folder):
        name = display_path(path)
        doc = _checked(path, schema.EXERCISE, errors)
        if doc is None:
            broken.add(path.stem)
            continue
        if doc["id"] != path.stem:
            errors.append(
                DataError(
                    name, doc.key_lines["id"], "id", f"must match the file name '{path.stem}'"
                )
            )
            broken.add(path.stem)
            continue
        found[doc["id"]] = _exercise(doc, name)
        docs[doc["id"]] = (doc, name)
    for doc, name in docs.values():
        for index, faq in enumerate(doc["faq"]):
            if intent_ids is not None and faq["intent"] not in intent_ids:
                errors.append(
                    DataError(
                        name,
                        faq.key_lines.get("intent"),
                        f"faq[{index}].intent",
                        f"unknown intent id '{faq['intent']}'",
                    )
                )
        instead = doc["feel"].get("instead") or {}
        for group in instead:
            if focus_ids is not None and group not in focus_ids:
                known = ", ".join(sorted(focus_ids)) or "none in general.yaml"
                errors.append(
                    DataError(
                        name,
                        schema.line_of(instead, group),
                        f"feel.instead.{group}",
                        f"unknown muscle group '{group}' (known, from focus_words: {known})",
                    )
                )
        for index, item in enumerate(doc["avoid_or_modify"]):
            for condition in item.get("about", ()) if isinstance(item, Mapping) else ():
                if condition_ids is not None and condition not in condition_ids:
                    known = ", ".join(sorted(condition_ids)) or "none in general.yaml"
                    errors.append(
                        DataError(
                            name,
                            schema.line_of(item, "about"),
                            f"avoid_or_modify[{index}].about",
                            f"unknown condition '{condition}' (known: {known})",
                        )
                    )
        for section in ("regressions", "progressions", "alternatives"):
            for index, item in enumerate(doc[section]):
                ref = item.get("exercise")
                if ref is not None and ref not in docs and ref not in broken:
                    errors.append(
                        DataError(
                            name,
                            schema.line_of(doc[section], index),
                            f"{section}[{index}].exercise",
                            f"unknown exercise id '{ref}'",
                        )
                    )
    return _resolve_names(found)


def _intent(doc: LocatedDict, file: str) -> Intent:
    return Intent(
        id=doc["id"],
        examples=tuple(str(e).strip() for e in doc["examples"]),
        needs_exercise=bool(doc.get("needs_exercise", True)),
        requires=tuple(doc.get("requires") or ()),
        response=doc.get("response"),
        general=doc.get("general"),
        file=file,
        lines=frozen_map(doc.key_lines),
        names_other_exercises=bool(doc.get("names_other_exercises", False)),
        small_talk=bool(doc.get("small_talk", False)),
        about_the_coach=bool(doc.get("about_the_coach", False)),
        background=bool(doc.get("background", False)),
        again=doc.get("again"),
        for_a_muscle=doc.get("for_a_muscle"),
    )


OUT_OF_SCOPE = "out_of_scope"
REQUIRED_INTENTS = frozenset({"overview", "safety_info"})
"""Intents the coach answers with on its own: a bare exercise name, a question about
warning signs."""


@dataclass(frozen=True, slots=True)
class IntentFiles:
    intents: Mapping[str, Intent]
    out_of_scope: tuple[str, ...]
    messages: Mapping[str, str]
    suggestions: Mapping[str, tuple[str, ...]]
    follow_ups: Mapping[str, tuple[str, ...]]
    unsuited: Mapping[str, frozenset[str]]
    """Setup (a key of general.yaml's ``equipment_phrases``) -> follow-ups not offered with it."""
    suggestion_sets: Mapping[str, tuple[str, ...]]
    lines: Mapping[tuple[str, int], int]
    """(intent id, example index) -> line, for reporting examples."""


def load_intents(folder: Path, errors: list[DataError]) -> IntentFiles:
    intents: dict[str, Intent] = {}
    out_of_scope: tuple[str, ...] = ()
    messages: dict[str, str] = {}
    suggestions: dict[str, tuple[str, ...]] = {}
    follow_ups: dict[str, tuple[str, ...]] = {}
    unsuited: dict[str, frozenset[str]] = {}
    suggestion_sets: dict[str, tuple[str, ...]] = {}
    lines: dict[tuple[str, int], int] = {}
    for path in _yaml_files(folder):
        name = display_path(path)
        if path.stem == "_messages":
            doc = _checked(path, schema.MESSAGES, errors)
            if doc is not None:
                messages = dict(doc["messages"])
                suggestions = {k: tuple(v) for k, v in (doc.get("suggestions") or {}).items()}
                follow_ups = {k: tuple(v) for k, v in (doc.get("follow_ups") or {}).items()}
                unsuited = {
                    k: frozenset(v) for k, v in (doc.get("unsuited_follow_ups") or {}).items()
                }
                suggestion_sets = {
                    k: tuple(v) for k, v in (doc.get("suggestion_sets") or {}).items()
                }
            continue
        doc = _checked(path, schema.INTENT, errors)
        if doc is None:
            continue
        expected = OUT_OF_SCOPE if path.stem == "_out_of_scope" else path.stem
        if doc["id"] != expected:
            errors.append(
                DataError(name, doc.key_lines["id"], "id", f"must be '{expected}' for this file")
            )
            continue
        for index in range(len(doc["examples"])):
            lines[(doc["id"], index)] = schema.line_of(doc["examples"], index) or 0
        if doc["id"] == OUT_OF_SCOPE:
            out_of_scope = tuple(doc["examples"])
            continue
        intent = _intent(doc, name)
        if intent.response is None and intent.general is None:
            errors.append(
                DataError(name, doc.line, "", "needs a 'response' or a 'general' template")
            )
        if intent.needs_exercise and intent.response is None:
            errors.append(
                DataError(name, doc.line, "response", "required when needs_exercise is true")
            )
        for index, field_name in enumerate(intent.requires):
            if field_name not in Exercise.__dataclass_fields__:
                errors.append(
                    DataError(
                        name,
                        schema.line_of(doc["requires"], index),
                        f"requires[{index}]",
                        f"'{field_name}' is not an exercise field",
                    )
                )
        intents[intent.id] = intent
    for intent in intents.values():
        if intent.for_a_muscle is not None and intent.for_a_muscle not in intents:
            errors.append(
                DataError(
                    intent.file,
                    intent.lines.get("for_a_muscle"),
                    "for_a_muscle",
                    f"unknown intent id '{intent.for_a_muscle}'",
                )
            )
    missing = {
        "not_understood",
        "out_of_scope",
        "which_exercise",
        "which_of",
        "which_intent",
        "missing_fact",
        "too_long",
        "empty",
        "injury_reminder",
        "flag_reminder",
        "after_escalation",
        "repeat_alert",
        "emergency_reminder",
        "no_such_option",
        "reset",
        "noted",
        # (the lines an intent that steps along a list when asked again needs)
        *(f"again_{i.again}{end}" for i in intents.values() if i.again for end in ("", "_end")),
    } - set(messages)
    if missing:
        errors.append(
            DataError(
                display_path(folder / "_messages.yaml"),
                None,
                "messages",
                f"missing message(s): {', '.join(sorted(missing))}",
            )
        )
    unphrased = sorted(i for i, it in intents.items() if not it.small_talk and i not in suggestions)
    if unphrased and messages:
        # Offered as a follow-up or in "which did you mean?", such an intent would read as
        # its first example ("I'm 65, can i do {exercise}?").
        errors.append(
            DataError(
                display_path(folder / "_messages.yaml"),
                None,
                "suggestions",
                f"no question on file for intent(s): {', '.join(unphrased)}",
            )
        )
    for setup, unsuited_ in unsuited.items():
        if intents and not unsuited_ <= set(intents):
            errors.append(
                DataError(
                    display_path(folder / "_messages.yaml"),
                    None,
                    f"unsuited_follow_ups.{setup}",
                    f"unknown intent(s): {', '.join(sorted(unsuited_ - set(intents)))}",
                )
            )
    absent = REQUIRED_INTENTS - set(intents)
    if absent and intents:
        errors.append(
            DataError(
                display_path(folder), None, "", f"missing intent(s): {', '.join(sorted(absent))}"
            )
        )
    return IntentFiles(
        intents, out_of_scope, messages, suggestions, follow_ups, unsuited, suggestion_sets, lines
    )


@dataclass(frozen=True, slots=True)
class General:
    file: str
    levels: Mapping[str, tuple[str, ...]]
    shared_aliases: Mapping[str, tuple[str, ...]]
    synonyms: Mapping[str, str]
    stopwords: frozenset[str]
    pronouns: frozenset[str]
    filler: frozenset[str]
    equipment_phrases: Mapping[str, tuple[str, ...]]
    other_exercises: frozenset[tuple[str, ...]]
    proper_nouns: frozenset[str]
    suggested_exercises: tuple[str, ...]
    question_words: frozenset[str]
    after_red_flag: frozenset[tuple[str, ...]] = frozenset()
    """Questions that, right after an escalation, ask for it again ("what should I do?")."""
    conditions: Mapping[str, Condition] = field(default_factory=lambda: frozen_map({}))
    """Health conditions an injury question can name, by id."""
    repairs: frozenset[tuple[str, ...]] = frozenset()
    """Messages saying the last answer missed ("that didn't answer my question", "huh?")."""
    fix_questions: frozenset[tuple[str, ...]] = frozenset()
    """Questions ("how do I fix it?") that, about an exercise, ask for its mistakes' fixes."""
    focus_words: Mapping[str, frozenset[tuple[str, ...]]] = field(
        default_factory=lambda: frozen_map({})
    )
    """What a question can single out, muscle groups ("glute") or aspects ("difficulty"):
    group or aspect -> the words or phrases that name it ("glutes", "every day")."""
    form_words: frozenset[str] = frozenset()
    """Words that after a body part describe a movement ("hips keep dropping"), not a
    health condition."""
    interjections: frozenset[str] = frozenset()
    """Words that only set a tone ("lol", "tbh"): no part of any question."""
    openers: frozenset[tuple[str, ...]] = frozenset()
    """Phrases that open a message before its question ("quick question", "hey coach")."""
    closers: frozenset[tuple[str, ...]] = frozenset()
    """Phrases that close a message after its question ("thanks", "cheers coach")."""
    other_muscles: frozenset[tuple[str, ...]] = frozenset()
    """Muscle groups this coach does not train ("biceps", "chest")."""


def load_general(path: Path, errors: list[DataError]) -> General:
    doc = _checked(path, schema.GENERAL, errors)
    if doc is None:
        empty: frozenset[str] = frozenset()
        return General(
            display_path(path), {}, {}, {}, empty, empty, empty, {}, frozenset(), empty, (), empty
        )
    return General(
        file=display_path(path),
        levels={k: tuple(v) for k, v in doc["levels"].items()},
        shared_aliases={
            item["alias"].lower(): tuple(item["exercises"])
            for item in doc.get("shared_aliases") or ()
        },
        synonyms={k.lower(): v.lower() for k, v in (doc.get("synonyms") or {}).items()},
        stopwords=frozenset(doc.get("stopwords") or ()),
        pronouns=frozenset(doc.get("pronouns") or ()),
        filler=frozenset(w for p in doc.get("filler") or () for w in p.split()),
        equipment_phrases={k: tuple(v) for k, v in (doc.get("equipment_phrases") or {}).items()},
        other_exercises=frozenset(content_words(p) for p in doc.get("other_exercises") or ()),
        proper_nouns=frozenset(doc.get("proper_nouns") or ()),
        suggested_exercises=tuple(doc.get("suggested_exercises") or ()),
        question_words=frozenset(doc.get("question_words") or ()),
        after_red_flag=frozenset(content_words(p) for p in doc.get("after_red_flag") or ()),
        conditions=frozen_map(
            {
                key: Condition(
                    key, _text(c["label"]), tuple(words(p) for p in c["phrases"]), c.get("signal")
                )
                for key, c in (doc.get("conditions") or {}).items()
            }
        ),
        fix_questions=frozenset(content_words(p) for p in doc.get("fix_questions") or ()),
        repairs=frozenset(content_words(p) for p in doc.get("repairs") or ()),
        form_words=frozenset(w for p in doc.get("form_words") or () for w in words(p)),
        interjections=frozenset(w for p in doc.get("interjections") or () for w in words(p)),
        openers=frozenset(content_words(p) for p in doc.get("openers") or ()) - {()},
        closers=frozenset(content_words(p) for p in doc.get("closers") or ()) - {()},
        other_muscles=frozenset(content_words(p) for p in doc.get("other_muscles") or ()) - {()},
        focus_words=frozen_map(
            {
                group: frozenset(tuple(words(p)) for p in ws if words(p))
                for group, ws in (doc.get("focus_words") or {}).items()
            }
        ),
    )
