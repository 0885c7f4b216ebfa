"""The batch kernel's lookups kept across processes: rule plans (the rule selected for each product
code under each agreement), material-code transpositions and HS-code checks — as answers and as the
kernel's ready lookup tables (plans, leaf-state patterns, HS checks; shape ids are
mapped to the reading process's own).

A fresh process spends seconds selecting rules and transposing codes (the HS nomenclature and
correlation tables are loaded for it); these answers depend only on the reference data and on the
code that computes them, so they are kept in one file keyed by both: the data version and a hash of
the source of the modules involved (rule selection, HS codes and transposition, the rule parser, the
agreements' parameters, the kernel and catalog). Any change to either gives another file name, so a
stale answer is never read.

The file is written at the end of a run that computed anything new (atomically: a temporary file
renamed), and read at the start of the next one; an unreadable file is ignored and rebuilt. It
lives in ``$NOODLEBOWL_CACHE_DIR``, else ``$XDG_CACHE_HOME/noodlebowl``, else ``~/.cache/noodlebowl``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path

FORMAT = 2
_SOURCES = ("origin/psr.py", "origin/engine.py", "hs", "rules", "agreements", "batch/kernel.py",
            "batch/catalog.py", "batch/plancache.py", "batch/memo.py")

# filled by load(), read by kernel.plan_for, kernel._transposed and catalog.hs_problem
PLANS: dict[tuple[str, str, str, str | None], tuple] = {}   # (agreement, code, edition, table edition)
TRANSPOSED: dict[tuple[str, str, str], tuple[str, ...]] = {}
HS_CHECKS: dict[tuple[str, str], tuple[str | None, str | None]] = {}
_loaded: set[str] = set()      # cache files read or written by this process
_computed = [0]          # answers computed (not read from a file) since the last save
_table_rows = [0]        # rows of the lookup tables when last read or written


def computed() -> None:
    """Called by the kernel and catalog for each answer they compute rather than read from here."""
    _computed[0] += 1


def directory() -> Path:
    explicit = os.environ.get("NOODLEBOWL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "noodlebowl"


@cache
def code_hash() -> str:
    root = Path(__file__).parents[1]
    digest = hashlib.sha256()
    for name in _SOURCES:
        path = root / name
        # the agreements' dated parameters (general rules, editions) are YAML beside the code
        files = sorted(p for p in path.rglob("*") if p.suffix in (".py", ".yaml")) if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(root)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def cache_file(folder: Path | None = None) -> Path:
    from noodlebowl import refdata

    return (folder or directory()) / f"batch-plans-v{FORMAT}-{refdata.data_version()}-{code_hash()}.pkl"


def load(folder: Path | None = None) -> bool:
    """Read the cache file into memory (once per process and file); False when there is none."""
    path = cache_file(folder)
    if str(path) in _loaded:
        return True
    try:
        with path.open("rb") as fh:
            data = pickle.load(fh)
        if data.get("format") != FORMAT:
            return False
        plans, transposed, checks, tables = data["plans"], data["transposed"], data["hs"], data["tables"]
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, KeyError):
        return False
    PLANS.update(plans)
    TRANSPOSED.update(transposed)
    HS_CHECKS.update(checks)
    try:
        _adopt(tables)
    except Exception:       # noqa: BLE001 — tables that do not fit are rebuilt, as if never saved
        pass
    _loaded.add(str(path))
    return True


def _adopt(tables: dict) -> None:
    """The kernel's and catalog's lookup tables as an earlier process left them: codes it met need no
    Python work at all in this one."""
    from noodlebowl.batch import catalog, kernel

    kernel.adopt_tables(tables)
    catalog.adopt_hs_table(tables["hs"])
    _table_rows[0] = _rows_in_tables()


def _rows_in_tables() -> int:
    from noodlebowl.batch import catalog, kernel

    return kernel.table_rows() + catalog.hs_table().height


KEEP_OTHERS = 2      # cache files of other noodlebowl or data versions kept beside the current one


def _prune(current: Path) -> None:
    """Each new noodlebowl or data version writes its own file: keep the current one and the
    ``KEEP_OTHERS`` most recently written others (another install may still use them), remove the rest
    — and temporary files a crashed write left an hour ago or more (only this module's own: the folder
    may be one the user chose)."""
    import time

    try:
        others = sorted((p for p in current.parent.glob("batch-plans-*.pkl") if p != current),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        stale = [p for p in current.parent.glob("batch-plans-*.tmp") if p.stat().st_mtime < time.time() - 3600]
        for p in others[KEEP_OTHERS:] + stale:
            p.unlink(missing_ok=True)
    except OSError:         # another process pruning at the same time, a read-only file: not our problem
        pass


def save(folder: Path | None = None) -> Path | None:
    """Write what this process knows, when it knows more than the file held; None when nothing is new
    or the folder cannot be written (the cache is an optimisation, never a failure)."""
    from noodlebowl.batch import catalog, kernel

    path = cache_file(folder)
    if str(path) in _loaded and not _computed[0] and _rows_in_tables() == _table_rows[0]:
        return None     # the usual re-run: nothing new
    plans = dict(PLANS)
    # a plan read from the file is the file's own tuple again: only the new ones need converting
    plans.update({key: kernel.plan_tuple(plan) for key, plan in kernel._PLANS.items() if key not in PLANS})
    transposed = dict(TRANSPOSED)
    transposed.update(kernel.transposed_known())
    checks = dict(HS_CHECKS)
    checks.update(catalog.hs_checks_known())
    tables = kernel.tables() | {"hs": catalog.hs_table()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, prefix="batch-plans-",
                                         suffix=".tmp") as fh:
            pickle.dump({"format": FORMAT, "plans": plans, "transposed": transposed, "hs": checks,
                         "tables": tables}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, path)
    except OSError:
        return None
    _prune(path)
    PLANS.update(plans)
    TRANSPOSED.update(transposed)
    HS_CHECKS.update(checks)
    _loaded.add(str(path))
    _computed[0] = 0
    _table_rows[0] = _rows_in_tables()
    return path
