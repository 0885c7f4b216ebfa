"""`noodlebowl qualify` end to end, and the refusal of bad requests with file and field named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLENDER = REPO / "examples" / "blender.yaml"


def test_qualify_json_has_the_documented_keys(cli):
    result = cli("qualify", str(BLENDER), "--format", "json")
    assert result.exit_code == 0, result.stderr
    answers = json.loads(result.stdout)
    assert [a["agreement"] for a in answers] == ["RCEP", "AJCEP"]  # VN→JP: RCEP and AJCEP are modelled and in force
    rcep = answers[0]
    assert set(rcep) >= {"agreement", "in_force", "outcome", "criterion", "form_code", "rule", "rvc", "de_minimis",
                         "checks", "needed", "caveats", "data_version", "summary"}
    assert rcep["rule"]["text"] == "CTSH or RVC40" and rcep["rule"]["row"].startswith("agreements/rcep/")
    assert rcep["outcome"] == "qualifies" and rcep["criterion"] == "CTSH"
    assert all(c["article"] for c in rcep["checks"])
    # build-down: non-originating Motor 30 + Switch 4 (retail box originating, packing left out)
    assert rcep["rvc"]["build_down"] == "66" or float(rcep["rvc"]["build_down"]) == 66.0


def test_qualify_text_reads_as_reasoning(cli):
    result = cli("qualify", str(BLENDER))
    assert result.exit_code == 0, result.stderr
    assert "CTSH or RVC40" in result.stdout and "Art. 3.4(1)" in result.stdout


def _write(tmp_path, text: str, name: str = "req.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


BASE = """exporter: VN
importer: JP
date: 2026-03-01
product: {hs: "8509.40", fob: "100"}
materials:
  - {name: Motor, hs: "8501.10", origin: CN, value: "30"}
"""


@pytest.mark.parametrize("text, fragments", [
    ("exporter: VN\nimporter: [JP\n", ["line", "YAML syntax error"]),
    (BASE.replace('fob: "100"', 'fob: "-5"'), ["product.fob", "positive"]),
    (BASE.replace('fob: "100"', 'fob: "abc"'), ["product.fob", "number"]),
    (BASE.replace('product: {hs: "8509.40", fob: "100"}', 'product: {hs: "8509.40"}'), ["product.fob", "required"]),
    (BASE.replace('value: "30"', 'value: "300"'), ["more than the FOB"]),
    (BASE.replace('value: "30"', 'value: "30", currency: EUR'), ["materials[0].currency"]),
    (BASE.replace("importer: JP", "importer: XX"), ["importer"]),
    (BASE.replace('hs: "8501.10"', 'hs: "85x1"'), ["materials[0].hs"]),
    (BASE.replace('hs: "8509.40"', 'hs: "9999.99"'), ["product.hs"]),
    (BASE + "agreements: [ACFTA]\n", ["ACFTA is not in force"]),
    (BASE.replace('fob: "100"', 'fob: "-5"').replace('value: "30"', 'value: "x"'),
     ["product.fob", "positive", "also field materials[0].value"]),
])
def test_bad_requests_exit_2_naming_the_field(cli, tmp_path, text, fragments):
    result = cli("qualify", _write(tmp_path, text))
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_json_syntax_error_names_line(cli, tmp_path):
    result = cli("qualify", _write(tmp_path, '{"exporter": "VN",', "req.json"))
    assert result.exit_code == 2 and "line 1" in result.stderr


def test_missing_file(cli, tmp_path):
    result = cli("qualify", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_schema_commands(cli):
    for name in ("request", "answer"):
        result = cli("schema", name)
        assert result.exit_code == 0
        assert json.loads(result.stdout)
