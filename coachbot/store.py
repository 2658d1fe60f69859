"""Where conversations live between messages, and the turn loop a bot calls.

A bot keeps one ``Coach`` and, per chat, only the small JSON state of that chat's ``Session``
(``session.to_dict()``). This module owns:

- ``SessionStore``: the plug-in point, three methods over chat id -> state;
- ``MemoryStore``: bounded, least-recently-used, idle expiry; for one process;
- ``SQLiteStore``: a file on disk; survives restarts; shared by threads and processes;
- ``Responder``: ``reply(chat_id, text)``: load the state, ask, save the state, with the turns
  of one chat serialised so two messages of one chat never interleave.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from os import PathLike
from typing import TYPE_CHECKING, Any, Protocol

from .errors import UsageError
from .models import Reply

if TYPE_CHECKING:
    from .coach import Coach
    from .dialogue import Session

log = logging.getLogger("coachbot.store")

State = Mapping[str, Any]
"""A session state as produced by ``Session.to_dict()``: plain JSON types."""


class SessionStore(Protocol):
    """Keeps one session state per chat id. Implementations must be safe across threads."""

    def get(self, chat_id: str) -> State | None:
        """The stored state, or ``None`` for a chat never seen (or forgotten)."""
        ...

    def put(self, chat_id: str, state: State) -> None:
        """Store ``state`` for ``chat_id``, replacing what was there."""
        ...

    def delete(self, chat_id: str) -> None:
        """Forget ``chat_id``; no error when it is unknown."""
        ...


def _encode(state: State) -> str:
    # Stored as JSON text in every store, so a state that cannot survive a restart fails at
    # once, in memory too, and callers can never mutate what is stored.
    if not isinstance(state, Mapping):
        raise UsageError(f"a session state must be a dict (got {type(state).__name__})")
    try:
        return json.dumps(state, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"a session state must be plain JSON types ({exc})") from None


def _decode(chat_id: str, text: str) -> State | None:
    try:
        state = json.loads(text)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        log.warning("session state for chat %r is not a JSON object; ignoring it", chat_id)
        return None
    return state


class MemoryStore:
    """Session states in this process's memory, bounded in number and in idle time.

    The least recently used chat is dropped when ``max_sessions`` is reached, and a chat idle
    for more than ``idle_seconds`` is forgotten, so a busy bot's memory stays flat.
    """

    def __init__(
        self,
        max_sessions: int = 10_000,
        idle_seconds: float = 86_400,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
            raise UsageError(f"max_sessions must be a whole number from 1 (got {max_sessions!r})")
        if (
            isinstance(idle_seconds, bool)
            or not isinstance(idle_seconds, (int, float))
            or not idle_seconds > 0  # also refuses NaN
        ):
            raise UsageError(f"idle_seconds must be a positive number (got {idle_seconds!r})")
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # chat id -> (last used, JSON text); oldest use first, so expired entries sit in front.
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def get(self, chat_id: str) -> State | None:
        with self._lock:
            now = self._clock()
            self._expire(now)
            item = self._items.get(chat_id)
            if item is None:
                return None
            self._items[chat_id] = (now, item[1])
            self._items.move_to_end(chat_id)
            text = item[1]
        return _decode(chat_id, text)

    def put(self, chat_id: str, state: State) -> None:
        text = _encode(state)
        with self._lock:
            now = self._clock()
            self._expire(now)
            self._items[chat_id] = (now, text)
            self._items.move_to_end(chat_id)
            while len(self._items) > self.max_sessions:
                self._items.popitem(last=False)

    def delete(self, chat_id: str) -> None:
        with self._lock:
            self._items.pop(chat_id, None)

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._items)

    def __contains__(self, chat_id: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return chat_id in self._items

    def chat_ids(self) -> list[str]:
        """Known chat ids, least recently used first."""
        with self._lock:
            self._expire(self._clock())
            return list(self._items)

    def _expire(self, now: float) -> None:
        while self._items:
            chat_id, (used, _) = next(iter(self._items.items()))
            if now - used <= self.idle_seconds:
                break
            del self._items[chat_id]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    chat_id    TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    updated_at REAL NOT NULL
)
"""
_INDEX = "CREATE INDEX IF NOT EXISTS sessions_updated_at ON sessions (updated_at)"


