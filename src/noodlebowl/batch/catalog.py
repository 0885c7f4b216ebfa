"""Catalog files — products and bill-of-materials lines as CSV, Excel or Parquet — read as text
and validated column-wise. Every problem becomes a reject (file, row, field, reason) and the
rest of the catalog goes on; a product with a rejected BOM line is rejected too, since
answering without that line could be wrong.

Money and weights become Int64 micro-units (10⁻⁶): exact, and summed and compared as integers by
the kernel. Numbers are written plainly (``12.50``, at most 6 decimals); ``row`` is the 1-based
data record (the header is not counted: CSV line = row + 1).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from functools import cache
from pathlib import Path

import polars as pl

from noodlebowl.batch.memo import Memo
from noodlebowl.errors import InvalidRequest
from noodlebowl.limits import MAX_INTEGER_DIGITS, check_zip, text_file_problem
from noodlebowl.origin.engine import MODELLED
from noodlebowl.origin.request import BOM_LINE_FIELDS, YES_NO, Product

PRODUCT_COLUMNS = ["product_id", "hs", "edition", "exporter", "importer", "date", "fob", "currency", "weight_kg",
                   "direct_labour", "direct_overhead", "profit", "other", "facts"]
PRODUCT_REQUIRED = ["product_id", "hs", "exporter", "importer", "fob"]
# the one BOM line schema (origin.request.BOM_LINE_FIELDS), the line's name in a column "material"
BOM_COLUMNS = ["product_id", "material", *(f for f in BOM_LINE_FIELDS if f != "name")]
BOM_REQUIRED = ["product_id", "value"]
EDITIONS = ("HS2012", "HS2017", "HS2022")
KINDS = ("material", "retail_packaging", "packing", "accessory", "indirect")
COSTS = ("direct_labour", "direct_overhead", "profit", "other")
MAX_UNPACKED_BYTES = 8 * 1024**3     # an .xlsx catalog's parts unpacked (a million BOM lines is ≈ 150 MiB)
REJECT_SCHEMA = {"file": pl.String, "row": pl.Int64, "field": pl.String, "reason": pl.String}
# yes/no columns of a BOM line (origin.request.Material), and their value when blank
FLAGS = {"invoiced_separately": False, "customary": True}
DEFAULT_CURRENCY = Product.model_fields["currency"].default
FLAG_TEXT = YES_NO
# ASCII digits only: a regex \d also matches other scripts' digits, which the decimal cast cannot read
_NUMBER = r"^[0-9]+(\.[0-9]+)?$|^\.[0-9]+$"


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    formats = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx", ".xlsm": "xlsx"}
    if suffix not in formats:
        raise InvalidRequest(f"unknown catalog format {suffix or '(no extension)'}", where=str(path),
                             accepted="a .csv, .xlsx or .parquet file")
    return formats[suffix]


def scan(path: str | Path) -> pl.LazyFrame:
    """Every column as text (so validation sees what the user wrote), with ``row``."""
    path = Path(path)
    if not path.exists():
        raise InvalidRequest("file not found", where=str(path))
    fmt = file_format(path)
    if fmt == "csv":
        lf = pl.scan_csv(path, infer_schema=False)
    elif fmt == "parquet":
        lf = pl.scan_parquet(path)
    else:
        lf = _read_excel(path).lazy()
    names = lf.collect_schema().names()
    lf = lf.rename({n: n.strip().lower() for n in names})
    return lf.with_columns(pl.all().cast(pl.String)).with_row_index("row", offset=1) \
        .with_columns(pl.col("row").cast(pl.Int64))


def _read_excel(path: Path) -> pl.DataFrame:
    from openpyxl import load_workbook

    check_zip(path, max_unpacked=MAX_UNPACKED_BYTES)
    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except (OSError, KeyError, ValueError, IndexError, zipfile.BadZipFile) as exc:   # not a workbook
        raise InvalidRequest(f"not a readable Excel workbook ({type(exc).__name__})", where=str(path),
                             accepted="an .xlsx file saved by Excel or LibreOffice (the first sheet is read)") \
            from None
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else f"column_{i}" for i, h in enumerate(next(rows, ()))]

    def text(v):
        if v is None:
            return None
        if isinstance(v, float):
            return repr(v) if not v.is_integer() else str(int(v))
        if isinstance(v, (dt.datetime,)):
            return v.date().isoformat()
        return str(v)

    data = [[text(v) for v in r] for r in rows if any(v is not None for v in r)]
    return pl.DataFrame(data, schema={h: pl.String for h in header}, orient="row")


def preflight(path: str | Path, required: list[str], known: list[str], where: str | None = None) -> None:
    """Refuse, before anything is parsed in full, a catalog file that cannot be read: missing or
    empty, not UTF-8 or with an unclosed quote (CSV), a decompression bomb (.xlsx), not Parquet, or
    lacking a required column. Cheap: a streamed pass over a CSV, the zip directory and first row
    of a workbook, a Parquet file's footer. Raises InvalidRequest or LimitExceeded."""
    path = Path(path)
    where = where or str(path)
    fmt = file_format(path)
    if not path.is_file():
        raise InvalidRequest("file not found", where=where)
    if path.stat().st_size == 0:
        raise InvalidRequest("the file is empty", where=where, accepted=f"a header row: {', '.join(known)}")
    accepted = ".csv (UTF-8, header row), .xlsx (first sheet) or .parquet"
    try:
        if fmt == "csv":
            problem = text_file_problem(path)
            if problem:
                raise InvalidRequest(f"the CSV file cannot be read: {problem}", where=where, accepted=accepted)
            names = pl.scan_csv(path, infer_schema=False, n_rows=1).collect_schema().names()
        elif fmt == "xlsx":
            check_zip(path, max_unpacked=MAX_UNPACKED_BYTES)
            names = _excel_header(path, where)
        else:
            names = list(pl.read_parquet_schema(path))
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InvalidRequest(f"the file cannot be read as {fmt}: {first}", where=where, accepted=accepted) from None
    missing = [c for c in required if c not in {n.strip().lower() for n in names}]
    if missing:
        raise InvalidRequest(f"missing column(s) {', '.join(missing)}", where=where,
                             accepted=f"columns {', '.join(known)} (required: {', '.join(required)})")


