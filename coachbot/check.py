"""``coachbot check``: every problem in the data, found in one run.

Loading already validates syntax, shapes, unknown keys, ids and template names. On top of
that this renders every intent for every exercise and level, checks that each intent
example is matched by its own intent when left out of the index, that no intent example
or FAQ question trips the safety screen, that every safety trigger escalates, and that
every file reads the same with PyYAML's pure-Python parser as with libyaml.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import yaml

from .coach import Coach
from .errors import DataError, DataErrors
from .loader import OUT_OF_SCOPE, bundled_dir, display_path, line_containing, yaml_problem
from .models import SEVERITIES
from .normalize import words
from .schema import LEVELS


def check(
    knowledge: str | Path | None = None, intents: str | Path | None = None
) -> list[DataError]:
    """Every problem found in the data folders (an empty list when all is well)."""
    intents_dir = Path(intents) if intents is not None else bundled_dir("intents")
    knowledge_dir = Path(knowledge) if knowledge is not None else bundled_dir("knowledge")
    try:
        coach = Coach(knowledge, intents)
    except DataError as exc:
        # Loading checks templates too, so this already holds every problem it could find.
        return list(exc.errors) if isinstance(exc, DataErrors) else [exc]
    problems = coach.compile_all()
    if problems:
        return problems
    problems += _render_all(coach)
    problems += _examples_match_their_intent(coach, intents_dir)
    problems += _nothing_benign_trips_the_screen(coach, intents_dir)
    problems += _every_trigger_escalates(coach, knowledge_dir / "safety.yaml")
    problems += _setups_are_known(coach, intents_dir / "_messages.yaml")
    problems += _portable_yaml(knowledge_dir, intents_dir)
    return problems


def _portable_yaml(*folders: Path) -> list[DataError]:
    """Files that only libyaml reads, or reads differently. Loading uses libyaml where
    PyYAML has it, and libyaml lets through things the pure-Python parser rejects (an
    unquoted ``what?`` in a ``[...]`` list): such data would load here and fail on a
    machine whose PyYAML was built without it."""
    if not getattr(yaml, "__with_libyaml__", False):
        return []  # loading already used the pure-Python parser
    problems = []
    for path in sorted(p for folder in folders for p in folder.rglob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(DataError(display_path(path), None, "", f"cannot read file ({exc})"))
            continue
        readings = []
        for loader in (yaml.SafeLoader, yaml.CSafeLoader):
            try:
                readings.append(yaml.load(text, Loader=loader))  # noqa: S506 - safe loaders
            except yaml.YAMLError as exc:
                readings.append(exc)
        pure, fast = readings
        if isinstance(pure, yaml.YAMLError):
            line, problem = yaml_problem(pure)
            if isinstance(fast, yaml.YAMLError):
                message = f"invalid YAML ({problem})"  # (a file the coach does not load)
            else:
                message = f"only libyaml reads this ({problem}); quote the value"
            problems.append(DataError(display_path(path), line, "", message))
        elif isinstance(fast, yaml.YAMLError) or pure != fast:
            problems.append(
                DataError(display_path(path), None, "", "reads differently without libyaml")
            )
    return problems


def _setups_are_known(coach: Coach, messages_file: Path) -> list[DataError]:
    """The setups ``unsuited_follow_ups`` names are those general.yaml can find in a message
    (a misspelt one would never match, and the follow-up would be offered after all)."""
    known = coach.general.equipment_phrases
    return [
        DataError(
            display_path(messages_file),
            None,
            f"unsuited_follow_ups.{setup}",
            f"unknown setup (general.yaml's equipment_phrases has: {', '.join(known)})",
        )
        for setup in coach.unsuited_follow_ups
        if setup not in known
    ]


def _render_all(coach: Coach) -> list[DataError]:
    problems = []
    levels = (None, *LEVELS)
    ids = sorted(coach.exercises)
    for intent in coach.intents.values():
        targets: list[str | None] = []
        if intent.response is not None:
            targets += [i for i in ids if all(coach.exercises[i].has(f) for f in intent.requires)]
        if intent.general is not None:
            targets.append(None)
        for exercise, level in itertools.product(targets, levels):
            other = next((i for i in ids if i != exercise), None)
            try:
                text = coach.render_intent(intent.id, exercise, level, other)
            except Exception as exc:  # any template failure is a data problem to report
                kind = "response" if exercise else "general"
                if isinstance(exc, DataError):  # already says where, and for which exercise
                    problem = DataError(exc.file, exc.line, kind, f"level {level}: {exc.message}")
                else:
                    problem = DataError(
                        intent.file,
                        intent.lines.get(kind),
                        kind,
                        f"fails for {exercise or 'no exercise'} / level {level}: {exc}",
                    )
                problems.append(problem)
                break
            if not text.strip() or "None" in text.split() or "{" in text:
                problems.append(
                    DataError(
                        intent.file,
                        intent.lines.get("response" if exercise else "general"),
                        "response" if exercise else "general",
                        f"renders an empty or unfilled answer for {exercise} / {level}",
                    )
                )
                break
    return problems


def _examples_match_their_intent(coach: Coach, intents_dir: Path) -> list[DataError]:
    problems = []
    # A question naming an exercise is never one about the coach itself (see Coach._choose).
    about_coach = {i.id for i in coach.intents.values() if i.about_the_coach}
    for index, (intent, example) in enumerate(coach.matcher.examples()):
        if intent == OUT_OF_SCOPE:
            continue
        rest = coach.finder.find(words(example.replace("{exercise}", " "))).rest
        ruled_out = about_coach if "{exercise}" in example else set()
        ranking = [
            m
            for m in coach.matcher.rank(rest, n=len(ruled_out) + 2, exclude=index)
            if m.intent not in ruled_out
        ]
        if ranking and ranking[0].intent != intent:
            own = next(
                (
                    m.score
                    for m in coach.matcher.rank(rest, n=40, exclude=index)
                    if m.intent == intent
                ),
                0.0,
            )
            if ranking[0].score > own:
                line = _example_line(coach, intent, example)
                problems.append(
                    DataError(
                        display_path(intents_dir / f"{intent}.yaml"),
                        line,
                        "examples",
                        f"{example!r} scores higher on {ranking[0].intent} "
                        f"({ranking[0].score:.2f}) "
                        f"than on its own intent ({own:.2f})",
                    )
                )
    return problems


def _example_line(coach: Coach, intent: str, example: str) -> int | None:
    texts = coach.intents[intent].examples
    return coach.example_lines.get((intent, texts.index(example))) if example in texts else None


def _nothing_benign_trips_the_screen(coach: Coach, intents_dir: Path) -> list[DataError]:
    problems = []
    for intent in coach.intents.values():
        for index, example in enumerate(intent.examples):
            flag = coach.screen.screen(example.replace("{exercise}", "nordic curls"))
            if flag and intent.id not in coach.screen.categories[flag.category].answers_too:
                problems.append(
                    DataError(
                        intent.file,
                        coach.example_lines.get((intent.id, index)),
                        f"examples[{index}]",
                        f"trips the safety screen ({flag.category}); rephrase it or the trigger",
                    )
                )
    for ex in coach.exercises.values():
        for index, faq in enumerate(ex.faq):
            flag = coach.screen.screen(faq.question)
            if flag and faq.intent not in coach.screen.categories[flag.category].answers_too:
                problems.append(
                    DataError(
                        ex.file,
                        line_containing(ex.file, faq.question[:40]),
                        f"faq[{index}].question",
                        f"trips the safety screen ({flag.category}); rephrase it or the trigger",
                    )
                )
    return problems


def _sample(trigger: str, coach: Coach) -> str:
    """The simplest message a trigger should match: first option of each word, no gaps."""
    out = []
    for part in trigger.split():
        if part == "*" or part.endswith("?"):
            continue
        alt = part.split("|")[0]
        if alt.startswith("<"):
            alt = coach.screen.classes[alt[1:-1]][0]
        out.append(alt.rstrip("*"))
    return " ".join(out)


def _every_trigger_escalates(coach: Coach, safety_file: Path) -> list[DataError]:
    problems = []
    for category in coach.screen.categories.values():
        if category.severity not in SEVERITIES:
            continue
        for trigger in category.triggers:
            sample = _sample(trigger, coach)
            flag = coach.screen.screen(sample)
            if flag is None or SEVERITIES.index(flag.severity) > SEVERITIES.index(
                category.severity
            ):
                problems.append(
                    DataError(
                        display_path(safety_file),
                        line_containing(str(safety_file), f"- {trigger}"),
                        f"{category.id}.triggers",
                        f"{trigger!r} does not escalate its own sample {sample!r} "
                        f"(got {flag.severity if flag else 'nothing'})",
                    )
                )
    return problems
