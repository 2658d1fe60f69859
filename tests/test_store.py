"""Session stores (memory, SQLite) and the Responder that bots call per message."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from coachbot import Coach
from coachbot.errors import UsageError
from coachbot.store import MemoryStore, Responder, SessionStore, SQLiteStore, State

ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def state(n: int) -> dict[str, Any]:
    return {"version": 1, "exercise": None, "n": n, "offered": [f"question {n}"]}


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SessionStore:
    if request.param == "memory":
        return MemoryStore()
    return SQLiteStore(tmp_path / "sessions.db")


# -- behaviour every store shares -----------------------------------------------------------
def test_store_returns_what_was_put(store: SessionStore) -> None:
    store.put("chat", state(1))
    assert store.get("chat") == state(1)


def test_store_returns_none_for_an_unknown_chat(store: SessionStore) -> None:
    assert store.get("nobody") is None


def test_store_put_replaces_the_previous_state(store: SessionStore) -> None:
    store.put("chat", state(1))
    store.put("chat", state(2))
    assert store.get("chat") == state(2)


def test_store_delete_forgets_a_chat_and_ignores_unknown_ones(store: SessionStore) -> None:
    store.put("chat", state(1))
    store.delete("chat")
    store.delete("never seen")
    assert store.get("chat") is None


def test_store_keeps_a_copy_not_the_callers_dict(store: SessionStore) -> None:
    original = state(1)
    store.put("chat", original)
    original["n"] = 99
    got = store.get("chat")
    assert got is not None and got["n"] == 1


@pytest.mark.parametrize("bad", [{"when": object()}, {"x": float("nan")}, ["version", 1]], ids=repr)
def test_store_rejects_a_state_that_is_not_json(store: SessionStore, bad: Any) -> None:
    with pytest.raises(UsageError):
        store.put("chat", bad)


# -- MemoryStore ----------------------------------------------------------------------------
def test_memory_store_stays_within_its_bound_for_100000_chats() -> None:
    store = MemoryStore(max_sessions=1_000)
    largest = 0
    for n in range(100_000):
        store.put(f"chat-{n}", {"version": 1, "n": n})
        largest = max(largest, len(store))
    assert largest == 1_000
    assert store.get("chat-99999") == {"version": 1, "n": 99999}
    assert store.get("chat-0") is None


def test_memory_store_evicts_the_least_recently_used_chat() -> None:
    store = MemoryStore(max_sessions=3)
    for chat in ("a", "b", "c"):
        store.put(chat, state(0))
    store.get("a")  # now b is the least recently used
    store.put("d", state(0))
    assert store.chat_ids() == ["c", "a", "d"]


def test_memory_store_forgets_a_chat_idle_too_long() -> None:
    clock = FakeClock()
    store = MemoryStore(idle_seconds=60, clock=clock)
    store.put("chat", state(1))
    clock.now += 61
    assert store.get("chat") is None
    assert len(store) == 0


def test_memory_store_keeps_a_chat_used_within_the_idle_time() -> None:
    clock = FakeClock()
    store = MemoryStore(idle_seconds=60, clock=clock)
    store.put("chat", state(1))
    for _ in range(5):
        clock.now += 50
        assert store.get("chat") == state(1)


def test_memory_store_expiry_frees_room_before_evicting() -> None:
    clock = FakeClock()
    store = MemoryStore(max_sessions=2, idle_seconds=60, clock=clock)
    store.put("old", state(1))
    clock.now += 30
    store.put("recent", state(2))
    clock.now += 31  # "old" is now idle for 61 s
    store.put("new", state(3))
    assert store.chat_ids() == ["recent", "new"]


@pytest.mark.parametrize("options", [{"max_sessions": 0}, {"idle_seconds": 0}], ids=repr)
def test_memory_store_rejects_bad_limits(options: dict[str, int]) -> None:
    with pytest.raises(UsageError):
        MemoryStore(**options)  # type: ignore[arg-type]


def test_memory_store_is_consistent_under_8_threads() -> None:
    store = MemoryStore(max_sessions=500)

    def work(worker: int) -> None:
        for n in range(2_000):
            chat = f"w{worker}-{n % 300}"
            store.put(chat, {"version": 1, "n": n})
            got = store.get(chat)
            assert got is None or got["version"] == 1
            if n % 7 == 0:
                store.delete(chat)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    assert len(store) <= 500


# -- SQLiteStore ----------------------------------------------------------------------------
def test_sqlite_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SQLiteStore(path) as store:
        store.put("chat", state(1))
    with SQLiteStore(path) as reopened:
        assert reopened.get("chat") == state(1)
        assert len(reopened) == 1


def test_sqlite_store_uses_write_ahead_logging(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_store_forgets_and_purges_idle_chats(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "sessions.db", idle_seconds=60, clock=clock)
    store.put("old", state(1))
    clock.now += 30
    store.put("recent", state(2))
    clock.now += 31
    assert store.get("old") is None
    assert store.get("recent") == state(2)
    assert store.purge() == 1
    assert len(store) == 1


def test_sqlite_store_treats_an_unreadable_row_as_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sessions.db"
    store = SQLiteStore(path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO sessions VALUES ('chat', '{not json', 0)")
    with caplog.at_level(logging.WARNING, logger="coachbot.store"):
        assert store.get("chat") is None
    assert "not a JSON object" in caplog.text


def test_sqlite_store_reports_a_path_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot open session store"):
        SQLiteStore(tmp_path / "no such folder" / "sessions.db")


_WRITER = """
import sys
from coachbot.store import SQLiteStore
store = SQLiteStore(sys.argv[1])
for n in range(200):
    store.put(f"{sys.argv[2]}-{n}", {"version": 1, "writer": sys.argv[2], "n": n})
