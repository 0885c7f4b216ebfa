"""A draft of the proof of origin: the boxes of the agreement's form filled from the request and
the determination, with what the trader must still fill marked ``TO BE COMPLETED``.

A draft is never a proof of origin: a certificate is issued by the issuing authority of the
exporting country, a declaration is made out and signed by the (approved/certified) exporter.
Forms: RCEP certificate boxes 1-17 (rcep_form_fields.json) and the Annex 3B declaration data;
ATIGA Form D (Annex 7) and the AWSC Origin Declaration (Annex 8 Attachment 1); ACFTA Form E
boxes 1-13 (acfta_form_e_fields.json).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from noodlebowl.errors import NoodlebowlError
from noodlebowl.origin.answer import Determination, Outcome
from noodlebowl.origin.request import Request

TBC = "TO BE COMPLETED"
DRAFT_MARKING = ("DRAFT — not valid as a proof of origin; to be issued by the competent authority / "
                 "signed by the exporter")

FieldStatus = Literal["filled", "to_be_completed", "official_use", "optional", "not_applicable"]


class ProofRefused(NoodlebowlError):
    """No draft: the product is not (or not yet shown to be) originating under the agreement."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class DraftField(_Model):
    box: str                       # "1" … "17", "header", "3B(a)" …
    label: str
    value: str
    status: FieldStatus
    source: str | None = None      # where the value came from (request field, determination, data)
    note: str | None = None


class DraftForm(_Model):
    form: str                      # rcep_certificate | rcep_declaration | form_d | atiga_origin_declaration | form_e
    title: str
    issued_by: str
    fields: list[DraftField]
    notes: list[str] = []
    references: list[str] = []


class ProofDraft(_Model):
    marking: str
    agreement: str
    exporter: str
    importer: str
    date: str
    product: str
    hs: str
    criterion: str | None
    form_code: str
    rvc_used: bool
    forms: list[DraftForm]
    articles: list[str]            # everything relied on: proof rules and the determination's checks
    caveats: list[str]
    data_version: str

    def field(self, form: str, box: str) -> DraftField:
        """The field of one form by its box label (``draft.field("rcep_certificate", "10")``)."""
        for f in self.forms:
            if f.form == form:
                for fld in f.fields:
                    if fld.box == box:
                        return fld
        raise KeyError(f"{form} box {box}")


# --- checks ---------------------------------------------------------------------------------

def _refuse_unless_qualifies(determination: Determination, agreement: str) -> None:
    if determination.agreement.upper() != agreement:
        raise ProofRefused(f"the determination is for {determination.agreement}, not {agreement}",
                           where="agreement", accepted=determination.agreement)
    if determination.outcome is Outcome.does_not_qualify:
        raise ProofRefused(
            f"no proof-of-origin draft under {agreement}: the product is not originating under {agreement} "
            f"({determination.summary.rstrip('.')}); see `noodlebowl qualify` for the full reasoning",
            where=agreement)
    if determination.outcome is Outcome.undetermined:
        questions = [f"{q.key}: {q.question}" for q in determination.needed]
        if questions:
            raise ProofRefused(
                f"no proof-of-origin draft under {agreement}: origin is undetermined until these questions are "
                f"answered — {'; '.join(questions)}", where=agreement,
                accepted="answer them in the request's `facts` (see `noodlebowl qualify`)")
        raise ProofRefused(
            f"no proof-of-origin draft under {agreement}: origin is undetermined "
            f"({determination.summary.rstrip('.')}); no question in the request can settle it",
            where=agreement, accepted="see `noodlebowl qualify` for the open points")
    if not determination.form_code:
        raise ProofRefused(f"the {agreement} determination gives no code for the origin-criterion box",
                           where=agreement)


# --- helpers --------------------------------------------------------------------------------

def _country_name(iso2: str) -> str:
    from noodlebowl.countries import country

    try:
        return country(iso2).name
    except NoodlebowlError:
        return iso2


