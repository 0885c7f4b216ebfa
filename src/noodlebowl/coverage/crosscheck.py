"""Cross-checks of the transcribed PSR tables against official texts, as a report.

    python -m noodlebowl.coverage.crosscheck --write docs/crosscheck_report.md

Checks (each comparison is listed in the report, every disagreement too):

1. RCEP HS2022 table (as the engine reads it) against the official English HS2022 fragments.
2. The same against the official English HS2012 fragments, for the subheadings unchanged 1:1
   from HS2012 to HS2022 (UNSD correlation); changed codes are listed as not compared.
3. The same against ``rcep_psr_en_crosscheck.csv`` (the English rules read page by page), and
   whether that file's recorded comparison still matches the table.
4. ATIGA PSR against the PSR Implementing Guidelines (the rules of split subheadings).
5. ``psr_transcription_flags.csv``: every flagged row must be ``unverified`` / missing, or carry an
   incomplete part in its parsed tree — those that do not are reported.
6. ATIGA Annex 3 Attachment 1 (textile list) read from the official PDF against the transcribed
   801-item CSV, and against the ATIGA PSR table ("Textile Rule" on each listed subheading).
7. Every row of the RCEP HS2022 table against the official English HS2012 Annex 3A (read from the
   official PDF by the project's importer, packaged as the HS2012 rule table): the rule of every
   HS2012 subheading its HS2022 subheadings come from (UNSD correlations through HS2017). Rows that
   agree are ``verified_en`` in the built data (tools/importers/rcep_hs2012.py); this check also
   fails any row whose status in the built data does not match the comparison.

Rules are compared as parsed trees with alternatives and conjunctions unordered, so "CTH or
RVC40" and "RVC40 or CTH" agree and formatting never counts. The report holds no absolute path
and no time stamp: regenerating it from unchanged data gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from noodlebowl import refdata

REPO = Path(__file__).resolve().parents[3]
DEFAULT_SOURCE = Path(os.environ.get("NOODLEBOWL_SHARED_DATA", REPO.parent / "shared" / "data"))

RCEP_HS2022_FRAGMENTS = "agreements/rcep/rcep_psr_hs2022_official_fragments.csv"
RCEP_HS2012_FRAGMENTS = "agreements/rcep/rcep_psr_hs2012_official_fragments.csv"
RCEP_EN_CROSSCHECK = "agreements/rcep/rcep_psr_en_crosscheck.csv"
ATIGA_GUIDELINES = "agreements/atiga/atiga_psr_implementing_guidelines_hs2022.csv"
FLAGS = "agreements/psr_transcription_flags.csv"
TEXTILE_CSV = "agreements/atiga/atiga_textile_list_attachment1_hs2022.csv"
TEXTILE_PDF = "agreements/atiga/official/atiga_annex3_psr_hs2022.pdf"
RCEP_HS2012_PDF = "rcep_agreement_consolidated_2020-10-27.pdf"


@dataclass
class Comparison:
    reference: str          # file:line of the official / reference side
    code: str               # the code(s) compared
    official: str           # what the reference says
    ours: str               # what the project's data says
    result: str             # agree | disagree | not compared
    note: str = ""


@dataclass
class Check:
    key: str
    title: str
    method: str
    comparisons: list[Comparison] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for c in self.comparisons if c.result == result)


def _read_csv(source: Path, rel: str) -> list[dict]:
    with open(source / rel, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        out = []
        for row in reader:
            row["_line"] = reader.line_num
            out.append(row)
        return out


@cache
def _tree(text: str, agreement: str):
    from noodlebowl.rules import parse_rule
    return parse_rule(text, agreement=agreement)


def canonical(node):
    """The tree with the order of alternatives and of conjunctions removed."""
    from noodlebowl.rules import AllOf, AnyOf, Branch, Noted, Split

    if isinstance(node, AnyOf):
        return ("any", tuple(sorted((canonical(o) for o in node.options), key=repr)))
    if isinstance(node, AllOf):
        return ("all", tuple(sorted((canonical(o) for o in node.parts), key=repr)))
    if isinstance(node, Split):
        return ("split", tuple(sorted((canonical(b) for b in node.branches), key=repr)),
                canonical(node.otherwise) if node.otherwise is not None else None)
    if isinstance(node, Branch):
        return ("branch", node.key, canonical(node.rule))
    if isinstance(node, Noted):
        return ("noted", canonical(node.rule), node.note)
    return node


def same_rule(official: str, ours: str, agreement: str) -> tuple[bool, str]:
    """Whether two rule texts say the same, by parsed tree; the note says why not."""
    from noodlebowl.errors import RuleParseError

    # "50 per cent" (official English) and "50 %" (transcriptions) say the same in free-text provisos
    official, ours = (re.sub(r"\s*\bper\s*cent\b", " %", t) for t in (official, ours))
    try:
        a = canonical(_tree(official, agreement))
    except RuleParseError as exc:
        return False, f"official text does not parse: {exc.what}"
    try:
        b = canonical(_tree(ours, agreement))
    except RuleParseError as exc:
        return False, f"our text does not parse: {exc.what}"
    if a == b:
        return True, "" if official == ours else "same rule, different wording"
    return False, "different rule"


def _dotted(code: str) -> str:
    from noodlebowl.hs import dotted
    return dotted(code)


def _our_rule(agreement: str, code6: str):
    from noodlebowl.origin.psr import latest_table, rule_for_code
    return rule_for_code(agreement, code6, latest_table(agreement)).rule


def _subheadings(code: str, edition: str) -> list[str]:
    from noodlebowl.hs import subheadings_under
    return [code] if len(code) == 6 else list(subheadings_under(code, edition))


def _unchanged_1to1(code6: str) -> tuple[bool, str]:
    from noodlebowl.hs import exists, transpose
    if not exists(code6, "HS2012"):
        return False, "not an HS2012 subheading"
    t = transpose(code6, "HS2012", "HS2022")
    targets = [x.code for x in t.targets]
    return t.relationship == "1:1" and targets == [code6], f"{t.relationship} → {', '.join(targets) or '(none)'}"


# --- the RCEP HS2022 table against the official English HS2012 Annex 3A --------------------------

def hs2022_to_hs2012(corr_2017_2022: list[dict], corr_2012_2017: list[dict]) -> dict[str, list[str]]:
    """Each HS2022 subheading's HS2012 source subheadings, through HS2017 (UNSD correlations)."""
    to17: dict[str, set[str]] = {}
    for r in corr_2017_2022:
        to17.setdefault(r["hs2022"], set()).add(r["hs2017"])
    to12: dict[str, set[str]] = {}
    for r in corr_2012_2017:
        to12.setdefault(r["hs2017"], set()).add(r["hs2012"])
    return {new: sorted({old for mid in mids for old in to12.get(mid, ())}) for new, mids in to17.items()}


