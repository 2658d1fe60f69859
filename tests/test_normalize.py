from rapidfuzz import fuzz, process

from coachbot import Coach
from coachbot.normalize import (
    MAX_CHARS,
    PUNCTUATION,
    Corrector,
    clean,
    content_words,
    head,
    stem,
    word_set,
    words,
)


def test_contractions_are_spelt_out() -> None:
    assert words("I can't walk") == ("i", "can", "not", "walk")
    assert words("it doesn't hurt") == ("it", "does", "not", "hurt")
    assert words("cant pee") == ("can", "not", "pee")
    assert words("whats up") == ("what", "is", "up")
    assert words("cnt feel my legs, i dnt know") == (
        ("can", "not", "feel", "my", "legs", ",", "i", "do", "not", "know")
    )


def test_the_head_of_a_long_text_ends_between_words() -> None:
    text = "ab " * 400
    assert head(text) == text[:999] and head("short") == "short"
    assert head("x" * 1500) == "x" * MAX_CHARS  # (a single word longer than the limit)
    assert head("a" * 998 + " can't stop") == "a" * 998 + " "


def test_a_height_in_feet_and_inches_is_one_word() -> None:
    assert words("i'm 5'4 and 6\u20192\" tall") == ("i", "am", "5'4", "and", "6'2", "tall")
    assert word_set("5'4") == {"5'4"}
    # (an apostrophe before letters is still a contraction or a possessive)
    assert words("the 90's") == ("the", "90")


def test_height_is_not_read_as_an_age(coach: Coach) -> None:
    reply = coach.ask("i'm 5'4 and the ghr doesnt fit me")
    assert (reply.intent, reply.exercise) == ("equipment", "glute-ham-raise")


def test_typographic_apostrophes_and_accents_are_folded() -> None:
    assert words("I can\u2019t") == ("i", "can", "not")
    assert words("Nórdic") == ("nordic",)


def test_sentence_punctuation_is_kept_as_tokens() -> None:
    assert words("no pain. sharp!") == ("no", "pain", ".", "sharp", "!")
    assert content_words("no pain. sharp!") == ("no", "pain", "sharp")


def test_emoji_and_control_characters_are_dropped() -> None:
    assert words("nordics 💪\x00\x1b[31m") == ("nordics", "31m")


def test_long_text_is_read_whole_but_not_cached() -> None:
    text = "numb " * MAX_CHARS
    assert len(words(text)) == MAX_CHARS
    assert clean(text) == text


def test_stem_meets_plurals_and_ing_forms() -> None:
    assert stem("reps") == stem("rep")
    assert stem("curling") == stem("curl")
    assert stem("bridges") == stem("bridge")
    assert stem("glass") == "glass"


def test_words_that_only_look_suffixed_keep_their_ending() -> None:
    assert stem("evening") == "evening"
    assert stem("morning") == "morning"
    assert stem("lowering") == "lower"


def test_typo_search_over_reachable_lengths_finds_what_a_full_search_finds() -> None:
    """Only words whose length lets ``fuzz.ratio`` reach the cutoff are compared; the answer
    (ties included) must be the one a search over the whole vocabulary gives, unless two
    neighbouring letters swapped back make a vocabulary word: then it is that word."""
    vocabulary = sorted({w for w in words(_VOCABULARY) if len(w) >= 4} | {"hamstrings", "hams"})
    assert len(vocabulary) > 30
    corrector = Corrector(vocabulary, min_score=85.0, min_length=5)
    swaps = {w[:i] + w[i + 1] + w[i] + w[i + 2 :] for w in vocabulary for i in range(len(w) - 1)}
    typos = swaps | {w[:-1] for w in vocabulary} | {w + "s" for w in vocabulary}
    typos |= {"hamstrngs", "glutess"}
    for typo in sorted(t for t in typos if t not in vocabulary and len(t) >= 5):
        back = [
            f
            for i in range(len(typo) - 1)
            if (f := typo[:i] + typo[i + 1] + typo[i] + typo[i + 2 :]) in vocabulary
        ]
        full = process.extractOne(typo, corrector._vocab, scorer=fuzz.ratio, score_cutoff=85.0)
        expected = back[0] if back else full[0] if full else typo
        assert corrector(typo) == expected, typo