def _hs6(request: Request) -> tuple[str, str | None]:
    """(6-digit dotted code, national line given or None)."""
    from noodlebowl.hs.codes import dotted, parse_code

    parsed = parse_code(request.product.hs)
    if parsed.hs6 is None:
        raise ProofRefused(f"the product code {request.product.hs!r} is not at 6-digit level or below",
                           where="request: field product.hs", accepted="a 6-digit HS subheading or national line")
    return dotted(parsed.hs6), parsed.national


def _rvc_used(determination: Determination) -> bool:
    text = f"{determination.criterion or ''} {determination.form_code or ''}"
    return "RVC" in text.upper() or "%" in text


def _quantity(request: Request) -> str | None:
    """Quantity for the form, or None (→ TO BE COMPLETED) when the request gives no quantity."""
    if request.quantity is None:
        return None
    text = f"{request.quantity} {request.unit or 'units'}"
    if request.product.weight_kg is not None:
        text += f" ({request.product.weight_kg} kg each; gross weight of the consignment: {TBC})"
    return text


def _fob(request: Request) -> str:
    return f"FOB {request.product.fob} {request.product.currency.upper()}"


def _f(box: str, label: str, value: str | None, status: FieldStatus | None = None, source: str | None = None,
       note: str | None = None) -> DraftField:
    if value is None:
        return DraftField(box=box, label=label, value=TBC, status="to_be_completed", source=source, note=note)
    return DraftField(box=box, label=label, value=value, status=status or "filled", source=source, note=note)


def _tbc(box: str, label: str, what: str, note: str | None = None) -> DraftField:
    return DraftField(box=box, label=label, value=f"{TBC}: {what}", status="to_be_completed", note=note)


def _tick(on: bool) -> str:
    return "[X]" if on else "[ ]"


# --- RCEP -----------------------------------------------------------------------------------

def _rcep_origin(request: Request, d: Determination, told: str | None) -> tuple[str | None, str]:
    """Box 11 / 3B(i): the RCEP country of origin by Art. 2.6 (the same function `compare` reads the
    tariff column with), or what is missing to settle it."""
    from noodlebowl.tariffs.origin_country import country_of_origin_for

    if told:
        return _country_name(told.upper()), "as given to the draft"
    found = country_of_origin_for(request, d)
    if found.rcep_country_of_origin:
        return _country_name(found.rcep_country_of_origin), f"{found.article}: {found.reason}"
    return None, "Art. 2.6 not settled — " + "; ".join(q.question for q in found.needed)


