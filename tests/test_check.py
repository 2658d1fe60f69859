"""``coachbot check`` on deliberately broken copies of the data."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coachbot.check import check
from coachbot.cli import main
from coachbot.loader import display_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def data(tmp_path: Path) -> tuple[Path, Path]:
    knowledge = tmp_path / "knowledge"
    intents = tmp_path / "intents"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "intents", intents)
    return knowledge, intents


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_bundled_data_is_clean() -> None:
    assert check() == []


def test_every_problem_is_reported_with_file_and_line(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    nordic = knowledge / "exercises" / "nordic-hamstring-curl.yaml"
    bridge = knowledge / "exercises" / "glute-bridge.yaml"
    _replace(nordic, "  beginner:\n    sets:", "  beginner:\n    sets: three\n    old_sets:")
    _replace(bridge, "summary:", "summmary:")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(
        "nordic-hamstring-curl.yaml:" in p and "programming.beginner.sets" in p and "three" in p
        for p in problems
    ), problems
    assert any(
        "glute-bridge.yaml:" in p and "summmary" in p and "unknown key" in p for p in problems
    )
    assert any("missing required field 'summary'" in p for p in problems)


def test_an_alias_claimed_by_two_exercises_is_reported(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(knowledge / "exercises" / "hip-thrust.yaml", "aliases:\n", "aliases:\n  - nordics\n")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(re.search(r"\.yaml:\d+: aliases: 'nordics' is also an alias", p) for p in problems)


def test_yaml_syntax_error_names_the_line(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    path = knowledge / "exercises" / "hip-thrust.yaml"
    lines = path.read_text().splitlines()
    lines[5] = "name: [unclosed"
    path.write_text("\n".join(lines) + "\n")
    problems = [str(p) for p in check(knowledge, intents)]
    shown = display_path(path)  # (relative when the tests run from a folder above it)
    assert any(p.startswith(f"{shown}:") and "YAML syntax error" in p for p in problems), problems


def test_unknown_exercise_reference_and_template_name(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(knowledge / "exercises" / "glute-bridge.yaml", "- exercise: ", "- exercise: no-such-")
    _replace(intents / "tempo.yaml", "{{ ex.tempo }}", "{{ ex.tempo }}{{ tempoo }}")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any("unknown exercise id 'no-such-" in p for p in problems), problems
    assert any("tempo.yaml" in p and "tempoo" in p for p in problems), problems


def test_an_example_that_belongs_to_another_intent_is_reported(data: tuple[Path, Path]) -> None:
    _, intents = data
    _replace(
        intents / "tempo.yaml", "examples:\n", "examples:\n  - how many sets and reps should i do\n"
    )
    problems = [str(p) for p in check(data[0], intents)]
    assert any("tempo.yaml:" in p and "scores higher on sets_reps" in p for p in problems), problems


def test_an_intent_example_that_trips_the_screen_is_reported(data: tuple[Path, Path]) -> None:
    _, intents = data
    _replace(intents / "tempo.yaml", "examples:\n", "examples:\n  - my pee is dark brown\n")
    problems = [str(p) for p in check(data[0], intents)]
    assert any("tempo.yaml:" in p and "trips the safety screen" in p for p in problems), problems


def test_check_command_exits_2_on_broken_data(
    data: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    knowledge, intents = data
    _replace(knowledge / "exercises" / "glute-bridge.yaml", "version: 1", "version: 7")
    assert main(["check", "--knowledge", str(knowledge), "--intents", str(intents)]) == 2
    err = capsys.readouterr().err
    assert "glute-bridge.yaml:1: version: unsupported version 7" in err


def test_a_safety_trigger_that_can_never_match_is_reported(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(
        knowledge / "safety.yaml", "    triggers:\n", "    triggers:\n      - won't|wont ease\n"
    )
    problems = [str(p) for p in check(knowledge, intents)]
    assert any("safety.yaml:" in p and "not a single word" in p for p in problems), problems


def test_an_unknown_word_class_in_a_context_phrase_is_reported(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    safety = knowledge / "safety.yaml"
    _replace(safety, '"can <activity> cause"', '"can <activities> cause"')
    line = next(
        n for n, text in enumerate(safety.read_text().splitlines(), 1) if "<activities>" in text
    )
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(
        f"safety.yaml:{line}" in p and "context.hypothetical" in p and "<activities>" in p
        for p in problems
    ), problems


def test_unknown_template_filter_is_a_data_error_with_its_line(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(intents / "tempo.yaml", "{{ ex.tempo }}", "{{ ex.tempo | shout }}")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(
        re.search(r"tempo\.yaml:\d+: response: template uses unknown filter\(s\): shout", p)
        for p in problems
    ), problems


def test_template_failing_at_render_time_is_one_line_from_ask_and_chat(
    data: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    knowledge, intents = data
    _replace(intents / "tempo.yaml", "{{ ex.tempo }}", "{{ ex.tempo }}{{ 1 / 0 }}")
    args = ["--knowledge", str(knowledge), "--intents", str(intents)]
    assert main(["ask", *args, "what tempo for nordics"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert re.search(r"tempo\.yaml:\d+: response: template failed .*ZeroDivisionError", err[0])

    from coachbot import Coach
    from coachbot.chat import ChatApp

    out = io.StringIO()
    app = ChatApp(Coach(knowledge=knowledge, intents=intents), out, plain=True)
    assert app.handle("what tempo for nordics") and app.handle("hi")
    assert "could not answer that" in out.getvalue() and "coach" in out.getvalue().lower()


def test_a_caution_about_an_unknown_condition_is_reported_with_its_line(
    data: tuple[Path, Path],
) -> None:
    knowledge, intents = data
    _replace(knowledge / "exercises" / "hip-thrust.yaml", "about: [hip]", "about: [hipp]")
    _replace(knowledge / "exercises" / "glute-bridge.yaml", "about: [back]", "about: back")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(
        re.search(
            r"hip-thrust\.yaml:\d+: avoid_or_modify\[\d+\]\.about: unknown condition 'hipp'", p
        )
        for p in problems
    ), problems
    assert any(
        re.search(r"glute-bridge\.yaml:\d+: avoid_or_modify\[\d+\]\.about: must be a list", p)
        for p in problems
    ), problems


def test_a_place_felt_instead_that_is_no_focus_group_is_reported_with_its_line(
    data: tuple[Path, Path],
) -> None:
    knowledge, intents = data
    path = knowledge / "exercises" / "hip-thrust.yaml"
    _replace(path, "    quad: >-", "    quads: >-")
    line = path.read_text(encoding="utf-8").splitlines().index("    quads: >-") + 1
    problems = [str(p) for p in check(knowledge, intents)]
    expected = f"hip-thrust.yaml:{line}: feel.instead.quads: unknown muscle group 'quads'"
    assert any(expected in p for p in problems), problems


def test_a_broken_general_yaml_is_one_problem_not_one_per_condition_used(
    data: tuple[Path, Path],
) -> None:
    knowledge, intents = data
    _replace(knowledge / "general.yaml", "synonyms:", "synonymz:")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any("synonymz" in p for p in problems), problems
    assert not any("unknown condition" in p for p in problems), problems


def test_check_still_fails_when_its_reader_stops_early(data: tuple[Path, Path]) -> None:
    """``coachbot check 2>&1 | head -1`` in CI must not pass on bad data."""
    knowledge, intents = data
    _replace(knowledge / "exercises" / "glute-bridge.yaml", "summary:", "summmary:")
    command = [sys.executable, "-m", "coachbot", "check"]
    proc = subprocess.Popen(
        [*command, "--knowledge", str(knowledge), "--intents", str(intents)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stderr is not None
    proc.stderr.close()  # the reader is gone before the first problem is printed
    assert proc.wait(timeout=60) == 2


def test_a_broken_exercise_file_is_one_problem_not_one_per_reference(
    data: tuple[Path, Path],
) -> None:
    knowledge, intents = data
    _replace(knowledge / "exercises" / "glute-bridge.yaml", "summary:", "summmary:")
    problems = [str(p) for p in check(knowledge, intents)]
    assert problems and all("glute-bridge.yaml:" in p for p in problems), problems
    assert not any("unknown exercise id 'glute-bridge'" in p for p in problems)


def test_an_alias_problem_points_at_the_alias_own_line(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    source = (knowledge / "exercises" / "glute-bridge.yaml").read_text()
    copy = knowledge / "exercises" / "glute-bridge2.yaml"
    copy.write_text(source.replace("id: glute-bridge\n", "id: glute-bridge2\n"))
    lines = copy.read_text().splitlines()
    problems = [str(p) for p in check(knowledge, intents) if "'bridge' is also" in str(p)]
    assert len(problems) == 1
    number = int(problems[0].split(".yaml:")[1].split(":")[0])
    assert lines[number - 1].strip() == "- bridge"


def test_a_template_that_fails_when_rendered_points_at_the_failing_line(
    data: tuple[Path, Path],
) -> None:
    knowledge, intents = data
    path = intents / "sets_reps.yaml"
    _replace(path, "{{ ex.name }} ({{ level }})", "{{ ex.nmae.x }} ({{ level }})")
    problems = [str(p) for p in check(knowledge, intents)]
    failing = [p for p in problems if "nmae" in p]
    assert len(failing) == 1 and failing[0].count("sets_reps.yaml") == 1, problems
    number = int(failing[0].split(".yaml:")[1].split(":")[0])
    assert "ex.nmae.x" in path.read_text().splitlines()[number - 1]


def test_stepping_along_a_list_needs_a_known_list_and_its_lines(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(intents / "harder_variation.yaml", "again: progressions", "again: alternatives")
    _replace(intents / "_messages.yaml", "  again_regressions_end:", "  again_regressions_over:")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(
        re.search(r"harder_variation\.yaml:\d+: again: must be one of regressions, progressions", p)
        for p in problems
    ), problems
    assert any("missing message(s): again_regressions_end" in p for p in problems), problems


def test_a_yaml_file_is_read_whatever_the_case_of_its_extension(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    bridge = knowledge / "exercises" / "glute-bridge.yaml"
    bridge.rename(bridge.with_suffix(".YAML"))
    (knowledge / "exercises" / ".#glute-bridge.yaml").write_text("editor lock, not data")
    assert check(knowledge, intents) == []


def test_an_intent_with_no_question_on_file_is_reported(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(intents / "_messages.yaml", '  age: ["Can I do the {name} at my age?"]\n', "")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any("no question on file for intent(s): age" in p for p in problems), problems


def test_an_unsuited_follow_up_must_be_a_known_intent(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(intents / "_messages.yaml", "no equipment: [add_load]", "no equipment: [add_lode]")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(
        "unsuited_follow_ups.no equipment: unknown intent(s): add_lode" in p for p in problems
    )


def test_an_unsuited_follow_up_must_name_a_known_setup(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    _replace(intents / "_messages.yaml", "no equipment: [add_load]", "no equipmnet: [add_load]")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any("unsuited_follow_ups.no equipmnet: unknown setup" in p for p in problems), problems


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="loading already uses the pure parser")
def test_a_file_only_libyaml_reads_is_reported(data: tuple[Path, Path]) -> None:
    """libyaml accepts an unquoted ``what?`` inside ``[...]``; the pure-Python parser, which a
    PyYAML built without libyaml uses, does not."""
    knowledge, intents = data
    general = knowledge / "general.yaml"
    _replace(general, '"what?"', "what?")
    line = next(i for i, text in enumerate(general.read_text().splitlines(), 1) if "what?" in text)
    problems = [str(p) for p in check(knowledge, intents)]
    found = [p for p in problems if "only libyaml reads this" in p]
    assert any(f"general.yaml:{line}" in p for p in found), problems


def test_a_template_looping_for_ever_fails_instead_of_hanging(data: tuple[Path, Path]) -> None:
    knowledge, intents = data
    path = intents / "sets_reps.yaml"
    _replace(
        path,
        "{{ ex.name }} ({{ level }})",
        "{% for i in range(10**9) %}{% endfor %}{{ ex.name }} ({{ level }})",
    )
    problems = [str(p) for p in check(knowledge, intents)]
    assert any("sets_reps.yaml:" in p and "Range too big" in p for p in problems), problems


def test_a_stray_yaml_file_that_no_parser_reads_is_reported_not_a_crash(
    data: tuple[Path, Path],
) -> None:
    knowledge, intents = data
    (knowledge / "notes.yaml").write_text("ideas: [more aliases\n", encoding="utf-8")
    (knowledge / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any("notes.yaml:" in p and "invalid YAML" in p for p in problems), problems
    assert any("latin1.yaml" in p and "cannot read file" in p for p in problems), problems


def test_an_unknown_intent_to_answer_for_a_muscle_is_reported_with_its_line(
    data: tuple[Path, Path],
) -> None:
    knowledge, intents = data
    _replace(intents / "alternatives.yaml", "for_a_muscle: recommend", "for_a_muscle: recomend")
    problems = [str(p) for p in check(knowledge, intents)]
    assert any(
        re.search(r"alternatives\.yaml:4: for_a_muscle: unknown intent id 'recomend'", p)
        for p in problems
    ), problems
