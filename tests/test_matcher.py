"""Matching quality on the held-out labelled questions (never pasted into intent examples)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from coachbot import Coach
from coachbot.matcher import IntentMatcher

LABELLED = Path(__file__).parent / "data" / "labelled.yaml"


@pytest.fixture(scope="module")
def labelled() -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = yaml.safe_load(LABELLED.read_text())["questions"]
    return questions


def test_labelled_set_is_large_and_covers_every_intent(
    coach: Coach, labelled: list[dict[str, Any]]
) -> None:
    assert len(labelled) >= 300
    counts = Counter(q["intent"] for q in labelled)
    contract_intents = set(coach.intents) - {"safety_info"}
    assert contract_intents <= set(counts)
    assert counts[None] >= 40


def test_no_labelled_question_is_an_intent_example(
    coach: Coach, labelled: list[dict[str, Any]]
) -> None:
    """Stock small talk ("hi", "what can you do") is bound to coincide; questions must not."""
    small_talk = {"help", "greeting", "thanks", "goodbye"}
    examples = {e.lower().strip() for i in coach.intents.values() for e in i.examples}
    assert not [
        q["q"]
        for q in labelled
        if q["intent"] not in small_talk and q["q"].lower().strip() in examples
    ]


def test_intent_and_exercise_accuracy_is_at_least_92_percent(
    coach: Coach, labelled: list[dict[str, Any]]
) -> None:
    misses = []
    for item in labelled:
        reply = coach.ask(item["q"])
        if (reply.intent, reply.exercise) != (item["intent"], item["exercise"]):
            misses.append((item["q"], item["intent"], reply.intent, reply.exercise))
    accuracy = 1 - len(misses) / len(labelled)
    assert accuracy >= 0.92, misses


def test_out_of_scope_questions_are_rejected(coach: Coach, labelled: list[dict[str, Any]]) -> None:
    traps = [q["q"] for q in labelled if q["intent"] is None]
    answered = [(q, coach.ask(q).intent) for q in traps if coach.ask(q).intent is not None]
    assert 1 - len(answered) / len(traps) >= 0.90, answered


def test_ranking_is_deterministic_and_sorted(coach: Coach) -> None:
    rest = ("how", "many", "sets")
    first = coach.matcher.rank(rest)
    assert first == coach.matcher.rank(rest)
    assert [m.score for m in first] == sorted((m.score for m in first), reverse=True)


def test_unknown_words_count_against_a_match() -> None:
    matcher = IntentMatcher({"sets_reps": ["how many sets"], "tempo": ["how slow down"]})
    known = matcher.rank(("how", "many", "sets"))[0].score
    diluted = matcher.rank(("how", "many", "sets", "zebra", "quilt"))[0].score
    assert diluted < known


def test_typos_are_corrected_against_the_vocabulary() -> None:
    matcher = IntentMatcher(
        {"rest_between_sets": ["rest between sets"], "tempo": ["lowering speed"]}
    )
    assert matcher.rank(("rest", "betwen", "sets"))[0].intent == "rest_between_sets"


def test_untuned_second_set_scores_as_first_measured(coach: Coach) -> None:
    """tests/data/labelled_fresh.yaml is never tuned on: 85.0% when first run, 88.8% now."""
    data = yaml.safe_load((Path(__file__).parent / "data" / "labelled_fresh.yaml").read_text())
    items = data["questions"]
    right = sum(
        (coach.ask(q["q"]).intent, coach.ask(q["q"]).exercise) == (q["intent"], q["exercise"])
        for q in items
    )
    assert right / len(items) >= 0.84
