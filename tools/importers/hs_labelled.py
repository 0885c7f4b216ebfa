"""Product descriptions labelled with their HS2022 subheading, split once into train and held-out.

Source: ``hs/labelled/hs_labelled_descriptions.csv`` (HMRC search and parcel references and
advance tariff rulings under the UK OGL v3; HSCodeComp listings under Apache-2.0).

The split is made here, at build time, before any tuning, and never changes: a row's fold
is a hash of its normalised text, so the same words always land in the same fold (a text
repeated under two sources cannot be on both sides). Fold 0 (one row in ``FOLDS``) is the
held-out part; the search index learns only from the other folds, and the evaluation
reports the held-out part per source. Folds 1…4 let a tuner hold out part of the train set.

The same importer precomputes the search index's postings from the HS2022 and AHTN texts
and the train rows (tables ``hs_search_*``), so that ``hs search`` loads it in well under a
second instead of tokenising every text.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pyarrow as pa

from noodlebowl.hs.index import VIEWS, Doc, documents, postings
from tools.buildkit import BuildContext, table_from_rows

SOURCE = "hs/labelled/hs_labelled_descriptions.csv"
SOURCES = ("uk_search_refs", "uk_extra_refs", "uk_atar", "hscodecomp")
FOLDS = 5
HELDOUT_FOLD = 0

LABELLED = pa.schema([
    ("text", pa.string()), ("hs6", pa.string()), ("source", pa.string()), ("licence", pa.string()),
    ("origin", pa.string()), ("mapping", pa.string()), ("fold", pa.int8()), ("split", pa.string()),
    ("source_line", pa.int32()),
])


def fold_of(text: str) -> int:
    """The fold of a description: a hash of its lower-cased, space-collapsed words."""
    key = " ".join(re.findall(r"\w+", text.lower()))
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % FOLDS


def _checked(row: dict[str, str], hs2022: set[str]) -> None:
    where = f"{SOURCE} line {row['_line']}"
    if not row["text"].strip():
        raise SystemExit(f"{where}, field text: empty description; accepted: the goods in words")
    if row["hs6"] not in hs2022:
        raise SystemExit(f"{where}, field hs6: {row['hs6']!r} is not an HS2022 subheading; "
                         "accepted: six digits of a subheading in hs/hs2022.csv")
    if row["source"] not in SOURCES:
        raise SystemExit(f"{where}, field source: {row['source']!r} is unknown; accepted: {', '.join(SOURCES)}")


def build(ctx: BuildContext) -> dict[str, pa.Table]:
    nomenclature = ctx.read_csv("hs/hs2022.csv")
    hs2022 = {r["code"] for r in nomenclature if r["level"] == "subheading"}
    out = []
    for r in ctx.read_csv(SOURCE):
        _checked(r, hs2022)
        fold = fold_of(r["text"])
        out.append({"text": r["text"].strip(), "hs6": r["hs6"], "source": r["source"], "licence": r["licence"],
                    "origin": r["origin"], "mapping": r["mapping"], "fold": fold,
                    "split": "heldout" if fold == HELDOUT_FOLD else "train", "source_line": r["_line"]})
    return {"hs_labelled": table_from_rows(out, LABELLED),
            **search_index_tables(documents(nomenclature, _ahtn_lines(ctx), out))}


def _ahtn_lines(ctx: BuildContext) -> list[dict[str, str]]:
    # as tools/importers/hs.py reads them: the line's parent is its HS2022 subheading
    return [{"code": r["code"], "hs6": r["parent"], "description_path": r["description_path"]}
            for r in ctx.read_csv("hs/ahtn2022_vn.csv")]


def search_index_tables(docs: list[Doc]) -> dict[str, pa.Table]:
    """The search index's documents and per-view postings (see :mod:`noodlebowl.hs.index`)."""
    doc_table = pa.table({
        "doc": pa.array(range(len(docs)), pa.int32()),
        **{f: pa.array([getattr(d, f) for d in docs], pa.string()) for f in ("kind", "hs6", "ref", "source", "text")},
    })
    # term ids run on across views (word terms first), so each view's postings are one slice
    views, terms, term_ids, doc_ids, counts = [], [], [], [], []
    for view in VIEWS:
        names, t, d, c = postings(docs, view)
        views += [view] * len(names)
        term_ids.append(t + len(terms))
        terms += names
        doc_ids.append(d)
        counts.append(c)
    return {"hs_search_docs": doc_table,
            "hs_search_terms": pa.table({"view": pa.array(views, pa.string()), "term": pa.array(terms, pa.string())}),
            "hs_search_postings": pa.table({"term_id": pa.array(np.concatenate(term_ids), pa.int32()),
                                            "doc": pa.array(np.concatenate(doc_ids), pa.int32()),
                                            "count": pa.array(np.concatenate(counts), pa.int16())})}
