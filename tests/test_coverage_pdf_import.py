"""`noodlebowl data import-psr`: the real ATIGA Annex 3 Attachment 1 PDF, and bad input refused
with nothing written."""

from __future__ import annotations

import csv
import json

import pytest

from noodlebowl.coverage.pdf_psr import COLUMNS, read_annex
from noodlebowl.errors import DataImportError

PDF = "agreements/atiga/official/atiga_annex3_psr_hs2022.pdf"
CSV = "agreements/atiga/atiga_textile_list_attachment1_hs2022.csv"


@pytest.fixture(scope="module")
def annex(shared_data):
    from noodlebowl.coverage.crosscheck import _textile_pdf
    return _textile_pdf(shared_data)  # read once, shared with the cross-check tests


def test_reads_every_item_of_the_official_textile_list(annex, shared_data):
    assert not annex.notes
    sections = {s: sum(1 for r in annex.rows if r["section"] == s) for s in annex.sections}
    assert sections == {"A": 163, "B": 344, "C": 298}
    for s in "ABC":  # numbered 1..n without gaps
        assert [r["item_no"] for r in annex.rows if r["section"] == s] == list(range(1, sections[s] + 1))
    with open(shared_data / CSV, encoding="utf-8") as fh:
        transcribed = {(r["section"], int(r["item_no"])): r for r in csv.DictReader(fh)}
    read = {(r["section"], r["item_no"]): r for r in annex.rows}
    assert len(transcribed) == 801
    # the CSV lost four items (numbering cell lost, psr_transcription_flags.csv); the PDF prints them
    assert set(read) - set(transcribed) == {("B", 229), ("B", 231), ("B", 244), ("B", 303)}
    assert set(transcribed) <= set(read)
    for key, c in transcribed.items():
        p = read[key]
        assert (p["hs_code"], p["heading"], str(p["ex"]), str(p["ahtn"])) == \
            (c["hs_code"], c["heading"], c["ex"], c["ahtn"]), key
    ahtn = read[("C", 290)]
    assert (ahtn["hs_code"], ahtn["level"], ahtn["ahtn"]) == ("95030022", "ahtn_line", True)
    assert read[("C", 292)]["ex"] is True and read[("C", 292)]["hs_code_dotted"] == "9619.00"
    # B270 runs over a page break; the CSV stops at it
    assert read[("B", 270)]["description"].endswith("not elsewhere specified or included.")


def test_rows_are_in_the_rule_table_format(annex):
    row = annex.rows[0]
    assert (row["agreement"], row["hs_code"], row["hs_code_dotted"], row["hs_edition"], row["level"],
            row["rule_text"], row["verification"]) == ("ATIGA", "500400", "5004.00", "HS2022", "subheading",
                                                       "Textile Rule", "unverified")
    assert row["source"] == "atiga_annex3_psr_hs2022.pdf p.2"
    assert annex.sections["B"]["process_text"].startswith("Manufacture from: Polymer (non-woven); Fibres")
    from noodlebowl.rules import parse_rule
    parse_rule(row["rule_text"], agreement="ATIGA")


def test_cli_writes_csv(cli, shared_data, tmp_path):
    out = tmp_path / "rules.csv"
    result = cli("data", "import-psr", str(shared_data / PDF), "--agreement", "ATIGA", "--edition", "HS2022",
                 "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 805
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 805 and list(rows[0]) == COLUMNS


def _refused(cli, pdf, out, *fragments):
    result = cli("data", "import-psr", str(pdf), "--agreement", "ATIGA", "--edition", "HS2022", "--out", str(out))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    for f in fragments:
        assert f in result.stderr, result.stderr
    assert not out.exists() and not list(out.parent.glob(".*tmp"))
    return result.stderr


def test_form_d_is_not_a_psr_annex(cli, shared_data, tmp_path):
    _refused(cli, shared_data / "agreements/atiga/official/atiga_annex7_form_d.pdf", tmp_path / "x.csv",
             "atiga_annex7_form_d.pdf", "no PSR annex table found")


def test_scanned_pdf_without_text_layer(cli, tmp_path):
    from fpdf import FPDF
    from PIL import Image
    image = tmp_path / "scan.png"
    Image.new("RGB", (200, 100), "white").save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=100)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    _refused(cli, path, tmp_path / "x.csv", "no text layer")


def test_not_a_pdf(cli, tmp_path):
    path = tmp_path / "rules.pdf"
    path.write_text("hs_code,rule\n", encoding="utf-8")
    _refused(cli, path, tmp_path / "x.csv", "not a readable PDF")


def _annex_pdf(path, rows):
    """A small annex in the official layout: section text, then a ruled 4-column table."""
    from fpdf import FPDF
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.set_xy(20, 20)
    pdf.cell(0, 6, "A. Fibres and yarns")
    pdf.set_xy(20, 28)
    pdf.cell(0, 6, "Working or Processing Carried Out on Non-Originating Materials that Confers Originating Status:")
    pdf.set_xy(20, 36)
    pdf.cell(0, 6, "Spinning fibre into yarn.")
    widths = (15, 20, 30, 100)
    y = 50
    for row in [("No", "Heading", "Sub-heading", "Product Description"), *rows]:
        x = 20
        for w, text in zip(widths, row):
            pdf.set_xy(x, y)
            pdf.cell(w, 8, text, border=1)
            x += w
        y += 8
    pdf.output(str(path))


def test_synthetic_annex_reads(tmp_path):
    path = tmp_path / "annex.pdf"
    _annex_pdf(path, [("", "50.04", "", "Silk yarn."), ("1", "", "5004.00", "Silk yarn, not for retail sale."),
                      ("2", "51.05", "ex.5105.10", "- Carded wool")])
    result = read_annex(path, agreement="ATIGA", edition="HS2022")
    assert [(r["item_no"], r["hs_code"], r["ex"], r["heading"]) for r in result.rows] == [
        (1, "500400", False, "50.04"), (2, "510510", True, "51.05")]
    assert result.sections["A"]["process_text"] == "Spinning fibre into yarn."


