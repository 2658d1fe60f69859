"""Behaviour of the red-flag screen: acceptance metrics on the labelled set and the
context rules (negation, pseudo-negation, hypothetical, historical, third party)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from coachbot import Coach, safety
from coachbot.models import SEVERITIES, RedFlag
from coachbot.normalize import words

DATA = Path(__file__).resolve().parent / "data"
CONTEXT_KINDS = ("negated", "hypothetical", "historical", "third_party")
LEVEL: dict[str, int] = {severity: n for n, severity in enumerate(SEVERITIES)}
NO_FLAG = len(SEVERITIES)
"""Level of "no red flag": one below the lowest tier."""


def _level(severity: str | None) -> int:
    return NO_FLAG if severity is None else LEVEL[severity]


@pytest.fixture(scope="module")
def labelled() -> list[dict[str, Any]]:
    with (DATA / "safety_set.yaml").open(encoding="utf-8") as handle:
        messages: list[dict[str, Any]] = yaml.safe_load(handle)["messages"]
    return messages


@pytest.fixture(scope="module")
def screened(coach: Coach, labelled: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Each labelled message with the level the screen gave it."""
    out = []
    for message in labelled:
        flag = coach.screen.screen(message["text"])
        out.append((message, _level(flag.severity if flag else None)))
    return out


# -- acceptance metrics on the full set ------------------------------------------------------


def test_every_emergency_message_is_escalated_as_an_emergency(
    screened: list[tuple[dict[str, Any], int]],
) -> None:
    missed = [m["text"] for m, got in screened if m["severity"] == "emergency" and got != 0]
    assert missed == []


def test_no_message_is_under_triaged_by_two_levels(
    screened: list[tuple[dict[str, Any], int]],
) -> None:
    under = [m["text"] for m, got in screened if got - _level(m["severity"]) >= 2]
    assert under == []


def test_benign_messages_rarely_escalate(screened: list[tuple[dict[str, Any], int]]) -> None:
    benign = [got for m, got in screened if m["kind"] == "benign"]
    escalated = sum(got < NO_FLAG for got in benign)
    assert escalated / len(benign) <= 0.05


def test_benign_messages_almost_never_raise_an_emergency(
    screened: list[tuple[dict[str, Any], int]],
) -> None:
    benign = [got for m, got in screened if m["kind"] == "benign"]
    assert sum(got == 0 for got in benign) / len(benign) <= 0.02


def test_context_items_are_handled_as_labelled(
    screened: list[tuple[dict[str, Any], int]],
) -> None:
    items = [(m, got) for m, got in screened if m["kind"] in CONTEXT_KINDS]
    correct = sum(got == _level(m["severity"]) for m, got in items)
    assert correct / len(items) >= 0.95


def test_context_errors_all_err_toward_escalation(
    screened: list[tuple[dict[str, Any], int]],
) -> None:
    under = [
        m["text"]
        for m, got in screened
        if m["kind"] in CONTEXT_KINDS and got > _level(m["severity"])
    ]
    assert under == []


# -- the labelled set is big enough to mean something ----------------------------------------


TAXONOMY = {
    "emergency": (
        "chest_pain",
        "collapse",
        "breathlessness",
        "palpitations_with_symptoms",
        "rhabdomyolysis",
        "cauda_equina",
        "clot_with_breathing",
    ),
    "urgent": ("hamstring_tear", "leg_clot", "progressive_weakness"),
    "see_professional": (
        "sharp_pain",
        "persistent_pain",
        "nerve_symptoms",
        "joint_swelling",
        "return_after_injury",
        "recurring_strain",
    ),
}
"""The red-flag categories the set is labelled with (the screen may split them finer)."""


def test_taxonomy_categories_all_exist_in_the_screen(coach: Coach) -> None:
    for severity, ids in TAXONOMY.items():
        for cid in ids:
            assert coach.screen.categories[cid].severity == severity


def test_each_emergency_category_has_at_least_25_messages(
    coach: Coach, labelled: list[dict[str, Any]]
) -> None:
    counts = Counter(m["category"] for m in labelled if m["severity"] == "emergency")
    assert {cid: counts[cid] for cid in TAXONOMY["emergency"] if counts[cid] < 25} == {}


@pytest.mark.parametrize("severity", ["urgent", "see_professional"])
def test_each_lower_tier_category_has_at_least_15_messages(
    coach: Coach, labelled: list[dict[str, Any]], severity: str
) -> None:
    counts = Counter(m["category"] for m in labelled if m["severity"] == severity)
    assert {cid: counts[cid] for cid in TAXONOMY[severity] if counts[cid] < 15} == {}


def test_set_has_at_least_150_benign_messages(labelled: list[dict[str, Any]]) -> None:
    assert sum(m["kind"] == "benign" for m in labelled) >= 150


