"""`noodlebowl qualify` and `noodlebowl schema`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from noodlebowl.clikit import Format, format_option

MARK = {"qualifies": "[green]✔ qualifies[/]", "does_not_qualify": "[red]✘ does not qualify[/]",
        "undetermined": "[yellow]? undetermined[/]"}


class SchemaName(str, Enum):
    request = "request"
    answer = "answer"


def register(app: typer.Typer) -> None:
    app.command("qualify")(qualify)
    app.command("schema")(schema)


def qualify(
    request_file: Path = typer.Argument(..., help="request as YAML or JSON (see README: Request format)"),
    agreement: list[str] = typer.Option(None, "--agreement", "-a", help="only this agreement (repeatable)"),
    fmt: Format = format_option(),
) -> None:
    """Is the product originating under each agreement — with the rule, figures and citations."""
    from noodlebowl.origin import determine, load_request
    from noodlebowl.output import emit

    request = load_request(request_file)
    if agreement:
        request = request.model_copy(update={"agreements": [a.upper() for a in agreement]})
    determinations = determine(request)
    emit([d.model_dump(mode="json") for d in determinations], fmt.value,
         lambda _: render_text(request, determinations))


def render_text(request, determinations) -> None:
    """The reasoning as a customs officer would write it: the rule, each check, the conclusion."""
    from rich.markup import escape

    from noodlebowl.origin.evaluate import UNUSED, display, display_against
    from noodlebowl.output import console

    out = console()
    p = request.product
    out.print(f"[bold]{escape(p.description or 'Product')}[/] — {p.edition} {p.hs}, FOB {p.fob} {p.currency}; "
              f"made in {request.exporter}, shipped to {request.importer} on {request.date}")
    for d in determinations:
        out.rule(f"{d.agreement}")
        out.print(f"{MARK[d.outcome.value]}" + (f" — criterion [bold]{d.criterion}[/] "
                                                 f"(certificate box: {d.form_code})" if d.criterion else ""))
        out.print(escape(d.summary))
        if d.rule:
            out.print(f"Rule: “{escape(d.rule.text)}” — {escape(d.rule.basis)}, {d.rule.edition} {d.rule.hs} "
                      f"[dim]({escape(d.rule.row or d.rule.source)}; {d.rule.verified})[/]")
        if d.rvc:
            # never rounded across the threshold: 39.996 % shows 39.99 %, not 40.00 %
            def shown(value):
                return display_against(value, d.rvc.threshold, True) if d.rvc.threshold is not None else display(value)
            up = f"{shown(d.rvc.build_up)} %" if d.rvc.build_up is not None else "n/a (costs missing or refused)"
            out.print(f"RVC: build-down {shown(d.rvc.build_down)} %, build-up {up}"
                      + (f", required {d.rvc.threshold} %" if d.rvc.threshold is not None else ""))
        if d.de_minimis and (d.de_minimis.used or d.outcome.value != "qualifies"):
            # a good that qualified without the allowance (by RVC, say) gets no de minimis line
            out.print(f"De minimis: {display_against(d.de_minimis.share, d.de_minimis.limit, False)} % of FOB "
                      f"(limit {d.de_minimis.limit} %)" + (" — used" if d.de_minimis.used else ""))
        for i, c in enumerate(d.checks, 1):
            mark = {"qualifies": "✔", "does_not_qualify": "✘", "undetermined": "?"}[c.result.value]
            if c.detail.startswith(UNUSED):
                mark = "·"   # a test of an alternative the good does not rely on
            out.print(f"  {i:>2}. {mark} {escape(c.detail)} [dim]— {escape(c.article)}"
                      + (f"; {escape(c.data)}" if c.data else "") + "[/]")
        for q in d.needed:
            out.print(f"  [yellow]Needed[/] ({q.key}, decides {', '.join(q.agreements)}): {escape(q.question)}")
        for c in d.caveats:
            out.print(f"  [dim]Note: {escape(c)}[/]")
    if determinations:
        out.print(f"[dim]data version {determinations[0].data_version}[/]")


def schema(name: SchemaName = typer.Argument(..., help="request or answer")) -> None:
    """The JSON Schema of the request or of the answer."""
    from pydantic import TypeAdapter

    from noodlebowl.origin.answer import Determination
    from noodlebowl.origin.request import Request

    model = Request.model_json_schema() if name is SchemaName.request else \
        TypeAdapter(list[Determination]).json_schema()
    print(json.dumps(model, indent=2))
