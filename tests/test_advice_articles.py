"""Advice cites the articles of the agreement's provisions (agreements/parameters/*.yaml), never its own."""

from __future__ import annotations

import datetime as dt

from noodlebowl.advice.headroom import rvc_margins
from noodlebowl.agreements.provisions import provision
from noodlebowl.origin import determine, parse_request


def test_rvc_margins_cite_each_methods_article_from_the_yaml():
    request = parse_request({
        "exporter": "VN", "importer": "JP", "date": "2026-03-01", "agreements": ["RCEP"],
        "product": {"hs": "8711.20", "fob": "100.00"},
        "costs": {"direct_labour": "10", "direct_overhead": "5", "profit": "5", "other": "0"},
        "materials": [{"name": "Engine", "hs": "8407.32", "origin": "CN", "value": "40.00"}]})
    margins = rvc_margins(request, determine(request)[0])
    methods = {m["method"]: m["article"] for m in provision("RCEP", "rvc.methods", dt.date(2026, 3, 1)).value}
    assert {m.method: m.article for m in margins} == methods
    # RCEP Art. 3.5(1): (a) is the build-down formula, (b) the build-up one
    assert methods == {"build_down": "RCEP Art. 3.5(1)(a)", "build_up": "RCEP Art. 3.5(1)(b)"}
