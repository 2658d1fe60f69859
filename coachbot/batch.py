"""``coachbot batch``: answer a file of questions, one output record per input question.

    input lines -> rows (question or error) -> answers (cache, worker processes) -> records

Reading streams: the input is read a line at a time as bytes and decoded per line, so memory
stays flat for any file size and one bad line becomes one error record, never a crash.

Input formats
    txt    one question per line; blank lines are skipped (but still counted in ``id``)
    csv    a header row, the question in the ``--column`` column (default ``question``);
           the other columns are carried through into the output record
    jsonl  one JSON object per line with the question under ``--column`` (default
           ``question``); the other keys are carried through

Output records, in input order: ``id`` (the line number for txt and jsonl, the data row
number for csv: 1 is the first row under the header), ``question``, ``answer``, ``intent``,
``exercise``, ``confidence``, ``red_flag`` (severity), ``error`` (why the row could not be
read), then the carried-through fields (renamed ``input_<name>`` when the name is taken).
An empty value is ``null`` in JSONL and an empty cell in CSV. An error record has an error
message and no answer. A CSV cell that a spreadsheet would run as a formula is written with a
leading apostrophe (``defused``) unless ``--keep-formulas`` is given.

``answered`` is the engine underneath (and ``answer_many`` its plain form, for Python
callers): replies in input order, each distinct question answered once (see ``cache_key``),
blocks of them at a time (``Coach.ask_block``), in this process or in worker processes
(forked ones start with this process's ``Coach``, others load one from the folders).
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import math
import multiprocessing
import multiprocessing.pool
import os
import re
import signal
import stat
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Generic, TextIO, TypeVar

from .coach import Coach
from .errors import CoachbotError, UsageError
from .models import Reply
from .normalize import MAX_CHARS, MAX_SCREEN_CHARS, head, words

MAX_QUESTION_CHARS = MAX_SCREEN_CHARS
"""A longer question is an error record. Up to this, a question is answered as ``ask``
answers it: a symptom at the end of a long message must still escalate."""
MAX_LINE_BYTES = 1 << 20
"""A longer input line is skipped in pieces (and reported) so that memory stays flat."""
_READ_BLOCK = 1 << 16
"""How much of the input is read at a time."""
CACHE_SIZE = 20_000
"""Distinct questions whose replies are kept; the oldest go first when it is full."""
BLOCK_SIZE = 2_048
"""Rows answered together: the unit of de-duplication and of work sent to the workers."""
IN_FLIGHT = 2
"""Blocks handed to the workers before the oldest is written out (reading overlaps answering)."""
MAX_WORKERS = 4 * (os.cpu_count() or 1)
"""More processes than this only compete for the same cores (each holds a coach)."""
AUTO_WORKERS_MAX = 8
"""``--workers auto`` starts one process per usable core, but no more than this: each holds
its own caches, and a big machine's cores are seldom all free for one batch."""
COUNT_LINES_UP_TO = 512 << 20
"""Regular files up to this size are counted first so the progress bar can show time left."""

