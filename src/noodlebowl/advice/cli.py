"""`noodlebowl advise`: how far from qualifying, and the cheapest way to get there."""

from __future__ import annotations

from pathlib import Path

import typer

from noodlebowl.clikit import Format, format_option


def register(app: typer.Typer) -> None:
    app.command("advise")(advise_command)


def advise_command(
    request_file: Path = typer.Argument(..., help="request as YAML or JSON (qualify's format), with an optional "
                                                  "advice: {prices: {material: {country: price}}, "
                                                  "max_price_change_percent: 10}"),
    fmt: Format = format_option(),
) -> None:
    """Margins per agreement and the smallest sourcing or cost change that makes the product qualify."""
    from noodlebowl.advice import advise, load_advice_request
    from noodlebowl.output import emit

    request, options = load_advice_request(request_file)
    advice = advise(request, options)
    emit(advice.model_dump(mode="json"), fmt.value, lambda _: render_text(advice))


MARK = {"qualifies": "[green]✔ qualifies[/]", "does_not_qualify": "[red]✘ does not qualify[/]",
        "undetermined": "[yellow]? undetermined[/]"}


def _money(value) -> str:
    return f"{value.quantize(value.__class__('0.01')):f}"


def render_text(advice) -> None:
    from rich.markup import escape

    from noodlebowl.output import console

    out = console()
    cur = advice.currency
    out.print(f"[bold]{advice.product_hs}[/] from {advice.exporter} into {advice.importer} on {advice.date}")
    for a in advice.agreements:
        out.rule(a.agreement)
        out.print(MARK[a.outcome.value] + (f" by [bold]{a.criterion}[/]" if a.criterion else ""))
        m = a.margins
        for r in m.rvc:
            if not r.allowed:
                continue
            if r.percent is None or r.headroom is None:
                out.print(f"  RVC {r.method.replace('_', '-')} vs {r.threshold} %: not computable (costs missing)")
                continue
            sign = "headroom" if r.headroom >= 0 else "short by"
            allowed = ""
            out.print(f"  RVC {r.method.replace('_', '-')} {_money(r.percent)} % vs {r.threshold} %: "
                      f"{sign} {_money(abs(r.points))} points / {_money(abs(r.headroom))} {cur}{allowed}")
        if m.de_minimis and m.de_minimis.headroom is not None:
            dm = m.de_minimis
            sign = "headroom" if dm.headroom >= 0 else "over by"
            out.print(f"  De minimis: failing materials {_money(dm.share)} % of FOB vs {dm.limit} %: "
                      f"{sign} {_money(abs(dm.headroom))} {cur}")
        for f in m.shift_failures:
            out.print(f"  Tariff shift {'fails' if f.result.value == 'does_not_qualify' else 'unsettled'}: "
                      f"{escape(f.material)} ({f.origin}, {f.value} {cur})")
        out.print(escape(a.message))
        for i, s in enumerate(a.suggestions):
            head = "Best" if i == 0 else "Or"
            saving = f", saves {a.saving} {a.saving_unit}" if a.saving is not None else ", saving unknown"
            out.print(f"  [bold]{head}:[/] " + escape("; ".join(s.steps)) +
                      f" → {s.outcome.value} by {escape(s.criterion or '')}{saving}")
        for f in a.fact_answers:
            out.print(f"  [bold]Answer:[/] {escape(f.question)} → {f.answer}: {f.outcome.value} by {f.criterion}")
    if advice.ranking:
        out.rule("Ranked by duty saved per change")
        for r in advice.ranking:
            saving = f"saves {r.saving} {r.saving_unit}" if r.saving is not None else "saving unknown"
            out.print(f"{r.rank}. {escape(r.text)} ({saving})" + (f" — {escape(r.note)}" if r.note else ""))
    for q in advice.questions:
        out.print(f"[yellow]Needed[/] ({q.key}, decides {', '.join(q.agreements)}): {escape(q.question)}")
    for note in advice.caveats:
        out.print(f"[dim]Note: {escape(note)}[/]")
