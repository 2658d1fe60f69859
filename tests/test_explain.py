"""The report behind /explain and ``coachbot ask --explain``."""

from __future__ import annotations

from coachbot import Coach
from coachbot.explain import explain


def test_a_red_flag_report_quotes_the_words_that_tripped_it(coach: Coach) -> None:
    question = "my pee is dark brown after nordics"
    report = explain(coach, question, coach.ask(question))
    assert "- Safety: red flag rhabdomyolysis (emergency, current)" in report
    assert '"pee is dark brown"' in report or '"pee is dark"' in report
    assert "- Chosen: safety advice only" in report


def test_an_exercise_from_the_conversation_is_said_to_be(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do a nordic curl")
    reply = session.ask("how many reps?")
    report = explain(coach, "how many reps?", reply)
    assert "- Exercise: Nordic hamstring curl, from the conversation" in report
    assert "- Thresholds: MIN_SCORE" in report


def test_explain_names_the_exercise_of_a_question_it_did_not_understand(coach: Coach) -> None:
    question = "should i go to failure on hip thrusts"
    text = explain(coach, question, coach.ask(question))
    assert "Exercise: none in the answer (named: hip thrusts)" in text
    assert "0.22 for a question about an exercise it names" in text
