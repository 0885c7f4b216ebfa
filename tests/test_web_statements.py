"""Origin statements withhold the supplier's figures by check name, never by reading sentences."""

from __future__ import annotations

import json

from noodlebowl.origin import determine, parse_request
from noodlebowl.web import statements

REQUEST = {"exporter": "TH", "importer": "VN", "date": "2026-03-01", "agreements": ["ATIGA"],
           "product": {"hs": "6911.10", "description": "Porcelain tableware", "fob": "100.00"},
           "materials": [{"name": "Porcelain blank", "hs": "6911.10", "origin": "MY", "value": "65.00",
                          "regional_content_percent": "30"}]}


def _statement():
    answer = determine(parse_request(REQUEST))
    stored = {"id": "d1", "request": REQUEST, "data_version": answer[0].data_version,
              "answer": {"determinations": [json.loads(d.model_dump_json()) for d in answer]}}
    return statements.build(stored, "ATIGA", token_iat=1_780_000_000, token_exp=1_790_000_000), answer[0]


def test_figures_of_value_checks_are_withheld_and_results_kept():
    statement, d = _statement()
    by_check = {c.check: c for c in statement.checks}
    # partial cumulation's sentence holds the blank's originating value (19.50), the RVC its figures
    for name in ("partial_cumulation", "rvc_build_down"):
        assert by_check[name].detail == statements.WITHHELD
        assert by_check[name].result == next(c.result.value for c in d.checks if c.check == name)
    text = statement.model_dump_json()
    assert "19.50" not in text and "45.50" not in text and "65.00" not in text and "100.00" not in text


def test_checks_without_figures_are_shown_as_the_engine_wrote_them():
    statement, d = _statement()
    engine = {(c.check, c.subject): c.detail for c in d.checks}
    for c in statement.checks:
        if c.check in statements.FIGURE_FREE_CHECKS:
            assert c.detail == engine[(c.check, c.subject)]
    assert any(c.check == "tariff_shift" and c.detail != statements.WITHHELD for c in statement.checks)