def _rcep(request: Request, d: Determination, hs6: str, origin: tuple[str | None, str]) -> list[DraftForm]:
    exp, imp = _country_name(request.exporter), _country_name(request.importer)
    desc = request.product.description
    rvc = _rvc_used(d)
    qty = _quantity(request)
    edition_note = ("the HS code of the transposed PSR adopted by the Joint Committee (Art. 3.34) — HS2022 since "
                    "2023-01-01; the request's code is " + request.product.edition
                    if request.product.edition != "HS2022" else None)
    origin_country, how = origin
    origin_note = (f"Art. 2.6 and overleaf note 8; {how}; set `facts.rcep_country_of_origin` to override")
    cert = [
        _f("header", "Certificate No.", "(given by the issuing body)", "official_use", note="Annex 3B(e)"),
        _f("header", "Issued in", exp, source="request.exporter"),
        _tbc("1", "Goods consigned from (exporter's name, address and country)", f"exporter's name and address; {exp}",
             "Annex 3B(a)"),
        _tbc("2", "Goods consigned to (importer's/consignee's name, address, country)",
             f"importer's or consignee's name and address; {imp}", "Annex 3B(c)"),
        _tbc("3", "Producer's name, address and country (if known)",
             "producer's name and address, or 'NOT AVAILABLE' / 'CONFIDENTIAL' (overleaf note 3)", "Annex 3B(b)"),
        _tbc("4", "Means of transport and route (if known)", "departure date; vessel name / flight number; port of discharge",
             "Annex 3B(j)"),
        _f("5", "For official use (importing customs)", "(customs authority of the importing country)", "official_use"),
        _f("6", "Item number", "1"),
        _tbc("7", "Marks and numbers on packages", "marks and numbers"),
        _f("8", "Number and kind of packages; description of goods",
           f"{desc or TBC + ': description'}; number and kind of packages: {TBC}",
           "filled" if desc else "to_be_completed", source="request.product.description", note="Annex 3B(d)"),
        _f("9", "HS code of the goods (6-digit level)", hs6, source="request.product.hs",
           note="Annex 3B(d)" + (f"; {edition_note}" if edition_note else "")),
        _f("10", "Origin conferring criterion", d.form_code, source="determination.form_code",
           note="Annex 3B(f); codes WO, PE, CTC, RVC, CR, ACU, DMI (rcep_form_fields.json)"),
        _f("11", "RCEP country of origin", origin_country, source="RCEP Art. 2.6 (tariffs/origin_country.py)",
           note="Annex 3B(i); " + origin_note),
        _f("12", "Quantity (gross weight or other measurement), and value (FOB) where RVC is applied",
           "; ".join(x for x in [qty or f"{TBC}: quantity", _fob(request) if rvc else None] if x),
           "filled" if qty else "to_be_completed", source="request.quantity, request.product.fob",
           note="Annex 3B(k), (l); FOB only when RVC is applied (overleaf note 9)"),
        _tbc("13", "Invoice number(s) and date of invoice(s)", "invoice number(s) and date(s)", "Annex 3B(j)"),
        _f("14", "Remarks", "(only when necessary: third-party invoicing company, back-to-back details, "
           "CERTIFIED TRUE COPY)", "optional"),
        _f("15", "Declaration by the exporter or producer",
           f"goods exported to: {imp}; place and date, signature of authorised signatory: {TBC}",
           "to_be_completed", source="request.importer", note="Annex 3B(g)"),
        _f("16", "Certification by the issuing body", "(place, date, signature and seal of the issuing body)",
           "official_use", note="Annex 3B(h); Art. 3.17(3)(d)"),
        _f("17", "Back-to-back / Third-party invoicing / ISSUED RETROACTIVELY",
           f"{_tick(False)} Back-to-back CO  {_tick(False)} Third-party invoicing  {_tick(False)} ISSUED RETROACTIVELY"
           f" — {TBC}: tick where applicable", "to_be_completed", note="Arts 3.17(8), 3.19, 3.20"),
    ]
    decl = [
        _tbc("3B(a)", "Exporter's name and address", f"exporter's name and address; {exp}"),
        _tbc("3B(b)", "Producer's name and address, if known", "producer's name and address, if known"),
        _tbc("3B(c)", "Importer's or consignee's name and address", f"importer's or consignee's name and address; {imp}"),
        _f("3B(d)", "Description of the goods and HS code (six-digit level)",
           f"{desc or TBC + ': description'}; HS {hs6}", "filled" if desc else "to_be_completed",
           source="request.product"),
        _tbc("3B(e)", "Approved exporter: authorisation code (or identification code of the exporter or producer)",
             "authorisation / identification code"),
        _tbc("3B(f)", "Unique reference number", "unique reference number"),
        _f("3B(g)", "Origin conferring criterion", d.form_code, source="determination.form_code"),
        _tbc("3B(h)", "Certification by an authorised signatory that the goods meet Chapter 3",
             "name and signature of the certifying person and the date (Art. 3.18(2)(c), (d))"),
        _f("3B(i)", "RCEP country of origin (Art. 2.6)", origin_country,
           source="RCEP Art. 2.6 (tariffs/origin_country.py)", note=how),
        _f("3B(j)", "FOB value, if the RVC criterion is used", _fob(request) if rvc else "not applicable (RVC not used)",
           "filled" if rvc else "not_applicable", source="request.product.fob"),
        _f("3B(k)", "Quantity of the goods", qty, source="request.quantity"),
        _f("3B(l)", "Back-to-back: original proof reference, date, first RCEP country of origin, code",
           "not applicable unless back-to-back", "not_applicable"),
    ]
    refs = ["RCEP Art. 3.16", "RCEP Art. 3.17", "RCEP Annex 3B", "RCEP certificate format (VN Circular 32/2022 Annex II)"]
    return [
        DraftForm(form="rcep_certificate", title="RCEP Certificate of Origin (Form RCEP)",
                  issued_by="to be issued by the issuing body of the exporting Party (Art. 3.17)", fields=cert,
                  references=refs),
        DraftForm(form="rcep_declaration", title="RCEP Declaration of Origin (Annex 3B minimum information)",
                  issued_by="to be completed and signed by the approved exporter, or by the exporter or producer "
                            "where the importing Party has implemented it (Arts 3.16(1)(b)-(c), 3.18)",
                  fields=decl, references=["RCEP Art. 3.18", "RCEP Art. 3.21", "RCEP Annex 3B"],
                  notes=["English language, name and signature of the certifying person, date (Art. 3.18(2))"]),
    ]