def test_set_has_at_least_100_context_items(labelled: list[dict[str, Any]]) -> None:
    assert sum(m["kind"] in CONTEXT_KINDS for m in labelled) >= 100


# -- context rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("no numbness but my groin feels numb now", "emergency"),
        ("no pain in my legs, however my chest feels crushing", "emergency"),
        ("no numbness in my groin at all", None),
    ],
)
def test_negation_stops_at_but_or_however(coach: Coach, text: str, severity: str | None) -> None:
    flag = coach.screen.screen(text)
    assert (flag.severity if flag else None) == severity


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("not sure if my pee is dark or just normal", "emergency"),
        ("hamstring pain not going away after a month", "see_professional"),
        ("my pee is not dark, just a bit yellow", None),
    ],
)
def test_pseudo_negation_does_not_negate(coach: Coach, text: str, severity: str | None) -> None:
    flag = coach.screen.screen(text)
    assert (flag.severity if flag else None) == severity


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("i cant pee since nordics yesterday", "emergency"),
        ("cant feel my bum when i sit on the toilet", "emergency"),
        ("i cant touch my toes because my hamstrings are tight", None),
    ],
)
def test_red_flag_worded_negatively_is_a_red_flag(
    coach: Coach, text: str, severity: str | None
) -> None:
    flag = coach.screen.screen(text)
    assert (flag.severity if flag else None) == severity


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("is it normal that my pee is dark after nordics?", "emergency"),
        ("what if my pee goes dark after nordics?", None),
        ("what are the warning signs of rhabdo?", None),
        # A symptom pointed at, or told in the present right after it, is there now.
        ("what if my chest pain is serious", "emergency"),
        ("how do i prevent this chest pain", "emergency"),
        ("what if i feel chest pain on nordics", None),
        # Prevention is about the future, unless the strain was reported first.
        ("can nordics prevent a pulled hamstring", None),
        ("i pulled my hamstring, how do i prevent it happening again", "see_professional"),
    ],
)
def test_first_person_question_escalates_but_hypothetical_does_not(
    coach: Coach, text: str, severity: str | None
) -> None:
    flag = coach.screen.screen(text)
    assert (flag.severity if flag else None) == severity


def test_hypothetical_question_is_educational(coach: Coach) -> None:
    assessment = coach.screen.assess("what if my pee goes dark after nordics?")
    assert assessment.red_flag is None
    assert assessment.educational


@pytest.mark.parametrize(
    ("text", "severity", "context"),
    [
        ("i fainted after nordics last year", "urgent", "historical"),
        ("i fainted after nordics just now", "emergency", "current"),
    ],
)
def test_historical_lowers_one_tier_but_never_clears(
    coach: Coach, text: str, severity: str, context: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None
    assert (flag.severity, flag.context) == (severity, context)


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("my mate collapsed after nordics", "emergency"),
        ("i collapsed after nordics", "emergency"),
        ("my client felt a pop in her hamstring", "urgent"),
    ],
)
def test_third_party_keeps_the_tier(coach: Coach, text: str, severity: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None
    assert flag.severity == severity


def test_third_party_reply_uses_bystander_wording(coach: Coach) -> None:
    reply = coach.ask("my mate collapsed after nordics")
    assert reply.red_flag is not None
    assert reply.red_flag.context == "third_party"
    assert reply.text.startswith("Get them to stop exercising")


# -- the reply ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "my pee is brown after nordics",
        "felt a pop in my hamstring doing nordics",
        "sharp pain in my hamstring on the way down",
    ],
)
def test_escalation_reply_starts_with_the_stop_line(coach: Coach, text: str) -> None:
    reply = coach.ask(text)
    assert reply.text.startswith("Stop ")


def test_past_episode_reply_does_not_say_stop_now_and_keeps_its_own_tier_wording(
    coach: Coach,
) -> None:
    # Lowered to urgent, but chest pain still reads as chest pain: a doctor before training,
    # not the urgent tier's "before you load that leg".
    reply = coach.ask("i had chest pain last year but its fine now")
    assert reply.red_flag is not None
    assert (reply.red_flag.severity, reply.red_flag.context) == ("urgent", "historical")
    assert not reply.text.startswith("Stop")
    assert reply.text.startswith(coach.screen.tiers["emergency"].historical)


def test_past_episode_reply_leaves_out_advice_worded_for_now(coach: Coach) -> None:
    reply = coach.ask("i had rhabdo two years ago, can i do nordics")
    assert reply.red_flag is not None and reply.red_flag.context == "historical"
    category = coach.screen.categories[reply.red_flag.category]
    assert category.advice and category.advice not in reply.text
    assert category.watch_for in reply.text


