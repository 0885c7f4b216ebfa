"""User tariff files: all-or-nothing validation, atomic storage, lookups prefer them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from noodlebowl.errors import DataImportError
from noodlebowl.tariffs import generic
from noodlebowl.tariffs.lookup import measures_for

HEADER = "importer,national_line,regime,origin_scope,valid_from,valid_to,rate,source\n"
GOOD = HEADER + (
    "TH,8517.13.00,MFN,all,2026-01-01,,0%,TH customs 2026\n"
    "TH,8703.23.63,MFN,all,2026-01-01,,80%,TH customs 2026\n"
    "TH,8703.23.63,ATIGA,ASEAN -MM,2026-01-01,,0%,ATIGA schedule\n"
    "TH,1601.00.10,MFN,all,2026-01-01,,max(30%; 25 THB/kg),TH customs\n")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("NOODLEBOWL_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_generic_import_and_lookup(cli, tmp_path, home):
    f = tmp_path / "th.csv"
    f.write_text(GOOD)
    r = cli("tariffs", "import", str(f), "--format-of", "generic", "--importer", "TH", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["measures"] == 4
    assert (home / "tariffs" / "TH.parquet").exists()
    ms = measures_for("TH", "8703.23.63", "MM", dt.date(2026, 3, 1))
    atiga = [m for m in ms if m.regime == "ATIGA"][0]
    assert atiga.excluded and atiga.source_file == str(f) and atiga.data_source.endswith("TH.parquet")


@pytest.mark.parametrize("bad_row, column", [
    ("TH,8517.13.00,MFN,all,2026-01-01,,five percent,x", "rate"),
    ("TH,8517.13.00,MFN,all,2026-13-01,,5%,x", "valid_from"),
    ("TH,85,MFN,all,2026-01-01,,5%,x", "national_line"),
    ("TH,8517.13.00,MFN,all,2026-06-01,,5%,x", "valid_from"),  # overlaps row 2
])
def test_bad_generic_file_names_row_and_column_and_imports_nothing(cli, tmp_path, home, bad_row, column):
    f = tmp_path / "bad.csv"
    f.write_text(GOOD + bad_row + "\n")
    with pytest.raises(DataImportError) as e:
        generic.read_generic(f, importer="TH")
    assert f"{f} row 6 column {column}" in e.value.sentence()
    r = cli("tariffs", "import", str(f), "--format-of", "generic", "--importer", "TH")
    assert r.exit_code == 2 and "row 6" in r.stderr
    assert not (home / "tariffs" / "TH.parquet").exists()


def test_wrong_columns(tmp_path):
    f = tmp_path / "cols.csv"
    f.write_text("importer,line,rate\nTH,85171300,5%\n")
    with pytest.raises(DataImportError, match="missing column"):
        generic.read_generic(f)


def test_wits_export(tmp_path, home):
    f = tmp_path / "wits.csv"
    f.write_text("Reporter,Product code,Tariff year,Duty type,Preference program,"
                 "Simple average AV duty,Total No. Of Lines\n"
                 "MY,851713,2024,MFN,,0,1\n"
                 "MY,870323,2024,MFN,,30,4\n"
                 "MY,870323,2024,PRF,ASEAN Trade in Goods Agreement (ATIGA),0,4\n"
                 "MY,851713,2024,AHS,,0,1\n")
    ms = generic.read_wits(f, "MY")
    assert [(m.regime, m.rate.kind) for m in ms] == [("MFN", "ad_valorem"), ("MFN", "not_computable"),
                                                      ("ATIGA", "not_computable")]
    assert ms[0].valid_from == dt.date(2024, 1, 1) and ms[0].valid_to == dt.date(2025, 1, 1)
    f.write_text("Reporter,Tariff year,Duty type\nMY,2024,MFN\n")
    with pytest.raises(DataImportError, match="Product Code"):
        generic.read_wits(f, "MY")


def test_user_vn_file_wins(cli, tmp_path, home, shared_data):
    src = (shared_data / "tariffs/vn/vn_tariff_tariffvn_flat.csv").read_text(encoding="utf-8-sig")
    lines = src.splitlines()
    f = tmp_path / "vn_small.csv"
    f.write_text("\n".join([lines[0]] + [l for l in lines if l.startswith("3,85171300") or ",85171300," in l]) + "\n")
    r = cli("tariffs", "import", str(f), "--format-of", "vn", "--importer", "VN")
    assert r.exit_code == 0, r.stderr
    ms = measures_for("VN", "85171300", "CN", dt.date(2026, 3, 1))
    assert ms and all(m.source_file == str(f) and m.data_source.endswith("VN.parquet") for m in ms)