FIELDS = ("id", "question", "answer", "intent", "exercise", "confidence", "red_flag", "error")
FORMATS = ("txt", "csv", "jsonl")
_EXTENSIONS = {".txt": "txt", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

T = TypeVar("T")


# -- the answering engine --------------------------------------------------------------------
def cache_key(text: str) -> Hashable:
    """Questions with the same key get the same reply from ``Coach.ask``.

    Every stage of the coach reads a message through ``normalize.words``, so case, spacing,
    accents and typographic quotes cannot change the answer. A long message is read in two
    parts (``normalize.head``, the first ``MAX_CHARS`` characters up to a word's end, by every
    stage, the rest by the safety screen alone), and so is its key.
    """
    # Strings rather than tuples of words: a tenth of the memory in a full cache.
    if len(text) <= MAX_CHARS:
        return (" ".join(words(text)), None)
    first = head(text)
    return (" ".join(words(first)), " ".join(words(text[len(first) : MAX_SCREEN_CHARS])))


class _Cache:
    """Replies by question key, bounded (oldest out first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        # An OrderedDict, because finding a plain dict's oldest key walks over every slot
        # emptied before it: evicting from a full cache of 20,000 got slower with each row.
        self._replies: OrderedDict[Hashable, Reply] = OrderedDict()

    def get(self, key: Hashable) -> Reply | None:
        return self._replies.get(key)

    def put(self, key: Hashable, reply: Reply) -> None:
        if len(self._replies) >= self._size:
            self._replies.popitem(last=False)
        self._replies[key] = reply


_worker_coach: Coach | None = None
_worker_cache = _Cache(CACHE_SIZE)


def _start_worker(coach: Coach | None, knowledge: str | None, intents: str | None) -> None:
    global _worker_coach
    # Ctrl-C reaches the whole process group: the parent stops the workers itself, so each
    # worker printing its own KeyboardInterrupt traceback would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_coach = coach if coach is not None else Coach(knowledge=knowledge, intents=intents)
    _settle()


def _settle() -> None:
    """Exempt everything loaded so far (the coach) from garbage collection: the collector
    would otherwise walk all of it again and again in a long run, and in a forked worker its
    visits would copy memory the worker shares with its parent."""
    gc.collect()
    gc.freeze()


def _ask_safely(coach: Coach, text: str) -> Reply | CoachbotError:
    # A bug triggered by one odd question must cost that row, not a 100,000-row run. The
    # error is rebuilt as a plain CoachbotError so that it pickles back from a worker and
    # reads the same with or without workers.
    try:
        return coach.ask(text)
    except Exception as exc:  # noqa: BLE001 - reported per row by the caller
        return CoachbotError(f"{type(exc).__name__}: {exc}")


def _answer(coach: Coach, cache: _Cache, texts: list[str]) -> list[Reply | CoachbotError]:
    """``coach.ask`` of each text: cached replies reused, the rest answered as one block
    (``Coach.ask_block``), each distinct question (by ``cache_key``) once."""
    out: list[Reply | CoachbotError | None] = [None] * len(texts)
    todo: dict[Hashable, list[int]] = {}
    for i, text in enumerate(texts):
        key = cache_key(text)
        hit = cache.get(key)
        if hit is not None:
            out[i] = hit
        else:
            todo.setdefault(key, []).append(i)
    if todo:
        firsts = [texts[rows[0]] for rows in todo.values()]
        try:
            replies: list[Reply | CoachbotError] = list(coach.ask_block(firsts))
        except Exception:  # noqa: BLE001 - one by one, so only the culprit becomes an error
            replies = [_ask_safely(coach, text) for text in firsts]
        for (key, rows), reply in zip(todo.items(), replies, strict=True):
            if isinstance(reply, Reply):
                cache.put(key, reply)
            for i in rows:
                out[i] = reply
    done = [reply for reply in out if reply is not None]
    assert len(done) == len(texts), "a question was left unanswered"
    return done


def _worker_answer(texts: list[str]) -> list[Reply | CoachbotError]:
    assert _worker_coach is not None, "worker started without its coach"
    return _answer(_worker_coach, _worker_cache, texts)


@dataclass(slots=True)
class _Block(Generic[T]):
    items: list[T]
    texts: list[str | None]
    known: dict[str, Reply | CoachbotError]
    missing: list[str] = field(default_factory=list)
    result: multiprocessing.pool.AsyncResult[list[list[Reply | CoachbotError]]] | None = None
    borrowed: dict[str, _Block[T]] = field(default_factory=dict)
    """Questions an earlier block still in the workers is already answering."""


@dataclass(slots=True)
class _Engine:
    """Answers blocks of questions in order, from the cache, in-process or in workers.

    This process remembers replies by exact text (no normalising: that costs as much as a
    tenth of an answer); whoever answers a block also remembers them by ``cache_key``, so
    reworded repeats are still answered once per process.
    """

    coach: Coach
    workers: int
    knowledge: str | None
    intents: str | None
    cache: _Cache = field(default_factory=lambda: _Cache(CACHE_SIZE))
    answers: _Cache = field(default_factory=lambda: _Cache(CACHE_SIZE))
    pool: multiprocessing.pool.Pool | None = None
    in_flight: dict[str, _Block[Any]] = field(default_factory=dict)

    def submit(self, chunk: list[tuple[T, str | None]]) -> _Block[T]:
        block: _Block[T] = _Block([item for item, _ in chunk], [text for _, text in chunk], {})
        missing: dict[str, None] = {}
        for text in block.texts:
            if text is None or text in block.known or text in missing:
                continue
            hit = self.cache.get(text)
            if hit is not None:
                block.known[text] = hit
            elif text in self.in_flight:
                block.borrowed[text] = self.in_flight[text]
            else:
                missing[text] = None
        if not missing:
            return block
        texts = list(missing)
        if self.workers == 1 or (self.pool is None and len(chunk) < BLOCK_SIZE):
            # A whole input shorter than a block is answered here: starting workers for it
            # would cost more than they save.
            for text, reply in zip(texts, _answer(self.coach, self.answers, texts), strict=True):
                block.known[text] = self._store(text, reply)
            return block
        block.missing = texts
        self.in_flight.update(dict.fromkeys(texts, block))
        # A few parts per worker, so that a worker that finishes early takes another.
        size = -(-len(texts) // (self.workers * 2))
        parts = [texts[i : i + size] for i in range(0, len(texts), size)]
        block.result = self._pool().map_async(_worker_answer, parts, chunksize=1)
        return block

    def finish(self, block: _Block[T]) -> Iterator[tuple[T, Reply | CoachbotError | None]]:
        if block.result is not None:
            replies = (reply for part in block.result.get() for reply in part)
            for text, reply in zip(block.missing, replies, strict=True):
                block.known[text] = self._store(text, reply)
                del self.in_flight[text]
        for text, other in block.borrowed.items():
            block.known[text] = other.known[text]  # blocks finish in order: ``other`` is done
        block.borrowed.clear()  # or every block would keep the one before it alive
        for item, question in zip(block.items, block.texts, strict=True):
            yield item, None if question is None else block.known[question]

    def _store(self, text: str, reply: Reply | CoachbotError) -> Reply | CoachbotError:
        if isinstance(reply, Reply):
            self.cache.put(text, reply)
        return reply

    def _pool(self) -> multiprocessing.pool.Pool:
        # Started on first need, so a file the cache answers alone never pays for workers.
        if self.pool is None:
            # A forked worker starts with this process's coach (fork hands it over without
            # pickling); one started afresh (spawn, forkserver) loads its own from the folders.
            shared: Coach | None = None
            if multiprocessing.get_start_method() == "fork":
                # Every template compiled first: a lock another thread held at the fork would
                # stay locked in the worker forever.
                self.coach.compile_all()
                shared = self.coach
            self.pool = multiprocessing.Pool(
                self.workers,
                initializer=_start_worker,
                initargs=(shared, self.knowledge, self.intents),
            )
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def answered(
    coach: Coach,
    items: Iterable[tuple[T, str | None]],
    workers: int = 1,
    *,
    knowledge: str | Path | None = None,
    intents: str | Path | None = None,
) -> Iterator[tuple[T, Reply | CoachbotError | None]]:
    """Each ``(item, question)`` paired with ``coach.ask(question)``, in input order.

    A ``None`` question passes through with ``None``; a question that made the coach raise
    comes back as a ``CoachbotError`` naming the original error. With ``workers > 1``,
    forked workers start with ``coach`` itself; workers started afresh (where processes are
    spawned) load a ``Coach`` from ``knowledge`` / ``intents``: pass the folders ``coach``
    was built from.
    """
    if workers < 1:
        raise UsageError(f"workers must be at least 1 (got {workers})")
    engine = _Engine(
        coach,
        workers,
        None if knowledge is None else str(knowledge),
        None if intents is None else str(intents),
    )
    pending: deque[_Block[T]] = deque()
    try:
        for chunk in _chunks(items, BLOCK_SIZE):
            pending.append(engine.submit(chunk))
            if len(pending) > IN_FLIGHT:
                yield from engine.finish(pending.popleft())
        while pending:
            yield from engine.finish(pending.popleft())
    finally:
        engine.close()


def answer_many(
    coach: Coach,
    texts: Iterable[str],
    workers: int = 1,
    *,
    knowledge: str | Path | None = None,
    intents: str | Path | None = None,
) -> Iterator[Reply]:
    """``coach.ask(text)`` for each text, in order: repeats answered once, optionally in
    ``workers`` processes (see ``answered`` for what they load).

    Raises ``CoachbotError`` (naming the original error) if the coach fails on a question,
    and ``TypeError`` for a question that is not a str (as ``Coach.ask_block`` does).
    """
    if isinstance(texts, (str, bytes)):  # at the call, not at the first reply
        raise TypeError("ask_many takes an iterable of questions; use ask for one")
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be an int, not {type(workers).__name__}")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be from 1 to {MAX_WORKERS} (got {workers})")
    failed: list[TypeError] = []
    pairs = ((None, text) for text in _questions(texts, failed))
    return _replies(answered(coach, pairs, workers, knowledge=knowledge, intents=intents), failed)


def _replies(
    answers: Iterator[tuple[None, Reply | CoachbotError | None]], failed: list[TypeError]
) -> Iterator[Reply]:
    for _, reply in answers:
        if isinstance(reply, CoachbotError):
            raise reply
        assert reply is not None
        yield reply
    if failed:
        raise failed[0]


def _questions(texts: Iterable[object], failed: list[TypeError]) -> Iterator[str]:
    """The texts up to the first that is not a str, whose error goes into ``failed``: the
    replies before it are still given, and then the error is raised.

    (Checked here, before the batch machinery: a None would otherwise pass through as "no
    question" and come back as a reply of None.)"""
    for text in texts:
        if not isinstance(text, str):
            failed.append(TypeError(f"a question must be a str, not {type(text).__name__}"))
            return
        yield text


# -- reading the input -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Row:
    """One input question, or why the row could not be read (then ``question`` may be None)."""

    id: int
    question: str | None
    error: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()
    """The row's other columns or keys, carried through to the output."""


def _refuse_utf16(start: bytes) -> None:
    """Every line of UTF-16 text would read as one mangled question, each "answered" with a
    shrug: refuse it, by its byte-order mark."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UsageError("the input is UTF-16 text: save it as UTF-8")


def _raw_lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """Each line's bytes, or None for a line over ``MAX_LINE_BYTES`` (skipped unread).

    Lines end in LF or CRLF, or in CR alone in a file saved by an old Mac or Excel for Mac:
    the first line break in the file says which. Read in blocks, so memory stays flat.
    """
    data = stream.read(_READ_BLOCK)
    _refuse_utf16(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    end: bytes | None = None
    skipping = False  # inside a line over the limit, until it ends
    while True:
        end = end or _line_break(data)
        if end is not None:
            *lines, data = data.split(end)
            for line in lines:
                yield None if skipping or len(line) > MAX_LINE_BYTES else line + end
                skipping = False
        if len(data) > MAX_LINE_BYTES:
            # Only a CR that may start a CRLF (or end the line) is kept of what is skipped.
            skipping, data = True, data[-1:] if data.endswith(b"\r") else b""
        block = stream.read(_READ_BLOCK)
        if not block:
            if skipping or data:
                yield None if skipping else data
            return
        data += block


def _check_encoding(stream: BinaryIO) -> None:
    """Refuse UTF-16 input at once, from a look at its first bytes that reads nothing."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        _refuse_utf16(peek(2))


def _line_break(data: bytes) -> bytes | None:
    """The line break the text uses: LF (for CRLF too) when there is one, CR alone only in
    text with no LF at all (a stray CR stays inside its line), or None while ``data``
    cannot tell."""
    if b"\n" in data:
        return b"\n"
    cr = data.find(b"\r")
    if cr < 0 or cr == len(data) - 1:  # a CR at the very end may start a CRLF
        return None
    return b"\r"


def _line_problem(raw: bytes | None) -> tuple[str | None, str | None]:
    """(decoded line without its line break, None), or what can be read of it (the bytes
    that are not UTF-8 replaced) and why it cannot be read."""
    if raw is None:
        return None, f"line longer than {MAX_LINE_BYTES:,} bytes"
    try:
        return raw.decode("utf-8").rstrip("\r\n"), None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        return text, f"not valid UTF-8 (byte {exc.start + 1} of the line)"


def _question(number: int, text: str, extra: tuple[tuple[str, Any], ...] = ()) -> Row:
    question = text.strip()
    if not question:
        return Row(number, None, "empty question", extra)
    if len(question) > MAX_QUESTION_CHARS:
        return Row(
            number, question, f"question longer than {MAX_QUESTION_CHARS:,} characters", extra
        )
    return Row(number, question, None, extra)


def read_txt(stream: BinaryIO) -> Iterator[Row]:
    for number, raw in enumerate(_raw_lines(stream), 1):
        text, problem = _line_problem(raw)
        if problem is not None or text is None:
            yield Row(number, text, problem)
        elif text.strip():
            yield _question(number, text)


def read_jsonl(stream: BinaryIO, column: str = "question") -> Iterator[Row]:
    for number, raw in enumerate(_raw_lines(stream), 1):
        text, problem = _line_problem(raw)
        if problem is not None or text is None:
            yield Row(number, text, problem)
        elif text.strip():
            yield _json_row(number, text, column)


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "true or false"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "a number")


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: it would be written back as Infinity
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def _json_row(number: int, text: str, column: str) -> Row:
    try:
        # NaN and Infinity would be written back as they came, which strict readers reject.
        record = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        return Row(number, text, "not valid JSON: nested too deeply")
    except ValueError as exc:  # a JSONDecodeError, NaN, or a number of thousands of digits
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).split(":")[0]
        return Row(number, text, f"not valid JSON: {message}")
    if "\\u" in text and not _encodable(record):
        return Row(number, text, "not valid JSON: an unpaired surrogate escape (\\ud800-\\udfff)")
    if not isinstance(record, dict):
        return Row(number, text, f"expected a JSON object, got {_json_type(record)}")
    extra = tuple((k, v) for k, v in record.items() if k != column)
    question = record.get(column)
    if column not in record:
        return Row(number, None, f"no '{column}' key", extra)
    if not isinstance(question, str):
        # (what it held is kept, as JSON: 42 stays "42")
        kept = None if question is None else _json(question)
        return Row(number, kept, f"'{column}' must be a string, not {_json_type(question)}", extra)
    return _question(number, question, extra)


