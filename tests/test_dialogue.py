"""Multi-turn conversations (tests/data/dialogues.yaml) through ``Coach.session``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from coachbot import Coach, Reply
from coachbot import coach as coach_module
from coachbot.errors import UsageError

DIALOGUES = Path(__file__).parent / "data" / "dialogues.yaml"


def _problems(expect: dict[str, Any], reply: Reply) -> list[str]:
    got = {
        "intent": reply.intent,
        "exercise": reply.exercise,
        "level": reply.level,
        "red_flag": reply.red_flag.severity if reply.red_flag else None,
    }
    problems = []
    for key, want in expect.items():
        if key == "contains":
            missing = [w for w in want if w.lower() not in reply.text.lower()]
            if missing:
                problems.append(f"text lacks {missing}")
        elif key == "suggestions_min":
            if len(reply.suggestions) < want:
                problems.append(f"{len(reply.suggestions)} suggestions")
        elif got[key] != want:
            problems.append(f"{key}: want {want}, got {got[key]}")
    return problems


def run_dialogues(coach: Coach) -> tuple[int, list[str]]:
    data = yaml.safe_load(DIALOGUES.read_text())
    turns, failures = 0, []
    for conversation in data["conversations"]:
        session = coach.session()
        for number, turn in enumerate(conversation["turns"], 1):
            turns += 1
            problems = _problems(turn["expect"], session.ask(turn["say"]))
            if problems:
                failures.append(f"{conversation['name']} #{number} {turn['say']!r}: {problems}")
    return turns, failures


def test_dialogue_set_is_large_enough() -> None:
    data = yaml.safe_load(DIALOGUES.read_text())
    assert len(data["conversations"]) >= 40
    assert sum(len(c["turns"]) for c in data["conversations"]) >= 150


def test_at_least_95_percent_of_dialogue_turns_pass(coach: Coach) -> None:
    turns, failures = run_dialogues(coach)
    assert 1 - len(failures) / turns >= 0.95, "\n".join(failures)


@pytest.mark.parametrize("reset", ["start over", "/reset"])
def test_reset_clears_the_conversation(coach: Coach, reset: str) -> None:
    session = coach.session()
    session.ask("how do i do a nordic curl")
    session.ask(reset)
    assert session.ask("how many reps?").exercise is None


def test_pronoun_follow_ups_keep_the_exercise(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do a nordic curl?")
    assert session.ask("how many reps?").exercise == "nordic-hamstring-curl"
    reply = session.ask("should i feel it in my lower back?")
    assert (reply.intent, reply.exercise) == ("feel_lower_back", "nordic-hamstring-curl")


def test_ellipsis_repeats_the_question_for_another_exercise(coach: Coach) -> None:
    session = coach.session()
    session.ask("what muscles does the glute bridge work?")
    reply = session.ask("and nordics?")
    assert (reply.intent, reply.exercise) == ("muscles_worked", "nordic-hamstring-curl")


def test_a_number_answers_which_exercise(coach: Coach) -> None:
    session = coach.session()
    first = session.ask("how many sets should i do?")
    assert first.exercise is None and first.candidates
    reply = session.ask("2")
    assert (reply.intent, reply.exercise) == ("sets_reps", first.candidates[1])


def test_a_word_of_its_name_picks_one_of_the_two_exercises_just_compared(coach: Coach) -> None:
    session = coach.session()
    session.ask("compare the glute ham raise and the natural glute ham raise")
    reply = session.ask("how do i do the natural one")
    assert (reply.intent, reply.exercise) == ("how_to", "natural-glute-ham-raise")
    session.ask("compare nordic curls and hip thrusts")
    reply = session.ask("how many sets of the hip one")
    assert (reply.intent, reply.exercise) == ("sets_reps", "hip-thrust")


def test_coach_reply_keeps_one_conversation_per_chat(coach: Coach) -> None:
    coach.reply("chat-a", "how do i do a nordic curl?")
    assert coach.reply("chat-a", "how many reps?").exercise == "nordic-hamstring-curl"
    assert coach.reply("chat-b", "how many reps?").exercise is None


def test_a_statement_about_yourself_is_noted_not_answered(coach: Coach) -> None:
    session = coach.session()
    reply = session.ask("im a beginner and i train at home with no bench")
    assert reply.intent is None and reply.red_flag is None
    assert "beginner" in reply.text and "you have no bench" in reply.text
    assert len(reply.suggestions) >= 2
    assert session.ask("how many sets of hip thrusts").level == "beginner"


def test_remembered_equipment_shapes_the_alternatives(coach: Coach) -> None:
    session = coach.session()
    session.ask("i train at home with no bench")
    reply = session.ask("what can i do instead of the glute ham raise")
    assert reply.intent == "alternatives"
    assert "suit your setup" in reply.text


def test_a_condition_you_have_is_remembered_for_later_answers(coach: Coach) -> None:
    session = coach.session()
    noted = session.ask("i have bad knees")
    assert noted.intent is None and "knee problems" in noted.text
    sets = session.ask("how many sets of nordics?")
    assert sets.intent == "sets_reps"
    assert "Because you mentioned knee problems" in sets.text
    safe = session.ask("is it safe for me?")
    assert safe.intent == "injury_modification"
    assert "Nordic hamstring curl, with knee problems in mind:" in safe.text
    assert "pregnancy" not in safe.text
    # A question that only names a body part says nothing about having a condition.
    other = coach.session()
    assert other.ask("should i feel it in my lower back?").intent == "feel_lower_back"
    assert "Because you mentioned" not in other.ask("how many sets of hip thrusts").text


def test_a_name_answers_the_question_a_general_answer_asked(coach: Coach) -> None:
    session = coach.session()
    general = session.ask("is it safe with bad knees?")
    assert general.intent == "injury_modification" and general.exercise is None
    # Vague on its own (equipment? how-to?), but it answers "which exercise?".
    assert coach.ask("can i do nordics?").intent != "injury_modification"
    reply = session.ask("can i do nordics?")
    assert reply.intent == "injury_modification"
    assert "Nordic hamstring curl, with knee problems in mind:" in reply.text
    # A clear question is answered as asked.
    assert session.ask("how many sets of hip thrusts?").intent == "sets_reps"


def test_remembered_equipment_shapes_the_easier_and_harder_versions(coach: Coach) -> None:
    session = coach.session()
    session.ask("i train at home with no bench")
    easier = session.ask("hip thrusts are too hard, what is easier?")
    assert easier.intent == "easier_variation"
    fits, kit = easier.text.split("If you can get the kit:")
    assert "that suit your setup" in fits and "Glute bridge" in fits
    assert "Bodyweight hip thrust" in kit and "Needs: a bench" in kit
    harder = session.ask("what is harder than the glute bridge")
    assert "Single-leg glute bridge" in harder.text.split("If you can get the kit:")[0]
    # Without a setup on record, one list, each option saying what it needs.
    plain = coach.ask("hip thrusts are too hard, what is easier?").text
    assert "If you can get the kit" not in plain and "No equipment needed." in plain


def test_a_symptom_alone_is_not_pinned_on_the_last_exercise(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do a glute ham raise")
    assert session.ask("i strained my hamstring last month").red_flag is not None
    assert "warning sign" not in session.ask("how many sets of ghr").text


@pytest.mark.parametrize("follow_up", ["what should i do?", "what now?", "1", "asdfgh"])
def test_after_an_escalation_what_next_gets_the_escalation_again(
    coach: Coach, follow_up: str
) -> None:
    session = coach.session()
    first = session.ask("my pee is dark brown after nordics")
    assert first.red_flag is not None
    again = session.ask(follow_up)
    assert again.red_flag == first.red_flag
    assert coach.screen.advice(first.red_flag) in again.text


def test_the_suggestions_after_an_escalation_stay_on_safety(coach: Coach) -> None:
    session = coach.session()
    first = session.ask("i have chest pain after hip thrusts")
    assert first.red_flag is not None
    for number in range(1, len(first.suggestions) + 1):
        follow = coach.session(session.to_dict())
        reply = follow.ask(str(number))
        assert reply.red_flag is not None or reply.intent == "safety_info", reply


def test_an_answered_question_ends_the_alert_and_the_state_keeps_it_until_then(
    coach: Coach,
) -> None:
    session = coach.session()
    session.ask("my knee swelled up after leg day")
    state = json.loads(json.dumps(session.to_dict()))
    assert state["alert"]["category"] == "joint_swelling"
    resumed = coach.session(state)
    assert resumed.ask("what should i do?").red_flag is not None
    assert resumed.ask("which symptoms mean i should stop?").intent == "safety_info"
    assert resumed.to_dict()["alert"] is None
    assert resumed.ask("what should i do?").red_flag is None


def test_while_an_emergency_is_on_record_what_now_gets_it_again(coach: Coach) -> None:
    session = coach.session()
    first = session.ask("did 10 sets of nordics yesterday and my pee is dark brown")
    assert first.red_flag is not None and first.red_flag.severity == "emergency"
    assert session.ask("and hip thrusts?").red_flag is None  # answered, with the reminder
    for follow_up in ("what should I do?", "should I go to hospital?"):
        again = session.ask(follow_up)
        assert again.red_flag == first.red_flag
        assert coach.screen.advice(first.red_flag) in again.text


def test_a_saved_alert_for_an_unknown_category_is_dropped(coach: Coach) -> None:
    state = {
        "version": 1,
        "alert": {"severity": "emergency", "category": "made_up", "context": "current"},
    }
    assert coach.session(state).to_dict()["alert"] is None


@pytest.mark.parametrize(
    ("follow_up", "level"),
    [
        ("beginner", "beginner"),
        ("for a beginner?", "beginner"),
        ("what about beginners?", "beginner"),
        ("and advanced?", "advanced"),
        ("and for an advanced lifter?", "advanced"),
    ],
)
def test_a_level_alone_asks_the_last_question_again_at_that_level(
    coach: Coach, follow_up: str, level: str
) -> None:
    session = coach.session()
    session.ask("how many reps of nordics?")
    reply = session.ask(follow_up)
    assert (reply.intent, reply.exercise, reply.level) == (
        "sets_reps",
        "nordic-hamstring-curl",
        level,
    )
    assert f"({level})" in reply.text


def test_whats_easier_after_an_exercise_is_the_easier_versions(coach: Coach) -> None:
    session = coach.session()
    session.ask("tell me about nordics")
    reply = session.ask("what's easier?")
    assert (reply.intent, reply.exercise) == ("easier_variation", "nordic-hamstring-curl")


@pytest.mark.parametrize(
    "turns",
    [
        ["tell me about nordics", "is it better than the ghr?"],
        ["tell me about nordics", "how does it compare?", "the ghr"],
    ],
)
def test_a_comparison_takes_its_other_side_from_the_conversation(
    coach: Coach, turns: list[str]
) -> None:
    session = coach.session()
    for text in turns:
        reply = session.ask(text)
    assert (reply.intent, reply.exercise) == ("compare", "nordic-hamstring-curl")
    assert reply.text.startswith("Nordic hamstring curl vs Glute ham raise:")


def test_a_number_beyond_the_options_says_how_many_there_are(coach: Coach) -> None:
    session = coach.session()
    offered = session.ask("how do i do a nordic").suggestions
    assert len(offered) >= 2
    reply = session.ask(str(len(offered) + 1))
    assert f"I offered {len(offered)} options" in reply.text
    assert reply.suggestions == offered
    assert session.ask("2").text == coach.session().ask(offered[1]).text


@pytest.mark.parametrize(
    ("follow_up", "intent", "exercise"),
    [
        ("how many reps for the second one", "sets_reps", "glute-ham-raise"),
        ("which is harder", "compare", "nordic-hamstring-curl"),
    ],
)
def test_after_a_comparison_the_pair_is_remembered(
    coach: Coach, follow_up: str, intent: str, exercise: str
) -> None:
    session = coach.session()
    session.ask("nordic curl vs glute ham raise")
    resumed = coach.session(json.loads(json.dumps(session.to_dict())))
    reply = resumed.ask(follow_up)
    assert (reply.intent, reply.exercise) == (intent, exercise)


def test_the_other_one_switches_to_the_other_side_of_the_pair(coach: Coach) -> None:
    session = coach.session()
    session.ask("ghr vs nordic")
    assert session.ask("how many sets?").exercise == "glute-ham-raise"
    assert session.ask("and for the other one?").exercise == "nordic-hamstring-curl"
    assert session.ask("and the other one?").exercise == "glute-ham-raise"


def test_a_saved_alert_is_rebuilt_by_the_screen_not_trusted(coach: Coach) -> None:
    # A signal never escalates alone, and the severity comes from the category and context.
    signal = {"severity": "urgent", "category": "not_settling", "context": "historical"}
    session = coach.session({"version": 1, "alert": signal})
    assert session.to_dict()["alert"] is None
    assert session.ask("what should i do?").red_flag is None
    weak = {"severity": "see_professional", "category": "chest_pain", "context": "current"}
    reply = coach.session({"version": 1, "alert": weak}).ask("what should i do?")
    assert reply.red_flag is not None and reply.red_flag.severity == "emergency"


def test_the_pair_is_forgotten_when_the_talk_moves_on(coach: Coach) -> None:
    session = coach.session()
    session.ask("nordic curl vs glute ham raise")
    session.ask("my glute ham raise purple banana zorp")
    assert not session.ask("which is harder?").text.startswith("Glute ham raise vs Glute")
    session = coach.session()
    session.ask("nordic curl vs glute ham raise")
    session.ask("how do i do a hip thrust")
    # The old pair is gone; the new one is the hip thrust and the exercise before it.
    assert session.to_dict()["other"] == "nordic-hamstring-curl"


def test_a_level_alone_repeats_only_a_question_that_depends_on_it(coach: Coach) -> None:
    session = coach.session()
    session.ask("hi")
    assert session.ask("beginner").intent != "greeting"


def test_naming_an_uncovered_exercise_is_in_scope_only_for_placement(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do a hip thrust")
    assert session.ask("should it go before or after squats?").intent == "workout_placement"
    assert session.ask("how often should i do squats?").text == coach.messages["out_of_scope"]


def test_a_level_alone_after_another_question_is_noted_and_kept(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do nordics")
    noted = session.ask("beginner")
    assert noted.intent is None and "beginner" in noted.text
    assert session.ask("how many sets?").level == "beginner"


def test_after_an_emergency_every_coaching_answer_says_no_training_first(coach: Coach) -> None:
    session = coach.session()
    flag = session.ask("did nordics 2 days ago and my pee is like cola colour").red_flag
    assert flag is not None and flag.severity == "emergency"
    first = coach.messages["emergency_reminder"].split("{")[0]
    for text in ("ok but can i still do hip thrusts today?", "how do i do a glute bridge"):
        assert session.ask(text).text.startswith(first)
    resumed = coach.session(json.loads(json.dumps(session.to_dict())))
    assert resumed.ask("how many sets of hip thrusts").text.startswith(first)
    assert not coach.session().ask("how many sets of hip thrusts").text.startswith(first)


@pytest.mark.parametrize(
    ("first", "follow_up", "exercise"),
    [
        ("hip thrust sets", "what about single leg?", "single-leg-hip-thrust"),
        ("how do i do a glute bridge", "and the single leg version?", "single-leg-glute-bridge"),
    ],
)
def test_the_single_leg_version_is_the_single_leg_exercise(
    coach: Coach, first: str, follow_up: str, exercise: str
) -> None:
    session = coach.session()
    intent = session.ask(first).intent
    reply = session.ask(follow_up)
    assert (reply.intent, reply.exercise) == (intent, exercise)


def test_a_one_leg_symptom_is_not_taken_for_the_single_leg_version(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do a hip thrust")
    reply = session.ask("one leg bigger now")
    assert reply.red_flag is not None and reply.red_flag == coach.ask("one leg bigger now").red_flag


def test_the_emergency_reminder_skips_small_talk_and_joins_answers_after_a_signpost(
    coach: Coach,
) -> None:
    session = coach.session()
    session.ask("my chest hurts badly")
    first = coach.messages["emergency_reminder"].split("{")[0]
    assert first not in session.ask("thanks").text
    reply = session.ask("i pulled my hamstring doing nordics, how many sets should i do")
    assert reply.red_flag is not None and first in reply.text
    tampered = {"severity": "emergency", "category": "muscle_strain", "context": "current"}
    assert coach.session({"version": 1, "warned": tampered}).to_dict()["warned"] is None


def test_a_remembered_pregnancy_makes_later_bleeding_a_red_flag(coach: Coach) -> None:
    session = coach.session()
    session.ask("I'm 20 weeks pregnant, is the glute bridge ok?")
    # Pregnancy is a situation, not a warning sign about the glute bridge.
    assert "warning sign" not in session.ask("how many sets?").text
    reply = session.ask("I've had some bleeding today")
    assert reply.red_flag is not None and reply.red_flag.category == "pregnancy_warning"
    assert reply.text.startswith("Stop exercising now and contact the midwife")
    assert "maternity" in reply.text
    # The same words without the pregnancy on record, or about someone else, are no flag.
    assert coach.session().ask("I've had some bleeding today").red_flag is None
    resumed = coach.session(session.to_dict())
    assert resumed.ask("a bit of spotting since yesterday").red_flag is not None
    other = coach.session()
    other.ask("I'm 20 weeks pregnant")
    assert other.ask("my friend has some bleeding").red_flag is None


@pytest.mark.parametrize(
    "text",
    [
        "my friend has bad knees, can she do nordics?",
        "I don't have bad knees, is the ghr ok?",
        "are hip thrusts safe for pregnant women?",
        "is the nordic curl bad for your knees?",
        "should i feel it in my lower back?",
    ],
)
def test_a_condition_denied_or_someone_elses_is_not_remembered(coach: Coach, text: str) -> None:
    session = coach.session()
    session.ask(text)
    assert session.to_dict()["profile"]["conditions"] == []


def test_an_injury_follow_up_keeps_the_condition_asked_about(coach: Coach) -> None:
    session = coach.session()
    first = session.ask("is the ghr ok with bad knees?")
    assert "Glute ham raise, with knee problems in mind:" in first.text
    again = coach.session(session.to_dict()).ask("and for hip thrusts?")
    assert again.intent == "injury_modification"
    assert "Hip thrust, with knee problems in mind:" in again.text
    assert "In pregnancy" not in again.text


def test_an_unclear_question_about_an_exercise_is_about_a_condition_on_record(
    coach: Coach,
) -> None:
    session = coach.session()
    session.ask("I've got a dodgy knee")
    reply = session.ask("can I do nordics?")
    assert reply.intent == "injury_modification"
    assert "Nordic hamstring curl, with knee problems in mind:" in reply.text
    assert session.ask("how many sets?").intent == "sets_reps"  # a clear question as asked


def test_an_exercise_faq_still_answers_after_a_general_answer(coach: Coach) -> None:
    question = "why do my hips tilt in single-leg bridges?"
    session = coach.session()
    session.ask("how should I warm up?")
    assert session.ask(question).text == coach.ask(question).text


def test_a_profile_fact_an_answer_does_not_use_leaves_the_faq_answer(coach: Coach) -> None:
    question = "I can't do a single Nordic curl. What should I do?"
    session = coach.session()
    session.ask("I'm a beginner")
    assert session.ask(question).text == coach.ask(question).text


def test_a_which_question_turn_keeps_the_exercise(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A wide margin makes this question a close call, whatever the last digits of its scores.
    monkeypatch.setattr(coach_module, "AMBIGUITY_MARGIN", 0.05)
    session = coach.session()
    first = session.ask("can I do single leg deadlifts?")
    assert first.intent is None and "Which did you mean" in first.text
    reply = session.ask("what's an easier version?")
    assert (reply.intent, reply.exercise) == ("easier_variation", "single-leg-deadlift")


def test_when_every_version_needs_kit_the_answer_says_so(coach: Coach) -> None:
    session = coach.session()
    session.ask("i train at home with no bench")
    reply = session.ask("how do i make hip thrusts harder")
    assert "Each of these needs some kit" in reply.text
    assert "Each of these needs some kit" not in coach.ask("how do i make hip thrusts harder").text


@pytest.mark.parametrize(
    ("told", "later", "category"),
    [
        (
            "I had a hip replacement last year",
            "it popped when i did one and now it feels weird",
            "dislocation",
        ),
        (
            "I had a baby 2 weeks ago",
            "bleeding got heavy again after the bridges",
            "heavy_bleeding_birth",
        ),
        ("25 weeks pregnant here", "headache and my eyes are blurry", "pregnancy_warning"),
    ],
)
def test_a_condition_told_earlier_changes_how_a_later_symptom_is_read(
    coach: Coach, told: str, later: str, category: str
) -> None:
    session = coach.session()
    session.ask(told)
    assert coach.ask(later).red_flag is None or coach.ask(later).red_flag.category != category
    reply = session.ask(later)
    assert reply.red_flag is not None and reply.red_flag.category == category


def test_a_statement_does_not_swallow_a_symptom_a_pregnancy_makes_a_red_flag(
    coach: Coach,
) -> None:
    session = coach.session()
    session.ask("im pregnant")
    reply = session.ask("I'm a beginner and I've had some bleeding today")
    assert reply.red_flag is not None and reply.red_flag.category == "pregnancy_warning"


@pytest.mark.parametrize(
    ("told", "kept"),
    [
        ("I'm pregnant, how many sets of glute bridges should I do?", ["pregnancy"]),
        ("I have a bad back, ok to do hip thrusts?", ["back"]),
        ("I was pregnant last year, can I do hip thrusts now?", []),
        ("is it safe to do my hip thrusts?", []),
        ("got a new hip thrust PR, how do I progress?", []),
    ],
)
def test_what_is_remembered_of_a_condition(coach: Coach, told: str, kept: list[str]) -> None:
    session = coach.session()
    session.ask(told)
    assert session.to_dict()["profile"]["conditions"] == kept


def test_the_users_own_condition_beats_one_asked_about_for_someone_else(coach: Coach) -> None:
    session = coach.session()
    session.ask("I have bad knees")
    session.ask("my wife has a bad back, is the hip thrust ok for her?")
    reply = session.ask("can I do nordics with my condition?")
    assert "Nordic hamstring curl, with knee problems in mind:" in reply.text


def test_a_remembered_pregnancy_does_not_make_a_friends_symptom_the_users(coach: Coach) -> None:
    session = coach.session()
    session.ask("im pregnant")
    reply = session.ask("my friend is bleeding. my knee popped.")
    assert reply.red_flag is not None and reply.red_flag.category == "joint_injury"


def test_a_same_day_problem_holds_the_next_coaching_answer(coach: Coach) -> None:
    session = coach.session()
    flag = session.ask("I feel dizzy").red_flag
    assert flag is not None and flag.severity == "urgent"
    reply = coach.session(session.to_dict()).ask("how many sets of hip thrusts?")
    assert reply.intent == "sets_reps"
    assert reply.text.startswith(coach.messages["emergency_reminder"].split("{")[0])


def test_asking_about_another_level_keeps_your_own(coach: Coach) -> None:
    session = coach.session()
    session.ask("how many sets of single leg hip thrusts as a beginner")
    assert session.ask("and for advanced?").level == "advanced"
    assert session.ask("how long should i rest between sets").level == "beginner"
    # A level alone is news about your own.
    session.ask("advanced")
    assert session.ask("how often should i do them").level == "advanced"


def test_a_dodgy_lower_back_is_remembered(coach: Coach) -> None:
    session = coach.session()
    noted = session.ask("I'm intermediate, 35, with a dodgy lower back")
    assert "back pain" in noted.text and "intermediate" in noted.text


def test_the_first_or_last_one_is_an_item_of_the_list_just_shown(coach: Coach) -> None:
    session = coach.session()
    session.ask("glute bridges are too easy")
    last = session.ask("how do i do the last one")
    assert (last.intent, last.exercise) == ("how_to", "iso-ham-raise")
    session = coach.session()
    session.ask("what's best for hamstrings?")
    first = session.ask("how do i do the first one?")
    assert (first.intent, first.exercise) == ("how_to", "iso-ham-raise")
    # "and ..." asks the same of another item; alone, it asks what the item is.
    second = session.ask("and the second one?")
    assert (second.intent, second.exercise) == ("how_to", "prone-hip-extension")
    assert session.ask("the third one?").intent == "overview"


def test_a_listed_version_is_described_before_the_answer_about_its_exercise(
    coach: Coach,
) -> None:
    session = coach.session()
    session.ask("nordics are too hard")
    reply = session.ask("how do i do the second one")
    assert (reply.intent, reply.exercise) == ("how_to", "nordic-hamstring-curl")
    assert reply.text.startswith("Partial-range Nordic: Lower only as far as you can control")
    assert "step by step" in reply.text
    # The list survives a saved state, and stays the one shown after answering one item.
    resumed = coach.session(session.to_dict())
    assert resumed.ask("and the first one?").text.startswith("Band-assisted Nordic:")


def test_a_listed_exercise_this_coach_does_not_cover_gets_what_the_list_said(
    coach: Coach,
) -> None:
    session = coach.session()
    session.ask("what can i do instead of hip thrusts")
    reply = session.ask("what about the third one?")
    assert reply.text.startswith("Romanian deadlift: ") and reply.red_flag is None
    assert session.ask("the first one?").exercise == "glute-bridge"


def test_list_words_that_are_not_references_are_read_as_written(coach: Coach) -> None:
    session = coach.session()
    session.ask("ghr is too hard")
    assert session.ask("how do i get my first rep").intent == "easier_variation"
    # A which-question's offer comes before the list.
    session.ask("ham raise form")
    assert session.ask("the first one").exercise == "glute-ham-raise"
    # The screen still reads every word.
    session.ask("nordics are too hard")
    assert session.ask("my chest hurts doing the second one").red_flag is not None


def test_a_comparison_follow_up_answers_the_aspect_asked(coach: Coach) -> None:
    session = coach.session()
    session.ask("hip thrust vs glute bridge")
    easier = session.ask("which is easier?")
    assert easier.intent == "compare"
    assert "Glute bridge is the easier of the two" in easier.text
    assert "Equipment" not in easier.text and "Why pick" not in easier.text
    home = session.ask("which can i do at home")
    assert "Hip thrust at home: Yes" in home.text and "Difficulty" not in home.text
    # Without an aspect, the whole comparison.
    assert "Why pick one or the other" in session.ask("compare them again").text


def test_what_was_said_before_survives_a_saved_state(coach: Coach) -> None:
    session = coach.session()
    session.ask("my calf is sore after nordics")
    resumed = coach.session(json.loads(json.dumps(session.to_dict())))
    flag = resumed.ask("its swollen and hot too").red_flag
    assert flag is not None and flag.category == "leg_clot"
    # Only the screen's own categories are taken back from a state.
    state = {**session.to_dict(), "said": ["calf_symptom", "made_up", "chest_pain"]}
    assert coach.session(state).to_dict()["said"] == ["calf_symptom"]


def test_a_setup_and_a_condition_told_together_are_both_noted(coach: Coach) -> None:
    # "no" reaches "bench", not past "and have" to the hips.
    noted = coach.session().ask("i train at home with no bench and have bad hips").text
    assert "you have no bench, you train at home and you have hip problems" in noted


def test_an_explored_level_survives_a_saved_state_and_bad_values_are_dropped(
    coach: Coach,
) -> None:
    session = coach.session()
    session.ask("how many sets of nordics? i'm a beginner")
    session.ask("and for advanced?")
    state = json.loads(json.dumps(session.to_dict()))
    assert state["explored"] == "advanced" and state["profile"]["level"] == "beginner"
    assert coach.session(state).ask("what about hip thrusts?").level == "advanced"
    assert coach.session({**state, "explored": "expert"}).ask("and hip thrusts?").level == (
        "beginner"
    )


def test_asked_again_at_the_end_of_the_line_says_what_to_do_instead(coach: Coach) -> None:
    session = coach.session()
    first = session.ask("glute bridges are too hard")
    again = session.ask("still too hard")
    assert (first.exercise, again.exercise) == ("glute-bridge", "glute-bridge")
    assert again.intent == "easier_variation"
    assert "gentlest versions of the Glute bridge" in again.text
    assert "Short-range glute bridge" not in again.text  # not the same list again


def test_naming_the_exercise_again_asks_about_it_not_the_next_one(coach: Coach) -> None:
    session = coach.session()
    session.ask("what's easier than nordics?")
    again = session.ask("what's easier than nordics?")
    assert again.exercise == "nordic-hamstring-curl"
    assert "further back" not in again.text


def test_a_saved_session_steps_on_from_where_it_was(coach: Coach) -> None:
    session = coach.session()
    session.ask("nordics are too hard")
    resumed = coach.session(json.loads(json.dumps(session.to_dict())))
    assert resumed.ask("still too hard").exercise == "slider-hamstring-curl"


def test_the_question_about_a_list_item_survives_the_state_round_trip(coach: Coach) -> None:
    session = coach.session()
    session.ask("what are easier versions of the nordic")
    session.ask("how do i do the first one")
    state = json.loads(json.dumps(session.to_dict()))
    assert state["item_frame"] == ["how do i do ", ""]
    resumed = coach.session(state)
    assert resumed.ask("and the last one?").intent == "how_to"
    # A state is no way to put words in the user's mouth: a frame the screen would flag, or
    # a very long one, is dropped; one of the wrong shape is refused like any bad field.
    state["item_frame"] = ["my chest is crushing, how do i do the ", "?"]
    reply = coach.session(state).ask("and the last one?")
    assert reply.red_flag is None and reply.intent == "overview"
    state["item_frame"] = ["how do i do the " * 100, "?"]
    assert coach.session(state).ask("and the last one?").intent == "overview"
    for bad in (5, ["only one"], [1, 2]):
        state["item_frame"] = bad
        with pytest.raises(UsageError):
            coach.session(state)


def test_the_other_one_follows_each_move_to_another_exercise(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do a nordic curl")
    session.ask("what about the glute ham raise?")
    session.ask("what about hip thrusts?")
    assert session.ask("and the other one?").exercise == "glute-ham-raise"


def test_which_exercise_offers_the_exercises_of_the_list_just_shown(coach: Coach) -> None:
    session = coach.session()
    session.ask("i'm a beginner with no equipment")
    listed = session.ask("what should i do for hamstrings")
    asked = session.ask("how many sets")
    assert asked.intent == "sets_reps" and asked.exercise is None
    assert asked.candidates and all(
        coach.exercises[i].name in listed.text for i in asked.candidates
    )
    second = asked.candidates[1]
    answer = session.ask("the second one")
    assert answer.intent == "sets_reps" and answer.exercise == second


def test_which_exercise_leaves_out_machines_for_someone_without_kit(coach: Coach) -> None:
    session = coach.session()
    session.ask("i have no equipment")
    asked = session.ask("how many sets?")
    assert asked.candidates and "glute-ham-raise" not in asked.candidates
    assert "glute-ham-raise" in coach.session().ask("how many sets?").candidates


def test_a_beginner_is_offered_beginner_questions(coach: Coach) -> None:
    session = coach.session()
    noted = session.ask("im a beginner with bad knees")
    assert noted.suggestions == coach.suggestion_set("noted", "beginner")
    assert not any("Nordic" in s for s in noted.suggestions)
    later = session.ask("what should i start with")
    assert "How do I do a glute bridge?" in later.suggestions
    assert not any("Nordic" in s for s in later.suggestions)
    # (without a level told, the general set)
    assert coach.session().ask("i have bad knees").suggestions == coach.suggestion_set("noted")


def test_every_question_offered_outside_an_escalation_is_understood(coach: Coach) -> None:
    # ("What should I do now?" is offered only right after one.)
    for name, questions in coach.suggestion_sets.items():
        if name.startswith(("red_flag", "see_professional")):
            continue
        for question in questions:
            reply = coach.ask(question)
            assert reply.intent is not None, (name, question)


def test_an_open_question_and_an_offered_choice_survive_the_state_round_trip(
    coach: Coach,
) -> None:
    # "Which exercise?" is still open after a restart: a longer answer than the bare name
    # ("can i do nordics?") answers it.
    session = coach.session()
    session.ask("how many sets?")
    resumed = coach.session(json.loads(json.dumps(session.to_dict())))
    assert resumed.ask("can i do nordics?").intent == "sets_reps"
    # So is "which did you mean?": the choice can be described, not only numbered.
    session = coach.session()
    assert session.ask("how do i do hamstring leg raises").candidates
    resumed = coach.session(json.loads(json.dumps(session.to_dict())))
    reply = resumed.ask("the standing one")
    assert (reply.intent, reply.exercise) == ("how_to", "standing-hamstring-curl")
