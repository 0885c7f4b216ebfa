"""Finding an HS2022 subheading from plain words ("frozen peeled shrimp", "smartphone").

A hybrid lexical classifier learnt from labelled descriptions, not a hand-tuned synonym list.
Over the index of :mod:`noodlebowl.hs.index` (HS2022 and AHTN texts, and the train part of
HMRC's and HSCodeComp's labelled descriptions), three scorers rank every subheading:

* nearest neighbours in the word view: the ``NEIGHBOURS`` texts most like the query
  (cosine of TF-IDF vectors) vote for their subheading with their similarity squared;
* the same in the word-piece view, which meets misspellings and compounds;
* nearest centroid: the query against each subheading's summed word vectors.

Each scorer's scores are scaled to its best one and summed (the centroid weighted
``CENTROID_WEIGHT``). Numbers in the query are then compared with the ranges in each
candidate's text (:mod:`noodlebowl.hs.quantities`): a candidate whose range excludes the
query's quantity keeps ``OUT_OF_RANGE_FACTOR`` of its score, and the rest goes to the
subheadings of its heading whose ranges admit it ("1500cc" moves 8407.31 "not exceeding
50cc" to 8407.34 "exceeding 1000cc"). The settings were chosen on
a part of the train set held out from the index (``benchmarks/hs_eval.py --tune``), never
on the held-out part that measures the classifier.

Each hit says why: the query words found in its subheading, heading and best AHTN line,
the labelled examples it resembles, the numbers compared, and the other subheadings of its
heading. The answer groups hits by heading and says when the first two are close.

The index (precomputed at data-build time) loads on the first search and is cached for the
process; ``noodlebowl hs show`` never loads it.

JSON form of a :class:`SearchHit` (``as_dict()``; stable keys)::

    {"code", "dotted", "description", "score",
     "heading": {"code", "dotted", "description"},
     "why": {"subheading": [word, ...], "heading": [word, ...], "chapter": [word, ...],
             "ahtn": [word, ...], "ahtn_line": dotted|null, "coverage": float,
             "examples": [{"text", "source", "line", "similarity"}, ...],
             "numbers": [{"query", "bound", "fits"}, ...]},
     "siblings": [{"code", "dotted", "description",
                   "differs": {"only_this": [word, ...], "only_hit": [word, ...]}}, ...]}

and of a :class:`SearchAnswer`: ``{"query", "hits": [...], "headings": [{"code", "dotted",
"description", "share", "subheadings": [dotted, ...]}, ...], "check_between": [dotted, ...],
"advice": str|null}``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from noodlebowl.hs.codes import dotted
from noodlebowl.hs.quantities import compare, quantities
from noodlebowl.hs.text import tokens

if TYPE_CHECKING:  # numpy loads with the index, so that `hs show` never imports it
    import numpy as np

NEIGHBOURS = 30
VOTE_POWER = 2.0
CENTROID_WEIGHT = 0.3
OUT_OF_RANGE_FACTOR = 0.5
CLOSE_RATIO = 0.8      # the second hit scores at least this share of the first: "check between"
MIN_PIECE_SIMILARITY = 0.3  # a query with no known word needs a text this like it ("smartfone")
CANDIDATES = 60        # subheadings explained and range-checked per query
EXAMPLES = 3


@dataclass
class SearchHit:
    code: str
    dotted: str
    description: str
    score: float
    heading: dict[str, str]
    why: dict[str, Any]
    siblings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchAnswer:
    query: str
    hits: list[SearchHit]
    headings: list[dict[str, Any]]
    check_between: list[str]
    advice: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _index():
    from noodlebowl.hs.index import SearchIndex

    return _Prepared(SearchIndex.load())


class _Prepared:
    """The index plus lookups the explanations need (documents of each subheading)."""

    def __init__(self, index) -> None:
        self.index = index
        self.docs_of_sub: list[list[int]] = [[] for _ in index.subs]
        for i, s in enumerate(index.label):
            self.docs_of_sub[s].append(i)


def scores(index, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Fused score of every subheading, and each document's similarity (both views summed)."""
    import numpy as np

    fused = np.zeros(len(index.subs))
    doc_sim = np.zeros(len(index.docs))
    words_known = False
    for view in index.views.values():
        _terms, ids, w = view.query(text)
        if len(ids) == 0:
            continue
        sim = view.similarities(ids, w)
        doc_sim += sim
        fused += _scaled(_votes(index, sim))
        if view.name == "word":
            fused += CENTROID_WEIGHT * _scaled(index.centroid_similarities(ids, w))
            words_known = True
        elif not words_known and sim.max() < MIN_PIECE_SIMILARITY:
            fused[:] = 0  # no known word and only stray letter groups in common: nothing matches
    return fused, doc_sim


