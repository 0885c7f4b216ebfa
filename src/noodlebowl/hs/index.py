"""The HS search index: TF-IDF vectors of every text that names goods under an HS2022 subheading.

Documents (one per text, each labelled with its subheading):

* ``subheading`` — each HS2022 subheading's description with its heading's description;
* ``ahtn`` — each AHTN 2022 line's description path (heading › … › line);
* ``labelled`` — the *train* part of the labelled descriptions (``hs_labelled``; the
  held-out part is never indexed, so that it can measure the classifier honestly).

Each document is seen in two views (:mod:`noodlebowl.hs.text`): words with word pairs, and
3–5-letter word pieces. The postings (term, document, count) are computed once by
``tools/importers/hs_labelled.py`` at data-build time and shipped as the tables
``hs_search_docs``, ``hs_search_terms`` and ``hs_search_postings``; loading turns counts
into L2-normalised sublinear TF-IDF weights (``(1 + ln tf) · idf``,
``idf = ln((1 + N) / (1 + df)) + 1``) held as per-term posting arrays, and adds, for the
word view, one centroid per subheading (the normalised sum of its documents' vectors).
:meth:`SearchIndex.build` does the same from documents in memory (for evaluation).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from noodlebowl.hs.text import char_features, word_features

VIEWS: dict[str, Callable[[str], list[str]]] = {"word": word_features, "char": char_features}
CENTROID_VIEW = "word"


@dataclass(frozen=True)
class Doc:
    kind: str      # subheading | ahtn | labelled
    hs6: str
    ref: str       # HS2022 or AHTN code, or the labelled row's source line
    source: str    # hs2022 | ahtn2022 | the labelled row's source (uk_search_refs, …)
    text: str


def documents(hs2022: Iterable[dict[str, Any]], ahtn: Iterable[dict[str, Any]],
              labelled: Iterable[dict[str, Any]]) -> list[Doc]:
    """Every indexed text, subheadings first in code order (a subheading's number is its position).

    ``hs2022``: rows ``code, level, description``; ``ahtn``: ``code, hs6, description_path``;
    ``labelled``: ``text, hs6, source, split, source_line`` (held-out rows are left out).
    """
    by_code = {r["code"]: r for r in hs2022}
    subs = sorted(c for c, r in by_code.items() if r["level"] == "subheading")
    docs = [Doc("subheading", c, c, "hs2022", f"{by_code[c]['description']} ; {by_code[c[:4]]['description']}")
            for c in subs]
    known = set(subs)
    docs += [Doc("ahtn", r["hs6"], r["code"], "ahtn2022", r["description_path"].replace(" › ", " ; "))
             for r in sorted(ahtn, key=lambda r: r["code"]) if r["hs6"] in known]
    docs += [Doc("labelled", r["hs6"], str(r["source_line"]), r["source"], r["text"])
             for r in sorted(labelled, key=lambda r: r["source_line"]) if r["split"] == "train"]
    return docs


def postings(docs: list[Doc], view: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Terms (sorted) and the (term id, document, count) triples of one view, sorted by term then document."""
    features = VIEWS[view]
    counts = [Counter(features(d.text)) for d in docs]
    terms = sorted({t for c in counts for t in c})
    term_id = {t: i for i, t in enumerate(terms)}
    term_ids = np.array([term_id[t] for c in counts for t in c], dtype=np.int32)
    doc_ids = np.repeat(np.arange(len(docs), dtype=np.int32), [len(c) for c in counts])
    n = np.array([k for c in counts for k in c.values()], dtype=np.int16)
    order = np.lexsort((doc_ids, term_ids))
    return terms, term_ids[order], doc_ids[order], n[order]


class _View:
    """One view's inverted index: term → (documents, weights), plus query vectors."""

    def __init__(self, name: str, terms: list[str], term_ids: np.ndarray, doc_ids: np.ndarray,
                 counts: np.ndarray, n_docs: int) -> None:
        self.name = name
        self.features = VIEWS[name]
        self.vocab = {t: i for i, t in enumerate(terms)}
        df = np.bincount(term_ids, minlength=len(terms))
        self.idf = np.log((1 + n_docs) / (1 + df)) + 1
        weights = (1 + np.log(counts.astype(np.float64))) * self.idf[term_ids]
        norms = np.sqrt(np.bincount(doc_ids, weights * weights, minlength=n_docs))
        self.weights = weights / np.where(norms > 0, norms, 1)[doc_ids]
        self.doc_ids = doc_ids
        self.term_ids = term_ids
        self.start = np.searchsorted(term_ids, np.arange(len(terms) + 1))
        self.n_docs = n_docs

    def query(self, text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The query's known terms, their ids and their normalised weights."""
        counts = Counter(t for t in self.features(text) if t in self.vocab)
        if not counts:
            return [], np.zeros(0, dtype=np.int64), np.zeros(0)
        terms = list(counts)
        ids = np.array([self.vocab[t] for t in terms])
        w = np.array([(1 + math.log(counts[t])) for t in terms]) * self.idf[ids]
        return terms, ids, w / np.linalg.norm(w)

    def similarities(self, ids: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query to every document."""
        return _sparse_dot(ids, w, self.start, self.doc_ids, self.weights, self.n_docs)


def _sparse_dot(ids: np.ndarray, w: np.ndarray, start: np.ndarray, targets: np.ndarray,
                weights: np.ndarray, n: int) -> np.ndarray:
    if len(ids) == 0:
        return np.zeros(n)
    # positions of every posting of the query's terms, without a Python loop over terms
    first, lengths = start[ids], start[ids + 1] - start[ids]
    positions = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    return np.bincount(targets[positions], weights[positions] * np.repeat(w, lengths), minlength=n)


class SearchIndex:
    """Documents, their subheading numbers, the two views and the word-view centroids."""

    def __init__(self, docs: list[Doc], views: dict[str, tuple[list[str], np.ndarray, np.ndarray, np.ndarray]]):
        self.docs = docs
        self.subs = [d.hs6 for d in docs if d.kind == "subheading"]
        sub_pos = {c: i for i, c in enumerate(self.subs)}
        self.label = np.array([sub_pos[d.hs6] for d in docs], dtype=np.int32)
        self.views = {name: _View(name, *views[name], n_docs=len(docs)) for name in VIEWS}
        self._centroids(self.views[CENTROID_VIEW])

    def _centroids(self, view: _View) -> None:
        n_terms, n_subs = len(view.vocab), len(self.subs)
        # sum the documents' vectors per (term, subheading); keys sort by term first
        keys = view.term_ids.astype(np.int64) * n_subs + self.label[view.doc_ids]
        unique, inverse = np.unique(keys, return_inverse=True)
        sums = np.bincount(inverse, view.weights)
        sub = (unique % n_subs).astype(np.int32)
        norms = np.sqrt(np.bincount(sub, sums * sums, minlength=n_subs))
        self.centroid_sub = sub
        self.centroid_weight = sums / np.where(norms > 0, norms, 1)[sub]
        self.centroid_start = np.searchsorted(unique // n_subs, np.arange(n_terms + 1))

    def centroid_similarities(self, ids: np.ndarray, w: np.ndarray) -> np.ndarray:
        return _sparse_dot(ids, w, self.centroid_start, self.centroid_sub, self.centroid_weight, len(self.subs))

    @classmethod
    def build(cls, docs: list[Doc]) -> SearchIndex:
        """An index straight from documents (seconds; the packaged one is precomputed)."""
        return cls(docs, {name: postings(docs, name) for name in VIEWS})

    @classmethod
    def load(cls) -> SearchIndex:
        """The packaged index (tables built by ``python -m tools.build_data``)."""
        from noodlebowl.refdata import table

        d = table("hs_search_docs")
        cols = [d.column(c).to_pylist() for c in ("kind", "hs6", "ref", "source", "text")]
        docs = [Doc(*values) for values in zip(*cols)]
        terms = table("hs_search_terms")
        post = table("hs_search_postings")
        view_of, names = terms.column("view").to_pylist(), terms.column("term").to_pylist()
        term_ids = post.column("term_id").to_numpy()
        doc_ids, counts = post.column("doc").to_numpy(), post.column("count").to_numpy()
        views, first = {}, 0
        for name in VIEWS:  # the terms of a view are one run of ids; so are their postings
            last = first + view_of.count(name)
            a, b = np.searchsorted(term_ids, [first, last])
            views[name] = (names[first:last], term_ids[a:b] - first, doc_ids[a:b], counts[a:b])
            first = last
        return cls(docs, views)
