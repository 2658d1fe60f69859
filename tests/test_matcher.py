"""Matching quality on the held-out labelled questions (never pasted into intent examples)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from coachbot import Coach, matcher
from coachbot.matcher import IntentMatcher
from coachbot.normalize import words

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


def test_any_number_reads_as_the_number_an_example_gives() -> None:
    matcher = IntentMatcher(
        {"age": ["im 65 can i do it", "is 70 too old"], "how_to": ["how do i do it"]}
    )
    assert matcher.rank(("im", "14", "can", "i", "do", "it"))[0].intent == "age"
    assert (
        matcher.rank(("is", "55", "too", "old"))[0].score
        == matcher.rank(("is", "70", "too", "old"))[0].score
    )


def test_a_number_with_a_unit_is_a_count_not_an_age() -> None:
    matcher = IntentMatcher(
        {"age": ["im 65 can i do it", "is 70 too old"], "sets_reps": ["is that enough reps"]}
    )
    # "20 reps" and "30 seconds" read as "reps" and "seconds": no "#" to match an age by.
    assert matcher.query_stems(("i", "do", "20", "reps")) == matcher.query_stems(
        ("i", "do", "reps")
    )
    assert matcher.rank(("i", "do", "20", "reps", "is", "that", "enough"))[0].intent == (
        "sets_reps"
    )
    assert matcher.rank(("im", "40", "can", "i", "do", "it"))[0].intent == "age"


def test_sets_by_reps_written_short_read_as_sets_of_reps() -> None:
    matcher = IntentMatcher({"sets_reps": ["is 3 sets of 10 enough"], "age": ["is 70 too old"]})
    assert matcher.query_stems(("4x8",)) == matcher.query_stems(("3", "sets", "of", "8"))
    assert matcher.rank(("is", "3x5", "enough"))[0].intent == "sets_reps"
    # (only digits on both sides: "4x4" is, "x5" or "4x" is no such shape)
    assert matcher.query_stems(("x5",)) == ["x5"]


def test_text_speak_digits_read_as_the_words_they_stand_for(coach: Coach) -> None:
    for text, intent in (
        ("how 2 do a glute brige", "how_to"),
        ("is it ok 2 do bridges evry day", "frequency"),
        ("how 2 make nordics easier", "easier_variation"),
        ("best warmup b4 ghr", "warm_up"),
        # ... but a number before what numbers count stays a number
        ("i do 2 sets of 5 is that enough", "sets_reps"),
        ("im 4 can i do nordics", "age"),
    ):
        assert coach.ask(text).intent == intent, text


def test_openers_are_read_past_when_a_question_follows() -> None:
    matcher = IntentMatcher(
        {"greeting": ["hi there", "hi, how are you"], "how_to": ["how do i do it"]},
        openers=[("quick", "question"), ("hi",), ("hey", "coach")],
    )
    opened = ("quick", "question", ",", "hey", "coach", "how", "do", "i", "do", "it")
    assert matcher.framed(opened) == ("how", "do", "i", "do", "it")
    assert matcher.rank(opened)[0].score == matcher.rank(opened[5:])[0].score
    # (fewer than two words left: the opener is the message)
    assert matcher.framed(("hi", "there")) == ("hi", "there")
    assert matcher.rank(("hi", "there"))[0].intent == "greeting"


def test_a_question_is_read_before_its_closer() -> None:
    matcher = IntentMatcher(
        {"thanks": ["that helps, thanks"], "how_to": ["how do i do it"]},
        closers=[("thanks",), ("cheers", "coach")],
    )
    asked = ("how", "do", "i", "do", "it", "?", "cheers", "coach")
    assert matcher.framed(asked) == ("how", "do", "i", "do", "it")
    # (no question before it: the closer is part of what is said)
    assert matcher.framed(("that", "helps", ",", "thanks")) == ("that", "helps", ",", "thanks")
    assert matcher.framed(("ok", "thanks")) == ("ok", "thanks")
    assert matcher.framed(("that", "is", "great", "thanks")) == ("that", "is", "great", "thanks")


@pytest.mark.parametrize(
    ("opener", "closer"),
    [("quick question: ", ""), ("hey coach, ", ""), ("hi! ", ""), ("ok so ", ""), ("", "? thanks")],
)
def test_an_opener_or_a_closer_changes_no_answer(coach: Coach, opener: str, closer: str) -> None:
    for text in ("how many sets of nordics", "can nordics prevent a pulled hamstring"):
        said = opener + text + closer
        assert coach.ask(said).intent == coach.ask(text).intent, said


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("that is great thanks", "thanks"),  # no question before the closer
        ("that will help thanks", "thanks"),
        ("how many sets thanks lol", "sets_reps"),  # an interjection hides no closer
        ("hey lol, quick question: how many sets", "sets_reps"),  # ... nor an opener
        ("hey lol lol", "greeting"),  # (nothing but ignored words after the opener)
        ("is 3\u00d75 ok for nordics", "sets_reps"),
        ("is 3 x 5 ok for nordics", "sets_reps"),
        ("thanks! how many sets", "sets_reps"),  # a closer before a question
        ("thanks a lot", "thanks"),  # ... but not before anything else
        ("quick question: ghr", "overview"),  # a name alone inside the frame
    ],
)
def test_openers_closers_and_sets_by_reps_read_as_meant(
    coach: Coach, text: str, intent: str
) -> None:
    assert coach.ask(text).intent == intent


def test_age_questions_with_any_age_are_understood(coach: Coach) -> None:
    for text in (
        "im 45 can i do hip thrusts",
        "i'm 14, can i do nordics",
        "at 58 should i do nordics",
    ):
        assert coach.ask(text).intent == "age", text


def test_typos_are_corrected_against_the_vocabulary() -> None:
    matcher = IntentMatcher(
        {"rest_between_sets": ["rest between sets"], "tempo": ["lowering speed"]}
    )
    assert matcher.rank(("rest", "betwen", "sets"))[0].intent == "rest_between_sets"


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        # Written apart from the intent examples: 85.0% when first run. Its questions are never
        # copied into the data, though a few words it missed ("screwups") became synonyms.
        ("labelled_fresh.yaml", 0.84),
        # Written blind: 91.8% when first run, 95.9% after its misses were worked on.
        ("labelled_blind.yaml", 0.95),
        # Longer messages, written blind: 70.0% when first run, 86.7% after its misses.
        ("labelled_long.yaml", 0.85),
        # Longer messages written later, kept untuned: 86.2% when first run.
        ("labelled_long_fresh.yaml", 0.86),
    ],
)
def test_a_labelled_set_keeps_the_score_it_reached(coach: Coach, name: str, floor: float) -> None:
    """Intent and exercise both right, for each question of a set in tests/data."""
    items = yaml.safe_load((Path(__file__).parent / "data" / name).read_text())["questions"]
    right = sum(
        (reply.intent, reply.exercise) == (q["intent"], q["exercise"])
        for q, reply in zip(items, coach.ask_block([q["q"] for q in items]), strict=True)
    )
    assert right / len(items) >= floor


def _variants(questions: list[str]) -> list[str]:
    """Each question as asked, with chatter around it and with two letters swapped."""
    out = []
    for i, q in enumerate(questions):
        j = i % max(len(q) - 1, 1)
        swapped = q[:j] + q[j + 1 : j + 2] + q[j : j + 1] + q[j + 2 :]
        out += [q, f"hey {q} please", swapped]
    return out


def test_a_block_ranks_each_question_as_it_would_be_ranked_alone(
    coach: Coach, labelled: list[dict[str, Any]]
) -> None:
    """Scores are summed per question in its own order, so batching changes no bit."""
    texts = _variants([q["q"] for q in labelled])
    queries = [coach.matcher.query(coach.finder.find(words(t)).rest) for t in texts]
    together = coach.matcher.rank_queries(queries)
    assert together == [coach.matcher.rank_queries([q])[0] for q in queries]
    assert sum(bool(r) for r in together) > 0.9 * len(texts)


def test_blocks_larger_than_one_numpy_pass_give_the_same_rankings(
    coach: Coach, monkeypatch: pytest.MonkeyPatch, labelled: list[dict[str, Any]]
) -> None:
    queries = [coach.matcher.query(coach.finder.find(words(q["q"])).rest) for q in labelled]
    whole = coach.matcher.rank_queries(queries)
    monkeypatch.setattr(matcher, "BLOCK_CELLS", 7 * len(coach.matcher.examples()))
    assert coach.matcher.rank_queries(queries) == whole


def test_each_ranked_intent_names_its_most_similar_example(
    coach: Coach, labelled: list[dict[str, Any]]
) -> None:
    """Only shortlisted intents have their examples scored: each must still get its nearest
    example by plain cosine similarity over all of its examples."""
    m = coach.matcher
    intents, texts = zip(*m.examples(), strict=True)
    index = m.text_index(texts)
    checked = 0
    for q in labelled[:120]:
        query = m.query(coach.finder.find(words(q["q"])).rest)
        sims = m.similarity(query, index)
        for match in m.rank_queries([query])[0]:
            own = [s for s, intent in zip(sims, intents, strict=True) if intent == match.intent]
            assert sims[texts.index(match.example)] == pytest.approx(max(own), abs=1e-9)
            checked += 1
    assert checked > 300


def test_a_left_out_example_is_never_its_own_nearest(coach: Coach) -> None:
    examples = coach.matcher.examples()
    index = next(i for i, (intent, _) in enumerate(examples) if intent == "tempo")
    rest = coach.finder.find(words(examples[index][1])).rest
    assert coach.matcher.rank(rest)[0].example == examples[index][1]
    assert all(m.example != examples[index][1] for m in coach.matcher.rank(rest, exclude=index))


def test_empty_and_unknown_queries_rank_nothing(coach: Coach) -> None:
    queries = [coach.matcher.query(()), coach.matcher.query(("zxqv", "blorft"))]
    assert coach.matcher.rank_queries(queries) == [[], []]
    assert IntentMatcher({}).rank(("how", "many", "sets")) == []


def test_leaving_out_an_example_that_does_not_exist_is_an_error(coach: Coach) -> None:
    with pytest.raises(ValueError):
        coach.matcher.rank(("how", "many", "sets"), exclude=-1)
    with pytest.raises(ValueError):
        coach.matcher.rank(("how", "many", "sets"), exclude=len(coach.matcher.examples()))