# --- ATIGA ----------------------------------------------------------------------------------

def _ahtn(request: Request, hs6: str, national: str | None) -> tuple[str, FieldStatus, str]:
    """The AHTN line for Form D box 7 (overleaf note 6: AHTN code of the importing Member State)."""
    from noodlebowl.hs.codes import dotted
    from noodlebowl.hs.nomenclature import ahtn_codes_under, ahtn_row

    src = ("AHTN 2022 as published in Viet Nam's tariff (the ASEAN common nomenclature); confirm it is the "
           f"line in {request.importer}'s national tariff")
    if request.product.edition != "HS2022":
        return (f"HS {hs6} ({request.product.edition}); {TBC}: AHTN 2022 code of the importing Member State",
                "to_be_completed", "AHTN 2022 is based on HS2022; the request's code is " + request.product.edition)
    if national and len(national) == 8 and ahtn_row(national):
        return f"AHTN {dotted(national)}", "filled", src
    lines = ahtn_codes_under(hs6.replace(".", ""))
    if len(lines) == 1:
        return f"AHTN {dotted(lines[0])}", "filled", src + " (the only AHTN line under the subheading)"
    if lines:
        return (f"HS {hs6}; {TBC}: AHTN code of the importing Member State (one of "
                + ", ".join(dotted(c) for c in lines[:8]) + (" …" if len(lines) > 8 else "") + ")",
                "to_be_completed", src)
    return f"HS {hs6}; {TBC}: AHTN code of the importing Member State", "to_be_completed", "no AHTN line found"