def _votes(index, sim: np.ndarray) -> np.ndarray:
    import numpy as np

    k = min(NEIGHBOURS, len(sim) - 1)
    top = np.argpartition(-sim, k)[:k]
    return np.bincount(index.label[top], sim[top] ** VOTE_POWER, minlength=len(index.subs))


def _scaled(x: np.ndarray) -> np.ndarray:
    best = x.max()
    return x / best if best > 0 else x


def rank(index, text: str, limit: int) -> list[tuple[int, float]]:
    """The best ``limit`` subheadings (position, score), numbers in the query taken into account."""
    fused, _ = scores(index, text)
    return _ranked(index, text, fused, limit)


def _ranked(index, text: str, fused: np.ndarray, limit: int) -> list[tuple[int, float]]:
    import numpy as np

    n = min(max(limit, CANDIDATES), int((fused > 0).sum()))
    if n == 0:
        return []
    top = np.argpartition(-fused, n - 1)[:n] if n < len(fused) else np.arange(len(fused))
    scores = {int(s): float(fused[s]) for s in top}
    wanted = quantities(text)
    if wanted:
        gained: dict[int, float] = {}
        for s, score in list(scores.items()):
            if _in_range(index, wanted, s) is False:
                # the query's number belongs to a sibling: the score this one loses goes to
                # the siblings whose ranges admit it (the largest such loss, not their sum)
                lost = score * (1 - OUT_OF_RANGE_FACTOR)
                scores[s] = score - lost
                for sibling in _same_heading(index, s):
                    if _in_range(index, wanted, sibling):
                        gained[sibling] = max(gained.get(sibling, 0.0), lost)
        for sibling, bonus in gained.items():
            scores[sibling] = float(fused[sibling]) + bonus
    ranked = sorted(scores.items(), key=lambda x: (-x[1], index.subs[x[0]]))
    return ranked[:limit]


def _in_range(index, wanted, s: int) -> bool | None:
    """Whether the query's numbers fit every range of the subheading's text (None: no range to compare)."""
    checks = compare(wanted, _range_text(index, s))
    return all(c.fits for c in checks) if checks else None


def _same_heading(index, s: int) -> list[int]:
    # subheadings are in code order, so a heading's subheadings are neighbours
    heading, out = index.subs[s][:4], []
    for step in (-1, 1):
        i = s + step
        while 0 <= i < len(index.subs) and index.subs[i][:4] == heading:
            out.append(i)
            i += step
    return out


def _range_text(index, s: int) -> str:
    # the subheading's own description holds its ranges (document s is subheading s)
    return index.docs[s].text.split(" ; ")[0]


def search(text: str, limit: int = 10) -> list[SearchHit]:
    """Rank HS2022 subheadings for a plain-language product description."""
    return classify(text, limit).hits


def classify(text: str, limit: int = 10) -> SearchAnswer:
    """Ranked subheadings with their reasons, grouped by heading, and whether the first two are close."""
    from noodlebowl.errors import InvalidRequest

    if not text or not text.strip():
        raise InvalidRequest("empty search text", accepted="a product description, e.g. 'frozen peeled shrimp'")
    if limit < 1:
        raise InvalidRequest(f"limit must be at least 1, got {limit}")
    prepared = _index()
    index = prepared.index
    fused, doc_sim = scores(index, text)
    ranked = _ranked(index, text, fused, limit)
    if not ranked:
        return SearchAnswer(text, [], [], [], None)
    top_score = ranked[0][1]
    hits = [_hit(prepared, text, s, score / top_score, doc_sim) for s, score in ranked]
    return SearchAnswer(query=text, hits=hits, headings=_headings(hits), check_between=_close(hits),
                        advice=_advice(hits))


