"""Write a :class:`ProofDraft` as a PDF (fpdf2, core fonts) and as JSON.

The core PDF fonts are Latin-1: other characters are transliterated deterministically
(Vietnamese diacritics dropped to the base letter, đ→d, typographic dashes and quotes to ASCII,
anything left → ``?``), so any description prints without error. One page per form, a DRAFT
watermark and header on every page, and a footer with the data version and the articles relied on.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from noodlebowl.proof.draft import ProofDraft

_MAP = {
    "đ": "d", "Đ": "D", "ơ": "o", "Ơ": "O", "ư": "u", "Ư": "U", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O",
    "—": "-", "–": "-", "‑": "-", "−": "-", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
    "…": "...", "•": "-", "·": "-", "→": "->", "←": "<-", "✔": "x", "✘": "x", "≤": "<=", "≥": ">=",
    "€": "EUR", "™": "(TM)", "\u00a0": " ", "\u200b": "",
}


def latin1(text: str) -> str:
    """``text`` in characters the PDF core fonts can show (deterministic, never raises)."""
    out = []
    for ch in str(text):
        if ch in _MAP:
            out.append(_MAP[ch])
            continue
        try:
            ch.encode("latin-1")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        base = "".join(_MAP.get(c, c) for c in base)
        try:
            base.encode("latin-1")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def _pdf_class():
    from fpdf import FPDF

    class DraftPDF(FPDF):
        footer_text = ""
        marking = ""

        def header(self) -> None:
            # watermark first, so the form prints over it
            with self.local_context(text_color=(225, 225, 225)):
                self.set_font("Helvetica", "B", 110)
                with self.rotation(45, self.w / 2, self.h / 2):
                    self.text(self.w / 2 - 75, self.h / 2 + 15, "DRAFT")
            self.set_font("Helvetica", "B", 9)
            self.set_text_color(200, 0, 0)
            self.multi_cell(0, 4.5, latin1(self.marking), border=1, align="C",
                            new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-22)
            self.set_font("Helvetica", "", 6.5)
            self.set_text_color(90, 90, 90)
            self.multi_cell(0, 3, latin1(self.footer_text + f" | page {self.page_no()}"),
                            new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)

    return DraftPDF


def draft_pdf_bytes(draft: ProofDraft) -> bytes:
    """The PDF document as bytes."""
    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(f"DRAFT proof of origin ({draft.agreement})"))
    pdf.set_creator("noodlebowl")
    pdf.set_auto_page_break(auto=True, margin=24)
    pdf.marking = draft.marking
    articles = "; ".join(draft.articles)
    if len(articles) > 700:
        articles = articles[:700] + " ..."
    pdf.footer_text = f"noodlebowl data version {draft.data_version} | articles relied on: {articles}"
    for form in draft.forms:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 6, latin1(form.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 4, latin1(f"{form.issued_by}. {draft.agreement}: {draft.exporter} -> {draft.importer}, "
                                    f"{draft.date}; origin criterion {draft.form_code}"),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font("Helvetica", "", 7.5)
        with pdf.table(col_widths=(14, 58, 118), text_align="LEFT", line_height=3.6,
                       first_row_as_headings=True) as table:
            head = table.row()
            for title in ("Box", "Field", "Value"):
                head.cell(title)
            for fld in form.fields:
                row = table.row()
                row.cell(latin1(fld.box))
                row.cell(latin1(fld.label))
                value = fld.value + (f" [{fld.note}]" if fld.note else "")
                row.cell(latin1(value))
        for note in form.notes:
            pdf.ln(1)
            pdf.multi_cell(0, 3.6, latin1(f"Note: {note}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_pdf(draft: ProofDraft, path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(draft_pdf_bytes(draft))
    return path


def write_json(draft: ProofDraft, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(draft.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def write_outputs(draft: ProofDraft, pdf_path: str | Path) -> tuple[Path, Path]:
    """The PDF at ``pdf_path`` and its JSON beside it (same name, ``.json``)."""
    pdf_path = Path(pdf_path)
    return write_pdf(draft, pdf_path), write_json(draft, pdf_path.with_suffix(".json"))