def _excel_header(path: Path, where: str) -> list[str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        finally:
            book.close()
    except (KeyError, IndexError, TypeError, zipfile.BadZipFile) as exc:
        raise InvalidRequest(f"not a readable Excel workbook ({type(exc).__name__})", where=where,
                             accepted="an .xlsx file saved by Excel or LibreOffice (the first sheet is read)") from None
    return [str(h) for h in first if h is not None]


def check_columns(lf: pl.LazyFrame, required: list[str], known: list[str], path: str) -> None:
    names = set(lf.collect_schema().names())
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidRequest(f"missing column(s) {', '.join(missing)}", where=str(path),
                             accepted=f"columns {', '.join(known)} (required: {', '.join(required)})")


def unknown_columns(lf: pl.LazyFrame, known: list[str], path: str) -> list[str]:
    """A warning for each column of the file that no catalog field reads (it is ignored, and said so)."""
    names = [n for n in lf.collect_schema().names() if n.strip().lower() not in known and n != "row"]
    return [f"{path}: column {n!r} is not a catalog column and is ignored (columns: {', '.join(known)})"
            for n in names]


def _ensure(df: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return df.with_columns(pl.lit(None, pl.String).alias(c) for c in columns if c not in df.columns)


def _blank(col: str) -> pl.Expr:
    return pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")


def _flag(col: str) -> pl.Expr:
    """A yes/no column as a boolean (blank: the request model's default; not a yes/no: null)."""
    text = pl.col(col).str.strip_chars().str.to_lowercase()
    return pl.when(_blank(col)).then(pl.lit(FLAGS[col])).otherwise(
        text.replace_strict(FLAG_TEXT, default=None, return_dtype=pl.Boolean))


def _flag_problem(col: str) -> pl.Expr:
    return pl.when(~_blank(col) & _flag(col).is_null()).then(
        pl.lit(f"accepted: {', '.join(FLAG_TEXT)} (blank: {str(FLAGS[col]).lower()})"))


def _percent_check(col: str) -> tuple[pl.Expr, pl.Expr]:
    """An optional percentage: a plain number from 0 to 100."""
    above = _units(col) > 100 * 10**6
    return (_number_fine(col, required=False) & ~above.fill_null(False),
            pl.coalesce(_number_problem(col, required=False),
                        pl.when(above).then(pl.lit("a percentage: at most 100"))))


def _units(col: str) -> pl.Expr:
    """A plain decimal text → Int64 micro-units (null when blank or malformed: see ``_number_problem``).

    For text the format check accepts (≤ 12 digits, ≤ 6 decimals), a Decimal(18, 6) cast is exact."""
    text = pl.col(col).str.strip_chars()
    value = text.cast(pl.Decimal(18, 6), strict=False).to_physical().cast(pl.Int64, strict=False)
    return pl.when(text.str.contains(_NUMBER)).then(value).otherwise(None)


_FINE_NUMBER = r"^([0-9]{1,%d}(\.[0-9]{1,6})?|\.[0-9]{1,6})$" % MAX_INTEGER_DIGITS


def _number_fine(col: str, *, required: bool, positive: bool = False) -> pl.Expr:
    """True where ``_number_problem`` is surely None (one cheap pass; the full check runs on the rest)."""
    text = pl.col(col).str.strip_chars()
    fine = text.str.contains(_FINE_NUMBER)
    if positive:
        fine = fine & (_units(col) > 0)
    if not required:
        fine = fine | _blank(col)
    return fine.fill_null(False)


@cache      # an expression is immutable, and building this one costs more than evaluating it on a chunk
def _number_problem(col: str, *, required: bool, positive: bool = False) -> pl.Expr:
    text = pl.col(col).str.strip_chars()
    frac = text.str.extract(r"\.([0-9]+)$", 1)
    int_len = text.str.extract(r"^([0-9]*)", 1).str.len_chars()
    units = _units(col)
    return (pl.when(_blank(col)).then(pl.lit("missing value" if required else None))
            .when(text.str.starts_with("-") & text.str.slice(1).str.contains(_NUMBER))
            .then(pl.lit("must not be negative"))
            .when(~text.str.contains(_NUMBER)).then(pl.lit("not a plain number (write it like 12.50)"))
            .when(frac.str.len_chars() > 6).then(pl.lit("more than 6 decimal places"))
            .when(int_len > MAX_INTEGER_DIGITS).then(pl.lit("too large (at most 12 digits before the point)"))
            .when(pl.lit(positive) & (units <= 0)).then(pl.lit("must be a positive amount"))
            .otherwise(None))


def _problems(df: pl.DataFrame, file: str, checks: dict[str, pl.Expr | tuple[pl.Expr, pl.Expr]]) -> pl.DataFrame:
    """One reject per (row, field) whose check yields a reason. A check given as (fine, check) is
    evaluated only on the rows where ``fine`` is not true (``fine`` must imply no reason).

    Two queries whatever the number of fields: the cheap checks and ``fine`` flags on every row, then
    the full checks on the rows some flag leaves in doubt."""
    cheap = {f: (e if not isinstance(e, tuple) else e[0]).alias(f) for f, e in checks.items()}
    doubtful = [f for f, e in checks.items() if isinstance(e, tuple)]
    first = df.select("row", *cheap.values())
    in_doubt = ~pl.all_horizontal(pl.col(doubtful)) if doubtful else pl.lit(False)
    plain = [f for f in checks if f not in doubtful]
    # the rows with a reason or a doubt: usually few, so the full checks and the unpivot are small
    suspect = first.select(pl.any_horizontal(pl.col(plain).is_not_null()) | in_doubt if plain else in_doubt)
    suspects = first.filter(suspect.to_series())
    if not suspects.height:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    if doubtful:
        full = df.join(suspects.select("row"), on="row").select(
            "row", *(checks[f][1].cast(pl.String).alias(f) for f in doubtful))
        suspects = suspects.select("row", *(pl.col(f).cast(pl.String) for f in plain)).join(full, on="row", how="left")
    reasons = suspects.select("row", *(pl.col(f).cast(pl.String) if f in suspects.columns
                                       else pl.lit(None, pl.String).alias(f) for f in checks))
    return reasons.unpivot(index="row", variable_name="field", value_name="reason") \
        .filter(pl.col("reason").is_not_null()) \
        .select(pl.lit(file).alias("file"), "row", "field", "reason").cast(REJECT_SCHEMA)


def _number_check(col: str, *, required: bool, positive: bool = False) -> tuple[pl.Expr, pl.Expr]:
    return (_number_fine(col, required=required, positive=positive),
            _number_problem(col, required=required, positive=positive))


_HS_CHECKS: dict[tuple[str, str], tuple[str | None, str | None]] = {}


def hs_problem(text: str, edition: str) -> tuple[str | None, str | None]:
    """(digits, None) for a code that exists in the edition, else (None, the reason)."""
    key = (text, edition)
    hit = _HS_CHECKS.get(key)
    if hit is None:
        from noodlebowl.batch import plancache

        hit = plancache.HS_CHECKS.get(key)
        if hit is None:
            plancache.computed()
            hit = _hs_problem(text, edition)
        _HS_CHECKS[key] = hit
    return hit


def hs_checks_known() -> dict[tuple[str, str], tuple[str | None, str | None]]:
    return _HS_CHECKS


def _hs_rows(text: str, edition: str):
    yield (text, edition, *hs_problem(text, edition))


# (stripped code text, edition) → (digits, problem), for every pair met so far: joined, not looped over
_hs_table = Memo(["hs", "edition"], {"hs": pl.String, "edition": pl.String, "digits": pl.String,
                                     "hs_problem": pl.String}, _hs_rows)


def hs_table() -> pl.DataFrame:
    return _hs_table.table


def adopt_hs_table(rows: pl.DataFrame) -> None:
    _hs_table.adopt(rows)


def hs_checks(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` (hs, edition; hs stripped and not blank) with ``digits`` and ``hs_problem`` (hs_problem)."""
    return _hs_table.join(pairs)


def _hs_problem(text: str, edition: str) -> tuple[str | None, str | None]:
    from noodlebowl.errors import InvalidCode
    from noodlebowl.hs import exists, parse_code

    if edition not in EDITIONS:
        return None, None  # reported on the edition field
    try:
        digits = parse_code(text).digits
    except InvalidCode as exc:
        return None, exc.what
    if not exists(digits, edition):
        return None, f"{text} does not exist in {edition}"
    return digits, None


@cache
def facts_read(text: str) -> tuple[str | None, str | None]:
    """(the facts as normalised text, None) or (None, the problem) for a facts cell (request.facts_from_text)."""
    from noodlebowl.origin.request import facts_from_text

    try:
        facts = facts_from_text(text)
    except ValueError as exc:
        return None, f"{exc}; write key=value pairs separated by ';'"
    return (";".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in facts.items()) or None), None


@cache
def country_problem(text: str) -> str | None:
    from noodlebowl.countries import country
    from noodlebowl.errors import NoodlebowlError

    try:
        found = country(text)
    except NoodlebowlError as exc:
        return exc.sentence()
    if found.iso2 != text.strip().upper():
        return f"unknown country {text!r}: use the ISO alpha-2 code {found.iso2}"
    return None


def _lookup(series: pl.Series, fn) -> pl.DataFrame:
    values = [v for v in series.unique().to_list() if v is not None]
    return pl.DataFrame({"key": values, "problem": [fn(v) for v in values]},
                        schema={"key": pl.String, "problem": pl.String})


@cache
def route_problem(exporter: str, importers: tuple[str, ...], on: dt.date, agreements: tuple[str, ...] | None
                  ) -> str | None:
    """What the engine would refuse about the route and date (e.g. a provision with no value yet)."""
    from noodlebowl.batch.kernel import _provisions_row, _route_table
    from noodlebowl.errors import NoodlebowlError
    from noodlebowl.limits import date_problem

    outside = date_problem(on)       # the same bounds as a request's date
    if outside:
        return outside
    try:
        for importer in importers:
            for agreement, _ in _route_table(exporter, importer, on, agreements):
                _provisions_row(agreement, on)
    except NoodlebowlError as exc:
        return exc.sentence()
    return None


def _without(frame: pl.DataFrame, rejects: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` no reject names (no join at all for a catalog without problems)."""
    return frame.join(rejects.select("row").unique(), on="row", how="anti") if rejects.height else frame


def validate_products(raw: pl.DataFrame, file: str, today: dt.date | None = None,
                      agreements: tuple[str, ...] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid products in the kernel's schema, rejects)."""
    df = _ensure(raw, PRODUCT_COLUMNS).with_columns(
        pl.col("product_id", "hs", "exporter", "importer", "edition", "date").str.strip_chars())
    df = df.with_columns(
        edition=pl.when(_blank("edition")).then(pl.lit("HS2022")).otherwise(pl.col("edition").str.to_uppercase()),
        exporter=pl.col("exporter").str.to_uppercase(),
        importers=pl.col("importer").str.to_uppercase().str.split(";").list.eval(
            pl.element().str.strip_chars()).list.eval(pl.element().filter(pl.element() != "")),
        date_value=pl.when(_blank("date")).then(pl.lit(today or dt.date.today()))
        .otherwise(pl.col("date").str.to_date("%Y-%m-%d", strict=False)),
    )
    hs = hs_checks(df.select("hs", "edition").filter(~_blank("hs")).unique()).rename({"digits": "hs6"})
    df = df.join(hs, on=["hs", "edition"], how="left")
    countries = _lookup(pl.concat([df["exporter"], df["importers"].explode()]), country_problem)
    unknown = countries.filter(pl.col("problem").is_not_null())
    if unknown.height:
        importer_problem = df.select("row", "importers").explode("importers").join(
            unknown, left_on="importers", right_on="key").group_by("row").agg(importer_problem=pl.col("problem").first())
        df = df.join(unknown.rename({"key": "exporter", "problem": "exporter_problem"}), on="exporter", how="left") \
            .join(importer_problem, on="row", how="left")
    else:       # the usual catalog: every country known, no joins
        df = df.with_columns(exporter_problem=pl.lit(None, pl.String), importer_problem=pl.lit(None, pl.String))
    written = df.filter(~_blank("facts"))["facts"].unique().to_list()
    read = {text: facts_read(text) for text in written}
    df = df.with_columns(
        facts_text=pl.col("facts").replace_strict({t: r[0] for t, r in read.items()}, default=None,
                                                  return_dtype=pl.String),
        facts_problem=pl.col("facts").replace_strict({t: r[1] for t, r in read.items()}, default=None,
                                                     return_dtype=pl.String))
    duplicate = pl.col("product_id").is_duplicated() & (pl.col("row") != pl.col("row").min().over("product_id"))
    checks = {
        "product_id": pl.when(_blank("product_id")).then(pl.lit("missing value"))
        .when(duplicate).then(pl.lit("duplicate product_id (the first row is used)")),
        "hs": pl.when(_blank("hs")).then(pl.lit("missing value")).otherwise(pl.col("hs_problem")),
        "edition": pl.when(~pl.col("edition").is_in(EDITIONS)).then(pl.lit(f"accepted: {', '.join(EDITIONS)}")),
        "exporter": pl.when(_blank("exporter")).then(pl.lit("missing value")).otherwise(pl.col("exporter_problem")),
        "importer": pl.when(pl.col("importers").list.len().fill_null(0) == 0).then(pl.lit("missing value"))
        .when(pl.col("importers").list.contains(pl.col("exporter")).fill_null(False))
        .then(pl.lit("the importer is the exporter's country; a preference needs two countries"))
        .otherwise(pl.col("importer_problem")),
        "date": pl.when(pl.col("date_value").is_null()).then(pl.lit("not a date: write YYYY-MM-DD")),
        "facts": pl.col("facts_problem"),
    }
    # numbers: one compiled pass gives the units and a "surely fine" flag; the full check (which writes
    # the reason) runs on the other rows only
    numbers = (("fob", True, True), ("weight_kg", False, True), *((c, False, False) for c in COSTS))
    stripped = df.select(pl.col(col for col, _, _ in numbers).str.strip_chars())
    units_columns = []
    for col, required, positive in numbers:
        units, fine, blank = _compiled_numbers(stripped[col])
        if positive:
            fine &= units > 0
        if not required:
            fine |= blank
        units_columns.append(pl.Series(f"_units_{col}", units).set(pl.Series(blank), None))
        checks[col] = (pl.lit(pl.Series(fine)), _number_problem(col, required=required, positive=positive))
    df = df.with_columns(units_columns)
    rejects = _problems(df, file, checks)
    routes = _without(df, rejects).select("row", "exporter", "importers", "date_value")
    keys = routes.select("exporter", "importers", "date_value").unique()
    problems = keys.with_columns(reason=pl.Series([route_problem(e, tuple(i), d, agreements)
                                                   for e, i, d in keys.iter_rows()], dtype=pl.String))
    if problems["reason"].is_not_null().any():
        route_rejects = routes.join(problems, on=["exporter", "importers", "date_value"]) \
            .filter(pl.col("reason").is_not_null()) \
            .select(pl.lit(file).alias("file"), "row", pl.lit("date").alias("field"), "reason")
        rejects = pl.concat([rejects, route_rejects.cast(REJECT_SCHEMA)])
    # a valid row's numbers are plain decimals once stripped (what the full check accepts), so the
    # compiled units are theirs; the build-up costs count only when all four are given
    costs = [pl.col(f"_units_{c}") for c in COSTS]
    valid = _without(df, rejects).select(
        "row", "product_id", "hs6", "edition", "exporter", "importers", pl.col("date_value").alias("date"),
        pl.col("hs").alias("hs_text"), pl.col("_units_fob").alias("fob"), pl.col("_units_weight_kg").alias("weight"),
        pl.when(pl.all_horizontal(c.is_not_null() for c in costs)).then(pl.sum_horizontal(costs))
        .otherwise(None).alias("costs_total"), pl.col("facts_text").alias("facts"),
        pl.when(_blank("currency")).then(pl.lit(DEFAULT_CURRENCY))
        .otherwise(pl.col("currency").str.strip_chars().str.to_uppercase()).alias("currency"))
    return valid, rejects


def validate_lines(raw: pl.DataFrame, file: str, products: pl.DataFrame, known_ids: pl.Series | None = None
                   ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid BOM lines of ``products`` in the kernel's schema, rejects). ``known_ids``: every product id
    of the catalog (valid or not) — a line of a rejected product is dropped quietly."""
    df = _ensure(raw, BOM_COLUMNS).with_columns(
        pl.col("product_id", "hs", "origin", "originating", "kind", "material").str.strip_chars())
    product_currency = pl.col("currency") if "currency" in products.columns else pl.lit(None, pl.String)
    df = df.join(products.select("product_id", "edition", product_currency.alias("_product_currency"),
                                 pl.lit(True).alias("_known")), on="product_id", how="left")
    if known_ids is not None:
        catalog = pl.DataFrame({"product_id": known_ids.unique()}).with_columns(_in_catalog=pl.lit(True))
        df = df.join(catalog, on="product_id", how="left")
    else:
        df = df.with_columns(_in_catalog=pl.col("_known"))
    df = df.with_columns(
        origin=pl.when(_blank("origin") | (pl.col("origin").str.to_lowercase() == "unknown"))
        .then(pl.lit("unknown")).otherwise(pl.col("origin").str.to_uppercase()),
        kind=pl.when(_blank("kind")).then(pl.lit("material")).otherwise(pl.col("kind").str.to_lowercase()),
        _orig=pl.col("originating").str.to_lowercase().fill_null(""),
    )
    hs = hs_checks(df.filter(pl.col("_known").is_not_null() & ~_blank("hs")).select("hs", "edition").unique()) \
        .rename({"digits": "mhs"})
    df = df.join(hs, on=["hs", "edition"], how="left")
    origins = _lookup(df.filter(pl.col("origin") != "unknown")["origin"], country_problem)
    df = df.join(origins.rename({"key": "origin", "problem": "origin_problem"}), on="origin", how="left")
    listed = pl.col("originating").str.to_uppercase().str.split(";").list.eval(pl.element().str.strip_chars())
    is_bool = pl.col("_orig").is_in(["", "true", "false", "yes", "no", "1", "0"])
    df = df.with_columns(
        orig_all=pl.col("_orig").is_in(["true", "yes", "1"]),
        orig_list=pl.when(is_bool).then(None).otherwise(listed),
    )
    bad_list = ~is_bool & (listed.list.eval(~pl.element().str.contains(r"^[A-Z0-9-]+$")).list.any())
    checks = {
        "product_id": pl.when(_blank("product_id")).then(pl.lit("missing value"))
        .when(pl.col("_in_catalog").is_null()).then(pl.lit("product_id is not in the products file")),
        "hs": pl.col("hs_problem"),
        "origin": pl.col("origin_problem"),
        "originating": pl.when(bad_list).then(pl.lit(
            f"accepted: true, false or agreements separated by ';' such as {';'.join(MODELLED)}")),
        "value": _number_check("value", required=True),
        "weight_kg": _number_check("weight_kg", required=False),
        "kind": pl.when(~pl.col("kind").is_in(KINDS)).then(pl.lit(f"accepted: {', '.join(KINDS)}")),
        "regional_content_percent": _percent_check("regional_content_percent"),
        # as the request model refuses it (Request._consistent): values are in the product's currency
        "currency": pl.when(~_blank("currency") & pl.col("_known").is_not_null()
                            & (pl.col("currency").str.strip_chars().str.to_uppercase()
                               != pl.col("_product_currency").fill_null(DEFAULT_CURRENCY)))
        .then(pl.format("differs from the product's currency {} and no exchange rate is given; convert first",
                        pl.col("_product_currency").fill_null(DEFAULT_CURRENCY))),
        **{flag: _flag_problem(flag) for flag in FLAGS},
    }
    # lines of products rejected earlier are not checked again: the product is already rejected
    scope = df.filter(pl.col("_known").is_not_null() | pl.col("_in_catalog").is_null())
    rejects = _problems(scope, file, checks)
    valid = df.filter(pl.col("_known").is_not_null()).join(rejects.select("row").unique(), on="row", how="anti") \
        .select("row", "product_id", "mhs", "origin", "orig_all", "orig_list", _units("value").alias("value"),
                _units("weight_kg").alias("weight"), "kind", _units("regional_content_percent").alias("rcp"),
                _flag("invoiced_separately").alias("sep"), _flag("customary").alias("customary"))
    return kernel_lines(valid), rejects


def kernel_lines(valid: pl.DataFrame) -> pl.DataFrame:
    """Validated lines (text columns) in the kernel's schema (kernel.LINE_SCHEMA)."""
    from noodlebowl.batch import kernel

    c = pl.col
    origins = valid["origin"].unique().to_list()
    decl = pl.when(c("orig_all")).then(pl.lit(kernel.ALL_AGREEMENTS)).otherwise(pl.sum_horizontal(
        pl.when(c("orig_list").list.contains(pl.lit(a)).fill_null(False)).then(pl.lit(bit)).otherwise(pl.lit(0))
        for a, bit in kernel.AGREEMENT_BIT.items()))
    return valid.select(
        "row", "product_id",
        mcode=pl.when(c("mhs").str.len_bytes() == 6).then(c("mhs").cast(pl.Int64)),
        odd=c("mhs").is_not_null() & (c("mhs").str.len_bytes() != 6),
        mhs=pl.when(c("mhs").str.len_bytes() != 6).then(c("mhs")),
        # replace_strict with no keys (an empty chunk) keeps the input's dtype, whatever return_dtype says
        origin_id=c("origin").replace_strict(origins, [kernel.origin_id(o) for o in origins], return_dtype=pl.Int32)
        if origins else pl.lit(None, dtype=pl.Int32),
        decl=decl.cast(pl.Int8), value=c("value"), weight=c("weight"),
        kind=c("kind").replace_strict(kernel.KIND_CODE, return_dtype=pl.Int8),
        rcp=c("rcp"), sep=c("sep"), customary=c("customary"))


def product_level_rejects(products: pl.DataFrame, lines: pl.DataFrame, line_rejects: pl.DataFrame,
                          raw_lines: pl.DataFrame, products_file: str) -> pl.DataFrame:
    """Products whose BOM had rejected lines, or whose counted materials exceed FOB (as the engine refuses)."""
    import numpy as np

    from noodlebowl.batch.kernel import KIND_CODE

    frames = []
    if line_rejects.height:
        bad = line_rejects.join(raw_lines.select("row", "product_id"), on="row").group_by("product_id").agg(
            rows=pl.col("row").unique().sort().cast(pl.String).head(5).str.join(", "), n=pl.col("row").n_unique())
        frames.append(products.join(bad, on="product_id").select(
            pl.lit(products_file).alias("file"), "row", pl.lit("bom").alias("field"),
            pl.format("{} BOM line(s) rejected (BOM rows {}); the product is not evaluated", "n", "rows")
            .alias("reason")))
    counted = ~lines["kind"].is_in([KIND_CODE["indirect"], KIND_CODE["packing"]]).to_numpy()
    if "pidx" in lines.columns:          # the row of the line's product in ``products``: exact sums, compiled
        from noodlebowl.batch import compiled

        total = compiled.sum_by(lines["pidx"].to_numpy(), lines["value"].fill_null(0).to_numpy(), counted,
                                products.height)
        over = products[np.flatnonzero(total > products["fob"].fill_null(0).to_numpy())]
    else:
        sums = lines.filter(pl.Series(counted)).group_by("product_id").agg(counted=pl.col("value").sum())
        over = products.join(sums, on="product_id").filter(pl.col("counted") > pl.col("fob"))
    frames.append(over.select(
        pl.lit(products_file).alias("file"), "row", pl.lit("fob").alias("field"),
        pl.lit("the materials (other than packing and indirect materials) are worth more than the FOB value")
        .alias("reason")))
    return pl.concat([f.cast(REJECT_SCHEMA) for f in frames])


# --- the fast path: BOM lines as Arrow dictionary columns ------------------------------------

DICTIONARY_COLUMNS = ["product_id", "hs", "origin", "originating", "kind", *FLAGS]


def _dictionary(table, name: str) -> tuple:
    """(indices as numpy int64 with -1 for null, the distinct values) of a column, dictionary-encoded
    when the file did not store it so (a missing column is all null)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if name not in table.column_names:
        return np.full(table.num_rows, -1, dtype=np.int64), []
    col = table.column(name)
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col.cast(pa.string()))
    col = col.unify_dictionaries() if isinstance(col, pa.ChunkedArray) else col
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    if not chunks:
        return np.zeros(0, dtype=np.int64), []
    values = chunks[0].dictionary.cast(pa.string()).to_pylist()
    idx = np.concatenate([pc.fill_null(ch.indices.cast(pa.int64()), -1).to_numpy() for ch in chunks])
    return idx, values


def _arrow_decimal_units(text) -> tuple:
    """compiled.decimal_units over an Arrow text (chunked) array: (micro-units, fine, null, empty), chunk
    by chunk on the Arrow buffers themselves (no copy)."""
    import numpy as np
    import pyarrow as pa

    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    parts = [_chunk_decimal_units(chunk) for chunk in chunks if len(chunk)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, bool), np.zeros(0, bool)
    return tuple(np.concatenate(column) for column in zip(*parts))


def _chunk_decimal_units(text) -> tuple:
    import numpy as np
    import pyarrow as pa

    from noodlebowl.batch import compiled

    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        text = text.cast(pa.large_string())          # e.g. string views: offsets and bytes needed
    n = len(text)
    validity, offsets, data = text.buffers()
    valid = np.ones(n, bool) if validity is None or text.null_count == 0 else \
        np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")[text.offset:text.offset + n].view(bool)
    width = np.int32 if pa.types.is_string(text.type) else np.int64
    offsets = np.frombuffer(offsets, width)[text.offset:text.offset + n + 1]
    data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    units, fine = compiled.decimal_units(offsets, data, valid)
    return units, fine, ~valid, offsets[1:] == offsets[:-1]


def _compiled_numbers(text: pl.Series) -> tuple:
    """(micro-units, fine, blank) of a text column; null or empty is blank."""
    units, fine, null, empty = _arrow_decimal_units(text.cast(pl.String).to_arrow())
    return units, fine, null | empty


def _plain_numbers(table, name: str) -> tuple:
    """(micro-units, fine, null) of a BOM number column read as text (a typed column as the general path
    reads it): the fast path's format check and exact cast in one compiled pass."""
    import numpy as np
    import pyarrow as pa

    if name not in table.column_names:
        n = table.num_rows
        return np.zeros(n, np.int64), np.zeros(n, bool), np.ones(n, bool)
    column = table.column(name)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pl.from_arrow(column).cast(pl.String).to_arrow()
    units, fine, null, _ = _arrow_decimal_units(column)
    return units, fine, null


# What the slow path's expressions make of each distinct text of the origin, originating and kind
# columns, kept for the process: a catalog has a handful of each, and every chunk meets them again
_ORIGINS_SEEN: dict = {}
_DECLARATIONS_SEEN: dict = {}
_KINDS_SEEN: dict = {}
_FLAGS_SEEN: dict = {flag: {} for flag in FLAGS}


def _per_distinct(values: list, seen: dict, results) -> list:
    """``seen[v]`` for each value and for null (appended last, so that index -1 picks it), computed by
    ``results`` for the values not seen before."""
    wanted = values + [None]
    new = [v for v in dict.fromkeys(wanted) if v not in seen]
    if new:
        seen.update(zip(new, results(new)))
    return [seen[v] for v in wanted]


def _origin_results(values: list) -> list[tuple[int, bool]]:
    """(origin id, known) per origin text: blank or "unknown" is the unknown origin."""
    from noodlebowl.batch import kernel

    c = pl.col
    origin = pl.when(_blank("v") | (c("v").str.strip_chars().str.to_lowercase() == "unknown")) \
        .then(pl.lit("unknown")).otherwise(c("v").str.strip_chars().str.to_uppercase())
    names = pl.DataFrame({"v": values}, schema={"v": pl.String}).select(origin.alias("o"))["o"].to_list()
    return [(kernel.origin_id(o), o == "unknown" or country_problem(o) is None) for o in names]


def _declaration_results(values: list) -> list[tuple[int, bool]]:
    """(agreement bits, well formed) per originating text: true/false/yes/no/1/0 or a list of agreements."""
    from noodlebowl.batch import kernel

    c = pl.col
    low = c("v").str.strip_chars().str.to_lowercase().fill_null("")
    listed = c("v").str.strip_chars().str.to_uppercase().str.split(";").list.eval(pl.element().str.strip_chars())
    is_bool = low.is_in(["", "true", "false", "yes", "no", "1", "0"])
    decl = pl.when(low.is_in(["true", "yes", "1"])).then(pl.lit(kernel.ALL_AGREEMENTS)).when(is_bool).then(pl.lit(0)) \
        .otherwise(pl.sum_horizontal(pl.when(listed.list.contains(pl.lit(a))).then(pl.lit(bit)).otherwise(pl.lit(0))
                                     for a, bit in kernel.AGREEMENT_BIT.items()))
    bad = ~is_bool & listed.list.eval(~pl.element().str.contains(r"^[A-Z0-9-]+$")).list.any()
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String}).select(
        decl=decl.cast(pl.Int8), fine=~bad.fill_null(False))
    return list(frame.iter_rows())


def _kind_results(values: list) -> list[int]:
    """The kind code per kind text (blank: material; -1: not a kind)."""
    from noodlebowl.batch import kernel

    kind = pl.when(_blank("v")).then(pl.lit("material")).otherwise(pl.col("v").str.strip_chars().str.to_lowercase())
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(
        kind.replace_strict(kernel.KIND_CODE, default=-1, return_dtype=pl.Int8).alias("k"))["k"].to_list()


def _flag_results(flag: str):
    def results(values: list) -> list[tuple[bool, bool]]:
        """(value, well formed) per text of a yes/no column."""
        frame = pl.DataFrame({flag: values}, schema={flag: pl.String}).select(value=_flag(flag))
        return [(bool(v), v is not None) for v in frame["value"].to_list()]
    return results


def line_values(table) -> dict:
    """What a chunk's BOM lines (Arrow, from Parquet) say before the products are known: each column's
    distinct values through the same expressions as :func:`validate_lines` once, looked up by dictionary
    index; numbers parsed in one compiled pass. ``fine``: no problem found so far (the product id and HS
    code are checked by :func:`validate_lines_arrow`). Safe to run in a helper thread."""
    import numpy as np

    out = {"product": _dictionary(table, "product_id"), "hs": _dictionary(table, "hs")}
    ok = np.ones(table.num_rows, dtype=bool)
    # origin, originating, kind: the slow path's expressions per distinct value
    idx, values = _dictionary(table, "origin")
    origin_id, fine = (np.array(x) for x in zip(*_per_distinct(values, _ORIGINS_SEEN, _origin_results)))
    origin_id, ok = origin_id.astype(np.int32)[idx], ok & fine[idx]
    idx, values = _dictionary(table, "originating")
    decl, fine = (np.array(x) for x in zip(*_per_distinct(values, _DECLARATIONS_SEEN, _declaration_results)))
    decl, ok = decl.astype(np.int8)[idx], ok & fine[idx]
    idx, values = _dictionary(table, "kind")
    kind = np.array(_per_distinct(values, _KINDS_SEEN, _kind_results), np.int8)[idx]
    ok &= kind >= 0
    flags = {}
    for flag in FLAGS:
        idx, values = _dictionary(table, flag)
        value, fine = (np.array(x) for x in zip(*_per_distinct(values, _FLAGS_SEEN[flag], _flag_results(flag))))
        flags[flag], ok = value.astype(bool)[idx], ok & fine[idx]
    # a partial-cumulation content or a line currency is rare: such lines take the general path (validate_lines)
    ok &= _plain_numbers(table, "regional_content_percent")[2]
    if "currency" in table.column_names:
        ok &= table.column("currency").is_null().to_numpy(zero_copy_only=False)
    # numbers: format check and exact micro-units in one compiled pass
    value, value_fine, _ = _plain_numbers(table, "value")
    weight, weight_fine, weight_null = _plain_numbers(table, "weight_kg")
    ok &= value_fine & (weight_fine | weight_null)
    out |= {"origin_id": origin_id, "decl": decl, "kind": kind, "value": value, "weight": weight,
            "weight_null": weight_null, "sep": flags["invoiced_separately"], "customary": flags["customary"],
            "fine": ok}
    return out


def validate_lines_arrow(table, file: str, products: pl.DataFrame, known_ids: pl.Series | None,
                         rows, prepared: dict | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """:func:`validate_lines` for a chunk's BOM lines read from Parquet as Arrow (``rows``: their 1-based
    record numbers), with the lines' ``pidx`` (row in ``products``) instead of product_id.

    Every column but the numbers has few distinct values: each distinct value goes through the same
    expressions as :func:`validate_lines` once, and lines look their results up by dictionary index.
    Lines with any problem (or of a product not in ``products``) go through :func:`validate_lines`
    itself, which writes the rejects. ``prepared``: :func:`line_values` of the table, when already computed.
    Returns (valid lines, rejects, the raw text of the slow lines)."""
    import numpy as np

    from noodlebowl.batch import kernel

    c = pl.col
    n = table.num_rows
    prepared = line_values(table) if prepared is None else prepared
    ok = prepared["fine"].copy()
    # product: the row in ``products`` of the stripped id (-1: not a product of this chunk → slow path)
    idx, values = prepared["product"]
    ids = pl.DataFrame({"v": values + [None]}, schema={"v": pl.String}).select(product_id=c("v").str.strip_chars())
    prods = products.select("product_id", "edition").with_row_index("pidx")
    ids = ids.join(prods, on="product_id", how="left", maintain_order="left")      # product ids are unique
    pidx = ids["pidx"].fill_null(-1).cast(pl.Int64).to_numpy()[idx]
    ok &= pidx >= 0
    safe = np.where(pidx >= 0, pidx, 0)
    # hs: per (distinct text, edition of the product)
    idx, values = prepared["hs"]
    product_ed = prods["edition"].replace_strict(kernel.EDITION_INDEX, default=-1, return_dtype=pl.Int64) \
        .to_numpy() if prods.height else np.array([-1])
    line_ed = product_ed[safe]
    mcode = np.zeros(n, dtype=np.int64)
    mnull = np.ones(n, dtype=bool)
    odd = np.zeros(n, dtype=bool)
    mhs_text = np.full(len(values) + 1, None, dtype=object)
    texts = pl.DataFrame({"hs": values + [None]}, schema={"hs": pl.String}).with_columns(
        c("hs").str.strip_chars()).with_row_index("k")
    written = ~texts.select(_blank("hs"))["hs"].to_numpy()
    for edition in sorted(set(prods["edition"].to_list())):
        sel = line_ed == kernel.EDITION_INDEX[edition]
        if not sel.any():
            continue
        # per distinct text of this edition's lines: a blank code is fine (unknown), a code with a problem
        # goes to the slow path
        used = np.zeros(len(values) + 1, dtype=bool)
        used[idx[sel]] = True
        checked = hs_checks(texts[np.flatnonzero(used & written)].with_columns(edition=pl.lit(edition)))
        k = checked["k"].to_numpy()
        digits = checked["digits"]
        six = (digits.str.len_bytes() == 6).fill_null(False).to_numpy()
        code_of = np.zeros(len(values) + 1, dtype=np.int64)
        null_of = np.ones(len(values) + 1, dtype=bool)
        odd_of = np.zeros(len(values) + 1, dtype=bool)
        fine_of = np.ones(len(values) + 1, dtype=bool)
        fine_of[k] = (checked["hs_problem"].is_null() & digits.is_not_null()).to_numpy()
        code_of[k[six]] = digits.filter(pl.Series(six)).cast(pl.Int64).to_numpy()
        null_of[k[six]] = False
        short = fine_of[k] & ~six          # fewer than 6 digits: the engine's work (kernel.fallback)
        odd_of[k[short]] = True
        mhs_text[k[short]] = digits.filter(pl.Series(short)).to_list()
        mcode = np.where(sel, code_of[idx], mcode)
        mnull = np.where(sel, null_of[idx], mnull)
        odd = np.where(sel, odd_of[idx], odd)
        ok &= ~sel | fine_of[idx]
    # the lines without a problem, in the kernel's schema (LINE_SCHEMA with pidx for product_id)
    keep = slice(None) if ok.all() else np.flatnonzero(ok)
    fast = pl.DataFrame([
        pl.Series("mcode", mcode[keep], pl.Int64).set(pl.Series(mnull[keep]), None),
        pl.Series("odd", odd[keep], pl.Boolean),
        # the text of a short code, gathered per line from the distinct texts (null past the end)
        pl.Series("mhs", mhs_text.tolist(), pl.String).gather(np.where(odd, idx, len(values))[keep]),
        pl.Series("origin_id", prepared["origin_id"][keep], pl.Int32),
        pl.Series("decl", prepared["decl"][keep], pl.Int8),
        pl.Series("value", prepared["value"][keep], pl.Int64),
        pl.Series("weight", prepared["weight"][keep], pl.Int64).set(pl.Series(prepared["weight_null"][keep]), None),
        pl.Series("kind", prepared["kind"][keep], pl.Int8),
        pl.repeat(None, int(ok.sum()), dtype=pl.Int64, eager=True).alias("rcp"),
        pl.Series("sep", prepared["sep"][keep], pl.Boolean),
        pl.Series("customary", prepared["customary"][keep], pl.Boolean),
        pl.Series("pidx", pidx[keep], pl.Int64)])
    slow_rows = ~ok
    if not slow_rows.any():
        return fast, pl.DataFrame(schema=REJECT_SCHEMA), pl.DataFrame(schema={"row": pl.Int64, "product_id": pl.String})
    import pyarrow as pa

    raw = pl.from_arrow(table.filter(pa.array(slow_rows))).cast(pl.String).with_columns(
        row=pl.Series(np.asarray(rows)[slow_rows], dtype=pl.Int64))
    lines, rejects = validate_lines(raw, file, products, known_ids)
    lines = lines.join(prods.select("product_id", pl.col("pidx").cast(pl.Int64)), on="product_id")
    return pl.concat([fast, lines.select(fast.columns).cast(fast.schema)]), rejects, raw
