"""The terminal chat, driven as a user would: keys into a real PromptSession, lines on stdin."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from coachbot import Coach
from coachbot.chat import (
    GOODBYE,
    ChatApp,
    ChatCompleter,
    completion_phrases,
    format_text,
    make_history,
    misspelt_words,
    prompt_session,
    read_lines,
    repl,
)

ROOT = Path(__file__).resolve().parent.parent
BANNER = "!!  SAFETY - EMERGENCY  !!"


def converse(coach: Coach, keys: str, history: History | None = None) -> tuple[int, str, ChatApp]:
    """Type ``keys`` into the chat; returns the exit status, everything printed, and the app.

    Every script ends in Ctrl-D or /quit, else the prompt would wait for more keys."""
    out = io.StringIO()
    app = ChatApp(coach, out, plain=True)
    with create_pipe_input() as inp:
        inp.send_text(keys)
        session = prompt_session(
            coach, history or InMemoryHistory(), input=inp, output=DummyOutput()
        )
        status = repl(app, session)
    return status, out.getvalue(), app


def completions(coach: Coach, text: str, tab: bool = False) -> dict[str, str]:
    """What the completer offers for ``text``: completion -> the meaning shown beside it."""
    completer = ChatCompleter(completion_phrases(coach))
    event = CompleteEvent(completion_requested=tab)
    return {c.text: c.display_meta_text for c in completer.get_completions(Document(text), event)}


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# -- the conversation --------------------------------------------------------------------
def test_welcome_says_what_the_coach_does_with_example_questions(coach: Coach) -> None:
    _, printed, _ = converse(coach, "\x04")
    welcome = printed.split(GOODBYE)[0]
    assert "How do I do a Nordic curl?" in welcome
    assert "/help" in welcome


def test_follow_up_question_stays_on_the_exercise_named_before(coach: Coach) -> None:
    status, printed, app = converse(coach, "how do i do a nordic curl\rhow many reps?\r\x04")
    assert status == 0
    assert "Nordic hamstring curl, step by step:" in printed
    assert "Nordic hamstring curl, sets and reps:" in printed
    assert app.session.last_reply is not None
    assert app.session.last_reply.intent == "sets_reps"


def test_suggestions_are_listed_with_numbers_under_the_answer(coach: Coach) -> None:
    _, printed, _ = converse(coach, "how do i do a nordic curl\r\x04")
    first = coach.ask("how do i do a nordic curl").suggestions[0]
    answer_end = printed.index("9. Reset to tall kneeling")
    assert printed.index(f"  1. {first}") > answer_end


def test_typing_a_number_asks_that_suggestion(coach: Coach) -> None:
    expected = coach.session()
    offered = expected.ask("how do i do a nordic curl").suggestions[0]
    _, printed, _ = converse(coach, "how do i do a nordic curl\r1\r\x04")
    assert f"-> {offered}" in printed
    assert expected.ask(offered).text in printed


def test_a_number_with_nothing_offered_is_asked_as_typed(coach: Coach) -> None:
    _, printed, app = converse(coach, "7\r\x04")
    assert "->" not in printed
    assert app.last_question == "7"


def test_red_flag_reply_has_a_banner_above_the_full_advice(coach: Coach) -> None:
    _, printed, _ = converse(coach, "my pee is dark brown after nordics\r\x04")
    advice = coach.ask("my pee is dark brown after nordics").text
    assert f"{BANNER}\n{advice.splitlines()[0]}" in printed
    assert advice in printed


def test_ordinary_reply_has_no_safety_banner(coach: Coach) -> None:
    _, printed, _ = converse(coach, "how do i do a nordic curl\r\x04")
    assert "SAFETY" not in printed


# -- keys ---------------------------------------------------------------------------------
def test_ctrl_c_abandons_the_line_and_the_chat_goes_on(coach: Coach) -> None:
    status, printed, _ = converse(
        coach, "how do i do a nordic cu\x03how many sets of hip thrusts\r\x04"
    )
    assert status == 0
    assert "step by step" not in printed
    assert "Hip thrust, sets and reps:" in printed


def test_ctrl_d_leaves_with_a_goodbye(coach: Coach) -> None:
    status, printed, _ = converse(coach, "\x04")
    assert status == 0
    assert printed.rstrip().endswith(GOODBYE)


@pytest.mark.parametrize("command", ["/quit", "/exit", "/QUIT"])
def test_quit_command_leaves_and_later_lines_are_not_answered(coach: Coach, command: str) -> None:
    status, printed, _ = converse(coach, f"{command}\rhow do i do a nordic curl\r\x04")
    assert status == 0
    assert printed.rstrip().endswith(GOODBYE)
    assert "step by step" not in printed


# -- commands -----------------------------------------------------------------------------
def test_explain_shows_safety_exercise_intent_scores_and_thresholds(coach: Coach) -> None:
    _, printed, _ = converse(coach, "how do i do a nordic curl\r/explain\r\x04")
    why = printed.split('Why that answer to "how do i do a nordic curl":')[1]
    assert "- Safety: none; hits: none" in why
    assert 'Nordic hamstring curl, named in your message ("nordic curl")' in why
    assert "- Top intents: how_to 0." in why
    assert "MIN_SCORE" in why and "AMBIGUITY_MARGIN" in why


def test_explain_says_when_the_exercise_came_from_the_conversation(coach: Coach) -> None:
    _, printed, _ = converse(coach, "how do i do a nordic curl\rhow many reps?\r/explain\r\x04")
    assert "Exercise: Nordic hamstring curl, from the conversation" in printed


def test_explain_shows_the_red_flag_and_what_triggered_it(coach: Coach) -> None:
    _, printed, _ = converse(coach, "my pee is dark brown after nordics\r/explain\r\x04")
    assert "Safety: red flag rhabdomyolysis (emergency, current); hits: rhabdomyolysis" in printed


def test_explain_before_any_question_says_there_is_nothing_yet(coach: Coach) -> None:
    _, printed, _ = converse(coach, "/explain\r\x04")
    assert "Nothing to explain yet" in printed


def test_sources_show_where_the_last_answer_comes_from(coach: Coach) -> None:
    _, printed, _ = converse(coach, "/sources\rhow do i do a glute bridge\r/sources\r\x04")
    before, after = printed.split("No answer yet", 1)
    assert "Sources:" not in before
    for source in coach.exercises["glute-bridge"].sources:
        assert source in after


def test_reset_forgets_the_exercise_being_discussed(coach: Coach) -> None:
    _, printed, app = converse(coach, "how do i do a nordic curl\r/reset\rhow many reps?\r\x04")
    assert "starting over" in printed
    assert app.session.last_reply is not None
    assert app.session.last_reply.exercise is None


def test_exercises_lists_every_exercise_name(coach: Coach) -> None:
    _, printed, _ = converse(coach, "/exercises\r\x04")
    for exercise in coach.exercises.values():
        assert f"- {exercise.name}" in printed


def test_help_lists_the_commands(coach: Coach) -> None:
    _, printed, _ = converse(coach, "/help\r\x04")
    for command in ("/help", "/exercises", "/reset", "/explain", "/sources", "/quit"):
        assert f"- {command}:" in printed


def test_unknown_command_is_named_and_points_to_help(coach: Coach) -> None:
    _, printed, _ = converse(coach, "/dance\r\x04")
    assert "I don't know the command /dance" in printed


# -- completion ---------------------------------------------------------------------------
def test_completion_offers_nordic_names_for_the_word_being_typed(coach: Coach) -> None:
    found = completions(coach, "how do i do a nor")
    assert "Nordic hamstring curl" in found
    assert "nordic curl" in found
    assert all(f.lower().startswith("nor") for f in found)


def test_completion_replaces_only_the_word_being_typed(coach: Coach) -> None:
    completer = ChatCompleter(completion_phrases(coach))
    found = list(completer.get_completions(Document("how do i do a nor"), CompleteEvent()))
    assert {c.start_position for c in found} == {-3}


def test_completion_continues_a_name_of_several_words(coach: Coach) -> None:
    assert "Glute ham raise" in completions(coach, "my glute ha")


def test_completion_of_slash_commands(coach: Coach) -> None:
    assert "/exercises" in completions(coach, "/ex")
    assert "/explain" in completions(coach, "/ex")
    assert "/help" not in completions(coach, "/ex")


def test_completion_shows_which_exercise_an_alias_names(coach: Coach) -> None:
    assert completions(coach, "how do i do a nor")["nordic curl"] == "Nordic hamstring curl"


def test_completion_leaves_misspelt_aliases_out(coach: Coach) -> None:
    assert coach.ask("how do i do a nordic crul").exercise == "nordic-hamstring-curl"
    assert "nordic crul" not in completions(coach, "nordic c")


def test_misspelt_words_are_rare_neighbours_of_common_words() -> None:
    phrases = ["nordic curl", "slider curl", "towel curl", "nordic crul", "nordic curls"]
    assert misspelt_words(phrases) == {"crul"}


def test_completion_waits_for_three_letters_unless_tab_is_pressed(coach: Coach) -> None:
    assert completions(coach, "how do i do a no") == {}
    assert "nordic curl" in completions(coach, "how do i do a no", tab=True)


def test_completion_leaves_run_together_alias_spellings_out(coach: Coach) -> None:
    assert "nordiccurl" not in completions(coach, "nord", tab=True)


# -- formatting ---------------------------------------------------------------------------
def test_format_marks_headings_bullets_and_steps() -> None:
    fragments = format_text("Cues:\n- Brace\n1. Kneel\nPlain words.")
    assert ("class:heading", "Cues:\n") in fragments
    assert ("class:marker", "- ") in fragments
    assert ("class:marker", "1. ") in fragments
    assert ("", "Plain words.\n") in fragments


def test_long_lines_fold_at_words_under_their_marker() -> None:
    fragments = format_text("1. " + "lower slowly " * 8, width=30)
    lines = "".join(text for _, text in fragments).splitlines()
    assert len(lines) > 1
    assert all(len(line) <= 30 for line in lines)
    assert all(line.startswith("   ") for line in lines[1:])


def test_answers_fit_the_terminal_width_when_wrapping(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    ChatApp(coach, out, wrap=True).handle("how do i do a nordic curl")
    assert max(len(line) for line in out.getvalue().splitlines()) < 60


def test_colour_output_paints_the_safety_banner(coach: Coach) -> None:
    terminal = FakeTerminal()
    app = ChatApp(coach, terminal, plain=False)
    app.handle("my pee is dark brown after nordics")
    printed = terminal.getvalue()
    assert BANNER in printed
    assert "\x1b[" in printed


def test_plain_output_has_no_escape_codes(coach: Coach) -> None:
    out = io.StringIO()
    ChatApp(coach, out, plain=True).handle("my pee is dark brown after nordics")
    assert "\x1b" not in out.getvalue()


# -- history ------------------------------------------------------------------------------
def test_history_lives_in_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    history = make_history(no_history=False)
    assert isinstance(history, FileHistory)
    assert (tmp_path / "coachbot" / "history").is_file()


def test_history_is_readable_by_the_user_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    path = tmp_path / "coachbot" / "history"
    make_history(no_history=False)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)  # as an older version left it
    make_history(no_history=False)
    assert path.stat().st_mode & 0o777 == 0o600


def test_history_records_what_was_typed(
    coach: Coach, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    converse(coach, "how do i do a nordic curl\r\x04", history=make_history(no_history=False))
    assert "how do i do a nordic curl" in (tmp_path / "coachbot" / "history").read_text()


def test_no_history_keeps_history_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert isinstance(make_history(no_history=True), InMemoryHistory)
    assert not (tmp_path / "coachbot").exists()


def test_history_falls_back_to_memory_when_its_folder_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert isinstance(make_history(no_history=False), InMemoryHistory)


# -- piped input --------------------------------------------------------------------------
def test_piped_lines_are_each_answered_in_order(coach: Coach) -> None:
    out = io.StringIO()
    status = read_lines(
        ChatApp(coach, out), ["how do i do a nordic curl\n", "\n", "how many reps?\n"]
    )
    printed = out.getvalue()
    assert status == 0
    assert printed.index("step by step:") < printed.index("sets and reps:")


def run_chat(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "coachbot", "chat", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_chat_command_answers_piped_questions() -> None:
    result = run_chat(b"how do i do a nordic curl\nhow many reps?\n")
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "Nordic hamstring curl, step by step:" in out
    assert "Nordic hamstring curl, sets and reps:" in out
    assert result.stderr == b""


def test_chat_command_survives_bytes_that_are_not_utf8() -> None:
    result = run_chat(b"how do i do a nordic curl \xff\xfe\n")
    assert result.returncode == 0
    assert "step by step:" in result.stdout.decode()


def test_chat_command_with_a_missing_knowledge_folder_fails_in_one_line() -> None:
    result = run_chat(b"hello\n", "--knowledge", "/nonexistent")
    assert result.returncode == 2
    assert len(result.stderr.decode().strip().splitlines()) == 1


@pytest.mark.parametrize(("plain", "bold"), [(True, False), (False, True)])
def test_the_prompt_is_bold_only_when_not_plain(coach: Coach, plain: bool, bold: bool) -> None:
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.vt100 import Vt100_Output

    term = FakeTerminal()
    output = Vt100_Output(term, lambda: Size(rows=24, columns=80), term="xterm")
    with create_pipe_input() as inp:
        inp.send_text("/quit\r")
        session = prompt_session(coach, InMemoryHistory(), plain=plain, input=inp, output=output)
        repl(ChatApp(coach, io.StringIO(), plain=True), session)
    prompt = term.getvalue().split("you>")[0].rsplit("\x1b[", 1)[-1]  # the style set just before
    assert (";1m" in prompt) == bold


def test_chat_with_standard_output_closed_exits_2_with_one_line() -> None:
    result = subprocess.run(
        f'printf "hi\\n" | "{sys.executable}" -m coachbot chat >&-',
        shell=True,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "coachbot: standard input or output is closed: the chat needs both"
    ]