def _governing(index: dict[str, dict], code6: str) -> dict | None:
    """The row of a rule table that governs a subheading: most specific level first."""
    return next((index[code6[:d]] for d in (6, 4, 2) if code6[:d] in index), None)


@dataclass
class RowAgreement:
    """One HS2022 table row against the official English HS2012 rule of every HS2012 source code."""

    row: dict                                    # the HS2022 row (hs_code, rule_text, …)
    compared: list[tuple[str, str, dict]]        # (HS2022 subheading, HS2012 subheading, HS2012 row)
    disagreeing: list[tuple[str, str, dict, str]] = field(default_factory=list)   # … and why
    unmapped: list[str] = field(default_factory=list)                 # HS2022 subheadings without source

    @property
    def result(self) -> str:
        if self.disagreeing:
            return "disagree"
        return "agree" if self.compared and not self.unmapped else "not compared"

    @property
    def pages(self) -> str:
        """Where the official rules compared are printed ("p.57, p.58")."""
        found = sorted({int(p) for _, _, r in self.compared for p in re.findall(r"p\.(\d+)", r["source"])})
        return ", ".join(f"p.{p}" for p in found)


def compare_rcep_hs2022_with_hs2012(rows_2022: list[dict], rows_2012: list[dict], subheadings_2022: list[str],
                                    to_hs2012: dict[str, list[str]]) -> list[RowAgreement]:
    """Every HS2022 row against the HS2012 rule of each HS2012 subheading its subheadings come from
    (plain data in, so the build and the report compare the same way)."""
    index_2022 = {r["hs_code"]: r for r in rows_2022}
    index_2012 = {r["hs_code"]: r for r in rows_2012}
    results = {r["hs_code"]: RowAgreement(r, []) for r in rows_2022}
    for sub in subheadings_2022:
        row = _governing(index_2022, sub)
        if row is None:
            continue
        res = results[row["hs_code"]]
        sources = to_hs2012.get(sub, [])
        if not sources:
            res.unmapped.append(sub)
        for old in sources:
            official = _governing(index_2012, old)
            if official is None:
                res.disagreeing.append((sub, old, {"rule_text": "(none)", "source": ""}, "no HS2012 rule"))
                continue
            res.compared.append((sub, old, official))
            ok, note = same_rule(official["rule_text"], row["rule_text"], "RCEP")
            if not ok:
                res.disagreeing.append((sub, old, official, note))
    return list(results.values())


