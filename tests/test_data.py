"""Tests on the bundled data itself: the contract's ids, coverage, and sources."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from coachbot import Coach

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "contract.md"

EXERCISE_IDS = {
    "glute-ham-raise",
    "natural-glute-ham-raise",
    "nordic-hamstring-curl",
    "iso-ham-raise",
    "single-leg-iso-ham-raise",
    "glute-bridge",
    "hip-thrust",
    "single-leg-hip-thrust",
    "standing-hamstring-curl",
    "prone-hip-extension",
    "stability-ball-hamstring-curl",
    "slider-hamstring-curl",
    "single-leg-deadlift",
}
INTENT_IDS = {
    "overview",
    "benefits",
    "muscles_worked",
    "how_to",
    "form_cues",
    "common_mistakes",
    "sets_reps",
    "frequency",
    "rest_between_sets",
    "tempo",
    "workout_placement",
    "warm_up",
    "easier_variation",
    "harder_variation",
    "alternatives",
    "equipment",
    "difficulty",
    "why_hard",
    "add_load",
    "build_muscle",
    "feel_lower_back",
    "target_feel",
    "cramps",
    "soreness",
    "injury_modification",
    "compare",
    "help",
    "greeting",
    "thanks",
    "goodbye",
}


def test_every_contract_exercise_has_a_file(coach: Coach) -> None:
    assert set(coach.exercises) >= EXERCISE_IDS


def test_every_contract_intent_exists(coach: Coach) -> None:
    assert set(coach.intents) >= INTENT_IDS


def _contract_ids(text: str, heading: str) -> set[str]:
    """The ids in the first column of the contract's table under ``heading``."""
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {i for cell in rows for i in re.findall(r"`([a-z_-]+)`", cell)}


def test_the_ids_above_are_those_of_the_contract_document() -> None:
    # The sets above are the contract's copy for a checkout without it; here both agree.
    if not CONTRACT.is_file():
        pytest.skip(f"no {CONTRACT.name} beside this checkout")
    text = CONTRACT.read_text(encoding="utf-8")
    assert _contract_ids(text, "Exercise ids") == EXERCISE_IDS
    assert _contract_ids(text, "Intent ids") == INTENT_IDS


def test_every_intent_has_at_least_15_examples(coach: Coach) -> None:
    thin = {i.id: len(i.examples) for i in coach.intents.values() if len(i.examples) < 15}
    assert not thin


def test_every_exercise_cites_sources_and_has_faqs(coach: Coach) -> None:
    for ex in coach.exercises.values():
        assert ex.sources, ex.id
        assert ex.faq, ex.id
        assert all(f.intent in coach.intents for f in ex.faq), ex.id


def test_every_option_says_what_it_needs(coach: Coach) -> None:
    # What makes easier, harder and alternative lists fit the user's setup ("no bench").
    for ex in coach.exercises.values():
        for option in (*ex.regressions, *ex.progressions, *ex.alternatives):
            assert option.needs is not None, (ex.id, option.name)


def test_no_faq_answer_opens_with_a_bare_yes_or_no(coach: Coach) -> None:
    # A FAQ also answers questions worded the other way round ("do I need a barbell?" finds
    # "can I do them without one?"), where a leading "Yes" says the opposite.
    for ex in coach.exercises.values():
        for faq in ex.faq:
            first = faq.answer.split(maxsplit=1)[0].strip(",.;:!").lower()
            assert first not in ("yes", "no", "yeah", "nope"), (ex.id, faq.question)


def test_no_lower_back_answer_opens_with_a_bare_yes_or_no(coach: Coach) -> None:
    # It answers "should I feel it in my back?" but also "can they help my lower back?" and
    # "lower back burning on these", where a leading "No" reads as something else.
    for ex in coach.exercises.values():
        first = ex.feel.lower_back.split(maxsplit=1)[0].strip(",.;:!").lower()
        assert first not in ("yes", "no", "yeah", "nope"), ex.id


def test_an_exercise_faq_answers_its_own_question(coach: Coach) -> None:
    ex = coach.exercises["single-leg-iso-ham-raise"]
    faq = ex.faq[0]
    reply = coach.ask(faq.question)
    assert reply.exercise == ex.id
    assert reply.text.startswith(faq.answer[:40]) or reply.intent == faq.intent


def test_a_missing_fact_is_admitted_not_invented(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    path = knowledge / "exercises" / "glute-bridge.yaml"
    lines = path.read_text().splitlines(keepends=True)
    out, skipping = [], False
    for line in lines:
        if line.startswith("why_hard:"):
            skipping = True
            continue
        if skipping and (line.startswith(" ") or not line.strip()):
            continue
        skipping = False
        out.append(line)
    path.write_text("".join(out))
    coach = Coach(knowledge=knowledge)
    assert coach.exercises["glute-bridge"].why_hard is None
    reply = coach.ask("why are glute bridges so hard")
    assert reply.exercise == "glute-bridge"
    assert "don't have" in reply.text
