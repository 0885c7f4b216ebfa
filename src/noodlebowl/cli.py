"""The ``noodlebowl`` command. Each domain contributes its own sub-commands; this module
only wires them together and turns user errors into one sentence and exit code 2."""

from __future__ import annotations

import sys
import typer

from noodlebowl.clikit import Format, format_option
from noodlebowl.errors import NoodlebowlError

app = typer.Typer(
    name="noodlebowl",
    help="Which ASEAN trade agreement pays for your product, whether it qualifies, and what proof it needs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """Which ASEAN trade agreement pays for your product, whether it qualifies, and what proof it needs."""



@app.command("version")
def version(fmt: Format = format_option()) -> None:
    """Program and reference-data version."""
    from noodlebowl import __version__
    from noodlebowl.output import emit
    from noodlebowl.refdata import data_version

    data = {"noodlebowl": __version__, "data_version": data_version()}
    emit(data, fmt.value, lambda d: print(f"noodlebowl {d['noodlebowl']} (data {d['data_version']})"))


def _register() -> None:
    """Attach each domain's commands (modules imported lazily inside their commands)."""
    import importlib

    for module_name in ("noodlebowl.hs.cli", "noodlebowl.agreements.cli", "noodlebowl.origin.cli",
                        "noodlebowl.tariffs.cli", "noodlebowl.compare_cli", "noodlebowl.proof.cli",
                        "noodlebowl.coverage.cli", "noodlebowl.batch.cli", "noodlebowl.advice.cli",
                        "noodlebowl.web.cli"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not (exc.name and module_name.startswith(exc.name)):
                raise  # a missing dependency inside a present module is a real error
            continue
        module.register(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; usage errors exit 2 (Typer), bad input exits 2 with one sentence."""
    try:
        app(args=argv)
    except NoodlebowlError as exc:
        print(f"error: {exc.sentence()}", file=sys.stderr)
        return 2
    return 0
