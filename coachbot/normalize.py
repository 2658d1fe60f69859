"""Text -> canonical lower-case words. Pure functions, shared by every later stage.

Contractions are spelt out ("can't" -> "can not") so that the safety screen's negation rules
and the matcher see one form, and typographic quotes, emoji and control characters are
dropped. ``MAX_CHARS`` caps what any stage ever looks at, so a 100 KB message costs no more
than a normal one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_CHARS = 1000
"""Messages are cut to this many characters before anything else looks at them."""

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.!?;,]")
_CONTRACTIONS = {
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wont": "will not",
    "n't": " not",
    "i'm": "i am",
    "im": "i am",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "i've": "i have",
    "ive": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "you're": "you are",
    "there's": "there is",
    "he's": "he is",
    "she's": "she is",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "wasnt": "was not",
    "arent": "are not",
    "havent": "have not",
    "hasnt": "has not",
    "aint": "is not",
    "shouldnt": "should not",
    "couldnt": "could not",
    "wouldnt": "would not",
}
PUNCTUATION = frozenset(".!?;,")


def clean(text: str) -> str:
    """Unicode-normalised, case-folded text with control characters and symbols removed."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_APOSTROPHES).casefold()
    # Letters of other scripts survive NFKC; accents on Latin letters are dropped so that
    # "nórdic" still reads as "nordic".
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return text


def _expand(word: str) -> list[str]:
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word].split()
    if word.endswith("n't"):
        stem = word[:-3]
        return [{"ca": "can", "wo": "will", "sha": "shall"}.get(stem, stem), "not"]
    if word.endswith("'s") or word.endswith("'d") or word.endswith("'ll") or word.endswith("'re"):
        return [word.split("'", 1)[0]]
    if word.endswith("'ve"):
        return [word[:-3], "have"]
    return [word.replace("'", "")]


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """Canonical words and sentence punctuation, e.g. ``("can", "not", "walk", ".")``."""
    out: list[str] = []
    for match in _WORD.findall(clean(text)):
        out.extend(_expand(match))
    return tuple(w for w in out if w)


def content_words(text: str) -> tuple[str, ...]:
    """Like ``words`` without punctuation."""
    return tuple(w for w in words(text) if w not in PUNCTUATION)


_SUFFIXES = (("ies", "y"), ("ing", ""), ("ness", ""), ("ed", ""), ("es", "e"), ("s", ""))


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """A light suffix stripper: enough to make "reps"/"rep" and "curling"/"curl" meet."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)] + repl
    return word
