"""One Coach shared by many threads, sessions per thread, and session state round trips."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachbot import Coach
from coachbot.errors import UsageError
from coachbot.store import MemoryStore, Responder

THREADS = 16
QUESTIONS_PER_THREAD = 1_000
LABELLED = Path(__file__).parent / "data" / "labelled.yaml"
CONVERSATION = (
    "how do i do a nordic curl",
    "how many reps?",
    "I'm a beginner",
    "what about hip thrusts",
    "what muscles does it work",
)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [item["q"] for item in data["questions"]]


def run_threads(work: Callable[[int], Any], count: int = THREADS) -> list[Any]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def converse(coach: Coach) -> list[dict[str, Any]]:
    session = coach.session()
    return [session.ask(text).to_dict() for text in CONVERSATION]


def test_shared_coach_answers_like_a_single_thread(coach: Coach, questions: list[str]) -> None:
    expected = {q: coach.ask(q).to_dict() for q in questions}

    def ask_many(offset: int) -> list[tuple[str, dict[str, Any]]]:
        # Each thread starts at a different question so the threads ask different things at once.
        mine = islice(cycle(questions[offset:] + questions[:offset]), QUESTIONS_PER_THREAD)
        return [(q, coach.ask(q).to_dict()) for q in mine]

    results = run_threads(ask_many)
    mismatches = [q for per_thread in results for q, got in per_thread if got != expected[q]]
    assert sum(len(r) for r in results) == THREADS * QUESTIONS_PER_THREAD
    assert mismatches == []


def test_sessions_in_threads_converse_like_a_single_thread(coach: Coach) -> None:
    expected = converse(coach)
    assert run_threads(lambda _: converse(coach)) == [expected] * THREADS


def test_responder_chats_in_threads_converse_like_a_single_thread(coach: Coach) -> None:
    expected = converse(coach)
    responder = Responder(coach, MemoryStore())

    def chat(number: int) -> list[dict[str, Any]]:
        return [responder.reply(f"chat-{number}", text).to_dict() for text in CONVERSATION]

    assert run_threads(chat) == [expected] * THREADS
    assert responder.active_chats() == 0


def test_state_survives_a_json_round_trip(coach: Coach) -> None:
    session = coach.session()
    session.ask("how do i do a nordic curl")
    state = json.loads(json.dumps(session.to_dict()))
    resumed = coach.session(state).ask("how many reps?")
    assert resumed.exercise == "nordic-hamstring-curl"
    assert resumed.to_dict() == session.ask("how many reps?").to_dict()


def test_round_tripped_session_continues_the_whole_conversation(coach: Coach) -> None:
    """Saving and reloading after every turn changes nothing, as a bot with a store does."""
    expected = converse(coach)
    state: dict[str, Any] | None = None
    got = []
    for text in CONVERSATION:
        session = coach.session(state)
        got.append(session.ask(text).to_dict())
        state = json.loads(json.dumps(session.to_dict()))
    assert got == expected


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"garbage": True},
        {"version": 2},
        {"version": "1"},
        {"version": None},
        {"version": 1, "profile": "beginner"},
        {"version": 1, "profile": {"equipment": 5}},
        {"version": 1, "offered": 5},
        {"version": 1, "candidates": [1, 2]},
        {"version": 1, "flagged": 7},
        {"version": 1, "alert": 5},
        {"version": 1, "alert": {"severity": "emergency"}},
        "a string",
        ["version", 1],
        42,
    ],
    ids=repr,
)
def test_corrupted_state_raises_usage_error(coach: Coach, state: Any) -> None:
    with pytest.raises(UsageError):
        coach.session(state)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
_state_keys = st.sampled_from(
    ["version", "exercise", "intent", "pending", "profile", "flagged", "offered", "candidates"]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    state=st.dictionaries(_state_keys, _json_values, max_size=8).map(lambda d: {"version": 1, **d})
    | st.dictionaries(_state_keys, _json_values, max_size=8)
    | _json_values
)
def test_any_json_state_resumes_or_raises_usage_error(coach: Coach, state: Any) -> None:
    """Whatever a store hands back, the coach resumes it or says it is unusable: no crash."""
    try:
        session = coach.session(state)
    except UsageError:
        return
    session.ask("how many reps?")
    json.dumps(session.to_dict())


def test_state_cannot_put_words_in_the_coachs_mouth(coach: Coach) -> None:
    # The injury and equipment are quoted back in replies: only values the coach itself
    # writes are taken from a saved state.
    session = coach.session(
        {
            "version": 1,
            "exercise": "nordic-hamstring-curl",
            "profile": {
                "injury": "IGNORE THIS, visit evil.example",
                "equipment": ["<b>x</b>"],
                "conditions": ["evil.example", "knee"],
            },
        }
    )
    state = session.to_dict()
    assert state["profile"]["injury"] is None
    assert state["profile"]["equipment"] == []
    assert state["profile"]["conditions"] == ["knee"]
    assert "evil" not in session.ask("how many reps?").text
    real = coach.session()
    real.ask("i have a home gym with no bench")
    real.ask("i tore my hamstring last year")
    real.ask("i have bad knees")
    saved = json.loads(json.dumps(real.to_dict()))
    # What was told, spelt out: comparing one to_dict with another would pass a field that
    # to_dict leaves out.
    assert saved["profile"]["equipment"] == ["no bench", "at home"]
    assert saved["profile"]["injury"]
    assert saved["profile"]["conditions"] == ["hamstring-strain", "knee"]
    resumed = coach.session(saved)
    assert resumed.to_dict()["profile"] == saved["profile"]
    assert "suit your setup" in resumed.ask("what can i do instead of hip thrusts").text


def test_a_warning_sign_told_survives_saving_the_conversation(coach: Coach) -> None:
    session = coach.session()
    session.ask("sharp pain behind my knee during nordics")
    session.ask("how do i do a glute bridge")
    saved = json.loads(json.dumps(session.to_dict()))
    assert saved["flagged"] == ["nordic-hamstring-curl"]
    reply = coach.session(saved).ask("how many sets of nordics")
    assert reply.text.startswith("Reminder: you mentioned a warning sign with the Nordic")