def check_rcep_hs2022(source: Path) -> Check:
    chk = Check("rcep_hs2022", "RCEP HS2022 table vs official English HS2022 fragments",
                f"`{RCEP_HS2022_FRAGMENTS}`: each fragment's rule against the rule the engine applies to the code.")
    for r in _read_csv(source, RCEP_HS2022_FRAGMENTS):
        code = r["hs2022_code"].replace(".", "")
        for sub in _subheadings(code, "HS2022"):
            rule = _our_rule("RCEP", sub)
            ok, note = same_rule(r["rule_text"], rule.text, "RCEP") if rule else (False, "no rule in the data")
            chk.comparisons.append(Comparison(f"{RCEP_HS2022_FRAGMENTS}:{r['_line']}", _dotted(sub), r["rule_text"],
                                              rule.text if rule else "(none)", "agree" if ok else "disagree", note))
    return chk


def check_rcep_hs2012(source: Path) -> Check:
    chk = Check("rcep_hs2012", "RCEP HS2022 table vs official English HS2012 fragments",
                f"`{RCEP_HS2012_FRAGMENTS}`: for every HS2012 subheading under the fragment's code that the UNSD "
                "correlation carries 1:1 to the same HS2022 code, the fragment's rule against the rule the engine "
                "applies; other subheadings are listed as not compared.")
    for r in _read_csv(source, RCEP_HS2012_FRAGMENTS):
        ref = f"{RCEP_HS2012_FRAGMENTS}:{r['_line']}"
        code = r["hs2012_code"].replace(".", "")
        if r["rule_text"].startswith("("):
            chk.comparisons.append(Comparison(ref, r["hs2012_code"], r["rule_text"], "", "not compared",
                                              "no rule in the fragment"))
            continue
        for sub in _subheadings(code, "HS2012"):
            unchanged, how = _unchanged_1to1(sub)
            if not unchanged:
                chk.comparisons.append(Comparison(ref, _dotted(sub), r["rule_text"], "", "not compared",
                                                  f"HS2012 {_dotted(sub)} is not unchanged in HS2022 ({how})"))
                continue
            rule = _our_rule("RCEP", sub)
            ok, note = same_rule(r["rule_text"], rule.text, "RCEP") if rule else (False, "no rule in the data")
            chk.comparisons.append(Comparison(ref, _dotted(sub), r["rule_text"], rule.text if rule else "(none)",
                                              "agree" if ok else "disagree", note))
    return chk


