"""``noodlebowl hs …``: show a code, transpose it between editions, search by words.

Everything heavy (pyarrow, the tables, the search index) is imported inside the commands
so that ``noodlebowl --help`` and other domains' commands start fast. JSON output is the
``as_dict()`` of the library objects; the keys are documented in
:mod:`noodlebowl.hs.nomenclature` (``show``), :mod:`noodlebowl.hs.transpose`
(``transpose``) and :mod:`noodlebowl.hs.search` (``search``: ``{"query", "hits": [...],
"headings": [...], "check_between": [...], "advice"}``).
"""

from __future__ import annotations

import typer

from noodlebowl.clikit import Format, format_option

hs_app = typer.Typer(name="hs", help="HS nomenclature: show a code, transpose between editions, search by words.",
                     no_args_is_help=True)

_MAX_ROWS = 40
_MAX_SIBLINGS = 8


@hs_app.command("show")
def show(code: str = typer.Argument(..., help="HS code: 85, 85.17, 8517.13, 851713, 8517.13.00 …"),
         edition: str = typer.Option("HS2022", "--edition", help="HS2012, HS2017 or HS2022"),
         fmt: Format = format_option()) -> None:
    """Description, place in the tree, children and AHTN 2022 lines of a code."""
    from noodlebowl.hs.nomenclature import lookup
    from noodlebowl.output import emit

    entry = lookup(code, edition)
    emit(entry.as_dict(), fmt.value, _render_entry)


@hs_app.command("transpose")
def transpose_cmd(code: str = typer.Argument(..., help="HS code in the --from edition"),
                  from_edition: str = typer.Option(..., "--from", help="HS2012, HS2017 or HS2022"),
                  to_edition: str = typer.Option(..., "--to", help="HS2012, HS2017 or HS2022"),
                  fmt: Format = format_option()) -> None:
    """Where a code lands in another HS edition (every candidate; ambiguity flagged)."""
    from noodlebowl.hs.transpose import transpose
    from noodlebowl.output import emit

    result = transpose(code, from_edition, to_edition)
    emit(result.as_dict(), fmt.value, _render_transposition)


@hs_app.command("search")
def search_cmd(text: str = typer.Argument(..., help="product in plain words, e.g. 'frozen peeled shrimp'"),
               limit: int = typer.Option(10, "--limit", min=1, max=200, help="number of hits"),
               fmt: Format = format_option()) -> None:
    """HS2022 subheadings ranked for a plain-language product description, each with why."""
    from noodlebowl.hs.search import classify
    from noodlebowl.output import emit

    emit(classify(text, limit).as_dict(), fmt.value, _render_hits)


def register(app: typer.Typer) -> None:
    app.add_typer(hs_app, name="hs")


# ---------------------------------------------------------------- text rendering

def _render_entry(d: dict) -> None:
    from rich.panel import Panel
    from rich.table import Table

    from noodlebowl.output import console

    con = console()
    con.print(Panel(d["description"], title=f"{d['dotted']} ({d['edition']}, {d['level']})", expand=False))
    path = Table(title="path")
    for col in ("level", "code", "description"):
        path.add_column(col, overflow="fold")
    for p in d["path"]:
        path.add_row(p["level"], p["dotted"], p["description"])
    con.print(path)
    if d["children"]:
        t = Table(title="children", show_lines=False)
        t.add_column("code")
        t.add_column("description", overflow="fold")
        for c in d["children"][:_MAX_ROWS]:
            t.add_row(c["dotted"], c["description"])
        con.print(t)
        if len(d["children"]) > _MAX_ROWS:
            con.print(f"… and {len(d['children']) - _MAX_ROWS} more (use --format json)")
    if d["ahtn_lines"] and d["level"] != "national":
        t = Table(title="AHTN 2022 lines")
        t.add_column("code")
        t.add_column("description", overflow="fold")
        for line in d["ahtn_lines"][:_MAX_ROWS]:
            t.add_row(line["dotted"], line["description"])
        con.print(t)
        if len(d["ahtn_lines"]) > _MAX_ROWS:
            con.print(f"… and {len(d['ahtn_lines']) - _MAX_ROWS} more (use --format json)")
    for note in d["notes"]:
        con.print(f"note: {note}")
    con.print(f"source: {d['source']['file']} line {d['source']['line']} — {d['source']['attribution']}")


