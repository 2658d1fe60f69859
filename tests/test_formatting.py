"""Renderings of reply text for chat platforms, and splitting long answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from coachbot import Coach
from coachbot.errors import UsageError
from coachbot.formatting import (
    parse,
    split_message,
    to_html,
    to_markdown,
    to_slack_mrkdwn,
    to_telegram_markdown_v2,
)

LABELLED = Path(__file__).parent / "data" / "labelled.yaml"
ANSWER = """Nordic curl, sets and reps:
- Beginner: 2 sets of 3-5 reps
- Advanced: 3 sets of 6-10 reps
Tell me your level."""
STEPS = """Glute bridge, step by step:
1. Lie on your back.
2. Drive through your heels."""
MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!\\")


@pytest.fixture(scope="module")
def answers(coach: Coach) -> list[str]:
    """The coach's real answers to every labelled question."""
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [coach.ask(item["q"]).text for item in data["questions"]]


# -- parsing --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Nordic curl, step by step:", "heading"),
        ("- Beginner: 2 sets", "bullet"),
        ("• Beginner: 2 sets", "bullet"),
        ("1. Kneel on a mat.", "step"),
        ("12. Reset.", "step"),
        ("Tell me your level: beginner or advanced.", "text"),
        ("-5 degrees is cold", "text"),
        ("2024 was a good year", "text"),
        ("   ", "blank"),
    ],
)
def test_parse_classifies_a_line(line: str, kind: str) -> None:
    assert parse(line)[0].kind == kind


def test_parse_strips_list_markers_from_the_body() -> None:
    bullet, step = parse("- hips up\n3. squeeze")
    assert (bullet.body, step.body, step.number) == ("hips up", "squeeze", "3")


# -- Markdown -------------------------------------------------------------------------------
def test_markdown_makes_headings_bold_and_keeps_bullets() -> None:
    assert to_markdown(ANSWER).splitlines()[:3] == [
        "**Nordic curl, sets and reps:**",
        "- Beginner: 2 sets of 3-5 reps",
        "- Advanced: 3 sets of 6-10 reps",
    ]


def test_markdown_ends_a_list_before_following_text() -> None:
    assert to_markdown(ANSWER).endswith("6-10 reps\n\nTell me your level.")


def test_markdown_keeps_numbered_steps() -> None:
    assert to_markdown(STEPS).splitlines()[1:] == [
        "1. Lie on your back.",
        "2. Drive through your heels.",
    ]


def test_markdown_leaves_ordinary_punctuation_alone() -> None:
    text = "Rest 2-3 minutes (longer if needed)! Go slow: 3-5 s down."
    assert to_markdown(text) == text


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("use a *light* band", "use a \\*light\\* band"),
        ("snake_case_word", "snake\\_case\\_word"),
        ("# not a heading", "\\# not a heading"),
        ("> not a quote", "\\> not a quote"),
        ("---", "\\---"),
    ],
)
def test_markdown_escapes_what_would_become_formatting(text: str, markdown: str) -> None:
    assert to_markdown(text) == markdown


# -- Telegram HTML --------------------------------------------------------------------------
def test_html_makes_headings_bold_and_bullets_dots() -> None:
    assert to_html(ANSWER) == (
        "<b>Nordic curl, sets and reps:</b>\n"
        "• Beginner: 2 sets of 3-5 reps\n"
        "• Advanced: 3 sets of 6-10 reps\n"
        "Tell me your level."
    )


def test_html_escapes_markup_characters() -> None:
    assert to_html("hips <up> & squeeze") == "hips &lt;up&gt; &amp; squeeze"


def test_html_of_real_answers_uses_only_bold_tags(answers: list[str]) -> None:
    tags = {tag for answer in answers for tag in re.findall(r"</?([a-z]+)", to_html(answer))}
    assert tags <= {"b"}


# -- Telegram MarkdownV2 --------------------------------------------------------------------
def unescaped_reserved(rendered: str) -> list[str]:
    """Reserved characters not preceded by a backslash."""
    found, i = [], 0
    while i < len(rendered):
        if rendered[i] == "\\":
            i += 2
            continue
        if rendered[i] in MARKDOWN_V2_RESERVED:
            found.append(rendered[i])
        i += 1
    return found


def test_markdown_v2_escapes_every_reserved_character_in_real_answers(
    answers: list[str],
) -> None:
    for answer in answers:
        for line in to_telegram_markdown_v2(answer).splitlines():
            # Headings are the one place the rendering adds reserved characters on purpose.
            text = line[1:-1] if re.fullmatch(r"\*.*[^\\]\*", line) else line
            assert unescaped_reserved(text) == [], line


def test_markdown_v2_makes_headings_bold_and_escapes_step_numbers() -> None:
    assert to_telegram_markdown_v2(STEPS).splitlines() == [
        "*Glute bridge, step by step:*",
        "1\\. Lie on your back\\.",
        "2\\. Drive through your heels\\.",
    ]