def check_rcep_en_crosscheck(source: Path) -> Check:
    chk = Check("rcep_en_crosscheck", "RCEP HS2022 table vs the English re-reading (rcep_psr_en_crosscheck.csv)",
                f"`{RCEP_EN_CROSSCHECK}`: for each HS2022 code listed, the English HS2012 rule against the engine's "
                "rule where the code is unchanged 1:1 since HS2012; for the other codes, whether the file's "
                "recorded HS2022 rule (`our_hs2022_rule`) is still the rule in the table.")
    for r in _read_csv(source, RCEP_EN_CROSSCHECK):
        ref = f"{RCEP_EN_CROSSCHECK}:{r['_line']}"
        recorded = [t.strip() for t in r["our_hs2022_rule"].split("|")]
        for code in r["hs2022_codes"].split():
            rule = _our_rule("RCEP", code)
            ours = rule.text if rule else "(none)"
            unchanged, how = _unchanged_1to1(code)
            if unchanged and code.startswith(r["hs2012_code"].replace(".", "")):
                ok, note = same_rule(r["en_rule_hs2012"], ours, "RCEP") if rule else (False, "no rule in the data")
                chk.comparisons.append(Comparison(ref, _dotted(code), r["en_rule_hs2012"], ours,
                                                  "agree" if ok else "disagree", note))
            else:
                ok = rule is not None and any(same_rule(t, ours, "RCEP")[0] for t in recorded)
                chk.comparisons.append(Comparison(
                    ref, _dotted(code), f"recorded: {r['our_hs2022_rule']}", ours, "agree" if ok else "disagree",
                    f"code changed since HS2012 {r['hs2012_code']} ({how}): the English HS2012 rule is not "
                    "comparable; checked that the recorded HS2022 rule is still current"))
    return chk


def check_atiga_guidelines(source: Path) -> Check:
    from noodlebowl.rules import Split

    chk = Check("atiga_guidelines", "ATIGA PSR vs the PSR Implementing Guidelines",
                f"`{ATIGA_GUIDELINES}`: the set of rules the guidelines give a subheading (one per product scope) "
                "against the set of rules in the ATIGA table's row (the branches of a split rule and its "
                "'otherwise'); the scope wording is not compared.")
    by_code: dict[str, list[dict]] = {}
    for r in _read_csv(source, ATIGA_GUIDELINES):
        by_code.setdefault(r["hs2022_subheading"].replace(".", ""), []).append(r)
    for code, rows in by_code.items():
        rule = _our_rule("ATIGA", code)
        ref = f"{ATIGA_GUIDELINES}:{rows[0]['_line']}-{rows[-1]['_line']}"
        official = "; ".join(f"{r['ahtn_scope']}: {r['origin_criterion']}" for r in rows)
        if rule is None:
            chk.comparisons.append(Comparison(ref, _dotted(code), official, "(none)", "disagree", "no rule in the data"))
            continue
        tree = _tree(rule.text, "ATIGA")
        ours = ({canonical(b.rule) for b in tree.branches} | ({canonical(tree.otherwise)} if tree.otherwise else set())
                if isinstance(tree, Split) else {canonical(tree)})
        theirs = {canonical(_tree(r["origin_criterion"], "ATIGA")) for r in rows}
        ok = ours == theirs
        chk.comparisons.append(Comparison(ref, _dotted(code), official, rule.text, "agree" if ok else "disagree",
                                          f"{rule.verified}" + ("" if ok else "; the sets of rules differ")))
    return chk


