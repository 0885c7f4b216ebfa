"""The batch keys hold every modelled agreement and every rule-table edition (no aliasing)."""

from __future__ import annotations

import polars as pl

from noodlebowl.batch import kernel
from noodlebowl.origin.psr import table_editions


def test_plan_key_decodes_to_the_agreement_table_edition_and_code_it_encodes():
    tables = [*range(len(kernel.EDITIONS)), kernel.NO_TABLE]
    rows = [(code, edition, a, t) for code in ("850440", "8504", "01") for edition in kernel.EDITIONS
            for a in range(kernel.NA) for t in tables]
    frame = pl.DataFrame(rows, schema={"hs": pl.String, "edition": pl.String, "a_idx": pl.Int64, "table": pl.Int64},
                         orient="row")
    keys = frame.select(kernel.plan_key(pl.col("hs"), pl.col("edition"), pl.col("a_idx"),
                                        pl.col("table"))).to_series().to_list()
    assert len(set(keys)) == len(rows)          # no two (code, edition, table, agreement) share a key
    for (code, edition, a, t), key in zip(rows, keys):
        assert kernel.MODELLED[key % kernel.NA] == kernel.MODELLED[a]
        assert key // kernel.NA % 4 == t
        assert kernel.EDITIONS[key // kernel.NA // 4 % 4] == edition
        rest = key // kernel.NA // 16
        assert str(rest // 16).zfill(rest % 16) == code


def test_every_rule_table_edition_is_one_the_kernel_knows():
    used = {e for a in kernel.MODELLED for e in table_editions(a)}
    assert used <= set(kernel.EDITIONS) and {"HS2012", "HS2017", "HS2022"} <= used
    assert kernel.NO_TABLE == len(kernel.EDITIONS) < 4   # the table takes two bits of the key
    assert kernel.NA == len(kernel.MODELLED) >= 7
    assert sorted(kernel.AGREEMENT_BIT.values()) == [1 << i for i in range(kernel.NA)]