def _atiga(request: Request, d: Determination, hs6: str, national: str | None) -> list[DraftForm]:
    from noodlebowl.proof.requirements import agreement_requirements

    exp, imp = _country_name(request.exporter), _country_name(request.importer)
    desc = request.product.description
    spec = agreement_requirements("ATIGA")
    fob_members = spec.fob_on_proof.members if spec.fob_on_proof else []
    rvc = _rvc_used(d)
    fob_required = rvc and (request.exporter in fob_members or request.importer in fob_members)
    fob_note = ("overleaf note 10 / Annex 8 Rule 25: FOB only where RVC is applied and for goods exported from "
                "or imported by " + ", ".join(fob_members))
    code, code_status, code_note = _ahtn(request, hs6, national)
    qty = _quantity(request)
    checks = {c.check for c in d.checks if c.result is Outcome.qualifies}
    dm = bool(d.de_minimis and d.de_minimis.used)
    pc = (d.form_code or "").upper().startswith("PC")
    acc = "cumulation" in checks and not pc
    box9 = "; ".join(x for x in [qty or f"{TBC}: gross weight or other quantity",
                                  _fob(request) if fob_required else None] if x)
    form_d = [
        _f("header", "Reference No.", "(given by the Issuing Authority)", "official_use"),
        _f("header", "Issued in", exp, source="request.exporter"),
        _tbc("1", "Goods consigned from (exporter's business name, address, country)",
             f"exporter's business name and address; {exp}"),
        _tbc("2", "Goods consigned to (consignee's name, address, country)",
             f"consignee's name and address; {imp} (exhibitions: name and address of the exhibition)"),
        _tbc("3", "Means of transport and route (as far as known)", "departure date; vessel's name / aircraft; port of discharge"),
        _f("4", "For official use", "(customs authority of the importing country)", "official_use"),
        _f("5", "Item number", "1"),
        _tbc("6", "Marks and numbers on packages", "marks and numbers"),
        _f("7", "Number and type of packages, description of goods (incl. quantity), HS number of the importing country",
           f"{desc or TBC + ': description'}; name of manufacturer and trade mark: {TBC}; number and type of "
           f"packages: {TBC}; {code}", "to_be_completed", source="request.product",
           note=f"overleaf notes 5-6: {code_note}"),
        _f("8", "Origin criterion", d.form_code, source="determination.form_code",
           note="overleaf note 3: WO, the RVC percentage ('40%'), the CTC rule ('CTH'), 'SP', combinations, 'PC x%'"),
        _f("9", "Gross weight or other quantity and FOB price where RVC is applied", box9,
           "filled" if qty else "to_be_completed", source="request.quantity, request.product.fob",
           note=fob_note + (" — FOB required on this route" if fob_required else " — not required on this route")),
        _tbc("10", "Number and date of invoices", "invoice number and date"),
        _f("11", "Declaration by the exporter",
           f"goods produced in {exp}; exported to {imp}; place and date, signature of authorised signatory: {TBC}",
           "to_be_completed", source="request.exporter, request.importer"),
        _f("12", "Certification", "(place, date, signature and stamp of the certifying authority)", "official_use"),
        _f("13", "Tick boxes",
           f"{_tick(False)} Third Country Invoicing  {_tick(False)} Exhibition  {_tick(acc)} Accumulation  "
           f"{_tick(dm)} De Minimis  {_tick(False)} Back-to-Back CO  {_tick(False)} Issued Retroactively  "
           f"{_tick(pc)} Partial Cumulation — {TBC}: the others where applicable", "to_be_completed",
           source="determination (de minimis used, cumulation, PC code)",
           note="overleaf notes 11-17"),
    ]
    od = [
        _tbc("1", "Certified Exporter authorisation code", "CE authorisation code (e.g. 0000/XXXX)"),
        _f("2(i)", "Name of the product", desc, source="request.product.description"),
        _f("2(ii)", "HS in six digit or AHTN code", hs6, source="request.product.hs",
           note="must match the code registered in the AWSC database (Guidebook FAQ 17)"),
        _f("2(iii)", "Origin conferring criterion", d.form_code, source="determination.form_code"),
        _f("2(iv)", "ASEAN country of origin", exp, source="request.exporter"),
        _f("2(v)", "FOB value when the RVC criterion is used",
           _fob(request) if fob_required else "not applicable" + (" on this route (Rule 25)" if rvc else " (RVC not used)"),
           "filled" if fob_required else "not_applicable", source="request.product.fob", note=fob_note),
        _f("2(vi)", "Quantity of goods", qty, source="request.quantity"),
        _tbc("2(vii)", "Trademark, if applicable", "trademark, if any"),
        _f("2(viii)", "Back-to-back: original proof reference, date, first country of origin, CE code",
           "not applicable unless back-to-back", "not_applicable"),
        _f("3", "Declaration",
           f"The exporter of the product(s) covered by this document (Certified Exporter Authorisation code: {TBC}) "
           f"declares that, except where otherwise clearly indicated, the product(s) satisfy the Rules of Origin to "
           f"be considered as originating goods under ATIGA (ASEAN country of origin: {exp}).", "to_be_completed",
           note="AWSC indicative format"),
        _tbc("3(ii)", "Authorised signature over printed/stamped name of the signatory",
             "manually executed signature and name (Rule 12B(4)); document date = issue date (Rule 12B(5))"),
    ]
    return [
        DraftForm(form="form_d", title="ATIGA Certificate of Origin Form D (Annex 7) / e-Form D",
                  issued_by="to be issued by the Issuing Authority of the exporting Member State (Annex 8 Rules 5-10; "
                            "e-Form D through the ASEAN Single Window)", fields=form_d,
                  references=["ATIGA Annex 7 (Form D and overleaf notes)", "ATIGA Annex 8 Rules 7-10, 25"]),
        DraftForm(form="atiga_origin_declaration", title="ATIGA Origin Declaration (AWSC, Certified Exporter)",
                  issued_by="to be made out and signed by a Certified Exporter on the commercial invoice (Annex 8 "
                            "Rules 12A-12B)", fields=od,
                  references=["ATIGA Annex 8 Rule 12B and Attachment 1", "AWSC origin declaration indicative format"]),
    ]