def check_flags(source: Path) -> Check:
    from noodlebowl.coverage.report import psr_category
    from noodlebowl.origin.psr import latest_table, select_rule
    from noodlebowl.rules import Incomplete, walk

    chk = Check("flags", "Transcription flags carried into the data",
                f"`{FLAGS}`: each flagged code (every HS2022 subheading under it) must be `unverified` or "
                "missing in the data, or carry an incomplete part (square brackets) in its parsed rule, so that "
                "answers say so. Flags that concern no rule text (the textile list) are checked in the textile "
                "section.")
    for r in _read_csv(source, FLAGS):
        ref = f"{FLAGS}:{r['_line']}"
        agreement = r["agreement"]
        if agreement not in ("RCEP", "ATIGA", "ACFTA"):
            chk.comparisons.append(Comparison(ref, r["hs_code_dotted"], r["issue"], "", "not compared",
                                              "not a PSR row; see the textile-list check"))
            continue
        for code in (c.strip().replace(".", "") for c in r["hs_code_dotted"].split("/")):
            marked, unmarked = [], []
            for sub in _subheadings(code, "HS2022"):
                sel = select_rule(agreement, sub, "HS2022", latest_table(agreement))
                category = psr_category(sel)
                incomplete = sel.rule is not None and any(isinstance(n, Incomplete)
                                                          for n in walk(_tree(sel.rule.text, agreement)))
                (marked if category in ("unverified", "missing") or incomplete else unmarked).append(
                    f"{_dotted(sub)} {category}{' +incomplete' if incomplete else ''}")
            ours = "; ".join(marked + unmarked)
            chk.comparisons.append(Comparison(
                ref, _dotted(code), r["issue"], ours, "disagree" if unmarked else "agree",
                "" if not unmarked else f"flagged but answered as verified, with no incomplete part: "
                                        f"{', '.join(u.split()[0] for u in unmarked)}"
                                        + (" (their answers carry the verified_vi caveat: not checked against the "
                                           "official English text)" if all("verified_vi" in u for u in unmarked)
                                           else "")))
    return chk


def _norm_desc(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text.replace("’", "'").replace("“", '"').replace("”", '"')).lower()


@cache
def _textile_pdf(source: Path):
    from noodlebowl.coverage.pdf_psr import read_annex
    return read_annex(source / TEXTILE_PDF, agreement="ATIGA", edition="HS2022")


def check_textile_list(source: Path) -> Check:
    chk = Check("textile_list", "ATIGA Annex 3 Attachment 1 (textile list): official PDF vs transcribed CSV",
                f"`{TEXTILE_PDF}` read by `noodlebowl data import-psr` against `{TEXTILE_CSV}`, item by item "
                "(section + item number): heading, HS code, ex, AHTN, description (ignoring spaces, hyphens, "
                "italics marks and quote styles). Which side is right was decided on the PDF text (its "
                "`.layout.txt` rendering, line given).")
    pdf = _textile_pdf(source)
    layout = (source / TEXTILE_PDF).with_suffix(".layout.txt").read_text(encoding="utf-8").split("\n")
    rel_layout = TEXTILE_PDF.replace(".pdf", ".layout.txt")

    def layout_line(item: dict) -> str:
        pattern = re.compile(rf"^\s*{item['item_no']}\s+(?:\d\d\.\d\d\s+)?(?:ex\.?)?{re.escape(item['hs_code_dotted'])}")
        hits = [n for n, line in enumerate(layout, 1) if pattern.search(line)]
        return f"{rel_layout}:{hits[0]}" if hits else rel_layout

    ours = {(r["section"], int(r["item_no"])): r for r in _read_csv(source, TEXTILE_CSV)}
    theirs = {(r["section"], r["item_no"]): r for r in pdf.rows}
    same = 0
    for key in sorted(set(ours) | set(theirs)):
        p, c = theirs.get(key), ours.get(key)
        label = f"{key[0]}{key[1]}"
        if c is None:
            chk.comparisons.append(Comparison(f"{p['source']}", label, f"{p['hs_code_dotted']} {p['description']}",
                                              "(missing)", "disagree",
                                              f"the PDF is right: item printed at {layout_line(p)}; missing in the CSV"))
            continue
        if p is None:
            chk.comparisons.append(Comparison(TEXTILE_PDF, label, "(not read)", f"{c['hs_code_dotted']} {c['description']}",
                                              "disagree", "item not found in the PDF"))
            continue
        diffs = []
        for f in ("heading", "hs_code"):
            if p[f] != c[f]:
                diffs.append(f"{f} {p[f]} vs {c[f]}")
        for f in ("ex", "ahtn"):
            if str(p[f]) != c[f]:
                diffs.append(f"{f} {p[f]} vs {c[f]}")
        if _norm_desc(p["description"]) != _norm_desc(c["description"]):
            why = (" — the CSV description stops at the page break"
                   if _norm_desc(p["description"]).startswith(_norm_desc(c["description"])) else "")
            diffs.append(f"description{why}")
        if diffs:
            chk.comparisons.append(Comparison(p["source"], label, f"{p['hs_code_dotted']} {p['description']}",
                                              f"{c['hs_code_dotted']} {c['description']}", "disagree",
                                              f"the PDF is right ({layout_line(p)}): " + "; ".join(diffs)))
        else:
            same += 1
            chk.comparisons.append(Comparison(p["source"], label, p["hs_code_dotted"], c["hs_code_dotted"], "agree"))
    # The PSR table must send every listed subheading to the Textile Rule (as one option).
    for code in sorted({r["hs_code"][:6] for r in pdf.rows}):
        rule = _our_rule("ATIGA", code)
        ok = rule is not None and "Textile Rule" in rule.text
        chk.comparisons.append(Comparison(TEXTILE_PDF, f"PSR {_dotted(code)}", "listed in Attachment 1",
                                          rule.text if rule else "(none)", "agree" if ok else "disagree",
                                          "" if ok else "the ATIGA PSR row does not offer the Textile Rule"))
    return chk


