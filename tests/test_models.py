import pickle
from dataclasses import replace

from coachbot.models import RedFlag, Reply


def test_reply_survives_pickling_with_every_field():
    # Batch workers send replies back pickled; notes are left out of equality, so they are
    # compared on their own.
    reply = Reply(
        "Stop and call emergency services.",
        intent="feel",
        exercise="nordic_curl",
        confidence=0.8125,
        red_flag=RedFlag("emergency", "chest_pain", "chest pain", "third_party"),
        suggestions=("a", "b"),
        level="beginner",
        candidates=("x",),
        notes=("best intent feel",),
    )
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(reply, protocol=protocol))
        assert back == reply
        assert back.notes == reply.notes
        assert type(back.red_flag) is RedFlag


def test_default_reply_survives_pickling():
    assert pickle.loads(pickle.dumps(Reply("hi"))) == Reply("hi")


def test_cautions_keep_the_points_for_the_conditions_and_for_everyone(coach):
    ex = replace(
        coach.exercises["nordic-hamstring-curl"],
        avoid_or_modify=("knees", "back", "knees and hips", "everyone"),
        about=(frozenset({"knee"}), frozenset({"back"}), frozenset({"knee", "hip"}), frozenset()),
    )
    assert ex.cautions(("knee",)) == ("knees", "knees and hips", "everyone")
    assert ex.cautions(("hip", "back")) == ("back", "knees and hips", "everyone")
    assert ex.covers(("pregnancy", "hip")) == ("hip",)
    # Nothing about the condition asked: the points for everyone; nothing asked: all of them.
    assert ex.cautions(("pregnancy",)) == ("everyone",)
    assert ex.cautions() == ex.avoid_or_modify