def test_a_category_may_replace_the_stop_line(coach: Coach) -> None:
    reply = coach.ask("im pregnant, can i do hip thrusts?")
    assert reply.red_flag is not None
    assert reply.red_flag.category == "pregnancy_training"
    first = coach.screen.categories["pregnancy_training"].first
    assert first
    assert reply.text.startswith(first)
    # For someone else, its own bystander line: "suggest they stop whatever brings it on" does not
    # fit a pregnancy.
    bystander = coach.screen.categories["pregnancy_training"].bystander
    assert coach.ask("my client is pregnant, can she do glute bridges").text.startswith(bystander)


@pytest.mark.parametrize(
    "text",
    ["my pee is brown after nordics", "numb around my groin and my back hurts"],
)
def test_escalation_reply_makes_no_diagnosis(coach: Coach, text: str) -> None:
    text_out = coach.ask(text).text.lower()
    assert "you have" not in text_out
    assert "you've got" not in text_out


def test_reply_carries_the_red_flag_fields(coach: Coach) -> None:
    reply = coach.ask("my pee is brown after nordics")
    assert reply.to_dict()["red_flag"] == {
        "severity": "emergency",
        "category": "rhabdomyolysis",
        "label": reply.red_flag.label if reply.red_flag else None,
        "context": "current",
    }


def test_session_remembers_a_red_flag(coach: Coach) -> None:
    session = coach.session()
    session.ask("felt a pop in my hamstring doing nordics")
    reply = session.ask("how many sets of nordics")
    assert "checked" in reply.text.lower()


def test_second_safety_set_emergencies_are_all_caught_and_benign_pass(coach: Coach) -> None:
    """The independently written second set (tests/data/safety_fresh.yaml)."""
    order = ["emergency", "urgent", "see_professional", None]
    data = yaml.safe_load((Path(__file__).parent / "data" / "safety_fresh.yaml").read_text())
    missed, under, alarms = [], [], []
    for message in data["messages"]:
        flag = coach.screen.screen(message["text"])
        got = flag.severity if flag else None
        if message["severity"] == "emergency" and got != "emergency":
            missed.append(message["text"])
        if message["severity"] and order.index(got) - order.index(message["severity"]) >= 2:
            under.append(message["text"])
        if message["kind"] == "benign" and got is not None:
            alarms.append(message["text"])
    benign = sum(m["kind"] == "benign" for m in data["messages"])
    assert missed == [] and under == []
    assert len(alarms) / benign <= 0.05, alarms


def test_blind_safety_set_escalates_every_emergency(coach: Coach) -> None:
    """tests/data/safety_blind.yaml: benign messages written to trip a keyword screen."""
    data = yaml.safe_load((Path(__file__).parent / "data" / "safety_blind.yaml").read_text())
    got = [(m, coach.screen.screen(m["text"])) for m in data["messages"]]
    flagged = [m for m, flag in got if m["kind"] == "red_flag" and flag is not None]
    alarms = [m for m, flag in got if m["kind"] == "benign" and flag is not None]
    assert all(
        flag is not None and flag.severity == "emergency"
        for m, flag in got
        if m["severity"] == "emergency"
    )
    assert len(flagged) / sum(m["kind"] == "red_flag" for m in data["messages"]) >= 0.98
    assert len(alarms) / sum(m["kind"] == "benign" for m in data["messages"]) <= 0.17
    # Only one benign message is sent to emergency services: collapsing after 3 Nordic reps
    # (a faint or a failed rep? kept on the side of caution).
    emergencies = [
        m["text"] for m, flag in got if m in alarms and flag and flag.severity == "emergency"
    ]
    assert emergencies == [
        "tried nordics for the first time and collapsed after 3 reps, how do i progress"
    ]


@pytest.mark.parametrize(
    ("text", "escalates"),
    [
        ("chest pian doing hip thrusts", True),  # a swapped pair of letters is a typo
        ("my chest is itght", True),  # (in a five-letter word too)
        ("where do i slot hip thrusts in", False),  # a changed letter is another word
        ("i cant feel my legs after ghrs", True),
    ],
)
def test_short_typos_are_read_only_when_they_are_swaps(
    coach: Coach, text: str, escalates: bool
) -> None:
    assert (coach.screen.screen(text) is not None) is escalates


@pytest.mark.parametrize(
    "text",
    [
        "my regular heartbeat is fine, how many sets of hip thrusts?",
        "how do i stop my back taking over on glute ham raises",
        "what muscle groups get trained in a towel curl",
        # A first letter is seldom the typo: "creaking" is no "breaking", "eating" no
        # "beating"; "swapped" is a word of its own, not "snapped".
        "the bench was creaking during my hip thrusts",
        "i was eating right before nordics, is that ok",
        "i swapped the swiss ball for sliders and my hammies were on fire",
        # A "feeling at the bottom" of a movement is no numbness of the bottom.
        "not pain, more a nice stretch feeling at the bottom of the single leg deadlift",
    ],
)
def test_real_words_are_not_read_as_typos_of_trigger_words(coach: Coach, text: str) -> None:
    # "regular" is not "irregular", "taking" not "tweaking", "trained" not "strained": words
    # the coach's own texts use are real words.
    assert coach.screen.screen(text) is None