def test_shifted_columns_are_reported_with_page_and_line(cli, tmp_path):
    path = tmp_path / "shifted.pdf"
    _annex_pdf(path, [("1", "5004.00", "Silk yarn.", ""), ("2", "51.05", "5105.10", "- Carded wool")])
    with pytest.raises(DataImportError) as err:
        read_annex(path, agreement="ATIGA", edition="HS2022")
    (problem,) = err.value.unreadable
    assert problem.page == 1 and problem.line > 0 and "5004.00" in problem.text
    assert "'Heading' cell '5004.00'" in problem.reason
    stderr = _refused(cli, path, tmp_path / "x.csv", "1 table row(s) could not be read", "page 1 line")
    assert "5004.00" in stderr


def test_bad_edition_and_missing_file(cli, tmp_path):
    result = cli("data", "import-psr", str(tmp_path / "none.pdf"), "--agreement", "ATIGA", "--edition", "HS2007")
    assert result.exit_code == 2
    result = cli("data", "import-psr", str(tmp_path / "none.pdf"), "--agreement", "ATIGA", "--edition", "HS2022")
    assert result.exit_code == 2 and "file not found" in result.stderr


# --- the rule-table layout (RCEP Annex 3A, HS2012) ------------------------------------------------

RCEP_PDF = "agreements/rcep/official/rcep_agreement_consolidated_2020-10-27.pdf"
RCEP_PARSE = "agreements/rcep/official/rcep_annex3a_hs2012_en_machine_parse.csv"


def test_reads_the_official_rcep_annex_3a(cli, shared_data, tmp_path):
    out = tmp_path / "rcep_hs2012.csv"
    result = cli("data", "import-psr", str(shared_data / RCEP_PDF), "--agreement", "RCEP", "--edition", "HS2012",
                 "--pages", "54-212", "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 2076 and summary["levels"] == {"chapter": 33, "heading": 533, "subheading": 1510}
    with open(out, encoding="utf-8") as fh:
        rows = {r["hs_code"]: r for r in csv.DictReader(fh)}
    assert rows["030441"]["rule_text"] == "CC or RVC40" and rows["030441"]["source"].endswith("p.57")
    # every HS2012 subheading falls under a row (Annex 3A lists every good)
    with open(shared_data / "hs/hs2012.csv", encoding="utf-8") as fh:
        subheadings = [r["code"] for r in csv.DictReader(fh) if r["level"] == "subheading"]
    assert len(subheadings) == 5205
    assert all(any(s[:d] in rows for d in (6, 4, 2)) for s in subheadings)
    # the unproofread machine parse (a cross-check aid) has the same rule wherever it has one
    with open(shared_data / RCEP_PARSE, encoding="utf-8") as fh:
        parsed = {r["code"].replace(".", ""): r["rule_text_en"] for r in csv.DictReader(fh) if r["rule_text_en"]}
    common = set(parsed) & set(rows)
    assert len(common) > 1850      # the parse gives "0409.00" printed beside its heading as the heading 0409
    assert [c for c in common if " ".join(parsed[c].split()) != rows[c]["rule_text"]] == []


def _rule_table_pdf(path, rows):
    """A small annex in the RCEP Annex 3A layout: a ruled 5-column table under its header."""
    from fpdf import FPDF
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    widths = (16, 18, 22, 80, 40)
    y = 30
    for row in [("Chapter", "Heading", "Subheading", "Product Description", "Product-Specific Rule"), *rows]:
        x = 15
        for w, text in zip(widths, row):
            pdf.set_xy(x, y)
            pdf.cell(w, 8, text, border=1)
            x += w
        y += 8
    pdf.output(str(path))


def test_synthetic_rule_table_reads(tmp_path):
    path = tmp_path / "annex3a.pdf"
    _rule_table_pdf(path, [("01", "", "", "CHAPTER 1: LIVE ANIMALS", "WO"),
                           ("", "03.04", "", "Fish fillets", ""),
                           ("", "", "0304.31", "-- Tilapias", "CC"),
                           ("", "96.05", "9605.00", "Travel sets", "CTH or RVC40")])
    result = read_annex(path, agreement="RCEP", edition="HS2012")
    assert [(r["hs_code"], r["level"], r["rule_text"], r["source"]) for r in result.rows] == [
        ("01", "chapter", "WO", "annex3a.pdf p.1"), ("030431", "subheading", "CC", "annex3a.pdf p.1"),
        ("960500", "subheading", "CTH or RVC40", "annex3a.pdf p.1")]


def test_rule_table_with_a_code_in_the_wrong_column_is_refused(cli, tmp_path):
    path = tmp_path / "annex3a.pdf"
    _rule_table_pdf(path, [("01", "", "", "CHAPTER 1: LIVE ANIMALS", "WO"),
                           ("", "0304.31", "", "-- Tilapias", "CC")])
    with pytest.raises(DataImportError) as err:
        read_annex(path, agreement="RCEP", edition="HS2012")
    (problem,) = err.value.unreadable
    assert problem.page == 1 and "'Heading' cell '0304.31'" in problem.reason
    result = cli("data", "import-psr", str(path), "--agreement", "RCEP", "--edition", "HS2012",
                 "--pages", "2-3", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 2 and "pages 2-3 are not in the document" in result.stderr
    result = cli("data", "import-psr", str(path), "--agreement", "RCEP", "--edition", "HS2012",
                 "--pages", "first", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 2 and "--pages" in result.stderr and not (tmp_path / "x.csv").exists()