store.close()
"""


def test_sqlite_store_is_shared_by_two_processes(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), name], cwd=ROOT, stderr=subprocess.PIPE
        )
        for name in ("first", "second")
    ]
    errors = [writer.communicate(timeout=120)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors
    store = SQLiteStore(path)
    assert len(store) == 400
    for name in ("first", "second"):
        for n in range(200):
            assert store.get(f"{name}-{n}") == {"version": 1, "writer": name, "n": n}


_OPENER = """
import sys, time
from pathlib import Path
from coachbot.store import SQLiteStore
path, name, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
(folder / f"ready-{name}").touch()
while not (folder / "go").exists():  # start together: the race is in the first moments
    time.sleep(0.001)
SQLiteStore(path).put(name, {"version": 1})
"""


def test_sqlite_store_opens_when_processes_create_the_file_at_once(tmp_path: Path) -> None:
    """Switching a new file to WAL races between processes; none may fail with "locked"."""
    for attempt in range(5):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        path = folder / "sessions.db"
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", _OPENER, str(path), str(n), str(folder)],
                cwd=ROOT,
                stderr=subprocess.PIPE,
            )
            for n in range(6)
        ]
        while len(list(folder.glob("ready-*"))) < 6 and all(o.poll() is None for o in openers):
            time.sleep(0.01)
        (folder / "go").touch()
        errors = [opener.communicate(timeout=120)[1] for opener in openers]
        assert [opener.returncode for opener in openers] == [0] * 6, errors
        assert len(SQLiteStore(path)) == 6


def test_sqlite_store_is_consistent_under_8_threads(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "sessions.db")

    def work(worker: int) -> None:
        for n in range(200):
            store.put(f"w{worker}-{n}", {"version": 1, "n": n})
            assert store.get(f"w{worker}-{n}") == {"version": 1, "n": n}

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    assert len(store) == 8 * 200


# -- Responder ------------------------------------------------------------------------------
def test_responder_keeps_each_chats_conversation(coach: Coach) -> None:
    responder = Responder(coach)
    responder.reply("ann", "how do i do a nordic curl")
    responder.reply("bob", "how do i do a hip thrust")
    assert responder.reply("ann", "how many reps?").exercise == "nordic-hamstring-curl"
    assert responder.reply("bob", "how many reps?").exercise == "hip-thrust"


def test_responder_accepts_integer_chat_ids(coach: Coach) -> None:
    store = MemoryStore()
    Responder(coach, store).reply(42, "how do i do a nordic curl")
    assert "42" in store


def test_responder_conversation_survives_a_restart_with_sqlite(
    coach: Coach, tmp_path: Path
) -> None:
    path = tmp_path / "sessions.db"
    Responder(coach, SQLiteStore(path)).reply("ann", "how do i do a nordic curl")
    after_restart = Responder(coach, SQLiteStore(path))
    assert after_restart.reply("ann", "how many reps?").exercise == "nordic-hamstring-curl"


def test_responder_reset_forgets_the_conversation(coach: Coach) -> None:
    store = MemoryStore()
    responder = Responder(coach, store)
    responder.reply("ann", "how do i do a nordic curl")
    responder.reset("ann")
    assert store.get("ann") is None


@pytest.mark.parametrize(
    "stored", [{"version": 99}, {"version": 1, "profile": "x"}, {"garbage": [1, 2]}], ids=repr
)
def test_responder_starts_afresh_from_an_unusable_state(
    coach: Coach, stored: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    store.put("ann", stored)
    with caplog.at_level(logging.WARNING, logger="coachbot.store"):
        reply = Responder(coach, store).reply("ann", "how do i do a nordic curl")
    assert reply.to_dict() == coach.session().ask("how do i do a nordic curl").to_dict()
    assert "starting a fresh session" in caplog.text
    assert store.get("ann") == coach.session(store.get("ann")).to_dict()


class RecordingStore:
    """A MemoryStore that logs every get and put, to see whether turns interleave."""

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.events: list[str] = []
        self._lock = threading.Lock()

    def get(self, chat_id: str) -> State | None:
        self._log("get")
        return self.inner.get(chat_id)

    def put(self, chat_id: str, state: State) -> None:
        self._log("put")
        self.inner.put(chat_id, state)

    def delete(self, chat_id: str) -> None:
        self.inner.delete(chat_id)

    def _log(self, event: str) -> None:
        with self._lock:
            self.events.append(event)


def test_responder_serialises_turns_of_one_chat(coach: Coach) -> None:
    store = RecordingStore()
    responder = Responder(coach, store)
    texts = ["how do i do a nordic curl", "how many reps?", "what about hip thrusts"] * 20

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda text: responder.reply("ann", text), texts))
    assert store.events == ["get", "put"] * len(texts)
    assert responder.active_chats() == 0


class BrokenStore:
    """A store whose database is down."""

    def get(self, chat_id: str) -> State | None:
        raise sqlite3.OperationalError("database is locked")

    def put(self, chat_id: str, state: State) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    def delete(self, chat_id: str) -> None:
        raise sqlite3.OperationalError("disk I/O error")


def test_a_failing_store_costs_the_memory_never_the_escalation(
    coach: Coach, caplog: pytest.LogCaptureFixture
) -> None:
    responder = Responder(coach, BrokenStore())
    with caplog.at_level(logging.ERROR, logger="coachbot.store"):
        reply = responder.reply("ann", "i have chest pain after nordics")
    assert reply.red_flag is not None
    assert reply.red_flag.severity == "emergency"
    assert "could not load" in caplog.text
    assert "could not save" in caplog.text
    assert responder.active_chats() == 0


@pytest.mark.parametrize("chat_id", [None, 1.5, True, b"ann"], ids=repr)
def test_a_chat_id_must_be_a_str_or_an_int(coach: Coach, chat_id: Any) -> None:
    with pytest.raises(TypeError, match="chat id"):
        Responder(coach).reply(chat_id, "hi")


@pytest.mark.parametrize(
    "options",
    [
        {"max_sessions": 0},
        {"max_sessions": "10"},
        {"max_sessions": 2.5},
        {"idle_seconds": 0},
        {"idle_seconds": "60"},
        {"idle_seconds": float("nan")},
    ],
    ids=repr,
)
def test_memory_store_rejects_bad_limits_with_usage_error(options: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        MemoryStore(**options)
