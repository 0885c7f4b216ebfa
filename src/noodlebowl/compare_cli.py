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


def _rate_cell(rate) -> str:
    return rate.words if rate is not None else "rate unknown"


def _duty_cell(rate) -> str:
    return rate.duty_text if rate is not None and rate.duty_text else "—"


def render_text(c) -> None:
    """The comparison in words: rates as a trader reads them, money rounded to the currency's minor
    unit (the JSON keeps the exact figures)."""
    from rich.markup import escape
    from rich.table import Table

    from noodlebowl.output import console
    from noodlebowl.tariffs.rates import money_text

    out = console()
    value = f", customs value {money_text(c.customs_value, c.currency)}" if c.customs_value is not None else ""
    out.print(f"[bold]{c.product_hs}[/] from {c.exporter} into {c.importer} on {c.date}{value}")
    table = Table("option", "qualifies?", "rate", "duty", "saving", "proof", "why not best")
    table.add_row("MFN", "—", escape(_rate_cell(c.mfn)), escape(_duty_cell(c.mfn)), "—", "none", "")
    for o in c.options:
        table.add_row(o.agreement, f"{o.outcome.value}" + (f" ({o.criterion})" if o.criterion else ""),
                      escape(_rate_cell(o.rate)), escape(_duty_cell(o.rate)), escape(o.saving_text or "—"),
                      escape(", ".join(o.proof) or "—"), escape(o.why_not_best or "[best]"))
    out.print(table)
    out.print(f"[bold green]Best: {c.best}[/] — {escape(c.best_reason)}")
    for o in c.options:
        country = o.rcep_country_of_origin
        if country is not None and country.outcome != "not_needed":
            who = country.rcep_country_of_origin or "not settled"
            column = f", column {country.column}" if country.column else ""
            out.print(f"{o.agreement} country of origin: {who} ({country.article}{column}) — {escape(country.reason)}")
            for claim in o.rate_claims:
                out.print(f"  {escape(claim)}")
    for u in c.unmodelled_cheaper:
        out.print(f"[yellow]Also:[/] {escape(u.note)}")
    cheaper = {u.regime for u in c.unmodelled_cheaper}
    others = [f"{u.agreement} {u.rate}" for u in c.unmodelled if u.regime not in cheaper]
    if others:
        out.print(f"[dim]Also on this route, not evaluated by noodlebowl: {escape(', '.join(others))}[/]")
    for line in c.also_check:
        out.print(f"[yellow]Check:[/] {escape(line)}")
    for q in c.needed:
        out.print(f"[yellow]Needed[/] ({q.key}): {escape(q.question)}")
    for note in c.caveats:
        out.print(f"[dim]Note: {escape(note)}[/]")
