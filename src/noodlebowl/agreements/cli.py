"""``noodlebowl agreements``: which agreements cover a route on a date."""

from __future__ import annotations

import typer

from noodlebowl.clikit import Format, format_option

_MARK = {True: "yes", False: "no", None: "unknown"}


def _eif(party) -> str:
    if party is None:
        return "not a party"
    date = party.entry_into_force.isoformat() if party.entry_into_force else "date not in data"
    return date if party.eif_status == "confirmed" else f"{date} ({party.eif_status})"


def _render(answer) -> None:
    from rich.table import Table

    from noodlebowl.output import console

    out = console()
    table = Table(title=f"Agreements {answer.exporter.name} ({answer.exporter.iso2}) -> "
                        f"{answer.importer.name} ({answer.importer.iso2}) on {answer.on.isoformat()}")
    for col in ("Agreement", "In force", f"{answer.exporter.iso2} EIF", f"{answer.importer.iso2} EIF",
                "Why"):
        table.add_column(col, overflow="fold")
    for a in answer.agreements:
        why = a.reason + "".join(f"\n! {c}" for c in a.caveats)
        table.add_row(a.agreement, _MARK[a.in_force], _eif(a.exporter), _eif(a.importer), why)
    out.print(table)
    out.print(answer.not_modelled_note)


def agreements_command(
    exporter: str = typer.Option(..., "--exporter", help="exporting country, ISO alpha-2/alpha-3 (e.g. VN)"),
    importer: str = typer.Option(..., "--importer", help="importing country, ISO alpha-2/alpha-3 (e.g. JP)"),
    date: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)"),
    fmt: Format = format_option(),
) -> None:
    """Which agreements cover a route on a date (ATIGA, ACFTA, RCEP), and which exist but are not modelled."""
    from noodlebowl.agreements.registry import agreements_for_route
    from noodlebowl.output import emit

    answer = agreements_for_route(exporter, importer, date)
    emit(answer, fmt.value, _render)


def register(app: typer.Typer) -> None:
    app.command("agreements")(agreements_command)