def _encodable(record: Any) -> bool:
    """Whether UTF-8 can hold every string in it (a ``\\ud800`` escape cannot be written)."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _LineFeed:
    """Decoded lines for ``csv.reader``; remembers a bad line for the row that contains it,
    and the text of the row being read (so a row that is not valid CSV is still reported
    with what it said)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._lines = _raw_lines(stream)
        self._back: list[tuple[str, str | None]] = []  # lines given back, last first
        self.problem: str | None = None
        self.text: list[str] = []
        self.marks: list[str | None] = []
        """What was wrong with each line of ``text``, if anything."""

    def __iter__(self) -> Iterator[str]:
        return self

    def give_back(self, start: int) -> None:
        """The lines of the row being read from its line ``start`` on, to be read again as
        the next ones (each with its own problem)."""
        self._back.extend(reversed(list(zip(self.text[start:], self.marks[start:], strict=True))))
        del self.text[start:], self.marks[start:]

    def __next__(self) -> str:
        if self._back:
            line, mark = self._back.pop()
        else:
            line, mark = self._read()
        self.problem = self.problem or mark
        # (bounded: the reader gives up on a field over its limit)
        self.text.append(line)
        self.marks.append(mark)
        return line

    def _read(self) -> tuple[str, str | None]:
        raw = next(self._lines)
        if raw is None:
            return "\n", f"line longer than {MAX_LINE_BYTES:,} bytes"
        try:
            return raw.decode("utf-8"), None
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace"), "not valid UTF-8"

    def take_problem(self) -> str | None:
        problem, self.problem = self.problem, None
        self.text.clear()
        self.marks.clear()
        return problem

    def take_text(self) -> str:
        text = "".join(self.text).rstrip("\r\n")
        self.take_problem()
        return text