@given(st.text())
def test_markdown_v2_of_any_plain_line_leaves_nothing_unescaped(text: str) -> None:
    line = " ".join(text.split())
    if parse(line)[0].kind == "text":
        assert unescaped_reserved(to_telegram_markdown_v2(line)) == []


# -- Slack mrkdwn ---------------------------------------------------------------------------
def test_slack_makes_headings_bold_and_escapes_angle_brackets() -> None:
    assert to_slack_mrkdwn("Cues:\n- knees <out> & up").splitlines() == [
        "*Cues:*",
        "• knees &lt;out&gt; &amp; up",
    ]


# -- split_message: examples ----------------------------------------------------------------
def test_split_returns_a_short_text_whole() -> None:
    assert split_message(ANSWER, 4096) == [ANSWER]


def test_split_of_blank_text_is_no_messages() -> None:
    assert split_message(" \n\n ", 10) == []


def test_split_prefers_blank_lines_between_blocks() -> None:
    text = "First block line one\nline two\n\nSecond block"
    assert split_message(text, 35) == ["First block line one\nline two", "Second block"]


def test_split_keeps_list_items_whole() -> None:
    chunks = split_message(ANSWER, 60)
    assert chunks == [
        "Nordic curl, sets and reps:\n- Beginner: 2 sets of 3-5 reps",
        "- Advanced: 3 sets of 6-10 reps\nTell me your level.",
    ]


def test_split_cuts_a_long_line_between_words() -> None:
    assert split_message("one two three four", 9) == ["one two", "three", "four"]


def test_split_hard_cuts_a_word_longer_than_the_limit() -> None:
    assert split_message("abcdefghij kl", 4) == ["abcd", "efgh", "ij", "kl"]


def test_split_measures_chunks_with_the_given_size() -> None:
    chunks = split_message("a & b & c", 12, size=lambda chunk: len(to_html(chunk)))
    assert all(len(to_html(chunk)) <= 12 for chunk in chunks)
    assert " ".join(chunks) == "a & b & c"


@pytest.mark.parametrize("limit", [0, -5])
def test_split_rejects_a_limit_below_one(limit: int) -> None:
    with pytest.raises(UsageError):
        split_message("text", limit)


def test_split_reports_a_size_no_single_character_fits() -> None:
    with pytest.raises(UsageError, match="cannot hold"):
        split_message("&&&", 3, size=lambda chunk: len(to_html(chunk)))


def test_split_of_real_answers_keeps_every_line_whole(answers: list[str]) -> None:
    for answer in answers:
        lines = {line.strip() for line in answer.splitlines()}
        limit = max(200, max(len(line) for line in lines))
        for chunk in split_message(answer, limit):
            assert set(chunk.splitlines()) <= lines


# -- split_message: properties --------------------------------------------------------------
_word = st.text(alphabet="abcdefghij&<:-.1", min_size=1, max_size=12)
_line = st.one_of(
    st.lists(_word, min_size=1, max_size=8).map(" ".join),
    st.lists(_word, min_size=1, max_size=6).map(lambda ws: "- " + " ".join(ws)),
    st.lists(_word, min_size=1, max_size=6).map(lambda ws: "1. " + " ".join(ws)),
    st.lists(_word, min_size=1, max_size=4).map(lambda ws: " ".join(ws) + ":"),
    st.just(""),
)
structured = st.lists(_line, max_size=30).map("\n".join)
texts = structured | st.text(max_size=300)
limits = st.integers(min_value=1, max_value=120)


@settings(max_examples=300)
@given(texts, limits)
def test_every_chunk_fits_and_none_is_blank(text: str, limit: int) -> None:
    for chunk in split_message(text, limit):
        assert 0 < len(chunk) <= limit
        assert chunk == chunk.strip()


@settings(max_examples=300)
@given(texts, limits)
def test_chunks_keep_every_character_but_whitespace(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert "".join("".join(chunks).split()) == "".join(text.split())


@settings(max_examples=300)
@given(texts, limits)
def test_chunks_keep_every_word_when_words_fit(text: str, limit: int) -> None:
    if all(len(word) <= limit for word in text.split()):
        assert " ".join(split_message(text, limit)).split() == text.split()


@settings(max_examples=300)
@given(structured, limits)
def test_chunks_keep_every_line_when_lines_fit(text: str, limit: int) -> None:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    if all(len(line) <= limit for line in lines):
        for chunk in split_message(text, limit):
            assert all(line.strip() in lines for line in chunk.split("\n"))


@settings(max_examples=300)
@given(structured, st.integers(min_value=10, max_value=200))
def test_rendered_chunks_fit_when_measured_rendered(text: str, limit: int) -> None:
    def size(chunk: str) -> int:
        return len(to_html(chunk))

    chunks = split_message(text, limit, size=size)
    assert all(size(chunk) <= limit for chunk in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


@given(texts, limits)
def test_text_that_fits_is_one_chunk(text: str, limit: int) -> None:
    # (Windows line ends are sent as plain ones.)
    if text.strip() and len(text.strip()) <= limit:
        assert split_message(text, limit) == [text.replace("\r\n", "\n").strip()]
