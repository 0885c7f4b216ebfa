"""`noodlebowl compare`: MFN against every agreement, the best choice, and why others lose."""

from __future__ import annotations

from pathlib import Path

import typer

from noodlebowl.clikit import Format, format_option


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_command)


def compare_command(
    request_file: Path = typer.Argument(..., help="request as YAML or JSON (qualify's format, plus optional "
                                                  "customs_value, quantity, unit)"),
    fmt: Format = format_option(),
) -> None:
    """What you pay under MFN and each agreement, which preference you qualify for, and the best."""
    from noodlebowl.compare import compare
    from noodlebowl.origin import load_request
    from noodlebowl.output import emit

    comparison = compare(load_request(request_file))
    emit(comparison.model_dump(mode="json"), fmt.value, lambda _: render_text(comparison))


def render_text(c) -> None:
    from rich.markup import escape
    from rich.table import Table

    from noodlebowl.output import console

    out = console()
    value = f", customs value {c.customs_value} {c.currency}" if c.customs_value is not None else ""
    out.print(f"[bold]{c.product_hs}[/] from {c.exporter} into {c.importer} on {c.date}{value}")
    table = Table("option", "qualifies?", "rate", "duty", "saving", "proof", "why not best")
    mfn = c.mfn
    table.add_row("MFN", "—", escape(mfn.rate or f"unknown ({mfn.raw})") if mfn else "unknown",
                  str(mfn.duty) if mfn and mfn.duty is not None else "—", "—", "none", "")
    for o in c.options:
        rate = o.rate.rate if o.rate and o.rate.rate else (f"unknown ({o.rate.raw})" if o.rate else "unknown")
        saving = f"{o.saving} {o.saving_unit}" if o.saving is not None else "—"
        table.add_row(o.agreement, f"{o.outcome.value}" + (f" ({o.criterion})" if o.criterion else ""),
                      escape(rate), str(o.rate.duty) if o.rate and o.rate.duty is not None else "—", saving,
                      escape(", ".join(o.proof) or "—"), escape(o.why_not_best or "[best]"))
    out.print(table)
    out.print(f"[bold green]Best: {c.best}[/] — {escape(c.best_reason)}")
    for u in c.unmodelled_cheaper:
        out.print(f"[yellow]Also:[/] {escape(u.note)}")
    for q in c.needed:
        out.print(f"[yellow]Needed[/] ({q.key}): {escape(q.question)}")
    for note in c.caveats:
        out.print(f"[dim]Note: {escape(note)}[/]")
