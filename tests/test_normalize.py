from coachbot.normalize import MAX_CHARS, clean, content_words, stem, words


def test_contractions_are_spelt_out() -> None:
    assert words("I can't walk") == ("i", "can", "not", "walk")
    assert words("it doesn't hurt") == ("it", "does", "not", "hurt")
    assert words("cant pee") == ("can", "not", "pee")


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
