"""Which agreement each tariff regime implements: ``regimes.yaml``, the one table for it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from noodlebowl.errors import DataImportError

REGIMES_FILE = Path(__file__).with_name("regimes.yaml")


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    file: str
    column: str


class Regime(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    regime: str
    kind: Literal["mfn", "general", "unilateral", "agreement"]
    agreement: str | None = None
    sources: tuple[Source, ...]
    imported: bool = True
    note: str | None = None

    def source_text(self) -> str:
        return "; ".join(f"{s.file} ({s.column})" for s in self.sources)


@cache
def regimes() -> dict[str, Regime]:
    """Regime name (as in ``tariff_measures``) → its entry. Refuses a malformed table by name."""
    import yaml

    try:
        entries = yaml.safe_load(REGIMES_FILE.read_text(encoding="utf-8"))["regimes"]
        table = [Regime(**e) for e in entries]
    except Exception as exc:  # a packaged file: any defect is a build defect, said with its place
        raise DataImportError(f"malformed regime table: {exc}", where=str(REGIMES_FILE),
                              accepted="entries {regime, kind, agreement, sources, imported, note}") from None
    out = {r.regime: r for r in table}
    if len(out) != len(table):
        raise DataImportError("a regime is listed twice", where=str(REGIMES_FILE))
    return out


def agreement_of(regime: str) -> str | None:
    """The agreement a regime implements; ``None`` for MFN, general and unilateral schemes, and for
    a regime of a user's tariff that the table does not know (then the regime names itself)."""
    entry = regimes().get(regime)
    if entry is None:
        return None
    return entry.agreement


def is_agreement(regime: str) -> bool:
    entry = regimes().get(regime)
    # a user's imported tariff may name regimes the table does not know: treat them as agreements
    # named by themselves, so their rates are shown (never hidden), not evaluated
    return entry is None or entry.kind == "agreement"


def not_imported_for(agreement: str, importer: str) -> list[Regime]:
    """``importer``'s schedules of ``agreement`` that the source holds but the importers do not read yet
    (the source folder is the importer's: tariffs/au/ for AU)."""
    folder = f"tariffs/{importer.lower()}/"
    return [r for r in regimes().values() if r.agreement == agreement and not r.imported
            and any(s.file.startswith(folder) for s in r.sources)]
