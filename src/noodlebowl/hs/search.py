"""Finding an HS2022 subheading from plain words ("frozen peeled shrimp", "smartphone").

A small BM25F-style ranker over four fields of each HS2022 subheading:

* ``subheading`` — the subheading's own description (UN Comtrade text), weight 1.0;
* ``ahtn`` — the AHTN 2022 lines below it (their description path without the heading
  text, which is already the ``heading`` field); each line is scored on its own and the
  best line counts, so one precise national line ("Durians") can carry a subheading;
* ``heading`` and ``chapter`` — the parent texts, weighted lower (they describe many
  subheadings at once).

Texts and queries pass through the same light normaliser: lower case, possessives and
plurals folded ("men's" → men, "shrimps" → shrimp, "batteries" → battery), stop words
dropped, the HS phrase "not knitted or crocheted" read as ``woven`` (that is how traders
say it), and clauses that name what a code does *not* cover ("other than …",
"excluding …", "not containing …", "neither crushed nor ground") left out of the index
so that they do not match (the same holds for a query's "not roasted").
A small synonym table maps common trader words to the nomenclature's words; each entry
says why it is there. A hit's score is the weighted sum of the field scores times the
share of the query's concepts found anywhere in the subheading (so that a code matching
every word beats one matching a single rare word many times).

The index is built lazily on the first search (about 0.5 s) and cached for the process;
``noodlebowl hs show`` never builds it.

JSON form of a :class:`SearchHit` (``as_dict()``; stable keys)::

    {"code", "dotted", "description", "score",
     "why": {"subheading": [word, ...], "ahtn": [word, ...], "ahtn_line": code|null,
             "heading": [word, ...], "chapter": [word, ...], "synonyms": {word: [word, ...]},
             "coverage": float}}
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from noodlebowl.hs.codes import dotted

FIELD_WEIGHTS = {"subheading": 1.0, "ahtn": 0.9, "heading": 0.45, "chapter": 0.15}
K1, B = 1.2, 0.6
COVERAGE_POWER = 2.0
SYNONYM_WEIGHT = 0.8

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


def _clean(text: str, *, document: bool = True) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"'s\b|s'(?=\W|$)", lambda m: "" if m.group(0) == "'s" else "s", text)
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    # a query's "not roasted" excludes like the nomenclature's "not roasted" does
    text = _NEGATED.sub(" ", text)
    return text


def tokens(text: str, *, document: bool = True) -> list[str]:
    """Normalised index terms of a text (stop words dropped, plurals folded)."""
    return [stem(t) for t in _TOKEN.findall(_clean(text, document=document)) if t not in STOP_WORDS]


# Trader words → nomenclature words. Keys and values are *stemmed* terms; each entry names
# the reason. Only vocabulary gaps belong here, never classifications.
SYNONYMS: dict[tuple[str, ...], tuple[tuple[str, ...], str]] = {
    ("mobile", "phone"): (("telephone", "cellular", "smartphone"), "HS says telephone sets for cellular networks"),
    ("cell", "phone"): (("telephone", "cellular", "smartphone"), "US English for mobile phone"),
    ("handphone",): (("telephone", "smartphone"), "Singapore/Malaysia English for mobile phone"),
    ("phone",): (("telephone",), "HS writes telephone"),
    ("laptop",): (("portable", "automatic", "data", "processing"), "HS: portable automatic data processing machines"),
    ("notebook", "computer"): (("portable", "automatic", "data", "processing"), "as laptop"),
    ("computer",): (("automatic", "data", "processing", "machine"), "HS: automatic data processing machines"),
    ("pc",): (("automatic", "data", "processing", "machine"), "personal computer"),
    ("tv",): (("television",), "abbreviation"),
    ("surgery",): (("surgical",), "HS uses the adjective"),
    ("medical",): (("surgical", "medical"), "gloves/instruments: HS pairs medical with surgical"),
    ("fridge",): (("refrigerator",), "colloquial"),
    ("aircon",): (("air", "conditioning"), "Singapore/Malaysia English"),
    ("air", "conditioner"): (("air", "conditioning", "machine"), "HS: air conditioning machines"),
    ("tire",): (("tyre",), "US spelling; HS uses British spelling"),
    ("aluminum",): (("aluminium",), "US spelling"),
    ("color",): (("colour",), "US spelling"),
    ("car",): (("motor", "car", "vehicle"), "HS: motor cars and other motor vehicles"),
    ("motorbike",): (("motorcycle",), "colloquial"),
    ("scooter",): (("motorcycle",), "motor scooters fall under the motorcycle wording"),
    ("bike",): (("bicycle",), "colloquial"),
    ("sneaker",): (("footwear", "sport"), "HS: sports footwear"),
    ("shoe",): (("footwear",), "HS writes footwear"),
    ("sandal",): (("footwear",), "HS writes footwear"),
    ("boot",): (("footwear", "ankle"), "HS writes footwear covering the ankle"),
    ("jean",): (("trouser", "denim"), "denim trousers"),
    ("pant",): (("trouser",), "US English"),
    ("trainer",): (("footwear", "sport"), "British English for sports shoes"),
    ("solar", "panel"): (("photovoltaic", "module", "panel"), "HS: photovoltaic cells assembled in modules or panels"),
    ("toothpaste",): (("dentifrice",), "HS writes dentifrices"),
    ("lipstick",): (("lip", "make"), "HS: lip make-up preparations"),
    ("diaper",): (("napkin", "baby"), "HS: napkins and napkin liners for babies"),
    ("nappy",): (("napkin", "baby"), "British English for diaper"),
    ("sanitary", "pad"): (("sanitary", "towel"), "HS: sanitary towels"),
    ("noodle",): (("noodle", "pasta"), "HS heading 19.02 calls noodles pasta"),
    ("chip",): (("chip", "crisp"), "potato chips / crisps"),
    ("soda",): (("water", "sweetening", "aerated"), "soft drinks: waters containing added sugar"),
    ("soft", "drink"): (("water", "sweetening", "aerated"), "as soda"),
    ("candy",): (("sugar", "confectionery"), "US English for sugar confectionery"),
    ("sweet",): (("sugar", "confectionery"), "British English for candy"),
    ("cookie",): (("biscuit",), "US English"),
    ("ketchup",): (("tomato", "sauce"), "HS: tomato ketchup and other tomato sauces"),
    ("prawn",): (("prawn", "shrimp"), "traders use both words"),
    ("shrimp",): (("shrimp", "prawn"), "traders use both words"),
    ("squid",): (("squid", "cuttle"), "HS groups cuttle fish and squid"),
    ("seafood",): (("fish", "crustacean", "mollusc"), "umbrella word"),
    ("beef",): (("bovine", "meat"), "HS: meat of bovine animals"),
    ("pork",): (("swine", "meat"), "HS: meat of swine"),
    ("chicken",): (("fowl", "gallus", "domesticus"), "HS: fowls of the species Gallus domesticus"),
    ("poultry",): (("fowl", "poultry"), "HS: poultry / fowls"),
    ("lamb",): (("sheep",), "HS: meat of sheep"),
    ("mutton",): (("sheep",), "HS: meat of sheep"),
    ("egg",): (("egg",), "kept as is"),
    ("milk", "powder"): (("milk", "powder", "granule"), "HS: milk in powder, granules"),
    ("spectacle",): (("spectacle", "glass"), "eyeglasses"),
    ("sunglass",): (("sunglass",), "kept as is"),
    ("mattress",): (("mattress",), "kept as is"),
    ("sofa",): (("seat", "upholstered"), "HS: seats, upholstered"),
    ("couch",): (("seat", "upholstered"), "HS: seats, upholstered"),
    ("chair",): (("seat",), "HS writes seats"),
    ("drone",): (("unmanned", "aircraft"), "HS2022: unmanned aircraft"),
    ("ebike",): (("cycle", "electric", "motor"), "cycles with auxiliary electric motor"),
    ("perfume",): (("perfume",), "kept as is"),
    ("vape",): (("electronic", "inhalation", "nicotine"), "HS2022 heading 24.04 products for inhalation"),
    ("cigarette",): (("cigarette",), "kept as is"),
    ("fertiliser",): (("fertilizer",), "British spelling; HS writes fertilizers"),
    ("wifi",): (("wireless", "network"), "HS: wireless networks"),
    ("router",): (("routing", "switching", "apparatus"), "network routers: switching and routing apparatus"),
    ("charger",): (("static", "converter"), "phone chargers are static converters"),
    ("powerbank",): (("accumulator", "lithium"), "power banks are lithium-ion accumulators"),
    ("battery",): (("battery", "accumulator", "cell"), "rechargeable batteries are accumulators in HS"),
    ("lightbulb",): (("lamp",), "HS writes lamps"),
    ("bulb",): (("lamp",), "HS writes lamps"),
    ("led",): (("led", "light", "emitting", "diode"), "abbreviation"),
    ("lumber",): (("wood", "sawn"), "US English for sawn wood"),
    ("timber",): (("wood", "sawn"), "British English for sawn wood"),
    ("plywood",): (("plywood",), "kept as is"),
}
_MAX_PHRASE = max(len(k) for k in SYNONYMS)


@dataclass
class SearchHit:
    code: str
    dotted: str
    description: str
    score: float
    why: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Field:
    """Postings of one field: term → list of (doc, precomputed BM25 weight)."""

    def __init__(self, docs: list[list[str]]) -> None:
        n = len(docs)
        avgdl = sum(len(d) for d in docs) / max(n, 1)
        tf: dict[str, dict[int, int]] = {}
        for i, doc in enumerate(docs):
            for term in doc:
                counts = tf.setdefault(term, {})
                counts[i] = counts.get(i, 0) + 1
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for term, counts in tf.items():
            idf = math.log(1 + (n - len(counts) + 0.5) / (len(counts) + 0.5))
            self.postings[term] = [
                (i, idf * c * (K1 + 1) / (c + K1 * (1 - B + B * len(docs[i]) / avgdl)))
                for i, c in counts.items()]


class _Index:
    def __init__(self) -> None:
        from noodlebowl.hs.nomenclature import _ahtn, _edition

        ed = _edition("HS2022")
        self.subs = ed.sorted_by_level["subheading"]
        self.sub_pos = {c: i for i, c in enumerate(self.subs)}
        self.sub_desc = [ed.by_code[c]["description"] for c in self.subs]
        self.sub_field = _Field([tokens(d) for d in self.sub_desc])

        headings = ed.sorted_by_level["heading"]
        self.heading_field = _Field([tokens(ed.by_code[h]["description"]) for h in headings])
        self.heading_subs = [[self.sub_pos[c] for c in ed.children.get(h, ()) if c in self.sub_pos]
                             for h in headings]
        chapters = ed.sorted_by_level["chapter"]
        self.chapter_field = _Field([tokens(ed.by_code[c]["description"]) for c in chapters])
        subs_by_chapter: dict[str, list[int]] = {}
        for i, s in enumerate(self.subs):
            subs_by_chapter.setdefault(s[:2], []).append(i)
        self.chapter_subs = [subs_by_chapter.get(c, []) for c in chapters]

        by_code, _ = _ahtn()
        self.lines = sorted(by_code)
        self.line_sub = [self.sub_pos.get(by_code[c]["hs6"], -1) for c in self.lines]
        line_docs = []
        for c in self.lines:
            segments = by_code[c]["description_path"].split(" › ")
            line_docs.append(tokens(" ; ".join(segments[1:] or segments)))
        self.line_field = _Field(line_docs)


@cache
def _index() -> _Index:
    return _Index()


def _concepts(text: str) -> list[tuple[str, list[tuple[str, float]], tuple[str, ...]]]:
    """Query → concepts: (label, [(term, weight)], synonym terms used)."""
    words = tokens(text, document=False)
    concepts = []
    i = 0
    while i < len(words):
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            key = tuple(words[i:i + size])
            if key in SYNONYMS:
                expansion = SYNONYMS[key][0]
                alts = [(w, 1.0) for w in key if size == 1]
                alts += [(w, SYNONYM_WEIGHT) for w in expansion if w not in key or size > 1]
                concepts.append((" ".join(key), alts, expansion))
                i += size
                break
        else:
            concepts.append((words[i], [(words[i], 1.0)], ()))
            i += 1
    # the same word twice adds nothing
    seen, unique = set(), []
    for c in concepts:
        if c[0] not in seen:
            seen.add(c[0])
            unique.append(c)
    return unique


def search(text: str, limit: int = 10) -> list[SearchHit]:
    """Rank HS2022 subheadings for a plain-language product description."""
    from noodlebowl.errors import InvalidRequest

    if not text or not text.strip():
        raise InvalidRequest("empty search text", accepted="a product description, e.g. 'frozen peeled shrimp'")
    if limit < 1:
        raise InvalidRequest(f"limit must be at least 1, got {limit}")
    idx = _index()
    concepts = _concepts(text)
    if not concepts:
        return []
    n_subs = len(idx.subs)
    score = [0.0] * n_subs
    mask = [0] * n_subs
    line_score: dict[int, float] = {}
    line_mask: dict[int, int] = {}
    w_sub, w_ahtn, w_head, w_chap = (FIELD_WEIGHTS[f] for f in ("subheading", "ahtn", "heading", "chapter"))

    for bit, (_label, alts, _syn) in enumerate(concepts):
        flag = 1 << bit
        # per concept, the best alternative counts (a synonym does not add to its word)
        best_sub: dict[int, float] = {}
        best_line: dict[int, float] = {}
        best_head: dict[int, float] = {}
        best_chap: dict[int, float] = {}
        for term, weight in alts:
            for field, best in ((idx.sub_field, best_sub), (idx.line_field, best_line),
                                (idx.heading_field, best_head), (idx.chapter_field, best_chap)):
                for doc, w in field.postings.get(term, ()):
                    v = w * weight
                    if v > best.get(doc, 0.0):
                        best[doc] = v
        for doc, v in best_sub.items():
            score[doc] += w_sub * v
            mask[doc] |= flag
        for doc, v in best_line.items():
            line_score[doc] = line_score.get(doc, 0.0) + v
            line_mask[doc] = line_mask.get(doc, 0) | flag
        for doc, v in best_head.items():
            for s in idx.heading_subs[doc]:
                score[s] += w_head * v
                mask[s] |= flag
        for doc, v in best_chap.items():
            for s in idx.chapter_subs[doc]:
                score[s] += w_chap * v
                mask[s] |= flag

    best_line_of: dict[int, int] = {}
    for line, v in line_score.items():
        s = idx.line_sub[line]
        if s < 0:
            continue
        if s not in best_line_of or v > line_score[best_line_of[s]]:
            best_line_of[s] = line
    for s, line in best_line_of.items():
        score[s] += w_ahtn * line_score[line]
        mask[s] |= line_mask[line]

    total = len(concepts)
    final = []
    for s in range(n_subs):
        if score[s] <= 0:
            continue
        coverage = bin(mask[s]).count("1") / total
        final.append((score[s] * coverage ** COVERAGE_POWER, s, coverage))
    final.sort(key=lambda x: (-x[0], idx.subs[x[1]]))
    return [_hit(idx, s, sc, cov, concepts, best_line_of.get(s)) for sc, s, cov in final[:limit]]


def _hit(idx: _Index, s: int, sc: float, coverage: float, concepts, line: int | None) -> SearchHit:
    from noodlebowl.hs.nomenclature import _ahtn, _edition

    code = idx.subs[s]
    ed = _edition("HS2022")
    heading = ed.by_code[code[:4]]["description"]
    chapter = ed.by_code[code[:2]]["description"]
    line_code = idx.lines[line] if line is not None else None
    line_text = ""
    if line_code:
        segments = _ahtn()[0][line_code]["description_path"].split(" › ")
        line_text = " ; ".join(segments[1:] or segments)
    fields = {"subheading": set(tokens(idx.sub_desc[s])), "ahtn": set(tokens(line_text)),
              "heading": set(tokens(heading)), "chapter": set(tokens(chapter))}
    why: dict[str, Any] = {f: [] for f in fields}
    synonyms: dict[str, list[str]] = {}
    for label, alts, _synonym in concepts:
        for field, terms in fields.items():
            matched = [t for t, _w in alts if t in terms]
            if matched:
                why[field].append(label if label in matched else f"{label}→{matched[0]}")
                if label not in matched:
                    synonyms.setdefault(label, [])
                    for m in matched:
                        if m not in synonyms[label]:
                            synonyms[label].append(m)
    why["ahtn_line"] = dotted(line_code) if line_code and why["ahtn"] else None
    why["synonyms"] = synonyms
    why["coverage"] = round(coverage, 3)
    return SearchHit(code=code, dotted=dotted(code), description=idx.sub_desc[s], score=round(sc, 4), why=why)