def _use_wal(db: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to write-ahead logging (readers and a writer at once, across processes).

    Switching needs the file to itself and SQLite reports "locked" at once rather than waiting
    when another process is opening it too, so retry until ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SQLiteStore:
    """Session states in an SQLite file: survives restarts; several threads and processes.

    One connection guarded by a lock serves this object's threads; WAL mode and a busy
    timeout let other processes read and write the same file at the same time. States are
    JSON text with the wall-clock time of their last write (``updated_at``). With
    ``idle_seconds``, states older than that are treated as gone and ``purge()`` deletes them.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        idle_seconds: float | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if idle_seconds is not None and idle_seconds <= 0:
            raise UsageError(f"idle_seconds must be positive (got {idle_seconds})")
        self.path = path
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        try:
            # timeout is SQLite's busy timeout: wait for another process's write, don't fail.
            # Autocommit (isolation_level=None): every statement is its own short transaction,
            # so no process holds the write lock between messages.
            self._db = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            _use_wal(self._db, timeout)
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute(_SCHEMA)
            self._db.execute(_INDEX)
        except sqlite3.Error as exc:
            raise UsageError(f"cannot open session store {str(path)!r}: {exc}") from None
        if idle_seconds is not None:
            self.purge()

    def get(self, chat_id: str) -> State | None:
        with self._lock:
            row = self._db.execute(
                "SELECT state, updated_at FROM sessions WHERE chat_id = ?", (chat_id,)
            ).fetchone()
        if row is None or self._expired(row[1]):
            return None
        return _decode(chat_id, row[0])

    def put(self, chat_id: str, state: State) -> None:
        text = _encode(state)
        with self._lock:
            self._db.execute(
                "INSERT INTO sessions (chat_id, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id) DO UPDATE SET "
                "state = excluded.state, updated_at = excluded.updated_at",
                (chat_id, text, self._clock()),
            )

    def delete(self, chat_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE chat_id = ?", (chat_id,))

    def purge(self) -> int:
        """Delete states idle for longer than ``idle_seconds``; how many were deleted."""
        if self.idle_seconds is None:
            return 0
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM sessions WHERE updated_at < ?", (self._clock() - self.idle_seconds,)
            )
            return cursor.rowcount

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM sessions").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _expired(self, updated_at: float) -> bool:
        return self.idle_seconds is not None and self._clock() - updated_at > self.idle_seconds


def _chat_key(chat_id: str | int) -> str:
    # None or a float would quietly share a chat with the string "None" or "1.0".
    if isinstance(chat_id, bool) or not isinstance(chat_id, (str, int)):
        raise TypeError(f"a chat id must be a str or an int, not {type(chat_id).__name__}")
    return str(chat_id)


class Responder:
    """What a bot calls per incoming message: ``reply(chat_id, text) -> Reply``.

    The state of each chat lives in ``store`` (default: a ``MemoryStore``). Turns of one chat
    run one at a time (a message arriving mid-turn waits for it); different chats run in
    parallel. Serialisation is per process: with several worker processes on one
    ``SQLiteStore``, route each chat to one worker or the later write wins.
    """

    def __init__(self, coach: Coach, store: SessionStore | None = None) -> None:
        self.coach = coach
        self.store: SessionStore = store if store is not None else MemoryStore()
        self._guard = threading.Lock()
        # chat id -> (lock, [turns holding or waiting for it]). An entry lives only
        # while a turn of that chat is in flight, so the table is bounded by concurrency,
        # not by the number of chats ever seen.
        self._locks: dict[str, tuple[threading.Lock, list[int]]] = {}

    def reply(self, chat_id: str | int, text: str) -> Reply:
        """Answer ``text`` within the conversation of ``chat_id`` and save that conversation.

        A store that fails costs the conversation's memory, never the reply: an escalation
        must reach the user even when the database is down (the failure is logged).
        """
        key = _chat_key(chat_id)
        with self._turn(key):
            session = self.session(key)
            reply = session.ask(text)
            try:
                self.store.put(key, session.to_dict())
            except Exception:  # noqa: BLE001 - logged; the reply still goes out
                log.exception("chat %r: could not save the conversation", key)
            return reply

    def reset(self, chat_id: str | int) -> None:
        """Forget the conversation of ``chat_id``."""
        key = _chat_key(chat_id)
        with self._turn(key):
            self.store.delete(key)

    def session(self, chat_id: str | int) -> Session:
        """The stored session of ``chat_id``, or a fresh one when none is usable."""
        chat_id = _chat_key(chat_id)
        try:
            state = self.store.get(chat_id)
        except Exception:  # noqa: BLE001 - logged; answering matters more than memory
            log.exception("chat %r: could not load the conversation; starting afresh", chat_id)
            state = None
        session: Session
        if state is None:
            session = self.coach.session()
            return session
        try:
            session = self.coach.session(state)
        except UsageError as exc:
            # An old or damaged state must not lock a user out: start over instead.
            log.warning("chat %r: starting a fresh session: %s", chat_id, exc)
            session = self.coach.session()
        return session

    def active_chats(self) -> int:
        """Chats with a turn in flight or waiting (the size of the lock table)."""
        with self._guard:
            return len(self._locks)

    @contextmanager
    def _turn(self, chat_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.setdefault(chat_id, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if users[0] == 0:
                    del self._locks[chat_id]