def read_csv(stream: BinaryIO, column: str = "question", name: str = "input") -> Iterator[Row]:
    """Rows of a CSV file; raises ``UsageError`` at once when the header is unusable."""
    feed = _LineFeed(stream)
    # Lines are already capped at MAX_LINE_BYTES; a field up to that size is then an
    # over-long question (said so, and kept) rather than the csv module's own limit error.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    # Strict, so that a quote never closed is an error on its row rather than the rest of the
    # file silently read into one question.
    reader = csv.reader(feed, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise UsageError(f"{name}: cannot read the CSV header ({exc})") from None
    if header is None:
        raise UsageError(f"{name}: empty CSV file (no header row)")
    problem = feed.take_problem()
    if problem is not None:
        raise UsageError(f"{name}: cannot read the CSV header ({problem})")
    if column not in header:
        shown = ", ".join(header) or "none"
        raise UsageError(
            f"{name}: no '{column}' column in the CSV header (columns: {shown}; "
            "choose one with --column)"
        )
    return _csv_rows(reader, feed, header, header.index(column))


_NEVER_CLOSED = "unexpected end of data"
_TOO_LARGE = "field larger than field limit"
_RUNAWAY = {
    _NEVER_CLOSED: "a quote is never closed",
    _TOO_LARGE: f"a quoted field runs past {MAX_LINE_BYTES:,} bytes (a quote never closed?)",
}
"""The csv module's errors for a quote that swallows the lines after it, in words a person
fixing the file can act on."""


def _quote_opened_at(lines: list[str]) -> int:
    """The line on which the quote still open at the end of ``lines`` was opened (the
    first line when none is open)."""
    inside, opened = False, 0
    for i, line in enumerate(lines):
        quotes = line.count('"')
        inside ^= quotes % 2 == 1
        if quotes and inside:  # the last quote on this line opened one
            opened = i
    return opened if inside else 0


def _lenient_fields(text: str) -> list[str] | None:
    """The fields of one row's text read without the strict reader's objections, or None."""
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return None


def _csv_rows(
    reader: Iterator[list[str]], feed: _LineFeed, header: list[str], index: int
) -> Iterator[Row]:
    number = 0
    while True:
        number += 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = feed.problem
            runaway = next((v for k, v in _RUNAWAY.items() if str(exc).startswith(k)), None)
            if runaway is not None or len(feed.text) > 1:
                # A quote took the lines after the one it opened on (or a row of several
                # lines is not valid CSV): the row ends with that line, and the lines it
                # swallowed are read again as the rows they are.
                feed.give_back(_quote_opened_at(feed.text) + 1)
                text = feed.take_text()
                reason = runaway or str(exc)
                yield Row(number, text or None, f"not valid CSV: {reason}")
                continue
            text = feed.take_text()
            lax = _lenient_fields(text)
            if lax is None:
                yield Row(number, text or None, f"not valid CSV: {exc}")
                continue
            # Odd quoting within one row ('"what is a ghr" ,a'): read as most programs would.
            fields = lax
        else:
            problem = feed.take_problem()
        surplus = len(fields) - len(header)
        if surplus > 0 and problem is None:
            if index != len(header) - 1:
                yield Row(
                    number,
                    ",".join(fields),
                    f"{len(fields)} cells but {len(header)} columns in the header "
                    "(quote a field that holds a comma)",
                )
                continue
            # The question is the last column: the extra cells are the rest of a question
            # with commas that were not quoted ("1,how many sets, and reps?").
            fields = [*fields[:index], ",".join(fields[index:])]
        extra = tuple(
            (name, fields[i] if i < len(fields) else "")
            for i, name in enumerate(header)
            if i != index
        )
        if problem is not None:
            kept = fields[index] if index < len(fields) else None  # (bad bytes replaced)
            yield Row(number, kept or None, problem, extra)
        elif not fields:
            continue
        elif index >= len(fields):
            yield Row(number, None, f"no '{header[index]}' column in this row", extra)
        else:
            yield _question(number, fields[index], extra)


# -- writing the output ----------------------------------------------------------------------
_json = json.JSONEncoder(ensure_ascii=False).encode


def _answer_fields(reply: Reply) -> dict[str, Any]:
    return {
        "answer": reply.text,
        "intent": reply.intent,
        "exercise": reply.exercise,
        "confidence": round(reply.confidence, 4),
        "red_flag": reply.red_flag.severity if reply.red_flag else None,
    }


def _carried(row: Row) -> list[tuple[str, Any]]:
    taken = set(FIELDS)
    out = []
    for name, value in row.extra:
        key = name
        while key in taken:  # "answer" -> "input_answer", or further if the input has that too
            key = f"input_{key}"
        taken.add(key)
        out.append((key, value))
    return out


def record(row: Row, reply: Reply | CoachbotError | None) -> dict[str, Any]:
    """The output record for one row: ``FIELDS`` then the carried-through fields."""
    out: dict[str, Any] = dict.fromkeys(FIELDS)
    out["id"] = row.id
    out["question"] = row.question
    out["error"] = row.error
    if isinstance(reply, CoachbotError):
        out["error"] = f"could not answer: {reply}"
    elif reply is not None and row.error is None:
        out.update(_answer_fields(reply))
    out.update(_carried(row))
    return out


class _JsonlSink:
    """One JSON object per line. The answer part of a repeated reply is encoded once."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._encoded: dict[Reply, str] = {}

    def write(self, row: Row, reply: Reply | CoachbotError | None) -> None:
        if row.error is not None or not isinstance(reply, Reply):
            self._out.write(_json(record(row, reply)) + "\n")
            return
        part = self._encoded.get(reply)
        if part is None:
            if len(self._encoded) >= CACHE_SIZE:
                self._encoded.clear()
            part = self._encoded[reply] = _json(_answer_fields(reply))[1:-1]
        carried = (
            "".join(f", {_json(k)}: {_json(v)}" for k, v in _carried(row)) if row.extra else ""
        )
        head = f'{{"id": {row.id}, "question": {_json(row.question)}'
        self._out.write(f'{head}, {part}, "error": null{carried}}}\n')

    def close(self) -> None:
        pass


class _CsvSink:
    """CSV records. The columns are those of the first record with carried-through fields
    (the CSV header, or the keys of the first JSON object); earlier records wait for it.

    JSON objects need not share their keys, and a streamed CSV cannot add a column later: with
    ``spill``, a last column ``OTHER`` holds, as a JSON object, any keys a record has beyond
    the columns, so that nothing the input gave is lost.
    """

    HOLD = 1_000
    OTHER = "input_other"

    def __init__(self, out: TextIO, spill: bool = False, defuse: bool = True) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        # A lone CR in a cell ends a row for Excel and for csv readers, but with LF line ends
        # the csv module does not quote it: such a row is written with every cell quoted.
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self._columns: list[str] | None = None
        self._known: frozenset[str] = frozenset()
        self._spill = spill
        self._defuse = defuse
        self._held: list[dict[str, Any]] = []

    def write(self, row: Row, reply: Reply | CoachbotError | None) -> None:
        self._write(record(row, reply))

    def _write(self, rec: dict[str, Any]) -> None:
        if self._columns is None:
            self._held.append(rec)
            if len(rec) > len(FIELDS) or len(self._held) >= self.HOLD:
                self._start(list(rec))
            return
        cells = [_cell(rec.get(c)) for c in self._columns]
        if self._spill:
            other = {k: v for k, v in rec.items() if k not in self._known}
            cells.append(_json(other) if other else "")
        self._row(cells)

    def _row(self, cells: list[str]) -> None:
        if self._defuse:
            cells = [defused(cell) for cell in cells]
        writer = self._quoted if any("\r" in cell for cell in cells) else self._writer
        writer.writerow(cells)

    def _start(self, columns: list[str]) -> None:
        self._columns = columns
        self._known = frozenset(columns)
        other = self.OTHER
        while other in self._known:
            other = f"input_{other}"
        self._row([*columns, other] if self._spill else columns)
        held, self._held = self._held, []
        for rec in held:
            self._write(rec)

    def close(self) -> None:
        if self._columns is None:
            self._start(list(FIELDS))


_FORMULA_LEADS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def defused(cell: str) -> str:
    """``cell`` as a spreadsheet shows it but never runs it: a cell that starts (after any
    spaces) with = + - @, a tab or a CR is a formula to Excel, LibreOffice and Google Sheets
    (=HYPERLINK(...) in a survey answer would run when a coach opens the file), so it gets a
    leading apostrophe, which they read as "text". Plain numbers ("-5") are left alone."""
    lead = cell.lstrip(" \u00a0")[:1]
    if lead in _FORMULA_LEADS and not _NUMBER.fullmatch(cell.strip()):
        return "'" + cell
    return cell


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _json(value)


# -- progress and summary --------------------------------------------------------------------
@dataclass(slots=True)
class Tally:
    answered: int = 0
    red_flags: int = 0
    not_understood: int = 0
    errors: int = 0

    def add(self, row: Row, reply: Reply | CoachbotError | None) -> None:
        if row.error is not None or not isinstance(reply, Reply):
            self.errors += 1
        elif reply.red_flag is not None:
            self.red_flags += 1
        elif reply.intent is None:
            self.not_understood += 1
        else:
            self.answered += 1

    @property
    def total(self) -> int:
        return self.answered + self.red_flags + self.not_understood + self.errors

    def summary(self, seconds: float) -> str:
        rate = self.total / seconds if seconds > 0 else 0.0
        return (
            f"coachbot batch: {self.total:,} questions in {seconds:.1f}s ({rate:,.0f}/s): "
            f"{self.answered:,} answered, {self.red_flags:,} red flags, "
            f"{self.not_understood:,} not understood, {self.errors:,} errors"
        )


class Progress:
    """A one-line progress bar on stderr: done, rate and (when the total is known) time left."""

    EVERY = 0.1

    def __init__(self, stream: TextIO, total: int | None) -> None:
        self._stream = stream
        self._total = total
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < self.EVERY:
            return
        self._last = now
        self._stream.write("\r" + self.line(done, now - self._start) + "\x1b[K")
        self._stream.flush()

    def line(self, done: int, elapsed: float) -> str:
        rate = done / elapsed if elapsed > 0 else 0.0
        if not self._total:
            return f"{done:,} rows  {rate:,.0f}/s"
        share = min(done / self._total, 1.0)
        bar = "#" * int(share * 30)
        left = (self._total - done) / rate if rate > 0 else 0.0
        return (
            f"[{bar:<30}] {share:4.0%}  {done:,}/{self._total:,}  {rate:,.0f}/s  "
            f"{int(left) // 60}:{int(left) % 60:02d} left"
        )

    def close(self) -> None:
        self._stream.write("\r\x1b[K")
        self._stream.flush()


def count_lines(path: Path) -> int | None:
    """The number of lines in a regular file, or None when that would not be cheap."""
    try:
        if not path.is_file() or path.stat().st_size > COUNT_LINES_UP_TO:
            return None
        end: bytes | None = None
        lf = cr = 0
        last = b"\n"
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                end = end or _line_break(chunk)
                lf += chunk.count(b"\n")
                cr += chunk.count(b"\r")
                last = chunk[-1:]
        if end is None:  # no line break, or a single CR at the very end
            end = b"\r" if cr else b"\n"
        return (lf if end == b"\n" else cr) + (last not in (end, b"\n"))
    except OSError:
        return None


# -- the command -----------------------------------------------------------------------------
def input_format(path: str, given: str | None) -> str:
    if given is not None:
        if given not in FORMATS:
            raise UsageError(f"unknown input format '{given}' (use {', '.join(FORMATS)})")
        return given
    if path == "-":
        return "txt"
    found = _EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise UsageError(
            f"cannot tell the format of {path}: name it .txt, .csv or .jsonl, "
            "or use --input-format txt|csv|jsonl"
        )
    return found


def output_format(path: str | None, given: str | None) -> str:
    if given is not None:
        if given not in ("jsonl", "csv"):
            raise UsageError(f"unknown output format '{given}' (use jsonl or csv)")
        return given
    return "csv" if path and Path(path).suffix.lower() == ".csv" else "jsonl"


def _open_input(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise UsageError(f"cannot open {path}: {exc.strerror or exc}") from None


def _open_output(path: str | None, source: BinaryIO) -> tuple[TextIO, Callable[[], None]]:
    if path is None or path == "-":
        if sys.stdout is None:
            raise UsageError("standard output is closed: name an output file with -o")
        if not hasattr(sys.stdout, "buffer"):
            return sys.stdout, sys.stdout.flush
        if _same_file(sys.stdout, source):
            # "coachbot batch q.txt >> q.txt" would read its own answers back for ever.
            raise UsageError("standard output is the input file: write the output elsewhere")
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")

        def release() -> None:
            out.flush()
            out.detach()  # leave sys.stdout itself open

        return out, release
    if _same_file(path, source):
        raise UsageError(f"the output {path} is the input file: choose another name")
    try:
        out = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return out, out.close


def _same_file(path: str | TextIO, source: BinaryIO) -> bool:
    """Whether ``path`` (or an open output) is the open input, under any name (a link, or
    the file behind stdin): writing it would empty the input, or grow it, as it is read."""
    try:
        out = os.stat(path) if isinstance(path, str) else os.fstat(path.fileno())
        into = os.fstat(source.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return False  # no such file yet, or an input with no file behind it
    # Only regular files: "-o /dev/null" reading from /dev/null is a fine thing to ask for.
    return stat.S_ISREG(out.st_mode) and (out.st_dev, out.st_ino) == (into.st_dev, into.st_ino)


def auto_workers() -> int:
    """One worker per core this process may run on, at most ``AUTO_WORKERS_MAX``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(cores, AUTO_WORKERS_MAX))


