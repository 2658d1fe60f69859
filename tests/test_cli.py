"""The command line, driven as a user would: real subprocesses, bad input included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "coachbot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ask_prints_the_answer() -> None:
    result = run("ask", "how many sets of nordics as a beginner")
    assert result.returncode == 0
    assert "Nordic" in result.stdout


def test_ask_explain_reports_safety_exercise_scores_and_thresholds() -> None:
    result = run("ask", "--explain", "how many sets of nordics")
    assert result.returncode == 0 and "sets and reps" in result.stdout
    report = result.stderr
    assert "# - Safety: none" in report
    assert '# - Exercise: Nordic hamstring curl, named in your message ("nordics")' in report
    assert "# - Top intents: sets_reps" in report and "MIN_SCORE" in report


def test_ask_json_prints_the_reply_fields() -> None:
    result = run("ask", "--json", "should I feel glute ham raises in my lower back?")
    reply = json.loads(result.stdout)
    assert reply["intent"] == "feel_lower_back"
    assert reply["exercise"] == "glute-ham-raise"
    assert set(reply) >= {"text", "intent", "exercise", "confidence", "red_flag", "suggestions"}


def test_ask_red_flag_json_carries_severity() -> None:
    reply = json.loads(run("ask", "--json", "chest feels tight doing hip thrusts").stdout)
    assert reply["red_flag"]["severity"] == "emergency"


def test_ask_sources_lists_where_the_facts_come_from() -> None:
    plain = run("ask", "--sources", "how do i do a nordic curl").stdout
    assert "\nSources:\n- " in plain and "Nordic hamstring exercise" in plain
    reply = json.loads(run("ask", "--json", "--sources", "my pee is dark brown").stdout)
    assert any("Rhabdomyolysis" in s for s in reply["sources"])
    assert "none for this answer" in run("ask", "--sources", "hello").stdout


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("ask",),
        ("nonsense-command",),
        ("ask", "--knowledge", "/no/such/folder", "hi"),
        ("--bogus",),
    ],
)
def test_errors_are_one_line_with_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_check_passes_on_bundled_data() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    assert "data OK" in result.stdout


def test_a_plain_install_works_from_another_folder(tmp_path: Path) -> None:
    """A non-editable install carries knowledge/ and intents/ inside the package."""
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    assert (site / "coachbot" / "_data" / "knowledge" / "safety.yaml").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [str(site / "bin" / "coachbot"), "ask", "--json", "how do i do a hip thrust"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["exercise"] == "hip-thrust"
    where = subprocess.run(
        [sys.executable, "-c", "import coachbot; print(coachbot.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert Path(where).resolve().is_relative_to(site.resolve())


def test_help_answers_without_loading_the_coach() -> None:
    # Start-up before the coach loads is where a Ctrl-C could otherwise print a traceback.
    code = (
        "import sys, coachbot.cli as c; "
        "c.build_parser(); "
        "print(sorted(m for m in ('numpy', 'jinja2', 'yaml') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip() == "[]"
