"""The shipment's own particulars in a proof-of-origin draft: exporter, producer, consignee, transport,
invoice, quantity and marks — what the engine cannot know and the trader types in.

Each form's boxes that take them are listed in ``BOXES`` (box numbers of the forms as drafted by
:mod:`noodlebowl.proof.draft`). A given particular replaces the box's first ``TO BE COMPLETED: …``
part, so what the draft already knows (the country after the exporter's address, the FOB value
where RVC is used) stays; a box with nothing left to complete becomes ``filled``.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field

from noodlebowl.proof.draft import TBC, DraftField, DraftForm, ProofDraft


class Shipment(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    exporter: str | None = Field(default=None, max_length=500, description="exporter's name and address")
    producer: str | None = Field(default=None, max_length=500, description="producer's name and address, "
                                                                         "or NOT AVAILABLE / CONFIDENTIAL")
    consignee: str | None = Field(default=None, max_length=500, description="importer's or consignee's name and address")
    transport: str | None = Field(default=None, max_length=500, description="departure date, vessel or flight, port of discharge")
    invoice_number: str | None = Field(default=None, max_length=100)
    invoice_date: dt.date | None = None
    quantity: str | None = Field(default=None, max_length=200, description="gross weight or other quantity, e.g. 1,200 kg")
    marks: str | None = Field(default=None, max_length=500, description="marks and numbers on packages")

    def particular(self, name: str) -> str | None:
        if name == "invoice":
            parts = [self.invoice_number, self.invoice_date.isoformat() if self.invoice_date else None]
            return ", ".join(p for p in parts if p) or None
        value = getattr(self, name)
        return value or None


# form → box → the particular it takes (forms drafted by proof/draft.py; boxes as printed on each form).
BOXES: dict[str, dict[str, str]] = {
    "rcep_certificate": {"1": "exporter", "2": "consignee", "3": "producer", "4": "transport", "7": "marks",
                         "12": "quantity", "13": "invoice"},
    "rcep_declaration": {"3B(a)": "exporter", "3B(b)": "producer", "3B(c)": "consignee", "3B(k)": "quantity"},
    "form_d": {"1": "exporter", "2": "consignee", "3": "transport", "6": "marks", "9": "quantity", "10": "invoice"},
    "atiga_origin_declaration": {"2(vi)": "quantity"},
    "form_e": {"1": "exporter", "2": "consignee", "3": "transport", "6": "marks", "9": "quantity", "10": "invoice"},
}
_TO_COMPLETE = re.compile(re.escape(TBC) + r"(?::[^;]*)?")


def _filled(fld: DraftField, text: str, name: str) -> DraftField:
    value = _TO_COMPLETE.sub(lambda _: text, fld.value, count=1)
    if value == fld.value:
        return fld
    status = "to_be_completed" if TBC in value else "filled"
    source = f"shipment.{name}" if not fld.source else f"{fld.source}, shipment.{name}"
    return fld.model_copy(update={"value": value, "status": status, "source": source})


def _form(form: DraftForm, shipment: Shipment) -> DraftForm:
    boxes = BOXES.get(form.form, {})
    fields = []
    for fld in form.fields:
        name = boxes.get(fld.box)
        text = shipment.particular(name) if name else None
        fields.append(_filled(fld, text, name) if text else fld)
    return form.model_copy(update={"fields": fields})


def fill(draft: ProofDraft, shipment: Shipment) -> ProofDraft:
    """The draft with the shipment's particulars in the boxes that take them."""
    return draft.model_copy(update={"forms": [_form(f, shipment) for f in draft.forms]})