def _render_transposition(d: dict) -> None:
    from rich.table import Table

    from noodlebowl.output import console

    con = console()
    flag = ("AMBIGUOUS — classify again among these candidates" if d["ambiguous"]
            else "no target — see notes" if not d["targets"] else "unambiguous")
    con.print(f"[bold]{d['source_dotted']}[/bold] {d['from_edition']} → {d['to_edition']}: "
              f"relationship {d['relationship']}, {len(d['targets'])} target(s), {flag}")
    if d["targets"]:
        t = Table()
        for col in ("target", "rel.", "description", "from", "flags"):
            t.add_column(col, overflow="fold")
        for tg in d["targets"][:_MAX_ROWS]:
            flags = ", ".join(f for f, on in (("sweep row", tg["sweep"]), ("UNSD conversion", tg["unsd_conversion"]))
                              if on)
            t.add_row(tg["dotted"], tg["relationship"], tg["description"],
                      " ".join(_dot(c) for c in tg["from_codes"][:6]), flags)
        con.print(t)
        if len(d["targets"]) > _MAX_ROWS:
            con.print(f"… and {len(d['targets']) - _MAX_ROWS} more (use --format json)")
    if len(d["steps"]) > 1:
        for s in d["steps"]:
            con.print(f"step {s['from_edition']} → {s['to_edition']}: "
                      f"{', '.join(_dot(c) for c in s['to_codes'][:12]) or '(none)'}")
    for note in d["notes"][:12]:
        con.print(f"note: {note}")


def _render_hits(d: dict) -> None:
    from rich.table import Table

    from noodlebowl.output import console

    con = console()
    if not d["hits"]:
        con.print(f"no HS2022 subheading matches {d['query']!r}")
        return
    t = Table(title=f"HS2022 subheadings for {d['query']!r}")
    for col in ("#", "code", "score", "description", "why"):
        t.add_column(col, overflow="fold")
    for i, h in enumerate(d["hits"], 1):
        t.add_row(str(i), h["dotted"], f"{h['score']:.2f}", h["description"], _why_text(h["why"]))
    con.print(t)
    con.print("by heading: " + "; ".join(f"{g['dotted']} {g['share']:.0%} ({', '.join(g['subheadings'])})"
                                         for g in d["headings"]))
    if d["advice"]:
        con.print(f"[bold]{d['advice']}[/bold]")
    first = d["hits"][0]
    if first["siblings"]:
        con.print(f"other subheadings of {first['heading']['dotted']} (words that set them apart from "
                  f"{first['dotted']}):")
        for s in first["siblings"][:_MAX_SIBLINGS]:
            apart = ", ".join(s["differs"]["only_this"][:6]) or "—"
            con.print(f"  {s['dotted']}  {apart}")
        if len(first["siblings"]) > _MAX_SIBLINGS:
            con.print(f"  … and {len(first['siblings']) - _MAX_SIBLINGS} more (use --format json)")


def _why_text(why: dict) -> str:
    parts = [f"{f}: {', '.join(why[f])}" for f in ("subheading", "ahtn", "heading") if why[f]]
    if why["ahtn_line"]:
        parts.append(f"line {why['ahtn_line']}")
    parts += [f"like \"{e['text'][:60]}\" ({e['source']})" for e in why["examples"][:2]]
    parts += [f"{n['query']} {'fits' if n['fits'] else 'outside'} {n['bound']}" for n in why["numbers"]]
    return "; ".join(parts)


def _dot(code: str) -> str:
    from noodlebowl.hs.codes import dotted
    return dotted(code)