def test_misspellings_listed_as_aliases_are_still_read_as_typos(coach: Coach) -> None:
    # Aliases list misspellings on purpose ("standing hamstirng curl"); they are not real words.
    assert coach.screen.screen("i think i tore my hamstirng") is not None


def test_a_situation_is_not_called_a_sign_of_something(coach: Coach) -> None:
    for text in ("im pregnant, can i do hip thrusts?", "i leak a bit when i do hip thrusts"):
        reply = coach.ask(text)
        assert reply.red_flag is not None
        assert coach.screen.categories[reply.red_flag.category].situation
        assert "can be a sign of something" not in reply.text


def test_a_category_may_replace_the_where_and_past_episode_lines(coach: Coach) -> None:
    now = coach.ask("pregnant and bleeding after hip thrusts").text
    assert "maternity assessment unit" in now and "urgent GP" not in now
    past = coach.ask("im pregnant and had a bit of bleeding last week").text
    assert past.startswith("Because this happened, tell the midwife")
    assert "that leg" not in past


@pytest.mark.parametrize(
    ("text", "category", "severity"),
    [
        (
            "had my baby 3 weeks ago and now bleeding heavy, soaking a pad in an hour",
            "heavy_bleeding_birth",
            "emergency",
        ),
        ("banged my head on the rack, threw up twice since", "head_injury_serious", "emergency"),
        ("ankle rolled and theres bone sticking out", "deformity", "emergency"),
        (
            "sudden worst headache of my life while straining on a hip thrust",
            "sudden_headache",
            "emergency",
        ),
        ("i have a knee replacement and during bridges it gave way", "dislocation", "emergency"),
        ("had a c section and now my scar is red and leaking", "postnatal_warning", "urgent"),
    ],
)
def test_combinations_raise_the_new_emergencies(
    coach: Coach, text: str, category: str, severity: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.category, flag.severity) == (category, severity)


@pytest.mark.parametrize(
    "text",
    [
        "how do i get a better glute contraction on hip thrusts, im pregnant",
        "im pregnant, do i need someone spotting me on heavy hip thrusts",
        "I want ripped glutes, hip thrusts or bridges?",
        "torn between hip thrusts and glute bridges",
        "my hips pop when i do bridges, no pain",
        "bump the weight up each week?",
    ],
)
def test_training_words_that_look_like_symptoms_do_not_escalate(coach: Coach, text: str) -> None:
    # Being pregnant is signposted once; the training words add nothing to it.
    flag = coach.screen.screen(text)
    assert flag is None or flag.category == "pregnancy_training"


def test_a_bystander_gets_the_bystander_line_not_the_users(coach: Coach) -> None:
    text = coach.ask("my training partner fell and hit his head").text
    assert text.startswith("Get them to stop, stay with them")
    assert "Get her to stop exercising" in coach.ask("my wife is pregnant and bleeding").text