# --- ACFTA ----------------------------------------------------------------------------------

def _acfta(request: Request, d: Determination, hs6: str) -> list[DraftForm]:
    exp, imp = _country_name(request.exporter), _country_name(request.importer)
    desc = request.product.description
    rvc = _rvc_used(d)
    qty = _quantity(request)
    box9 = "; ".join(x for x in [qty or f"{TBC}: gross weight, net weight or other quantity",
                                  _fob(request) if rvc else None] if x)
    fields = [
        _f("header", "Reference No.", "(given by the issuing authority)", "official_use"),
        _f("header", "Issued in", exp, source="request.exporter"),
        _tbc("1", "Products consigned from (exporter's business name, address, country)",
             f"exporter's business name and address; {exp}"),
        _tbc("2", "Products consigned to (consignee's name, address, country)",
             f"consignee's name and address; {imp} (exhibitions: name and address of the exhibition)"),
        _tbc("3", "Means of transport and route (as far as known)", "departure date; vessel's name / aircraft; port of discharge"),
        _f("4", "For official use", "(importing Party)", "official_use"),
        _f("5", "Item number", "1"),
        _tbc("6", "Marks and numbers on packages", "marks and numbers"),
        _f("7", "Number and type of packages, description of products (incl. quantity) and HS number (six digit)",
           f"{desc or TBC + ': description'}; number and type of packages: {TBC}; HS {hs6}", "to_be_completed",
           source="request.product",
           note=f"overleaf note 6: six-digit HS of the importing Party ({request.product.edition} code given)"),
        _f("8", "Origin criteria", d.form_code, source="determination.form_code",
           note="overleaf note 3: WO, PE, the RVC percentage ('40%'), CTH, PSR"),
        _f("9", "Gross weight or net weight or other quantity, and value (FOB) only when RVC is applied", box9,
           "filled" if qty else "to_be_completed", source="request.quantity, request.product.fob"),
        _tbc("10", "Number, date of invoices", "invoice number and date"),
        _f("11", "Declaration by the exporter",
           f"products produced in {exp}; exported to {imp}; place and date, signature of authorised signatory: {TBC}",
           "to_be_completed", source="request.exporter, request.importer"),
        _f("12", "Certification", "(place, date, signature and stamp of the certifying authority)", "official_use"),
        _f("13", "Tick boxes",
           f"{_tick(False)} Issued Retroactively  {_tick(False)} Exhibition  {_tick(False)} Movement Certificate  "
           f"{_tick(False)} Third Party Invoicing — {TBC}: tick where applicable", "to_be_completed",
           note="overleaf notes 9-12"),
    ]
    return [DraftForm(form="form_e", title="ACFTA Certificate of Origin Form E",
                      issued_by="to be issued by the issuing authority of the exporting Party on the exporter's "
                                "declaration (box 11-12)", fields=fields,
                      references=["ACFTA Form E and overleaf notes (VN Circular 12/2019/TT-BCT Annexes II-III)"])]


