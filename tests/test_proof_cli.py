"""`noodlebowl proof` and `noodlebowl proof-options`: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLENDER = REPO / "examples" / "blender.yaml"


def test_proof_options_text_and_json(cli):
    res = cli("proof-options", "--agreement", "ATIGA", "--exporter", "VN", "--importer", "TH",
              "--date", "2026-03-01", "--fob-usd", "150")
    assert res.exit_code == 0, res.stderr
    assert "e-Form D" in res.stdout and "Rule 15" in res.stdout
    res = cli("proof-options", "-a", "RCEP", "--exporter", "VN", "--importer", "TH", "--date", "2026-03-01",
              "--fob-usd", "200.01", "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["waiver"]["applies"] is False
    doo = next(o for o in data["options"] if o["id"] == "declaration_by_exporter_or_producer")
    assert "not yet required to be implemented by TH until 2032-01-01" in doo["reason"]


@pytest.mark.parametrize("args", [
    ("proof-options", "-a", "ATIGA", "--exporter", "VN", "--importer", "CN"),          # not a party
    ("proof-options", "-a", "XYZ", "--exporter", "VN", "--importer", "TH"),            # unknown agreement
    ("proof-options", "-a", "RCEP", "--exporter", "VN", "--importer", "QQ"),           # unknown country
    ("proof-options", "-a", "RCEP", "--exporter", "VN", "--importer", "TH", "--fob-usd", "abc"),
    ("proof-options", "-a", "RCEP", "--exporter", "VN", "--importer", "TH", "--date", "2026-13-01"),
    ("proof", str(BLENDER), "--agreement", "NOPE"),
    ("proof", "does-not-exist.yaml", "--agreement", "RCEP"),
    ("proof", str(BLENDER), "--agreement", "ATIGA"),                                 # VN -> JP: not ATIGA
])
def test_bad_input_exits_2_with_one_sentence(cli, args):
    res = cli(*args)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert res.stderr.strip().startswith("error:") and "Traceback" not in res.stderr


def test_missing_agreement_option_is_a_usage_error(cli):
    assert cli("proof", str(BLENDER)).exit_code == 2


def _rcep_determination():
    from noodlebowl.origin import determine, load_request
    return determine(load_request(BLENDER).model_copy(update={"agreements": ["RCEP"]}))[0]


def test_proof_end_to_end_writes_pdf_and_json(cli, tmp_path):
    d = _rcep_determination()
    out = tmp_path / "draft.pdf"
    res = cli("proof", str(BLENDER), "--agreement", "RCEP", "--out", str(out), "--format", "json")
    if d.outcome.value != "qualifies":
        assert res.exit_code == 2 and "noodlebowl qualify" in res.stderr or "undetermined" in res.stderr
        return
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    box10 = next(f for f in data["draft"]["forms"][0]["fields"] if f["box"] == "10")
    assert box10["value"] == d.form_code
    assert out.read_bytes().startswith(b"%PDF")
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["form_code"] == d.form_code
    text = cli("proof", str(BLENDER), "--agreement", "RCEP")
    assert text.exit_code == 0 and "DRAFT" in text.stdout and "TO BE COMPLETED" in text.stdout


def test_proof_refuses_a_non_qualifying_product(cli, tmp_path):
    _rcep_determination()
    req = tmp_path / "req.yaml"
    req.write_text(
        "exporter: VN\nimporter: JP\ndate: 2026-03-01\n"
        "product: {hs: '8509.40', description: Food blender, fob: '100.00', currency: USD}\n"
        "costs: {direct_labour: '1', direct_overhead: '1', profit: '1', other: '1'}\n"
        "materials:\n"
        "  - {name: Complete blender, hs: '8509.40', origin: DE, originating: false, value: '95.00'}\n"
        "facts: {minimal_operations_only: false}\n", encoding="utf-8")
    res = cli("proof", str(req), "--agreement", "RCEP")
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert ("not originating under RCEP" in res.stderr) or ("undetermined" in res.stderr)
