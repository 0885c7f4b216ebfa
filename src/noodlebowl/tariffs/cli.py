"""``noodlebowl tariffs show|import``."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path

import typer

from noodlebowl.clikit import Format, format_option


class FileFormat(str, Enum):
    vn = "vn"
    jp = "jp"
    generic = "generic"
    wits = "wits"


def _measure_dict(m) -> dict:
    from noodlebowl.tariffs.rates import describe, rate_words
    from noodlebowl.tariffs.regimes import agreement_of
    return {"national_line": m.national_line, "line_condition": m.line_condition,
            "regime": m.regime, "agreement": agreement_of(m.regime), "rate": describe(m.rate),
            "words": rate_words(m.rate), "rate_form": m.rate.model_dump(mode="json"),
            "raw": m.raw, "scope": m.scope.label(), "excluded": m.excluded, "note": m.note,
            "valid_from": m.valid_from, "valid_to": m.valid_to, "validity_note": m.validity_note,
            "basis": m.basis, "detail": m.detail, "source": f"{m.source_file}" +
            (f" row {m.source_row}" if m.source_row else ""), "data_source": m.data_source}


def register(app: typer.Typer) -> None:
    tariffs = typer.Typer(help="Tariff measures: rates per regime, origin and date.",
                          no_args_is_help=True)

    @tariffs.command("show")
    def show(importer: str = typer.Option(..., "--importer", help="importing country, ISO2"),
             code: str = typer.Option(..., "--code", help="national line or HS6"),
             origin: str = typer.Option(None, "--origin", help="origin country, ISO2"),
             date: str = typer.Option(None, "--date", help="YYYY-MM-DD (default today)"),
             fmt: Format = format_option()) -> None:
        """Every regime's rate for a line, origin and date, with raw text, scope, validity, source."""
        from noodlebowl.errors import InvalidRequest
        from noodlebowl.output import console, emit
        from noodlebowl.tariffs.lookup import lookup

        try:
            on = dt.date.fromisoformat(date) if date else dt.date.today()
        except ValueError:
            raise InvalidRequest(f"date {date!r} is not YYYY-MM-DD", where="--date") from None
        res = lookup(importer, code, origin, on)
        data = {"importer": res.importer, "code": res.code, "origin": res.origin, "date": res.on,
                "national_lines": res.lines, "data_source": res.data_source, "notes": res.notes,
                "measures": [_measure_dict(m) for m in res.measures]}

        def text(d):
            from rich.table import Table
            c = console()
            c.print(f"{d['importer']} {d['code']} from {d['origin'] or 'any origin'} on "
                    f"{d['date'].isoformat()} (data: {d['data_source']})")
            t = Table()
            for h in ("line", "regime", "rate", "raw", "scope", "valid", "source"):
                t.add_column(h)
            for m in d["measures"]:
                rate = m["words"] + (" [EXCLUDED]" if m["excluded"] else "")
                valid = f"{m['valid_from'] or '?'} – {m['valid_to'] or 'open'}"
                regime = m["regime"] if m["agreement"] in (None, m["regime"]) else f"{m['regime']} ({m['agreement']})"
                t.add_row(m["national_line"] + (f" ({m['line_condition']})" if m["line_condition"] else ""),
                          regime, rate, m["raw"], m["scope"], valid, m["source"])
            c.print(t)
            for n in d["notes"] + sorted({m["note"] for m in d["measures"] if m["note"]}):
                c.print(f"note: {n}")

        emit(data, fmt.value, text)

    @tariffs.command("import")
    def import_(file: Path = typer.Argument(..., help="the tariff file"),
                format_of: FileFormat = typer.Option(..., "--format-of", help="vn | jp | generic | wits"),
                importer: str = typer.Option(..., "--importer", help="importing country, ISO2"),
                valid_from: str = typer.Option(None, "--valid-from",
                                               help="jp format: edition date YYYY-MM-DD"),
                fmt: Format = format_option()) -> None:
        """Validate a tariff file all-or-nothing and store it as the user's tariff for IMPORTER."""
        from noodlebowl.errors import DataImportError
        from noodlebowl.output import emit
        from noodlebowl.tariffs import generic, jp, vn
        from noodlebowl.tariffs.rates import is_computable
        from noodlebowl.tariffs.storage import write_user_tariff

        imp = importer.strip().upper()
        if not file.is_file():
            raise DataImportError("file not found", where=str(file))
        if format_of is FileFormat.vn:
            measures = vn.read_file(file, importer=imp)
        elif format_of is FileFormat.jp:
            if not valid_from:
                raise DataImportError("the jp format needs --valid-from (edition date)", where=str(file))
            measures = jp.read_file(file, dt.date.fromisoformat(valid_from), importer=imp)
        elif format_of is FileFormat.generic:
            measures = generic.read_generic(file, importer=imp)
        else:
            measures = generic.read_wits(file, importer=imp)
        if not measures:
            raise DataImportError("no tariff lines found", where=str(file))
        path = write_user_tariff(imp, [m.model_copy(update={"data_source": str(file)}) for m in measures])
        data = {"importer": imp, "file": str(file), "stored": str(path), "measures": len(measures),
                "computable": sum(1 for m in measures if is_computable(m.rate))}
        emit(data, fmt.value, lambda d: print(
            f"imported {d['measures']} measures ({d['computable']} computable) for {d['importer']} "
            f"into {d['stored']}"))

    app.add_typer(tariffs, name="tariffs")