@pytest.mark.parametrize(
    "text",
    [
        "new knee sleeves gave me blisters",
        "the ghr pin popped out mid set",
        "should I do fewer movements per workout and more sets?",
        "hip thrusts gave me a great pump",
        "I rolled the barbell over my hips",
        "I heard my knees crunching during bridges",
    ],
)
def test_kit_and_training_talk_is_no_joint_injury(coach: Coach, text: str) -> None:
    assert coach.screen.screen(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("postnatal 8 weeks, feeling of heaviness down below when i do bridges", "pelvic_floor"),
        ("my ankle rolled and now its fat and bruised", "joint_injury"),
        ("knocked my head on the rack and now im being sick", "head_injury_serious"),
        ("bumped my head, headache is worse now", "head_injury_serious"),
    ],
)
def test_more_ways_of_saying_it(coach: Coach, text: str, category: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.category == category


def test_knees_rolling_in_is_form_talk(coach: Coach) -> None:
    assert coach.screen.screen("my knees rolled in on the hip thrust") is None


@pytest.mark.parametrize(
    ("text", "category", "context"),
    [
        ("the scar from my knee op is oozing", "wound_problem", "current"),
        ("he's bleeding from the scar", "wound_problem", "third_party"),
        ("had a c section and now my scar is red and leaking", "postnatal_warning", "current"),
    ],
)
def test_a_wound_that_bleeds_or_leaks_is_checked_today(
    coach: Coach, text: str, category: str, context: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.category, flag.context) == (category, context)
    assert flag.severity == "urgent"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I felt a pop in my back doing hip thrusts", "back_pop"),
        ("felt a pop in the back of my thigh", "hamstring_tear"),
        ("my back went during nordics", "back_tweak"),
    ],
)
def test_a_pop_in_the_back_gets_back_advice_not_hamstring_advice(
    coach: Coach, text: str, category: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.category == category


@pytest.mark.parametrize(
    ("text", "severity", "context"),
    [
        ("collapsed at a marathon in 2018, got checked, can i lift", "urgent", "historical"),
        ("back in 2019 i fainted on the rower", "urgent", "historical"),
        ("had the same chest pain as last time about 10 mins ago", "emergency", "current"),
    ],
)
def test_a_year_dates_a_symptom_and_minutes_ago_is_now(
    coach: Coach, text: str, severity: str, context: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == (severity, context)


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("the lad next to me just went blue round the lips", "third_party"),
        ("my training partner watched me pass out mid set", "current"),
        ("my gym buddy says i went grey and then i collapsed on the bench", "current"),
    ],
)
def test_whose_symptom_it_is_goes_by_the_nearest_person(
    coach: Coach, text: str, context: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.severity == "emergency" and flag.context == context


@pytest.mark.parametrize(
    "text",
    ["i got crushing chest pain during 2000 m row", "my chest is crushing like 2000 pounds on it"],
)
def test_an_amount_is_no_year(coach: Coach, text: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == ("emergency", "current")


def test_someone_i_train_with_is_someone_else(coach: Coach) -> None:
    flag = coach.screen.screen("my friend i train with collapsed during nordics")
    assert flag is not None and flag.context == "third_party"


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("my dad had a heart attack 10 years ago and now does glute bridges with me", "urgent"),
        ("my mum had a stroke in 2015, fully recovered, wants to start hip thrusts", "urgent"),
        (
            "my friend tore her hamstring last summer, she's back to training now",
            "see_professional",
        ),
    ],
)
def test_someone_elses_past_episode_is_one_tier_lower_and_for_them_to_act_on(
    coach: Coach, text: str, severity: str
) -> None:
    reply = coach.ask(text)
    assert reply.red_flag is not None
    assert (reply.red_flag.severity, reply.red_flag.context) == (
        severity,
        "third_party_historical",
    )
    category = coach.screen.categories[reply.red_flag.category]
    assert reply.text.startswith(coach.screen.tiers[category.severity].bystander_historical)
    assert "Stop" not in reply.text and "call emergency services (999" not in reply.text


