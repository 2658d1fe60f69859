"""``coachbot eval``: the pure ``evaluate`` scores, the text and JSON reports, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coachbot import Coach, evaluate
from coachbot.cli import main
from coachbot.evaluate import Labelled, SafetyCase

Cap = pytest.CaptureFixture[str]

TINY = """\
version: 1
questions:
  - q: how many sets of nordics
    intent: sets_reps
    exercise: nordic-hamstring-curl
  - q: what is a ghr
    intent: overview
    exercise: glute-ham-raise
  - q: how do i bake sourdough bread
    intent: null
    exercise: null
  - q: what is a ghr
    intent: tempo
    exercise: glute-ham-raise
"""

SAFETY = """\
version: 1
messages:
  - text: crushing pain in my chest after nordics
    severity: emergency
    category: chest_pain
    kind: red_flag
  - text: my hamstrings are a bit sore two days after nordics
    severity: null
    kind: benign
"""


@pytest.fixture(autouse=True)
def shared_coach(monkeypatch: pytest.MonkeyPatch, coach: Coach) -> None:
    """Reuse the session's coach in-process (loading one per test would dominate the run)."""
    monkeypatch.setattr(evaluate, "Coach", lambda knowledge=None, intents=None: coach)


def write(tmp_path: Path, text: str, name: str = "labelled.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_eval(capsys: Cap, *argv: str) -> tuple[int, str, str]:
    code = main(["eval", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def items(tmp_path: Path, coach: Coach) -> list[Labelled]:
    return evaluate.load(write(tmp_path, TINY), coach)[0]


# -- evaluate --------------------------------------------------------------------------------
def test_accuracy_needs_intent_and_exercise_both_right(tmp_path: Path, coach: Coach) -> None:
    report = evaluate.evaluate(coach, items(tmp_path, coach))
    assert (report.questions, report.correct, report.intent_correct) == (4, 3, 3)
    assert report.accuracy == 0.75


def test_wrong_exercise_alone_is_a_miss(coach: Coach) -> None:
    report = evaluate.evaluate(coach, [Labelled("what is a ghr", "overview", "glute-bridge")])
    assert (report.correct, report.intent_correct) == (0, 1)
    assert report.misses[0].got_exercise == "glute-ham-raise"


def test_out_of_scope_questions_count_as_declined(tmp_path: Path, coach: Coach) -> None:
    report = evaluate.evaluate(coach, items(tmp_path, coach))
    assert (report.out_of_scope, report.rejected, report.rejection_rate) == (1, 1, 1.0)


def test_per_intent_scores_count_predictions_and_labels(tmp_path: Path, coach: Coach) -> None:
    report = evaluate.evaluate(coach, items(tmp_path, coach))
    scores = {s.intent: s for s in report.per_intent}
    assert (scores["overview"].precision, scores["overview"].recall) == (0.5, 1.0)
    assert (scores["tempo"].recall, scores["tempo"].support, scores["tempo"].predicted) == (
        0.0,
        1,
        0,
    )
    assert scores["sets_reps"].f1 == 1.0


def test_confusions_and_misses_name_the_wrong_intent(tmp_path: Path, coach: Coach) -> None:
    report = evaluate.evaluate(coach, items(tmp_path, coach))
    assert [(c.intent, c.got, c.count) for c in report.confusions] == [("tempo", "overview", 1)]
    assert [(m.q, m.line) for m in report.misses] == [("what is a ghr", 12)]


def test_safety_cases_give_recall_and_false_alarms(coach: Coach) -> None:
    cases = [
        SafetyCase(
            "crushing pain in my chest after nordics", "emergency", "chest_pain", "red_flag"
        ),
        SafetyCase("my hamstrings are a bit sore two days after nordics", None, None, "benign"),
    ]
    safety = evaluate.evaluate(coach, [], cases).safety
    assert safety is not None
    assert (safety.red_flags, safety.caught, safety.exact, safety.recall) == (1, 1, 1, 1.0)
    assert (safety.benign, safety.false_alarms, safety.misses) == (1, 0, ())


def test_no_safety_section_without_messages(tmp_path: Path, coach: Coach) -> None:
    assert evaluate.evaluate(coach, items(tmp_path, coach)).safety is None


# -- the command -----------------------------------------------------------------------------
def test_text_report_shows_accuracy_table_and_misses(tmp_path: Path, capsys: Cap) -> None:
    code, out, _ = run_eval(capsys, str(write(tmp_path, TINY)))
    assert code == 0
    assert "overall accuracy     75.0%  (3/4)" in out
    assert "out-of-scope        100.0%  (1/1 declined)" in out
    assert "1  tempo -> overview" in out
    assert "line 12: 'what is a ghr': intent tempo -> overview" in out


def test_json_report_has_the_rates_and_the_misses(tmp_path: Path, capsys: Cap) -> None:
    code, out, _ = run_eval(capsys, str(write(tmp_path, TINY)), "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["accuracy"], data["intent_accuracy"], data["rejection_rate"]) == (0.75, 0.75, 1.0)
    assert data["misses"][0]["intent"] == "tempo" and data["safety"] is None


def test_safety_set_file_reports_red_flag_recall(tmp_path: Path, capsys: Cap) -> None:
    code, out, _ = run_eval(capsys, str(write(tmp_path, SAFETY)), "--json")
    safety = json.loads(out)["safety"]
    assert code == 0
    assert (safety["recall"], safety["false_alarm_rate"], safety["messages"]) == (1.0, 0.0, 2)


def test_below_min_accuracy_exits_1(tmp_path: Path, capsys: Cap) -> None:
    code, out, err = run_eval(capsys, str(write(tmp_path, TINY)), "--min-accuracy", "0.8")
    assert code == 1 and "overall accuracy" in out
    assert "below the minimum 80.0%" in err


def test_at_min_accuracy_exits_0(tmp_path: Path, capsys: Cap) -> None:
    code, _, _ = run_eval(capsys, str(write(tmp_path, TINY)), "--min-accuracy", "0.75")
    assert code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nquestions: [\n", "YAML syntax error"),
        ("version: 2\nquestions:\n  - {q: hi, intent: greeting, exercise: null}\n", "version"),
        (
            "version: 1\nquestions:\n  - {q: hi, intent: hello, exercise: null}\n",
            "unknown intent id 'hello'",
        ),
        ("version: 1\nquestions:\n  - {q: hi, intent: greeting}\n", "missing 'exercise'"),
        (
            "version: 1\nquestions:\n  - {q: hi, intent: greeting, exercise: null, x: 1}\n",
            "unknown key",
        ),
        ("version: 1\n", "no questions and no messages"),
    ],
)
def test_bad_file_exits_2_with_one_line(
    tmp_path: Path, capsys: Cap, text: str, message: str
) -> None:
    code, out, err = run_eval(capsys, str(write(tmp_path, text)))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_missing_file_exits_2_with_one_line(tmp_path: Path, capsys: Cap) -> None:
    code, _, err = run_eval(capsys, str(tmp_path / "nope.yaml"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "nope.yaml" in err


def test_min_accuracy_outside_0_to_1_exits_2(tmp_path: Path, capsys: Cap) -> None:
    code, _, err = run_eval(capsys, str(write(tmp_path, TINY)), "--min-accuracy", "85")
    assert code == 2 and "between 0 and 1" in err


def test_a_file_with_no_red_flags_shows_n_a_rather_than_zero(tmp_path: Path, capsys: Cap) -> None:
    one = "version: 1\nmessages:\n  - {text: hi, severity: null, category: null, kind: benign}\n"
    code, out, _ = run_eval(capsys, str(write(tmp_path, one)))
    assert code == 0 and "red flags: 1 message\n" in out
    assert "recall                 n/a  (0/0 red flags caught)" in out


def test_every_problem_in_a_labelled_file_is_listed(tmp_path: Path, capsys: Cap) -> None:
    bad = "version: 1\nquestions:\n  - {q: 5, intent: tempo}\n  - {q: [hi], intent: tempo}\n"
    code, _, err = run_eval(capsys, str(write(tmp_path, bad)))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2 and all("labelled.yaml:" in line for line in lines)
