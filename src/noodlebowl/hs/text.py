"""Text normalisation shared by the HS search index (built in ``tools/``) and its queries.

Texts and queries pass through the same light normaliser: lower case, possessives and
plurals folded ("men's" → men, "shrimps" → shrimp, "batteries" → battery), stop words
dropped, the HS phrase "not knitted or crocheted" read as ``woven`` (that is how traders
say it), and clauses that name what a code does *not* cover ("other than …",
"excluding …", "not containing …") left out so that they do not match.

Two views of a text feed the classifier: words with their adjacent pairs
(:func:`word_features`), and the 3- to 5-letter pieces of each word
(:func:`char_features`), which meet misspellings, compounds and inflections
("powerbank", "earings", "stainless-steel") that whole words miss.
"""

from __future__ import annotations

import re
from functools import cache

STOP_WORDS = frozenset("""
a an and or of the for with without in on to by as at from into its their his her be being is are
other others than whether nec n e c etc such thereof therein kind kinds used use heading headings
subheading item items no chapter including include includes similar excluding exclude except
this that these those any all which whose not put up
""".split())

# Phrases normalised before tokenising (documents and queries alike).
_PHRASES = [
    (re.compile(r"\bnot knitted or crocheted\b"), " woven "),   # HS ch. 62 wording for woven apparel
    (re.compile(r"\bknitted or crocheted\b"), " knitted "),
    (re.compile(r"\bt-shirts?\b"), " tshirt "),
    (re.compile(r"\bn\.e\.c\.?"), " "),
    (re.compile(r"\bwhether or not\b"), " "),
    (re.compile(r"\be-(?=[a-z])"), "e"),                        # e-bike, e-waste
]
# Clauses that exclude goods: their words must not match (documents and queries).
_NEGATED = re.compile(r"\b(?:other than|excluding|except|not|neither|non)\b[^,;:()›]*")
_TOKEN = re.compile(r"[a-z0-9]+")

# Irregular forms the plural rules below would get wrong.
_IRREGULAR = {
    "leaves": "leaf", "knives": "knife", "halves": "half", "shelves": "shelf", "calves": "calf",
    "children": "child", "feet": "foot", "teeth": "tooth", "geese": "goose", "mice": "mouse",
    "dice": "die", "oxen": "ox", "women": "women", "men": "men", "gas": "gas", "glasses": "glass",
    "series": "series", "species": "species", "molluscs": "mollusc", "shoes": "shoe",
    "dried": "dry", "drying": "dry", "frozen": "frozen", "canned": "preserved", "tinned": "preserved",
}


@cache
def stem(word: str) -> str:
    """Fold plurals (and a few irregular forms) so that singular and plural meet."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("oes"):
        return word[:-2]
    if word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def _clean(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"'s\b|s'(?=\W|$)", lambda m: "" if m.group(0) == "'s" else "s", text)
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    # a query's "not roasted" excludes like the nomenclature's "not roasted" does
    text = _NEGATED.sub(" ", text)
    return text


def tokens(text: str) -> list[str]:
    """Normalised index terms of a text (stop words dropped, plurals folded)."""
    return [stem(t) for t in _TOKEN.findall(_clean(text)) if t not in STOP_WORDS]


def word_features(text: str) -> list[str]:
    """Words and adjacent word pairs ("stainless_steel") of a text."""
    words = tokens(text)
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]


@cache
def _pieces(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    return tuple(padded[i:i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1))


def char_features(text: str) -> list[str]:
    """The 3-, 4- and 5-letter pieces of each word, marked at the word's ends by spaces."""
    return [p for word in tokens(text) for p in _pieces(word)]