@pytest.mark.parametrize(
    "text",
    [
        "my dad had chest pain yesterday and now hes collapsed",
        "my client had a heart attack last year and has chest pain again now",
        "my mate had chest pain 10 mins ago and now hes sitting down",
    ],
)
def test_someone_elses_episode_told_as_now_keeps_its_tier(coach: Coach, text: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == ("emergency", "third_party")


@pytest.mark.parametrize(
    "text",
    [
        "throat closing, lips swelling",
        "my lips are swollen and i have hives all over after my run",
        "i think im having an allergic reaction, struggling to breathe",
        "had to use my epipen after the session",
        "tongue feels huge and i cant swallow properly",
    ],
)
def test_a_severe_allergic_reaction_is_an_emergency_with_the_auto_injector_first(
    coach: Coach, text: str
) -> None:
    reply = coach.ask(text)
    assert reply.red_flag is not None
    assert (reply.red_flag.severity, reply.red_flag.category) == ("emergency", "anaphylaxis")
    assert reply.text.startswith("Stop exercising now. If you carry an adrenaline auto-injector")


@pytest.mark.parametrize(
    "text",
    [
        "I have an epipen in my bag just in case",
        "i'm allergic to latex bands, which alternatives?",
        "what are the signs of anaphylaxis",
    ],
)
def test_allergy_talk_without_a_reaction_does_not_escalate(coach: Coach, text: str) -> None:
    assert coach.screen.screen(text) is None


def test_a_negation_that_shares_a_word_with_the_symptom_is_part_of_it(coach: Coach) -> None:
    # "has not" overlaps the "not" of "baby ... not ... moved": it is the symptom, not a denial.
    flag = coach.screen.screen("the baby hasnt really moved at all today")
    assert flag is not None and flag.category == "pregnancy_warning"


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("i collapsed and my mate called an ambulance", "current"),
        ("my pee is dark brown after the nordics my coach made me do", "current"),
        ("my chest is crushing and my friend says its nothing", "current"),
        ("collapsed at the gym, it was my client", "third_party"),
        ("chest pain after hip thrusts, its my wife", "third_party"),
    ],
)
def test_a_person_named_after_the_symptom_takes_it_over_only_if_it_was_nobodys(
    coach: Coach, text: str, context: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == ("emergency", context)


@pytest.mark.parametrize(
    "text",
    [
        "my dad had a heart attack years ago and he has crushing chest pain",
        "my friend collapsed at uni and is not breathing",
        "my mate came back from a run and collapsed",
        "my grandad had a stroke years ago and one side of his face is drooping",
        "my girlfriend's throat is closing she had a reaction last year",
        "my mate in uni just collapsed",
    ],
)
def test_someone_elses_emergency_beside_a_past_cue_is_still_an_emergency(
    coach: Coach, text: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == ("emergency", "third_party")


@pytest.mark.parametrize(
    "text",
    ["I'm in uni and just collapsed", "my throat is closing i had a reaction last year"],
)
def test_an_emergency_told_now_beside_a_date_is_current(coach: Coach, text: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == ("emergency", "current")


@pytest.mark.parametrize(
    "text",
    [
        "my chest is not painful and feels normal",
        "my throat is not swollen and feels normal",
        "my calf is not swollen and feels better today",
    ],
)
def test_a_negation_another_match_uses_still_denies_the_symptom(coach: Coach, text: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is None or flag.severity == "see_professional"


@pytest.mark.parametrize(
    "text",
    [
        "my chest is sore from push ups and feels tight and heavy",
        "my chest is sore from push ups and now its crushing and going down my arm",
        "my tongue and glands swollen after a bee sting",
    ],
)
def test_soreness_talk_beside_a_real_symptom_hides_nothing(coach: Coach, text: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.severity == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "do i have to hold on to something for bulgarian split squats?",
        "my bowel movements have slowed down",
        "the gym toilet was dark and dirty",
        "my hands are shaking on the floor press",
        "listening to pop music while doing hip thrusts makes them easier",
        "popped to the shops for protein, back to finish my sets",
    ],
)
def test_everyday_words_near_the_new_wordings_do_not_escalate(coach: Coach, text: str) -> None:
    assert coach.screen.screen(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "my pee, which i only noticed after the second set of nordics this morning, "
            "is dark brown",
            "rhabdomyolysis",
        ),
        (
            "my chest, right in the middle behind the breastbone, has had this heavy "
            "crushing weight for 20 minutes",
            "chest_pain",
        ),
        # A negation inside the aside is about something else and denies nothing.
        ("my chest, which was not bothering me before, now has a crushing weight", "chest_pain"),
        # A comma before the subject ("hi, ...") does not make the subject an aside.
        ("hi, my pee, which i noticed today, is dark brown", "rhabdomyolysis"),
        (
            "yesterday, after nordics, my pee, which i noticed this morning, is dark",
            "rhabdomyolysis",
        ),
        # Two asides in a row.
        (
            "my chest, right in the middle, the worst i have felt, has a crushing weight",
            "chest_pain",
        ),
        # The same category only asked about or denied elsewhere hides nothing.
        ("what is chest pain a sign of? my chest, right in the middle, is crushing", "chest_pain"),
        (
            "i do not have dark pee normally, but my pee, since this morning, is dark",
            "rhabdomyolysis",
        ),
    ],
)
def test_an_aside_between_commas_does_not_part_a_symptom_from_its_place(
    coach: Coach, text: str, category: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.severity == "emergency" and flag.category == category


@pytest.mark.parametrize(
    "text",
    [
        "my pee, thankfully, is a normal colour",
        "i did nordics, bridges, and hip thrusts and felt great",
        "my hamstrings, after all those nordics, feel worked",
        # A list or a filler between commas is no aside.
        "my chest, shoulders and triceps, are so tight after push day",
        "chest, shoulders, triceps, crushing it today",
        "my chest, back, arms, feel crushed after that session",
        "i could not, for the life of me, breathe through my nose on the run",
        "i can not, honestly, walk properly after leg day",
    ],
)
def test_reading_past_asides_raises_no_false_alarm(coach: Coach, text: str) -> None:
    assert coach.screen.screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "ages ago, like 2015, i collapsed playing squash",
        # An aside that dates what it is said of is read first, where its date still counts.
        "my chest, back in 2019, had a heavy crushing weight for an hour",
        "my pee, when i was a kid, was dark brown once",
        "my chest, years ago, felt crushing for an hour",
    ],
)
def test_an_asides_own_date_still_dates_the_symptom(coach: Coach, text: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.context == "historical" and flag.severity == "urgent"


def test_an_asides_question_frame_still_frames_it(coach: Coach) -> None:
    assert coach.screen.screen("my pee, if i overdo nordics, could it go dark brown") is None


def test_hits_found_past_an_aside_point_at_the_words_of_the_message(coach: Coach) -> None:
    text = "my pee, which i noticed after nordics, is dark brown"
    said = words(text)
    hits = [h for h in coach.screen.assess(text).hits if h.category == "rhabdomyolysis"]
    assert hits and said[hits[0].start] == "pee" and said[hits[0].end - 1] == "dark"


@pytest.mark.parametrize(
    "text",
    [
        "my left calf has been getting tighter every day since the long flight home last "
        "week and now it is swollen and warm",
        "my calf, the one i tweaked on the flight back from spain, is swollen and red and hot",
    ],
)
def test_a_calf_told_of_as_swollen_and_warm_far_apart_is_a_possible_clot(
    coach: Coach, text: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.category == "leg_clot" and flag.severity == "urgent"


def test_every_emergency_tells_a_bystander_to_call_emergency_services(coach: Coach) -> None:
    screen = coach.screen
    for category in screen.categories.values():
        if category.severity == "emergency":
            for context in ("current", "third_party"):
                advice = screen.advice(RedFlag("emergency", category.id, category.label, context))
                assert "emergency services" in advice, (category.id, context)


def test_a_hypo_with_confusion_is_an_emergency_and_its_reply_puts_sugar_first(
    coach: Coach,
) -> None:
    reply = coach.ask("im type 1 and feel really shaky and confused after nordics")
    assert reply.red_flag is not None and reply.red_flag.category == "severe_hypo"
    assert reply.red_flag.severity == "emergency" and reply.text.startswith("If you can swallow")
    flag = coach.screen.screen("type 1, a bit shaky after nordics, sugar went low")
    assert flag is not None and flag.category == "low_blood_sugar" and flag.severity == "urgent"


@pytest.mark.parametrize(
    ("text", "severity", "context"),
    [
        (
            "could nordics make you pee dark brown? because mine is dark brown today",
            "emergency",
            "current",
        ),
        ("can nordics cause numbness in the groin? i have that right now", "emergency", "current"),
        (
            "what if your pee turns brown after nordics? mine did this morning",
            "emergency",
            "current",
        ),
        ("can you faint from doing glute ham raises? because i just did", "emergency", "current"),
        ("can you pass out from nordics? happened to me just now", "emergency", "current"),
        (
            "can nordics cause sharp pain behind the knee? mine has it",
            "see_professional",
            "current",
        ),
        ("can you pass out from nordics? happened to me last year", "urgent", "historical"),
    ],
)
def test_a_question_the_user_then_claims_as_their_own_is_a_report(
    coach: Coach, text: str, severity: str, context: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == (severity, context)


@pytest.mark.parametrize(
    "text",
    [
        "could nordics make you pee dark brown? mine is fine",
        "what if my pee goes dark, mine is not",
        "just curious, what does dark pee after training mean? mine is clear",
        "can nordics cause dark pee? i have this question from a client",
        "how do i know if numbness is serious? i have this worry",
        "can you faint doing nordics? i just did 5 sets and feel great",
        "what are the symptoms of a dvt? mine is a quiz question",
    ],
)
def test_a_claim_that_is_cleared_or_about_something_else_keeps_the_question(
    coach: Coach, text: str
) -> None:
    assert coach.screen.screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "my hamstring pulled during sprints",
        "i think my hamstring is pulled",
        "glute tweaked on hip thrusts",
        "my hamstring got pulled, feels tight",
    ],
)
def test_a_muscle_said_to_be_pulled_is_a_strain(coach: Coach, text: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.category, flag.context) == ("muscle_strain", "current")


@pytest.mark.parametrize(
    "text",
    [
        "do nordics actually help stop hammy pulls in footballers",
        "which muscle pulls the knee back",
        "hamstrings pulled taut at the bottom, is that normal",
    ],
)
def test_stopping_strains_or_a_muscle_pulling_taut_is_no_strain(coach: Coach, text: str) -> None:
    assert coach.screen.screen(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my vision went blurry and i have a massive headache", "sudden_headache"),
        ("headache and my vision went double", "sudden_headache"),
        ("my arm went dead and face feels weird", "stroke"),
        ("im seeing double after the workout", "stroke"),
        ("i have double vision after hip thrusts", "stroke"),
        # (after a knock to the head, double vision is the head injury's warning sign)
        ("the bar hit me in the head and now im seeing double", "head_injury_serious"),
    ],
)
def test_double_vision_a_headache_with_vision_change_or_a_dead_arm_is_an_emergency(
    coach: Coach, text: str, category: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.category) == ("emergency", category)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "my hamstrings are insanely painful to touch and swollen, 2 days after ghr",
            "rhabdomyolysis",
        ),
        ("feel pins and needles in both feet and my bum", "cauda_equina"),
        ("heard a crack in my ankle and it looks bent", "deformity"),
        ("saw black spots and nearly went down", "dizzy"),
        ("went grey and had to sit down", "dizzy"),
        ("hamstring felt like it got shot", "hamstring_tear"),
        ("my calf is hard, sore and swollen and it hurts to walk", "leg_clot"),
        ("zings of pain down my leg on the hinge", "nerve_symptoms"),
        ("my glute soreness is worse now than last week even tho ive rested", "persistent_pain"),
        ("without any pain, my leg gave way", "joint_instability"),
        ("diabetic and my sugar is 3.1 after training", "low_blood_sugar"),
        ("the graze on my knee from the ghr is red, hot and spreading", "infection_signs"),
        ("leak when i cough or jump since my baby", "pelvic_floor"),
    ],
)
def test_plainly_worded_symptoms_are_caught(coach: Coach, text: str, category: str) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.category == category, flag


