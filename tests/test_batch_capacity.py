"""The batch keys hold every modelled agreement and every rule-table edition (no aliasing)."""

from __future__ import annotations

import polars as pl

from noodlebowl.batch import kernel
from noodlebowl.origin.psr import TABLE_EDITION


def test_plan_key_decodes_to_the_agreement_edition_and_code_it_encodes():
    rows = [(code, edition, a) for code in ("850440", "8504", "01") for edition in kernel.EDITIONS
            for a in range(kernel.NA)]
    frame = pl.DataFrame(rows, schema={"hs": pl.String, "edition": pl.String, "a_idx": pl.Int64}, orient="row")
    keys = frame.select(kernel.plan_key(pl.col("hs"), pl.col("edition"), pl.col("a_idx"))).to_series().to_list()
    assert len(set(keys)) == len(rows)                      # no two (code, edition, agreement) share a key
    for (code, edition, a), key in zip(rows, keys):
        assert kernel.MODELLED[key % kernel.NA] == kernel.MODELLED[a]
        assert kernel.EDITIONS[key // kernel.NA % 4] == edition
        rest = key // kernel.NA // 4
        assert str(rest // 16).zfill(rest % 16) == code


def test_every_rule_table_edition_has_a_material_row():
    assert set(kernel.TE_SUFFIX) == set(TABLE_EDITION.values()) >= {"HS2012", "HS2017", "HS2022"}
    assert kernel.NA == len(kernel.MODELLED) >= 7
    assert sorted(kernel.AGREEMENT_BIT.values()) == [1 << i for i in range(kernel.NA)]
