"""``coachbot batch``: input formats, error records, output formats, and answers that match
``Coach.ask`` question by question (with the cache and with worker processes)."""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from coachbot import Coach, Reply, batch
from coachbot.cli import main

ROOT = Path(__file__).resolve().parent.parent
Cap = pytest.CaptureFixture[str]
LABELLED = ROOT / "tests" / "data" / "labelled.yaml"


@pytest.fixture(autouse=True)
def shared_coach(monkeypatch: pytest.MonkeyPatch, coach: Coach) -> None:
    """Reuse the session's coach in-process (loading one per test would dominate the run)."""
    monkeypatch.setattr(batch, "Coach", lambda knowledge=None, intents=None: coach)


def run_batch(capsys: Cap, *argv: str) -> tuple[int, str, str]:
    code = main(["batch", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def labelled_questions(n: int) -> list[str]:
    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["questions"]
    return [str(item["q"]) for item in items[:: max(1, len(items) // n)]][:n]


def expected(coach: Coach, question: str) -> dict[str, Any]:
    reply = coach.ask(question)
    return {
        "answer": reply.text,
        "intent": reply.intent,
        "exercise": reply.exercise,
        "confidence": round(reply.confidence, 4),
        "red_flag": reply.red_flag.severity if reply.red_flag else None,
    }


def answer_part(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec[k] for k in ("answer", "intent", "exercise", "confidence", "red_flag")}


# -- input formats ---------------------------------------------------------------------------
def test_txt_gives_one_record_per_question_in_input_order(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_text("how many sets of nordics\nwhat is a ghr\n", encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0
    assert [(r["id"], r["question"]) for r in records] == [
        (1, "how many sets of nordics"),
        (2, "what is a ghr"),
    ]
    assert records[0]["intent"] == "sets_reps" and records[0]["error"] is None


def test_txt_blank_lines_are_skipped_but_counted_in_id(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_text("what is a ghr\n\n   \nhow many sets of nordics\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    assert [r["id"] for r in jsonl(out)] == [1, 4]


def test_carried_names_stay_unique_however_the_input_names_them(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    src.write_text("question,input_answer,answer,question\nhi,a,b,c\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    (line,) = out.splitlines()
    pairs = json.loads(line, object_pairs_hook=list)
    names = [k for k, _ in pairs]
    assert len(names) == len(set(names))
    assert dict(pairs)["input_answer"] == "a"
    assert sorted(v for k, v in pairs if k.startswith("input_")) == ["a", "b", "c"]


def test_jsonl_to_csv_keeps_keys_that_first_appear_later(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text('{"question": "hi", "a": 1}\n{"question": "hi", "b": [2]}\n', encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--format", "csv", "--quiet")
    first, second = csv.DictReader(io.StringIO(out))
    assert list(first)[-2:] == ["a", "input_other"]
    assert (first["a"], first["input_other"]) == ("1", "")
    assert (second["a"], json.loads(second["input_other"])) == ("", {"b": [2]})


def test_csv_carries_the_other_columns_through(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.csv"
    src.write_text("user,question,channel\nann,what is a ghr,web\nbob,hi,app\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert [(r["id"], r["user"], r["channel"]) for r in records] == [
        (1, "ann", "web"),
        (2, "bob", "app"),
    ]
    assert records[0]["exercise"] == "glute-ham-raise"


def test_csv_column_option_picks_the_question_column(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.csv"
    src.write_text("text,id\nwhat is a ghr,a1\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--column", "text", "--quiet")
    (rec,) = jsonl(out)
    assert rec["question"] == "what is a ghr"
    assert rec["input_id"] == "a1"  # "id" is an output field, so the input's id is renamed


def test_csv_question_with_a_newline_inside_quotes_is_one_row(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.csv"
    src.write_text('question\n"what is\na ghr"\nhi\n', encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    assert [(r["id"], r["question"]) for r in jsonl(out)] == [(1, "what is\na ghr"), (2, "hi")]


def test_jsonl_carries_the_other_keys_through(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text('{"question": "what is a ghr", "user": 7, "tags": ["a"]}\n', encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    (rec,) = jsonl(out)
    assert (rec["user"], rec["tags"], rec["exercise"]) == (7, ["a"], "glute-ham-raise")


def test_input_format_option_overrides_the_extension(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "questions.data"
    src.write_text('{"question": "what is a ghr"}\n', encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--input-format", "jsonl", "--quiet")
    assert jsonl(out)[0]["question"] == "what is a ghr"


def test_unknown_extension_exits_2_with_one_line(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "questions.data"
    src.write_text("what is a ghr\n", encoding="utf-8")
    code, out, err = run_batch(capsys, str(src))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--input-format" in err


# -- bad rows --------------------------------------------------------------------------------
def test_undecodable_txt_line_is_an_error_record_and_the_run_goes_on(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.txt"
    src.write_bytes(b"what is a ghr\nbad \xff\xfe bytes\nhi\n")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0
    assert [r["id"] for r in records] == [1, 2, 3]
    assert "UTF-8" in records[1]["error"] and records[1]["answer"] is None
    assert records[2]["intent"] == "greeting"


def test_undecodable_csv_row_is_an_error_record(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.csv"
    src.write_bytes(b"question,user\nwhat is a ghr,a\nbad \xff,b\nhi,c\n")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0
    assert [(r["id"], r["error"] is None) for r in records] == [(1, True), (2, False), (3, True)]
    assert "UTF-8" in records[1]["error"]


def test_a_csv_quote_never_closed_is_an_error_record_not_a_merged_question(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    src.write_text('user,question\na,hi\nb,"what is a ghr\nc,how do i do nordics\n')
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0 and [r["id"] for r in records] == [1, 2, 3]
    assert "never closed" in records[1]["error"] and records[1]["answer"] is None
    # The row's own text is kept for the user to fix; the row the open quote would have
    # swallowed is read as the row it is.
    assert records[1]["question"] == 'b,"what is a ghr'
    assert records[2]["user"] == "c" and records[2]["intent"] == "how_to"


@pytest.mark.parametrize(
    ("content", "questions", "errors"),
    [
        # The runaway quote opens on the second line of a row of two lines.
        (
            'id,question,z\n1,"multi\nline",x,"oops\n2,q,r\n3,s,t\n',
            ['1,"multi\nline",x,"oops', "q", "s"],
            [0],
        ),
        # A row of several lines that is not valid CSV: each line read as its own row.
        ('id,question\n1,"abc\n2,"def\n3,x\n', ['1,"abc', '2,"def', "x"], [0, 1]),
        # A line swallowed by the quote keeps its own problem when it is read again.
        (
            'id,question\n1,"abc\n2,bad \udcff byte\n3,ok\n',
            ['1,"abc', "bad \ufffd byte", "ok"],
            [0, 1],
        ),
    ],
)
def test_the_rows_after_a_bad_quote_keep_their_ids_and_problems(
    tmp_path: Path, capsys: Cap, content: str, questions: list[str], errors: list[int]
) -> None:
    src = tmp_path / "q.csv"
    src.write_bytes(content.encode("utf-8", errors="surrogateescape"))
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0 and [r["id"] for r in records] == [1, 2, 3]
    assert [i for i, r in enumerate(records) if r["error"]] == errors
    assert [r["question"] for r in records] == questions


def test_a_quote_never_closed_in_a_big_file_loses_no_row_and_no_id(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    rows = "".join(f"{i},how many sets of hip thrusts number {i}\n" for i in range(3, 40_003))
    src.write_text(f'id,question\n1,hi\n2,"how many sets of nordics\n{rows}', encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet", "--workers", "1")
    records = jsonl(out)
    assert code == 0 and len(records) == 40_002
    assert "quoted field runs past" in records[1]["error"]
    assert all(str(r["id"]) == r["input_id"] for r in records[2:])


def test_odd_quoting_within_a_csv_row_is_read_leniently_with_its_columns(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    src.write_text('question,user\n"what is a ghr" ,a\nhi,b\n')  # a space after the quote
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0 and records[0]["error"] is None
    assert (records[0]["intent"], records[0]["user"]) == ("overview", "a")
    assert records[1]["intent"] == "greeting"


def test_broken_json_line_is_an_error_record(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text(
        '{"question": "hi"}\n{"question": \n{"question": "what is a ghr"}\n', encoding="utf-8"
    )
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0
    assert records[1]["id"] == 2 and records[1]["error"].startswith("not valid JSON")
    assert records[2]["exercise"] == "glute-ham-raise"


def test_csv_row_missing_the_question_column_is_an_error_record(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    src.write_text("user,question\nann\nbob,hi\n", encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0
    assert "no 'question' column" in records[0]["error"] and records[0]["user"] == "ann"
    assert records[1]["intent"] == "greeting"


def test_unquoted_commas_in_a_last_question_column_stay_in_the_question(
    tmp_path: Path, capsys: Cap, coach: Coach
) -> None:
    src = tmp_path / "q.csv"
    src.write_text("user,question\nann,how many sets, and reps, of nordics\n", encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    (rec,) = jsonl(out)
    assert code == 0 and rec["user"] == "ann" and rec["error"] is None
    assert rec["question"] == "how many sets, and reps, of nordics"
    assert rec["intent"] == coach.ask(rec["question"]).intent == "sets_reps"


def test_a_row_with_more_cells_than_columns_is_an_error_record_keeping_them(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    src.write_text("question,user\nhow many sets, of nordics,ann\nhi,bob\n", encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    bad, good = jsonl(out)
    assert code == 0
    assert bad["question"] == "how many sets, of nordics,ann" and bad["answer"] is None
    assert "3 cells but 2 columns" in bad["error"]
    assert good["intent"] == "greeting" and good["user"] == "bob"


def test_a_csv_field_past_the_csv_module_limit_is_read_as_a_long_question(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    long = "how many sets " + "x" * (batch.MAX_QUESTION_CHARS)
    src.write_text(f"question\n{long}\nhi\n", encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    first, second = jsonl(out)
    assert code == 0 and first["question"] == long
    assert "question longer than" in first["error"]
    assert second["intent"] == "greeting"


@pytest.mark.parametrize(
    ("name", "content"),
    [("q.csv", 'question,user\n"",ann\n'), ("q.jsonl", '{"question": "   "}\n')],
)
def test_empty_question_is_an_error_record(
    tmp_path: Path, capsys: Cap, name: str, content: str
) -> None:
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    (rec,) = jsonl(out)
    assert code == 0 and rec["error"] == "empty question" and rec["answer"] is None


def test_over_long_question_is_an_error_record(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_QUESTION_CHARS", 1_000)
    src = tmp_path / "q.txt"
    src.write_text("nordics " * 200 + "\nhi\n", encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0
    assert "longer than 1,000 characters" in records[0]["error"] and records[0]["answer"] is None
    assert records[1]["intent"] == "greeting"


def test_long_question_is_answered_as_ask_answers_it(
    coach: Coach, tmp_path: Path, capsys: Cap
) -> None:
    # Past what the matcher reads, but the screen reads on: the symptom at the end counts.
    question = "i was doing nordics all week and " * 40 + "now i have crushing chest pain"
    src = tmp_path / "q.txt"
    src.write_text(question + "\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    (rec,) = jsonl(out)
    assert rec["error"] is None and rec["red_flag"] == "emergency"
    assert answer_part(rec) == expected(coach, question)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('{"question": "hi", "n": ' + "1" * 5000 + "}", "not valid JSON: Exceeds the limit"),
        ('{"question": "a \\ud800 b"}', "unpaired surrogate"),
        ('{"question": "hi", "k": {"\\udfff": 1}}', "unpaired surrogate"),
        ('{"question": "hi", "s": NaN}', "NaN is not a JSON value"),
        ('{"question": "hi", "s": -Infinity}', "-Infinity is not a JSON value"),
        ('{"question": "hi", "s": 1e999}', "1e999 is too large a number"),
        ("[1, 2]", "expected a JSON object, got an array"),
        ('["hi"]', "expected a JSON object"),
        ('{"text": "hi"}', "no 'question' key"),
        ('{"question": 5}', "must be a string"),
        ('{"question": null}', "must be a string, not null"),
    ],
)
def test_jsonl_rows_that_cannot_be_read_or_written_back_are_error_records(
    tmp_path: Path, capsys: Cap, line: str, error: str
) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text(line + '\n{"question": "hi"}\n', encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    first, second = jsonl(out)
    assert code == 0
    assert error in first["error"] and first["answer"] is None
    # What the row held is kept for the user to fix (a missing or null question is none).
    assert first["question"] is not None or line in ('{"text": "hi"}', '{"question": null}')
    assert second["intent"] == "greeting"


def test_a_line_that_is_not_utf8_keeps_what_can_be_read(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_bytes(b"hip thrust caf\xe9 sets\nhi\n")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    first, second = jsonl(out)
    assert code == 0 and "not valid UTF-8" in first["error"]
    assert first["question"] == "hip thrust caf\ufffd sets" and second["intent"] == "greeting"


def test_line_over_the_byte_limit_is_skipped_and_reported(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_LINE_BYTES", 64)
    src = tmp_path / "q.txt"
    src.write_text("x" * 500 + "\nhi\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert [r["id"] for r in records] == [1, 2]
    assert "line longer than" in records[0]["error"] and records[1]["intent"] == "greeting"


def test_question_that_makes_the_coach_raise_is_an_error_record(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch, coach: Coach
) -> None:
    class Fragile:
        def ask(self, text: str) -> Reply:
            if "boom" in text:
                raise RuntimeError("boom")
            return coach.ask(text)

        def ask_block(self, texts: list[str]) -> list[Reply]:
            return [self.ask(text) for text in texts]  # one bad question fails the block

    monkeypatch.setattr(batch, "Coach", lambda knowledge=None, intents=None: Fragile())
    src = tmp_path / "q.txt"
    src.write_text("boom\nhi\n", encoding="utf-8")
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    records = jsonl(out)
    assert code == 0
    assert "RuntimeError: boom" in records[0]["error"] and records[1]["intent"] == "greeting"


def test_summary_on_stderr_counts_each_kind(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_bytes(b"what is a ghr\n\xff\nhow do i bake bread\nsudden chest pain on nordics\n")
    _, _, err = run_batch(capsys, str(src))
    assert "4 questions" in err
    for part in ("1 answered", "1 red flags", "1 not understood", "1 errors"):
        assert part in err


def test_quiet_prints_nothing_on_stderr(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_text("hi\n", encoding="utf-8")
    _, _, err = run_batch(capsys, str(src), "--quiet")
    assert err == ""


# -- the whole input cannot be used ----------------------------------------------------------
def test_missing_input_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coachbot", "batch", str(tmp_path / "nope.txt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "nope.txt" in result.stderr


def test_csv_header_without_the_question_column_exits_2_with_one_line(
    tmp_path: Path, capsys: Cap
) -> None:
    src = tmp_path / "q.csv"
    src.write_text("text,user\nhi,ann\n", encoding="utf-8")
    code, out, err = run_batch(capsys, str(src))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "no 'question' column" in err


def test_output_onto_the_input_file_is_refused(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_text("hi\n", encoding="utf-8")
    code, _, err = run_batch(capsys, str(src), "-o", str(src))
    assert code == 2 and "is the input file" in err
    assert src.read_text(encoding="utf-8") == "hi\n"


def test_output_onto_the_input_under_another_name_is_refused(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, link = tmp_path / "q.txt", tmp_path / "link.txt"
    src.write_text("hi\n", encoding="utf-8")
    link.hardlink_to(src)
    code, _, err = run_batch(capsys, str(link), "-o", str(src))
    assert code == 2 and "is the input file" in err
    with src.open("rb") as stdin:  # the file behind stdin counts too
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin))
        code, _, err = run_batch(capsys, "-", "-o", str(src))
    assert code == 2 and "is the input file" in err
    assert src.read_text(encoding="utf-8") == "hi\n"


def test_output_to_a_device_is_not_mistaken_for_the_input(capsys: Cap) -> None:
    code, _, _ = run_batch(capsys, "/dev/null", "--input-format", "txt", "-o", "/dev/null")
    assert code == 0


@pytest.mark.parametrize("workers", ["0", "-1", str(batch.MAX_WORKERS + 1), "two", "1.5", ""])
def test_invalid_workers_exit_2(tmp_path: Path, capsys: Cap, workers: str) -> None:
    src = tmp_path / "q.txt"
    src.write_text("hi\n", encoding="utf-8")
    code, out, err = run_batch(capsys, str(src), "--workers", workers)
    assert code == 2 and out == "" and "--workers must be auto or from 1 to" in err


def test_utf16_text_input_exits_2(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_bytes("hi\nhow do i do a nordic\n".encode("utf-16"))
    code, _, err = run_batch(capsys, str(src), "--quiet")
    assert code == 2 and "UTF-16" in err


@pytest.mark.parametrize("name", ["q.txt", "q.jsonl"])
def test_utf16_input_is_refused_before_an_old_output_is_emptied(
    tmp_path: Path, capsys: Cap, name: str
) -> None:
    src, old = tmp_path / name, tmp_path / "answers.jsonl"
    src.write_bytes("hi\n".encode("utf-16"))
    old.write_text("kept\n", encoding="utf-8")
    code, _, err = run_batch(capsys, str(src), "-o", str(old), "--quiet")
    assert code == 2 and "UTF-16" in err
    assert old.read_text(encoding="utf-8") == "kept\n"


def test_standard_output_appending_to_the_input_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "q.txt"
    src.write_text("hi\n", encoding="utf-8")
    result = subprocess.run(
        f'"{sys.executable}" -m coachbot batch "{src}" --quiet >> "{src}"',
        shell=True,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2 and "standard output is the input file" in result.stderr
    assert src.read_text(encoding="utf-8") == "hi\n"


def test_a_lone_carriage_return_in_a_cell_is_quoted(tmp_path: Path, capsys: Cap) -> None:
    src, dest = tmp_path / "q.txt", tmp_path / "a.csv"
    src.write_bytes(b"how many sets\rof nordics\nhi\n")
    code, _, _ = run_batch(capsys, str(src), "-o", str(dest), "--quiet")
    with dest.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert code == 0 and len(rows) == 3  # the header and one row per question
    assert rows[1][1] == "how many sets\rof nordics" and rows[2][1] == "hi"


@pytest.mark.parametrize(
    ("workers", "error"), [(0, ValueError), (99, ValueError), ("2", TypeError)]
)
def test_ask_many_checks_its_workers(coach: Coach, workers: Any, error: type) -> None:
    with pytest.raises(error, match="workers must be"):
        coach.ask_many(["hi"], workers=workers)


def test_closed_stdout_exits_2_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "q.txt"
    src.write_text("hi\n", encoding="utf-8")
    result = subprocess.run(
        f'"{sys.executable}" -m coachbot batch "{src}" --quiet >&-',
        shell=True,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "coachbot: standard output is closed: name an output file with -o"
    ]


def test_interrupting_workers_gives_one_line_and_no_tracebacks(tmp_path: Path) -> None:
    src, dest = tmp_path / "q.txt", tmp_path / "out.jsonl"
    src.write_text("".join(f"how many sets of nordics {n}\n" for n in range(200_000)))
    cmd = [sys.executable, "-m", "coachbot", "batch", str(src), "-o", str(dest)]
    proc = subprocess.Popen(
        [*cmd, "--workers", "2", "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        # A shell's background job starts with Ctrl-C ignored, and the child would inherit
        # that: the interrupt the user's terminal sends is what is under test.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for _ in range(600):  # until the workers are answering (never more than a minute)
        if dest.exists() and dest.stat().st_size > 0 or proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["coachbot: interrupted"]


# -- stdin and output formats ----------------------------------------------------------------
def test_dash_reads_questions_from_stdin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coachbot", "batch", "-", "--quiet"],
        input="what is a ghr\n\nhi\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    records = jsonl(result.stdout)
    assert result.returncode == 0
    assert [(r["id"], r["intent"]) for r in records] == [(1, "overview"), (3, "greeting")]


def test_dash_with_input_format_reads_jsonl_from_stdin(
    capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'{"question": "hi", "n": 1}\n'), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    _, out, _ = run_batch(capsys, "-", "--input-format", "jsonl", "--quiet")
    (rec,) = jsonl(out)
    assert (rec["intent"], rec["n"]) == ("greeting", 1)


def test_csv_output_chosen_by_the_output_extension(tmp_path: Path, capsys: Cap) -> None:
    src, dest = tmp_path / "q.csv", tmp_path / "answers.csv"
    src.write_text("question,user\nwhat is a ghr,ann\n", encoding="utf-8")
    run_batch(capsys, str(src), "-o", str(dest), "--quiet")
    with dest.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [*batch.FIELDS, "user"]
    assert (rows[0]["exercise"], rows[0]["user"], rows[0]["red_flag"]) == (
        "glute-ham-raise",
        "ann",
        "",
    )


def test_format_option_writes_csv_to_stdout(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_text("what is a ghr\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--format", "csv", "--quiet")
    (row,) = csv.DictReader(io.StringIO(out))
    assert (row["id"], row["intent"], row["error"]) == ("1", "overview", "")


def test_csv_output_defuses_cells_a_spreadsheet_would_run(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.csv"
    src.write_text(
        'question,note,=HEAD,weight\n"=HYPERLINK(""x"",""y"")",@SUM(A1),a,-5\n'
        "hi, =1+1,b,+44 20 7946\n-what is a ghr,\t=cmd,c,2.5e3\n",
        encoding="utf-8",
    )
    _, out, _ = run_batch(capsys, str(src), "--format", "csv", "--quiet")
    header, *rows = csv.reader(io.StringIO(out))
    assert header[-3:] == ["note", "'=HEAD", "weight"]
    cells = [(r[1], r[-3], r[-1]) for r in rows]
    assert cells == [
        ('\'=HYPERLINK("x","y")', "'@SUM(A1)", "-5"),  # a plain number is no formula
        ("hi", "' =1+1", "'+44 20 7946"),
        ("'-what is a ghr", "'\t=cmd", "2.5e3"),
    ]
    # The question is still answered as written, and JSONL output is never changed.
    assert rows[2][header.index("intent")] == "overview"
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    assert [r["question"] for r in jsonl(out)][0] == '=HYPERLINK("x","y")'


def test_keep_formulas_writes_csv_cells_as_they_are(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_text("=1+1 what is a ghr\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--format", "csv", "--keep-formulas", "--quiet")
    (row,) = csv.DictReader(io.StringIO(out))
    assert row["question"] == "=1+1 what is a ghr"


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("", ""),
        ("plain", "plain"),
        ("-", "'-"),
        ("-3", "-3"),
        (" -3 ", " -3 "),
        ("+", "'+"),
        ("\u00a0=x", "'\u00a0=x"),
        ("a=b", "a=b"),
        ("\r", "'\r"),
    ],
)
def test_defused(cell: str, shown: str) -> None:
    assert batch.defused(cell) == shown


def test_jsonl_lines_equal_the_json_of_each_record(coach: Coach) -> None:
    """The fast JSONL writer produces exactly ``json.dumps(record(...))``."""
    rows = [
        batch.Row(1, "what is a ghr", None, (("user", "ann"), ("id", 3))),
        batch.Row(2, "hi"),
        batch.Row(3, None, "empty question"),
    ]
    out = io.StringIO()
    sink = batch._JsonlSink(out)
    replies = [coach.ask("what is a ghr"), coach.ask("hi"), None]
    for row, reply in zip(rows, replies, strict=True):
        sink.write(row, reply)
    assert out.getvalue().splitlines() == [
        json.dumps(batch.record(row, reply), ensure_ascii=False)
        for row, reply in zip(rows, replies, strict=True)
    ]


# -- answers ---------------------------------------------------------------------------------
def test_answers_are_identical_to_coach_ask_on_a_sample(
    tmp_path: Path, capsys: Cap, coach: Coach
) -> None:
    """Blocks are ranked together; each answer must still be that of a lone ``coach.ask``."""
    asked = labelled_questions(300)
    safety = yaml.safe_load((LABELLED.parent / "safety_set.yaml").read_text(encoding="utf-8"))
    asked += [str(m["text"]) for m in safety["messages"][::4]]
    questions = [*asked, *(f"quick question: {q} thanks" for q in asked)]
    src = tmp_path / "q.txt"
    src.write_text("\n".join(questions) + "\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    assert [answer_part(r) for r in jsonl(out)] == [expected(coach, q) for q in questions]


def test_cached_answers_to_reworded_repeats_are_identical_to_coach_ask(
    tmp_path: Path, capsys: Cap, coach: Coach
) -> None:
    """Repeats differing in case, spacing or quotes share a cache entry; answers still match."""
    questions = [
        "how many sets of nordics",
        "HOW many  sets of Nordics",
        "How many sets of nordics ",
        "what’s a ghr",
        "what's a GHR",
        "chest pain during nordics",
        "Chest  pain during NORDICS",
    ]
    src = tmp_path / "q.txt"
    src.write_text("\n".join(questions) + "\n", encoding="utf-8")
    _, out, _ = run_batch(capsys, str(src), "--quiet")
    assert [answer_part(r) for r in jsonl(out)] == [expected(coach, q.strip()) for q in questions]


def test_answer_many_gives_coach_ask_replies_in_order(coach: Coach) -> None:
    questions = ["hi", "what is a ghr", "hi", "how many sets of nordics", "HI"]
    assert list(batch.answer_many(coach, questions)) == [coach.ask(q) for q in questions]


def test_two_workers_give_the_same_output_as_one(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "Coach", Coach)  # workers load their own coach from the folders
    monkeypatch.setattr(batch, "BLOCK_SIZE", 16)  # several blocks in flight at once
    questions = labelled_questions(80) * 2
    src = tmp_path / "q.txt"
    src.write_bytes(("\n".join(questions) + "\n").encode() + b"\xff bad bytes\n")
    _, one, _ = run_batch(capsys, str(src), "--quiet", "--workers", "1")
    _, two, _ = run_batch(capsys, str(src), "--quiet", "--workers", "2")
    assert two == one and len(one.splitlines()) == len(questions) + 1


def test_finished_blocks_are_released_so_memory_stays_flat(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeats that straddle blocks in the workers must not chain every block to the last."""
    monkeypatch.setattr(batch, "BLOCK_SIZE", 4)
    questions = labelled_questions(40)
    # Each block of four asks a new question and repeats the previous block's new one.
    texts = [q for b in range(1, 40) for q in (questions[b], questions[b - 1]) * 2]
    alive = 0
    for index, _ in enumerate(batch.answered(coach, ((None, t) for t in texts), workers=2)):
        if index == len(texts) - 1:
            alive = sum(isinstance(o, batch._Block) for o in gc.get_objects())
    assert 0 < alive <= batch.IN_FLIGHT + 2


def test_a_100000_line_file_completes(tmp_path: Path, capsys: Cap) -> None:
    pool = [*labelled_questions(300), ""]
    lines = [pool[i % len(pool)] for i in range(100_000)]
    src = tmp_path / "big.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dest = tmp_path / "big.jsonl"
    code, _, _ = run_batch(capsys, str(src), "-o", str(dest), "--quiet")
    with dest.open(encoding="utf-8") as f:
        ids = [json.loads(line)["id"] for line in f]
    assert code == 0
    assert ids == [number for number, line in enumerate(lines, 1) if line]


# -- progress --------------------------------------------------------------------------------
def test_progress_shows_rate_and_time_left_when_the_total_is_known() -> None:
    line = batch.Progress(io.StringIO(), total=1000).line(250, elapsed=2.0)
    assert "250/1,000" in line and "125/s" in line and "0:06 left" in line


def test_progress_shows_only_the_rate_when_the_total_is_unknown() -> None:
    line = batch.Progress(io.StringIO(), total=None).line(250, elapsed=2.0)
    assert line == "250 rows  125/s"


def test_count_lines_counts_a_last_line_without_a_newline(tmp_path: Path) -> None:
    src = tmp_path / "q.txt"
    src.write_text("a\nb\nc", encoding="utf-8")
    assert batch.count_lines(src) == 3


def test_long_questions_share_a_cached_reply_only_when_ask_reads_them_alike(
    coach: Coach,
) -> None:
    """Past MAX_CHARS only the safety screen reads on, so a long question's key has two parts:
    the same words split differently at the cut are different questions."""
    cut = batch.MAX_CHARS
    first = "how many reps" + " " * (cut - 13) + " of nordic curls"
    second = "how many reps of nordic curls" + " " * cut
    assert batch.cache_key(first) != batch.cache_key(second)
    assert batch.cache_key(second) == batch.cache_key(second.upper())
    texts = [first, second, second.upper()]
    assert list(batch.answer_many(coach, texts)) == [coach.ask(t) for t in texts]


def test_auto_workers_is_one_per_usable_core_within_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: set(range(3)), raising=False)
    assert batch.worker_count("auto") == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: set(range(64)), raising=False)
    assert batch.worker_count("auto") == batch.AUTO_WORKERS_MAX
    assert batch.worker_count("2") == 2


def test_an_input_shorter_than_a_block_starts_no_workers(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*_: object, **__: object) -> None:
        raise AssertionError("workers started for a short input")

    monkeypatch.setattr(batch.multiprocessing, "Pool", no_pool)
    questions = [*labelled_questions(40), "hi"]
    assert list(batch.answer_many(coach, questions, workers=2)) == [coach.ask(q) for q in questions]


def test_answer_many_with_two_workers_gives_coach_ask_replies(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "BLOCK_SIZE", 8)  # several blocks, so the workers answer
    questions = [*labelled_questions(40), "hi", "HI", "sudden chest pain on nordics"]
    assert list(batch.answer_many(coach, questions, workers=2)) == [coach.ask(q) for q in questions]


@pytest.mark.parametrize("bad", [[None], [b"how many sets"], ["ok", 5]], ids=repr)
def test_ask_many_rejects_a_question_that_is_not_a_str(coach: Coach, bad: list[Any]) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        list(coach.ask_many(bad))


def test_ask_many_gives_the_replies_before_a_bad_question_then_raises(coach: Coach) -> None:
    replies = coach.ask_many(["hi"] * 3000 + [5, "hi"])
    for _ in range(3000):
        assert next(replies).intent == "greeting"
    with pytest.raises(TypeError, match="must be a str, not int"):
        next(replies)


@pytest.mark.parametrize("bad", ["how many sets", b"how many sets"], ids=repr)
def test_ask_many_rejects_one_string_at_the_call(coach: Coach, bad: Any) -> None:
    with pytest.raises(TypeError, match="iterable of questions"):
        coach.ask_many(bad)


def test_the_command_leaves_the_collector_as_it_found_it(tmp_path: Path, capsys: Cap) -> None:
    src = tmp_path / "q.txt"
    src.write_text("hi\n", encoding="utf-8")
    before = gc.get_freeze_count()
    assert run_batch(capsys, str(src), "--quiet")[0] == 0
    assert run_batch(capsys, str(src), "-o", str(src))[0] == 2  # fails after loading the coach
    assert gc.get_freeze_count() == before


@pytest.mark.parametrize(
    ("name", "data", "questions"),
    [
        (
            "q.txt",
            b"how do i do a nordic\r\rwhat is a ghr\r",
            ["how do i do a nordic", "what is a ghr"],
        ),
        (
            "q.csv",
            b'question,tag\rhow do i do a nordic,a\r"two\rlines",b',
            ["how do i do a nordic", "two\rlines"],
        ),
        (
            "q.jsonl",
            b'{"question": "what is a ghr"}\r{"question": "tempo?"}',
            ["what is a ghr", "tempo?"],
        ),
    ],
)
def test_lines_ending_in_cr_alone_are_lines(
    tmp_path: Path, capsys: Cap, name: str, data: bytes, questions: list[str]
) -> None:
    # Files saved by an old Mac (or Excel for Mac as "CSV (Macintosh)") end lines in CR.
    src = tmp_path / name
    src.write_bytes(data)
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    assert code == 0
    records = jsonl(out)
    assert [r["question"] for r in records] == questions
    assert all(r["error"] is None for r in records)
    assert batch.count_lines(src) == data.count(b"\r") + (not data.endswith(b"\r"))


def test_a_line_ending_in_cr_alone_over_the_limit_is_one_error_row(
    tmp_path: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "MAX_LINE_BYTES", 50)
    src = tmp_path / "q.txt"
    src.write_bytes(b"what is a ghr\r" + b"x" * 200_000 + b"\rtempo?\r" + b"y" * 70)
    code, out, _ = run_batch(capsys, str(src), "--quiet")
    assert code == 0
    records = jsonl(out)
    assert [(r["id"], r["question"]) for r in records] == [
        (1, "what is a ghr"),
        (2, None),
        (3, "tempo?"),
        (4, None),
    ]
    assert "line longer than 50 bytes" in records[1]["error"]


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_the_line_limit_is_the_same_whatever_ends_the_lines(
    monkeypatch: pytest.MonkeyPatch, end: bytes
) -> None:
    monkeypatch.setattr(batch, "MAX_LINE_BYTES", 40)
    monkeypatch.setattr(batch, "_READ_BLOCK", 16)  # lines longer than a block, too
    limit = 40 - len(end) + 1  # a CRLF line keeps its CR, so it holds one byte less
    data = end.join([b"a" * limit, b"b" * (limit + 1), b"x" * 100, b"what is a ghr", b""])
    rows = list(batch.read_txt(io.BytesIO(b"c" * 100 + end + data)))  # first line too long
    assert [(r.id, r.question, r.error is None) for r in rows] == [
        (1, None, False),
        (2, "a" * limit, True),
        (3, None, False),
        (4, None, False),
        (5, "what is a ghr", True),
    ]


def test_a_stray_cr_in_an_lf_file_stays_inside_its_line() -> None:
    data = b"how do i do a nordic curl\rplease\nhow many sets\nwhat muscles\n"
    rows = list(batch.read_txt(io.BytesIO(data)))
    assert [r.question for r in rows] == [
        "how do i do a nordic curl\rplease",
        "how many sets",
        "what muscles",
    ]


def test_a_word_across_the_cut_is_read_whole_and_keyed_alike(coach: Coach) -> None:
    # "chest" across MAX_CHARS is neither "che" in the first part nor "st" in the second.
    for shift in range(0, 20):
        text = ("a " * 600)[: batch.MAX_CHARS - shift] + "i have chest pain right now"
        reply = coach.ask(text)
        assert reply.red_flag is not None and reply.red_flag.category == "chest_pain", shift
        assert batch.cache_key(text) == batch.cache_key(text.replace("chest", "CHEST"))


def test_a_cr_file_whose_first_line_is_too_long_keeps_the_next_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch, "MAX_LINE_BYTES", 40)
    monkeypatch.setattr(batch, "_READ_BLOCK", 16)
    data = b"x" * 47 + b"\rhow many sets\r"  # the CR falls at the very end of a block
    rows = list(batch.read_txt(io.BytesIO(data)))
    assert [(r.id, r.question) for r in rows] == [(1, None), (2, "how many sets")]