@pytest.mark.parametrize(
    "text",
    [
        "should my knee look bent at the bottom",
        "my elbows look bent during nordics, should they be straight",
        "should my glutes be sore to touch and a bit swollen from the pump",
        "zing in my glutes at the top, good sign?",
        "my legs look swollen from the pump",
        "my hair went grey lol, am i too old for nordics",
    ],
)
def test_words_of_those_symptoms_in_everyday_training_talk_report_nothing(
    coach: Coach, text: str
) -> None:
    assert coach.screen.screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "can deadlifts cause foot drop?",
        "could hip thrusts cause a hernia",
        "do squats cause sciatica",
        "can leg day give you dark pee",
    ],
)
def test_asking_whether_an_activity_causes_a_symptom_is_a_question(coach: Coach, text: str) -> None:
    """The context phrase "can <activity> cause" is written out for every word of the class."""
    assert coach.screen.screen(text) is None
    assert coach.screen.assess(text).educational


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("can nordics cause numbness in the groin? i have it now", "emergency"),
        ("can nordics cause sharp pain? i get that sometimes", "see_professional"),
        ("can you faint on nordics? happens to me often", "emergency"),
    ],
)
def test_claiming_it_or_how_often_it_happens_is_a_report(
    coach: Coach, text: str, severity: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and (flag.severity, flag.context) == (severity, "current")


def test_a_symptom_told_after_and_is_not_dated_by_the_birth_before_it(coach: Coach) -> None:
    """ "gave birth 3 weeks ago and soaking through pads": the bleeding is now."""
    flag = coach.screen.screen("gave birth 3 weeks ago and soaking through pads")
    assert flag is not None and (flag.severity, flag.context) == ("emergency", "current")


_FILLER = ("bench", "gym", "session", "today", "again", "later", "here", "now")


@pytest.mark.parametrize("gap", range(1, len(_FILLER) - 1))
def test_a_negation_before_a_symptom_reaches_only_so_far(coach: Coach, gap: int) -> None:
    # "no" then ``gap`` other words, then the symptom: denied only within NEGATION_REACH
    # words, so an early "no bench" cannot hide chest pain said later in the sentence.
    text = " ".join(("no", *_FILLER[:gap], "chest pain"))
    denied = gap < safety.NEGATION_REACH
    assert (coach.screen.screen(text) is None) is denied, text


@pytest.mark.parametrize("gap", range(len(_FILLER) - 2))
def test_a_negation_after_a_symptom_reaches_only_so_far(coach: Coach, gap: int) -> None:
    text = " ".join(("chest pain", *_FILLER[:gap], "none"))
    denied = gap <= safety.FOLLOWING_REACH  # ("numbness? gone", up to that many words between)
    assert (coach.screen.screen(text) is None) is denied, text


def test_sharp_pain_then_bruising_is_a_same_day_check(coach: Coach) -> None:
    flag = coach.screen.screen("felt a sharp pain in the back of my thigh sprinting, now bruising")
    assert flag is not None and flag.severity == "urgent"
    alone = coach.screen.screen("felt a sharp pain in the back of my thigh sprinting")
    assert alone is not None and alone.severity == "see_professional"


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("played rugby till my late 20s and tore my hamstring twice back then", "historical"),
        ("i tore my hamstring and have not recovered", "current"),
        ("tore my hamstring in march, not fully healed yet", "current"),
    ],
)
def test_when_a_tear_happened_is_read_from_the_message(
    coach: Coach, text: str, context: str
) -> None:
    flag = coach.screen.screen(text)
    assert flag is not None and flag.category == "hamstring_tear" and flag.context == context


def test_a_past_episode_is_not_called_a_sign_of_something(coach: Coach) -> None:
    past = coach.ask("pulled my hamstring last season, how do i bulletproof my hamstrings").text
    assert "can be a sign of something" not in past
    now = coach.ask("pulled my hamstring yesterday doing nordics").text
    assert "can be a sign of something that needs checking" in now