def worker_count(given: str | int) -> int:
    """``--workers``: "auto" or a number from 1 to ``MAX_WORKERS``."""
    if given == "auto":
        return auto_workers()
    try:
        workers = int(given)
    except ValueError:
        workers = 0
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be auto or from 1 to {MAX_WORKERS} (got {given})")
    return workers


def read_rows(stream: BinaryIO, fmt: str, column: str, name: str) -> Iterator[Row]:
    if fmt == "csv":
        return read_csv(stream, column, name)
    if fmt == "jsonl":
        return read_jsonl(stream, column)
    return read_txt(stream)


def run(args: argparse.Namespace) -> int:
    fmt_in = input_format(args.input, args.input_format)
    fmt_out = output_format(args.output, args.format)
    workers = worker_count(args.workers)
    stream = _open_input(args.input)
    try:
        _check_encoding(stream)  # before the output is opened (and an old one emptied)
        rows = read_rows(stream, fmt_in, args.column or "question", args.input)
        coach = Coach(knowledge=args.knowledge, intents=args.intents)
        _settle()
        out, release = _open_output(args.output, stream)
        try:
            _write_all(coach, rows, out, fmt_in, fmt_out, workers, args)
        finally:
            release()
    finally:
        gc.unfreeze()  # for a caller that goes on after the command (tests, embedders)
        if stream is not sys.stdin.buffer:
            stream.close()
    return 0


def _write_all(
    coach: Coach,
    rows: Iterator[Row],
    out: TextIO,
    fmt_in: str,
    fmt: str,
    workers: int,
    args: argparse.Namespace,
) -> Tally:
    started = time.monotonic()
    sink: _JsonlSink | _CsvSink = (
        _CsvSink(out, spill=fmt_in == "jsonl", defuse=not args.keep_formulas)
        if fmt == "csv"
        else _JsonlSink(out)
    )
    progress = _progress(args)
    tally = Tally()
    items = ((row, None if row.error else row.question) for row in rows)
    try:
        for row, reply in answered(
            coach, items, workers, knowledge=args.knowledge, intents=args.intents
        ):
            sink.write(row, reply)
            tally.add(row, reply)
            if progress is not None:
                progress.update(row.id)
        sink.close()
    finally:
        if progress is not None:
            progress.close()
    if not args.quiet:
        print(tally.summary(time.monotonic() - started), file=sys.stderr)
    return tally


def _progress(args: argparse.Namespace) -> Progress | None:
    if args.quiet or not sys.stderr.isatty():
        return None
    total = None if args.input == "-" else count_lines(Path(args.input))
    return Progress(sys.stderr, total)