def _close(hits: list[SearchHit]) -> list[str]:
    """The first hits (up to four) scoring at least ``CLOSE_RATIO`` of the first; empty when it stands alone."""
    close = [h.dotted for h in hits[:4] if h.score >= CLOSE_RATIO * hits[0].score]
    return close if len(close) > 1 else []


def _advice(hits: list[SearchHit]) -> str | None:
    close = _close(hits)
    if len(close) < 2:
        return None
    headings = {h.heading["dotted"] for h in hits if h.dotted in close}
    where = (f"the same heading {next(iter(headings))}: read what separates its subheadings"
             if len(headings) == 1 else "different headings: read the heading texts and their notes")
    return f"check between {' and '.join(close)} — close scores, {where}"


def _headings(hits: list[SearchHit]) -> list[dict[str, Any]]:
    """Hits grouped by heading, headings ordered by their share of the hits' total score."""
    total = sum(h.score for h in hits)
    groups: dict[str, dict[str, Any]] = {}
    for h in hits:
        g = groups.setdefault(h.heading["code"], {**h.heading, "share": 0.0, "subheadings": []})
        g["share"] += h.score / total
        g["subheadings"].append(h.dotted)
    for g in groups.values():
        g["share"] = round(g["share"], 3)
    return sorted(groups.values(), key=lambda g: -g["share"])


def _sibling(code: str, description: str, hit_description: str) -> dict[str, Any]:
    """Another subheading of the hit's heading, with the words that set the two apart."""
    mine, theirs = tokens(hit_description), tokens(description)
    return {"code": code, "dotted": dotted(code), "description": description,
            "differs": {"only_this": [w for w in dict.fromkeys(theirs) if w not in set(mine)],
                        "only_hit": [w for w in dict.fromkeys(mine) if w not in set(theirs)]}}


@lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    """The normalised words of an index text (the same texts come back query after query)."""
    return frozenset(tokens(text))


def _hit(prepared: _Prepared, text: str, s: int, score: float, doc_sim: np.ndarray) -> SearchHit:
    from noodlebowl.hs.nomenclature import _edition

    index = prepared.index
    code = index.subs[s]
    ed = _edition("HS2022")
    sub_text = ed.by_code[code]["description"]
    heading = ed.by_code[code[:4]]["description"]
    chapter = ed.by_code[code[:2]]["description"]
    words = list(dict.fromkeys(tokens(text)))
    docs = prepared.docs_of_sub[s]
    ahtn = max((d for d in docs if index.docs[d].kind == "ahtn"), key=lambda d: doc_sim[d], default=None)
    ahtn_text = index.docs[ahtn].text if ahtn is not None and doc_sim[ahtn] > 0 else ""
    examples = sorted((d for d in docs if index.docs[d].kind == "labelled" and doc_sim[d] > 0),
                      key=lambda d: -doc_sim[d])[:EXAMPLES]
    found = set()
    why: dict[str, Any] = {}
    for name, field_text in (("subheading", sub_text), ("heading", heading), ("chapter", chapter),
                             ("ahtn", ahtn_text)):
        present = _words(field_text)
        why[name] = [w for w in words if w in present]
        found.update(why[name])
    why["ahtn_line"] = dotted(index.docs[ahtn].ref) if ahtn_text and why["ahtn"] else None
    why["examples"] = [{"text": index.docs[d].text, "source": index.docs[d].source,
                        "line": int(index.docs[d].ref), "similarity": round(float(doc_sim[d]) / 2, 3)}
                       for d in examples]
    for e in why["examples"]:
        found.update(w for w in words if w in _words(e["text"]))
    why["coverage"] = round(len(found) / len(words), 3) if words else 0.0
    why["numbers"] = [c.as_dict() for c in compare(quantities(text), sub_text)]
    siblings = [_sibling(c, ed.by_code[c]["description"], sub_text) for c in sorted(ed.children.get(code[:4], ()))
                if c != code]
    return SearchHit(code=code, dotted=dotted(code), description=sub_text, score=round(score, 4),
                     heading={"code": code[:4], "dotted": dotted(code[:4]), "description": heading},
                     why=why, siblings=siblings)