def test_a_swap_in_a_five_letter_word_is_read_as_the_word_meant() -> None:
    # fuzz.ratio scores "itght" 80 against "tight", under any sensible cutoff.
    corrector = Corrector(["tight", "chest"], min_score=85.0, min_length=5)
    assert corrector("itght") == "tight"
    assert corrector("chets") == "chest"
    assert corrector("thgit") == "thgit"  # two slips are no swap


_VOCABULARY = (
    "hamstring glutes nordic curl bridge thrust raise lowering tempo eccentric beginner "
    "advanced intermediate stretch soreness cramps warm equipment alternative progression "
    "regression stability slider towel single deadlift standing prone extension"
)


def test_word_set_is_the_set_of_words() -> None:
    text = "I can't do it, it's too hard! Don't stop; can't? won't. Hamstrings' pop"
    assert word_set(text) == set(words(text)) - PUNCTUATION


def test_letters_held_down_are_read_as_the_word_meant() -> None:
    corrector = Corrector(["pee", "pain", "dizzy", "breathless"], short_edits=True)
    assert corrector("peee") == "pee"  # cut to two letters
    assert corrector("painnnn") == "pain"  # cut to one
    assert corrector("breathlesssss") == "breathless"
    assert corrector("zzzz") == "zz"  # no word: read as cut to two


def test_a_doubled_letter_typed_once_in_a_short_word_is_corrected() -> None:
    corrector = Corrector(["dizzy", "pain"], short_edits=True)
    assert corrector("dizy") == "dizzy"
    assert corrector("pian") == "pain"  # a swap, as before
    assert Corrector(["dizzy"])("dizy") == "dizy"  # only where short words are corrected


def test_text_speak_escalates_as_the_words_meant(coach: Coach) -> None:
    flag = coach.screen.screen("cnt feel my legs after nordics")
    assert flag is not None and flag.severity == "emergency"


def test_stretched_words_escalate_as_the_words_meant(coach: Coach) -> None:
    stretched = ("painnnn in my chest", "my peee is dark brwon after nordics", "dizy after nordics")
    for text in stretched:
        assert coach.screen.screen(text) is not None, text


def test_priming_many_words_reads_each_as_one_at_a_time_would(coach: Coach) -> None:
    """Corrector.prime scores whole groups at once; the readings must be the same."""
    vocabulary = sorted(coach.screen.vocabulary)
    typos = {"pian", "dizy", "peee", "painnnn", "breathlesness", "x" * 40, "stif", "ab", ""}
    for i, word in enumerate(vocabulary):
        if len(word) >= 4 and i % 3 == 0:
            j = i % (len(word) - 1)
            typos.add(word[:j] + word[j + 1] + word[j] + word[j + 2 :])  # a swap
            typos.add(word[:j] + word[j + 1 :])  # a letter left out
            typos.add(word[:j] + "q" + word[j:])  # a letter added
    one_by_one = Corrector(vocabulary, min_score=85.0, min_length=5, short_edits=True)
    primed = Corrector(vocabulary, min_score=85.0, min_length=5, short_edits=True)
    primed.prime(typos)
    assert len(typos) > 300
    assert sum(w in primed._cache for w in typos) > 300  # read by the priming, not later
    assert {w: primed(w) for w in typos} == {w: one_by_one(w) for w in typos}


def test_priming_with_no_cutoff_still_reads_as_one_at_a_time() -> None:
    """With a minimum score of 0, extractOne takes even a choice that scores 0."""
    one_by_one, primed = Corrector(["acaac"], min_score=0), Corrector(["acaac"], min_score=0)
    primed.prime(["dbddbd"])
    assert primed("dbddbd") == one_by_one("dbddbd") == "acaac"