def check_rcep_hs2012_annex(source: Path) -> Check:
    chk = Check("rcep_hs2012_annex", "RCEP HS2022 table vs the official English HS2012 Annex 3A",
                "Each row of the RCEP HS2022 table (as built) against the official English rule (as built from "
                "`agreements/rcep/official/rcep_agreement_consolidated_2020-10-27.pdf`, PDF pages 54-212) of every "
                "HS2012 subheading its HS2022 subheadings come from (`hs/hs2017_hs2022_correlation.csv`, "
                "`hs/hs2012_hs2017_correlation.csv`). A row agrees when every such rule is the same rule; it is then "
                "`verified_en` in the built data, citing the pages. A row that differs keeps its transcribed status: "
                "a code changed by the HS2022 transposition may carry a new rule, or the transcription may be wrong "
                "— a person decides, nothing is patched.")
    psr = refdata.rows("psr")
    rows_2022 = [r for r in psr if r["agreement"] == "RCEP" and r["edition"] == "HS2022"]
    rows_2012 = [r for r in psr if r["agreement"] == "RCEP" and r["edition"] == "HS2012"]
    subheadings = [r["code"] for r in _read_csv(source, "hs/hs2022.csv") if r["level"] == "subheading"]
    mapping = hs2022_to_hs2012(_read_csv(source, "hs/hs2017_hs2022_correlation.csv"),
                               _read_csv(source, "hs/hs2012_hs2017_correlation.csv"))
    for res in compare_rcep_hs2022_with_hs2012(rows_2022, rows_2012, subheadings, mapping):
        row = res.row
        officials = sorted({r["rule_text"] for _, _, r in res.compared})
        result, note = res.result, ""
        if res.disagreeing:
            note = "; ".join(f"HS2022 {_dotted(new)} ← HS2012 {_dotted(old)} ({official['source'].split()[-1] or '-'}): "
                             f"{why}" for new, old, official, why in res.disagreeing[:4])
            note += f" (and {len(res.disagreeing) - 4} more)" if len(res.disagreeing) > 4 else ""
        elif res.unmapped:
            note = f"no HS2012 source for {', '.join(_dotted(c) for c in res.unmapped[:4])}"
        marked = "agrees with the official English RCEP Annex 3A" in (row["verification_detail"] or "")
        if (result == "agree" and row["verification"] != "verified_en") or (marked and result != "agree"):
            result, note = "disagree", f"built data says {row['verification']}; the comparison says {res.result}"
        chk.comparisons.append(Comparison(
            f"{RCEP_HS2012_PDF} {res.pages}".strip(), _dotted(row["hs_code"]), " | ".join(officials) or "(none)",
            row["rule_text"], result, note or row["verification"]))
    return chk


