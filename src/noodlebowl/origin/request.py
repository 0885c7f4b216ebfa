"""The determination request: product, route, date, value and bill of materials.

The same model serves the library, the CLI (YAML/JSON files) and the HTTP API. Reading a
file turns every validation problem into an :class:`InvalidRequest` naming the file, the
field (with list index) and what would be accepted — never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from noodlebowl.errors import InvalidRequest
from noodlebowl.limits import (ACCEPTED_AMOUNT, Amount, CountryCode, CurrencyCode, PositiveAmount, ShipmentDate,
                               country_code, too_deep)

Money = Amount   # bounded (noodlebowl.limits): no NaN/Infinity, ≤ 12 digits before the point, ≤ 6 after

# A yes/no answer written as text, read the same in every path (request facts, catalog and upload columns)
YES_NO = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class MaterialKind(str, Enum):
    """How a bill-of-materials line is treated (RCEP Arts 3.8–3.10; ATIGA Arts 34–36)."""

    material = "material"
    retail_packaging = "retail_packaging"   # packaging for retail sale, classified with the good
    packing = "packing"                     # packing and containers for transport
    accessory = "accessory"                 # accessories, spare parts, tools delivered with the good
    indirect = "indirect"                   # fuel, tools, moulds… not physically incorporated


def read_facts(facts: dict) -> dict:
    """Facts are yes/no answers (text such as "yes" is read as true), except the product's code in a
    rule table's edition (psr.answer_key), which is a code, and the RCEP Art. 2.6 answers that are a
    Party, a subparagraph or a percentage (tariffs.origin_country.VALUE_FACTS). Raises ValueError naming
    the fact."""
    from noodlebowl.origin.psr import ANSWER_KEY_PREFIX
    from noodlebowl.tariffs.origin_country import VALUE_FACTS

    out = {}
    for key, value in facts.items():
        if isinstance(value, str) and not key.startswith(ANSWER_KEY_PREFIX) and key not in VALUE_FACTS:
            if value.strip().lower() not in YES_NO:
                raise ValueError(f"facts.{key} is {value!r}, not a yes/no answer; accepted: {', '.join(YES_NO)}")
            value = YES_NO[value.strip().lower()]
        out[key] = value
    return out


def facts_from_text(text: str) -> dict:
    """Facts written in one cell, ``key=value`` separated by ``;`` (a catalog's facts column), read
    as a request's facts are. Raises ValueError naming the problem."""
    facts = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{part.strip()!r} is not key=value (such as minimal_operations_only=no)")
        facts[key.strip()] = value.strip()
    return read_facts(facts)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Product(_Strict):
    hs: str = Field(description="HS code of the finished good: 6 digits (dots allowed) or a national 8/9-digit line")
    edition: Literal["HS2012", "HS2017", "HS2022"] = "HS2022"
    description: str | None = None
    fob: Money = Field(description="FOB value of the good")
    currency: CurrencyCode = "USD"
    weight_kg: PositiveAmount | None = None

    @field_validator("fob")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be a positive amount")
        return v


class Costs(_Strict):
    """Cost items of the build-up (direct) RVC formula; all in the product's currency."""

    direct_labour: Money | None = None
    direct_overhead: Money | None = None
    profit: Money | None = None
    other: Money | None = None

    @model_validator(mode="after")
    def _non_negative(self) -> "Costs":
        for name in ("direct_labour", "direct_overhead", "profit", "other"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
        return self

    @property
    def complete(self) -> bool:
        return None not in (self.direct_labour, self.direct_overhead, self.profit, self.other)

    def total(self) -> Decimal:
        return sum((v or Decimal(0) for v in (self.direct_labour, self.direct_overhead, self.profit, self.other)),
                   Decimal(0))


class Material(_Strict):
    name: str
    hs: str | None = Field(default=None, description="HS code of the material, same edition as the product")
    origin: str = Field(default="unknown", description="ISO 3166 alpha-2 country of origin, or 'unknown'")
    originating: bool | list[str] | None = Field(
        default=False,
        description="true: proven originating (supplier's declaration or certificate) under every agreement "
                    "its origin country is party to; a list: only under those agreements; false/null: non-originating")
    value: Money = Field(description="CIF value, or the earliest ascertainable price paid in the producing country")
    weight_kg: Amount | None = Field(default=None, ge=0)
    kind: MaterialKind = MaterialKind.material
    currency: CurrencyCode | None = None
    invoiced_separately: bool = False     # accessories: separately invoiced ones are goods of their own
    customary: bool = True                # accessories: customary in quantity and value
    regional_content_percent: Amount | None = Field(
        default=None, ge=0, le=100,
        description="ATIGA partial cumulation (Art. 30(2)): the material's ASEAN value content, when 20–40 %")

    @field_validator("value")
    @classmethod
    def _non_negative(cls, v: Decimal) -> Decimal:
        if v < 0:
            raise ValueError("must not be negative")
        return v

    @field_validator("origin")
    @classmethod
    def _upper(cls, v: str) -> str:
        return country_code(v) if v.lower() != "unknown" else "unknown"

    @field_validator("originating")
    @classmethod
    def _agreements_upper(cls, v):
        return [a.upper() for a in v] if isinstance(v, list) else v

    def originating_under(self, agreement: str) -> bool:
        if isinstance(self.originating, list):
            return agreement in self.originating
        return bool(self.originating)


# One schema for a bill-of-materials line — the YAML request, the web upload and the catalog's BOM file
# all read these columns (a catalog names the line's ``name`` column ``material``); a column outside
# them is reported, never silently dropped.
BOM_LINE_FIELDS = tuple(Material.model_fields)


class Request(_Strict):
    exporter: CountryCode = Field(description="country of final production (ISO alpha-2)")
    importer: CountryCode
    date: ShipmentDate = Field(default_factory=dt.date.today)
    agreements: list[str] | None = None
    product: Product
    costs: Costs = Costs()
    materials: list[Material] = []
    facts: dict[str, bool | str] = {}
    customs_value: PositiveAmount | None = None
    quantity: PositiveAmount | None = None
    unit: str | None = None

    @field_validator("exporter", "importer")
    @classmethod
    def _country_upper(cls, v: str) -> str:
        return v.upper()

    @field_validator("agreements")
    @classmethod
    def _agreements_upper(cls, v):
        return [a.upper() for a in v] if v else v

    @field_validator("facts")
    @classmethod
    def _yes_no_facts(cls, v: dict) -> dict:
        return read_facts(v)

    @model_validator(mode="after")
    def _consistent(self) -> "Request":
        for i, m in enumerate(self.materials):
            if m.currency and m.currency.upper() != self.product.currency.upper():
                raise ValueError(f"materials[{i}].currency {m.currency} differs from product.currency "
                                 f"{self.product.currency} and no exchange rate is given; convert first")
        counted = sum((m.value for m in self.materials
                       if m.kind not in (MaterialKind.indirect, MaterialKind.packing)), Decimal(0))
        if counted > self.product.fob:
            raise ValueError(f"materials are worth {counted}, more than the FOB value {self.product.fob}")
        return self


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_request(data: Any, *, source: str = "request") -> Request:
    """Validate a request from plain data; errors name the source and field."""
    if not isinstance(data, dict):
        raise InvalidRequest("the request must be a mapping with exporter, importer, product …",
                             where=source, accepted="a YAML/JSON object")
    try:
        return Request.model_validate(data)
    except ValidationError as exc:
        err, *others = exc.errors()
        field = _location(err["loc"]) or "request"
        # every problem is named, so that one correction round fixes the whole file
        more = "".join(f"; also field {_location(o['loc']) or 'request'}: {o['msg']}" for o in others[:9])
        if len(others) > 9:
            more += f"; and {len(others) - 9} more problem(s)"
        raise InvalidRequest(f"{err['msg']}{more}", where=f"{source}: field {field}",
                             accepted=_accepted_hint(err)) from None


def _accepted_hint(err: dict) -> str | None:
    kind = err.get("type", "")
    if kind.startswith("decimal") or kind in {"greater_than", "greater_than_equal", "finite_number"}:
        return ACCEPTED_AMOUNT
    if kind == "extra_forbidden":
        return "only the documented fields (see the JSON Schema: noodlebowl schema request)"
    if kind == "missing":
        return "this field is required"
    if kind == "literal_error":
        return err.get("ctx", {}).get("expected")
    return None


def _yaml_loader():
    """A safe YAML loader that reads decimals exactly (``30.10`` → Decimal, not float)."""
    import yaml

    class DecimalLoader(yaml.SafeLoader):
        pass

    def construct(loader, node):
        text = loader.construct_scalar(node).replace("_", "")
        try:
            return Decimal(text)
        except ArithmeticError:  # .inf / .nan: left to validation, which rejects them by field
            return float(loader.construct_yaml_float(node))

    DecimalLoader.add_constructor("tag:yaml.org,2002:float", construct)
    return DecimalLoader


def load_request(path: str | Path) -> Request:
    """Read a request from a YAML or JSON file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidRequest(f"cannot read the file ({exc.strerror})", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the file is not UTF-8 text (byte {exc.start} cannot be read)", where=str(path),
                             accepted="a YAML or JSON file saved as UTF-8") from None
    if "\x00" in text:
        raise InvalidRequest("the file contains NUL characters (UTF-16 or binary data)", where=str(path),
                             accepted="a YAML or JSON file saved as UTF-8") from None
    if not text.strip():
        raise InvalidRequest("the file is empty", where=str(path), accepted="a YAML or JSON request")
    deep = too_deep(text)
    if deep:
        raise InvalidRequest(f"the file is {deep}", where=str(path),
                             accepted="a request as documented (noodlebowl schema request)")
    try:
        data = (json.loads(text, parse_float=Decimal) if path.suffix.lower() == ".json"
                else yaml.load(text, Loader=_yaml_loader()))
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"JSON syntax error: {exc.msg}", where=f"{path}: line {exc.lineno}, column {exc.colno}",
                             accepted="valid JSON") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}: line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        raise InvalidRequest(f"YAML syntax error: {getattr(exc, 'problem', None) or exc}", where=where,
                             accepted="valid YAML") from None
    except RecursionError:
        raise InvalidRequest("the file is nested too deeply to read", where=str(path),
                             accepted="a request as documented (noodlebowl schema request)") from None
    except ValueError as exc:   # Python refuses integers of more than 4300 digits
        what = "a number has thousands of digits" if "digits" in str(exc) else str(exc)
        raise InvalidRequest(f"the file cannot be read: {what}", where=str(path), accepted=ACCEPTED_AMOUNT) from None
    return parse_request(data, source=str(path))
