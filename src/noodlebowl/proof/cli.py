"""`noodlebowl proof` (requirements + draft proof of origin) and `noodlebowl proof-options`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from noodlebowl.clikit import Format, format_option

STATUS_MARK = {"available": "[green]available[/]", "conditional": "[cyan]conditional[/]",
               "limited": "[yellow]limited[/]", "not_available": "[red]not available[/]",
               "unknown": "[yellow]unknown[/]"}


def register(app: typer.Typer) -> None:
    app.command("proof")(proof)
    app.command("proof-options")(proof_options_cmd)


def proof(
    request_file: Path = typer.Argument(..., help="request as YAML or JSON (see README: Request format)"),
    agreement: str = typer.Option(..., "--agreement", "-a", help="RCEP, ATIGA or ACFTA"),
    out: Path = typer.Option(None, "--out", "-o", help="write the draft as PDF here, and its JSON beside it"),
    fmt: Format = format_option(),
) -> None:
    """Proof of origin under one agreement: the documents usable on the route, and a DRAFT of the form."""
    from noodlebowl.agreements.registry import agreement_id
    from noodlebowl.origin import determine, load_request
    from noodlebowl.output import emit
    from noodlebowl.proof.draft import ProofRefused, build_draft
    from noodlebowl.proof.requirements import proof_options

    name = agreement_id(agreement)
    request = load_request(request_file)
    requirements = proof_options(name, request.exporter, request.importer, request.date,
                                 fob=request.product.fob, currency=request.product.currency)
    determinations = [d for d in determine(request.model_copy(update={"agreements": [name]}))
                      if d.agreement == name]
    if not determinations:
        raise ProofRefused(f"no {name} determination for this request", where=str(request_file))
    draft = build_draft(request, determinations[0], name)
    written: list[str] = []
    if out is not None:
        from noodlebowl.proof.pdf import write_outputs

        written = [str(p) for p in write_outputs(draft, out)]
    data = {"requirements": requirements.model_dump(mode="json"), "draft": draft.model_dump(mode="json"),
            "written": written}
    emit(data, fmt.value, lambda _: (render_requirements(requirements), render_draft(draft, written)))


def proof_options_cmd(
    agreement: str = typer.Option(..., "--agreement", "-a", help="RCEP, ATIGA or ACFTA"),
    exporter: str = typer.Option(..., "--exporter", help="exporting country (ISO alpha-2)"),
    importer: str = typer.Option(..., "--importer", help="importing country (ISO alpha-2)"),
    date: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)"),
    fob_usd: str = typer.Option(None, "--fob-usd", help="FOB value of the consignment in US$ (for the waiver)"),
    fmt: Format = format_option(),
) -> None:
    """Which proofs of origin an agreement accepts on a route and date, and the rules around them."""
    from noodlebowl.errors import InvalidRequest
    from noodlebowl.output import emit
    from noodlebowl.proof.requirements import proof_options

    fob = None
    if fob_usd is not None:
        try:
            fob = Decimal(fob_usd)
        except InvalidOperation:
            raise InvalidRequest(f"{fob_usd!r} is not an amount", where="--fob-usd",
                                 accepted="a number such as 150 or 200.00") from None
        if not fob.is_finite() or fob <= 0:
            raise InvalidRequest(f"{fob_usd!r} is not a positive amount", where="--fob-usd",
                                 accepted="a number such as 150 or 200.00")
    result = proof_options(agreement, exporter, importer, date, fob)
    emit(result.model_dump(mode="json"), fmt.value, lambda _: render_requirements(result))


def render_requirements(req) -> None:
    from rich.markup import escape

    from noodlebowl.output import console

    out = console()
    out.rule(f"Proof of origin — {req.agreement}: {req.exporter} → {req.importer} on {req.on}")
    if req.in_force is None:
        out.print(f"[yellow]In force uncertain:[/] {escape(req.in_force_reason)}")
    for o in req.options:
        out.print(f"• [bold]{escape(o.name)}[/] — {STATUS_MARK[o.status]}: {escape(o.reason)}")
        out.print(f"    by: {escape(o.issued_by)}")
        for c in o.conditions:
            out.print(f"    [dim]- {escape(c)}[/]")
        if o.references:
            out.print(f"    [dim]({escape('; '.join(o.references))})[/]")
    w = req.waiver
    mark = {True: "[green]applies[/]", False: "does not apply", None: "[yellow]cannot be judged[/]"}[w.applies]
    out.print(f"Waiver: {mark} — {escape(w.reason)}")
    for label, fact in (("Validity", req.validity), ("Record keeping", req.record_keeping),
                        ("Back-to-back", req.back_to_back), ("Third-party invoicing", req.third_party_invoicing),
                        ("Retroactive issue", req.retroactive_issue), ("Exhibitions", req.exhibitions),
                        ("Language", req.language), ("Minor discrepancies", req.minor_discrepancies)):
        ref = f" [dim]({escape(str(fact.reference))})[/]" if fact.reference else ""
        note = f" [dim]— {escape(fact.note)}[/]" if fact.note else ""
        out.print(f"{label}: {escape(fact.value)}{ref}{note}")
    for n in req.notes:
        out.print(f"[dim]Note: {escape(n)}[/]")


def render_draft(draft, written: list[str]) -> None:
    from rich.markup import escape

    from noodlebowl.output import console

    out = console()
    out.rule("[bold red]DRAFT[/]")
    out.print(f"[bold red]{escape(draft.marking)}[/]")
    for form in draft.forms:
        out.print(f"\n[bold]{escape(form.title)}[/] — {escape(form.issued_by)}")
        for f in form.fields:
            style = {"to_be_completed": "yellow", "official_use": "dim", "not_applicable": "dim",
                     "optional": "dim"}.get(f.status, "")
            value = f"[{style}]{escape(f.value)}[/]" if style else escape(f.value)
            out.print(f"  {f.box:>7}  {escape(f.label)}: {value}")
    out.print(f"\n[dim]Articles relied on: {escape('; '.join(draft.articles))}[/]")
    out.print(f"[dim]data version {draft.data_version}[/]")
    for path in written:
        out.print(f"written: {escape(path)}")