CHECKS = (check_rcep_hs2022, check_rcep_hs2012, check_rcep_en_crosscheck, check_atiga_guidelines, check_flags,
          check_textile_list, check_rcep_hs2012_annex)


def run(source: Path = DEFAULT_SOURCE) -> list[Check]:
    return [check(source) for check in CHECKS]


def disagreements(checks: list[Check]) -> int:
    return sum(c.count("disagree") for c in checks)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(checks: list[Check]) -> str:
    out = io.StringIO()
    w = out.write
    total = {r: sum(c.count(r) for c in checks) for r in ("agree", "disagree", "not compared")}
    w("# Cross-check report: transcribed rules of origin against official texts\n\n")
    w("Generated by `python -m noodlebowl.coverage.crosscheck --write docs/crosscheck_report.md`; "
      "`tests/test_coverage_crosscheck.py` fails when this file is not up to date. "
      f"Reference data `{refdata.data_version()}`.\n\n")
    w(f"**Comparisons: {sum(total.values())}. Agreements: {total['agree']}. "
      f"Disagreements: {total['disagree']}. Not compared: {total['not compared']}.**\n\n")
    w("| check | comparisons | agree | disagree | not compared |\n|---|---:|---:|---:|---:|\n")
    for c in checks:
        w(f"| [{c.title}](#{c.key}) | {len(c.comparisons)} | {c.count('agree')} | {c.count('disagree')} | "
          f"{c.count('not compared')} |\n")
    w("\nRules are compared as parsed trees (`noodlebowl.rules.parse_rule`), with the order of alternatives "
      "and of conjunctions ignored: wording and formatting never count as a disagreement.\n")
    w("\nNo rule text of the built data is corrected by these checks: every disagreement below is in a "
      "derived source file (the textile CSV), or is already carried by the data as `unverified` / an "
      "incomplete part, or is listed for a person to decide. One status follows from them: an RCEP HS2022 "
      "row that agrees with the official English HS2012 Annex 3A is `verified_en` in the built data "
      "(set by the importer `tools/importers/rcep_hs2012.py` with the same comparison; the last check "
      "fails any row whose status does not match).\n")
    for c in checks:
        w(f"\n<a id=\"{c.key}\"></a>\n## {c.title}\n\n{c.method}\n\n")
        bad = [x for x in c.comparisons if x.result == "disagree"]
        w(f"Disagreements: {len(bad)}\n\n")
        if bad:
            w("| reference | code | official / reference | ours | note |\n|---|---|---|---|---|\n")
            for x in bad:
                w(f"| {_cell(x.reference)} | {_cell(x.code)} | {_cell(x.official)} | {_cell(x.ours)} | {_cell(x.note)} |\n")
        w(f"\n<details><summary>All {len(c.comparisons)} comparisons</summary>\n\n")
        w("| reference | code | official / reference | ours | result | note |\n|---|---|---|---|---|---|\n")
        for x in c.comparisons:
            w(f"| {_cell(x.reference)} | {_cell(x.code)} | {_cell(x.official)} | {_cell(x.ours)} | {x.result} | "
              f"{_cell(x.note)} |\n")
        w("\n</details>\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cross-check the transcribed PSR tables against official texts.")
    parser.add_argument("--write", type=Path, help="write the Markdown report here (default: print it)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the shared source data folder")
    args = parser.parse_args(argv)
    checks = run(args.source)
    text = render_markdown(checks)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
        print(f"{args.write}: {disagreements(checks)} disagreement(s) in "
              f"{sum(len(c.comparisons) for c in checks)} comparisons", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
