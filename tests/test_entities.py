import pytest

from coachbot import Coach
from coachbot.entities import EntityFinder, age_said
from coachbot.normalize import words


@pytest.mark.parametrize(
    ("text", "exercise"),
    [
        ("how many sets of nordics", "nordic-hamstring-curl"),
        ("nordik curls for beginners", "nordic-hamstring-curl"),
        ("ghr form", "glute-ham-raise"),
        ("hip thurst sets", "hip-thrust"),
        ("glute brige", "glute-bridge"),
        ("single leg hip thrust", "single-leg-hip-thrust"),
        ("inverse leg curl", "natural-glute-ham-raise"),
        ("swiss ball leg curl", "stability-ball-hamstring-curl"),
    ],
)
def test_exercise_is_found_with_aliases_and_typos(coach: Coach, text: str, exercise: str) -> None:
    assert coach.finder.find(words(text)).exercise_ids[:1] == (exercise,)


def test_every_alias_resolves_to_its_exercise(coach: Coach) -> None:
    shared = set(coach.general.shared_aliases)
    for ex in coach.exercises.values():
        for alias in ex.aliases:
            if alias in shared:
                continue
            found = coach.finder.find(words(alias))
            assert found.exercise_ids == (ex.id,), (alias, found)


def test_the_longest_alias_wins(coach: Coach) -> None:
    found = coach.finder.find(words("single leg iso ham raise"))
    assert found.exercise_ids == ("single-leg-iso-ham-raise",)


@pytest.mark.parametrize(
    ("text", "exercise"),
    [
        ("how do i do the single leg version of hip thrusts", "single-leg-hip-thrust"),
        ("sets for one legged glute bridges", "single-leg-glute-bridge"),
        ("the one-leg variation of the heels on bench hold", "single-leg-iso-ham-raise"),
        # No one-leg version of its own: the exercise named, as said.
        ("is there a single leg version of nordics", "nordic-hamstring-curl"),
    ],
)
def test_the_one_leg_version_of_a_named_exercise_is_that_exercise(
    coach: Coach, text: str, exercise: str
) -> None:
    found = coach.finder.find(words(text))
    assert found.exercise_ids == (exercise,)
    if exercise.startswith("single-leg-"):
        assert not {"single", "one", "leg", "legged"} & set(found.rest)


def test_ambiguous_name_offers_every_exercise_it_can_mean(coach: Coach) -> None:
    found = coach.finder.find(words("how many sets of hamstring leg raises"))
    assert found.ambiguous is not None
    assert set(found.ambiguous.exercises) == {"standing-hamstring-curl", "prone-hip-extension"}


def test_mentions_are_removed_from_the_rest(coach: Coach) -> None:
    found = coach.finder.find(words("how many sets of nordic curls"))
    assert found.rest == ("how", "many", "sets", "of")


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("sets for a beginner", "beginner"),
        ("i'm advanced", "advanced"),
        ("just starting out", "beginner"),
    ],
)
def test_level_is_found(coach: Coach, text: str, level: str) -> None:
    assert coach.finder.find(words(text)).level == level


def test_short_english_words_are_not_read_as_exercises(coach: Coach) -> None:
    assert coach.finder.find(words("how long to cook a ham")).exercise_ids == ()


def test_a_level_phrase_with_no_words_we_read_is_ignored(coach: Coach) -> None:
    levels = {"beginner": ("beginner", "初心者", "—")}
    finder = EntityFinder(coach.exercises, {}, levels)
    assert finder.find(("sets", "as", "a", "beginner")).level == "beginner"


@pytest.mark.parametrize(
    "text", ["how do i do a seated leg curl", "lying hamstring curls", "hamstring curl machine"]
)
def test_a_name_inside_an_uncovered_exercise_is_no_mention(coach: Coach, text: str) -> None:
    found = coach.finder.find(words(text))
    assert found.mentions == ()
    assert coach.ask(text).text == coach.messages["out_of_scope"]


def test_plain_leg_curl_asks_which_of_the_covered_curls(coach: Coach) -> None:
    reply = coach.ask("how do i do a leg curl")
    assert reply.intent == "how_to"
    assert set(reply.candidates) == {
        "standing-hamstring-curl",
        "stability-ball-hamstring-curl",
        "slider-hamstring-curl",
    }
    assert coach.ask("how do i do a standing leg curl").exercise == "standing-hamstring-curl"


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        ("i have bad knees", ("knee",)),
        ("is it bad for my back", ("back",)),
        ("coming back from a hamstring strain", ("hamstring-strain",)),
        ("postpartum with a sore back and dodgy knees", ("postpartum", "back", "knee")),
        ("how many sets should i do", ()),
        ("is it safe with flat feet", ()),
        ("is it safe with hypermobility", ("hypermobility",)),
        ("my knees are fine, but my back hurts", ("back",)),
        ("can i do bridges with a calf strain", ()),
        ("lying on my back while pregnant", ("pregnancy",)),
    ],
)
def test_health_conditions_are_found_as_whole_phrases(
    coach: Coach, text: str, conditions: tuple[str, ...]
) -> None:
    assert tuple(c for c, _, _ in coach.finder.conditions(words(text))) == conditions


def test_fine_counts_only_in_the_same_clause(coach: Coach) -> None:
    assert [c for c, _, _ in coach.finder.conditions(words("I have a bad back, ok to do it?"))] == [
        "back"
    ]
    assert coach.finder.conditions(words("my back is fine")) == []


def test_a_phrase_inside_a_longer_one_counts_too(coach: Coach) -> None:
    found = [c for c, _, _ in coach.finder.conditions(words("had a knee replacement last year"))]
    assert found == ["joint-replacement", "knee"]


def test_a_condition_at_the_end_ends_where_the_message_does(coach: Coach) -> None:
    # "back" starts longer phrases too; the slice past the end must not pass for one.
    said = words("i leak when i deadlift and my back hurts")
    assert coach.finder.conditions(said) == [("back", 7, 9)]


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        ("my hips keep dropping", ()),
        ("my knees cave in on hip thrusts", ()),
        ("my hips tilt to one side", ()),
        ("i keep losing balance", ()),
        ("my hips hurt when they drop", ("hip",)),
        ("i have poor balance", ("balance",)),
        ("my knee hurts", ("knee",)),
    ],
)
def test_a_body_part_moving_is_form_not_a_condition(
    coach: Coach, text: str, conditions: tuple[str, ...]
) -> None:
    assert tuple(dict.fromkeys(c for c, _, _ in coach.finder.conditions(words(text)))) == conditions


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("i'm 68, is it ok", 68),
        ("i am 45 years old", 45),
        ("my 70 year old mum", 70),
        ("aged 52 and new to this", 52),
        ("in my 60s", 60),
        ("i'm 20 weeks pregnant", None),  # a number with a unit is no age
        ("i am 3 sets in", None),  # (nor one below ten)
        ("i do 20 reps", None),
        ("i'm 5'4", None),
    ],
)
def test_the_age_a_message_tells(text: str, age: int | None) -> None:
    assert age_said(words(text)) == age