def _by_content(request: Request, d: Determination, hs6: str, spec) -> list[DraftForm]:
    """A certificate whose box layout is not in the data (Form AJ, AK, AHK, the AANZFTA certificate): the
    fields the determination and the request fill, by content, with the form's rules from
    ``requirements.yaml`` — never box numbers the data does not give."""
    exp, imp = _country_name(request.exporter), _country_name(request.importer)
    cert = next((p for p in spec.proof_types if p.status == "available"), spec.proof_types[0])
    rvc = _rvc_used(d)
    fields = [
        _tbc("—", "Exporter (name, address, country)", f"exporter's business name and address; {exp}"),
        _tbc("—", "Consignee (name, address, country)", f"consignee's name and address; {imp}"),
        _tbc("—", "Means of transport and route", "departure date; vessel / aircraft; port of discharge"),
        _f("—", "Description of goods and HS code", f"{request.product.description or TBC + ': description'}; "
           f"HS {hs6}", "to_be_completed", source="request.product"),
        _f("—", "Origin criterion", d.form_code or f"{TBC}: the form's code for {d.criterion}",
           "filled" if d.form_code else "to_be_completed", source="determination.form_code",
           note=None if d.form_code else "the data does not give this form's criterion codes"),
        _f("—", "Value (FOB) where the RVC is used", _fob(request) if rvc else "(not required: no RVC used)",
           "filled", source="request.product.fob"),
        _tbc("—", "Invoice number and date", "invoice number and date"),
        _f("—", "Declaration by the exporter", f"goods produced in {exp}; exported to {imp}; place, date, "
           f"signature: {TBC}", "to_be_completed", source="request.exporter, request.importer"),
        _f("—", "Certification", "(issuing authority: place, date, signature and stamp)", "official_use"),
    ]
    notes = ["The box layout of this form is not in the data: fields are listed by content, not by box number."]
    notes += [c for c in cert.conditions]
    return [DraftForm(form=cert.id, title=cert.name, issued_by=cert.issued_by, fields=fields, notes=notes,
                      references=[str(cert.reference)] if cert.reference else [])]


# --- entry point ----------------------------------------------------------------------------

def build_draft(request: Request, determination: Determination, agreement: str, *,
                rcep_country_of_origin: str | None = None) -> ProofDraft:
    """The draft proof of origin for a qualifying determination; refuses (``ProofRefused``) a
    determination that does not qualify (why) or is undetermined (the open questions)."""
    from noodlebowl.agreements.registry import agreement_id
    from noodlebowl.proof.requirements import agreement_requirements, references

    name = agreement_id(agreement)
    _refuse_unless_qualifies(determination, name)
    hs6, national = _hs6(request)
    if name == "RCEP":
        forms = _rcep(request, determination, hs6, _rcep_origin(request, determination, rcep_country_of_origin))
    elif name == "ATIGA":
        forms = _atiga(request, determination, hs6, national)
    elif name == "ACFTA":
        forms = _acfta(request, determination, hs6)
    else:
        forms = _by_content(request, determination, hs6, agreement_requirements(name))
    articles = list(dict.fromkeys(
        references(agreement_requirements(name))
        + [r for f in forms for r in f.references]
        + [c.article for c in determination.checks if c.result is Outcome.qualifies]))
    if determination.rule is not None:
        articles.append(f"{determination.rule.basis} ({determination.rule.source})")
    return ProofDraft(
        marking=DRAFT_MARKING, agreement=name, exporter=request.exporter, importer=request.importer,
        date=request.date.isoformat(), product=request.product.description or "", hs=hs6,
        criterion=determination.criterion, form_code=determination.form_code or "",
        rvc_used=_rvc_used(determination), forms=forms, articles=list(dict.fromkeys(articles)),
        caveats=list(determination.caveats), data_version=determination.data_version)

