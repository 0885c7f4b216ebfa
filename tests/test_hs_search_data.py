"""The labelled data behind hs search: its fixed train / held-out split, the importer's checks,
and the numbers read from queries and HS texts."""

import shutil
from decimal import Decimal

import pytest

from noodlebowl.hs.quantities import bounds, compare, quantities
from noodlebowl.refdata import rows
from tools.buildkit import BuildContext
from tools.importers import hs_labelled


def test_split_is_by_text_and_covers_every_source():
    labelled = rows("hs_labelled")
    assert len(labelled) == 6757
    for r in labelled[::50]:
        assert r["fold"] == hs_labelled.fold_of(r["text"])
        assert r["split"] == ("heldout" if r["fold"] == hs_labelled.HELDOUT_FOLD else "train")
    by_source = {}
    for r in labelled:
        by_source.setdefault(r["source"], []).append(r["split"] == "heldout")
    assert set(by_source) == set(hs_labelled.SOURCES)
    for source, held in by_source.items():
        assert 0.1 < sum(held) / len(held) < 0.3, source  # about a fifth of each source is held out


def test_the_same_words_always_land_in_the_same_fold():
    assert hs_labelled.fold_of("Frozen  peeled shrimp") == hs_labelled.fold_of("frozen peeled shrimp")
    folds_of_text: dict[str, set[int]] = {}
    for r in rows("hs_labelled"):
        folds_of_text.setdefault(" ".join(r["text"].lower().split()), set()).add(r["fold"])
    assert all(len(f) == 1 for f in folds_of_text.values())


def _source_with(tmp_path, shared_data, line: str):
    (tmp_path / "hs" / "labelled").mkdir(parents=True)
    for name in ("hs2022.csv", "ahtn2022_vn.csv"):
        shutil.copy(shared_data / "hs" / name, tmp_path / "hs" / name)
    header = "text,hs6,source,licence,origin,mapping\n"
    good = "frozen prawns,030617,uk_search_refs,OGL v3,test,hs2022\n"
    (tmp_path / hs_labelled.SOURCE).write_text(header + good + line, encoding="utf-8")
    return BuildContext(source=tmp_path)


@pytest.fixture
def shared_data():
    from tests.conftest import SHARED_DATA

    if not (SHARED_DATA / hs_labelled.SOURCE).exists():
        pytest.skip("source data folder not available")
    return SHARED_DATA


@pytest.mark.parametrize("line, fragment", [
    ("mystery goods,999999,uk_search_refs,OGL v3,test,hs2022\n", "line 3, field hs6: '999999' is not an HS2022"),
    ("shrimps,030617,ebay,OGL v3,test,hs2022\n", "line 3, field source: 'ebay' is unknown; accepted: uk_search_refs"),
    (" ,030617,uk_search_refs,OGL v3,test,hs2022\n", "line 3, field text: empty description"),
])
def test_importer_names_the_bad_row_and_field(tmp_path, shared_data, line, fragment):
    with pytest.raises(SystemExit) as exc:
        hs_labelled.build(_source_with(tmp_path, shared_data, line))
    assert fragment in str(exc.value) and hs_labelled.SOURCE in str(exc.value)


def test_importer_indexes_train_rows_only(tmp_path, shared_data):
    ctx = _source_with(tmp_path, shared_data, "tiger prawns frozen,030617,uk_extra_refs,OGL v3,test,hs2022\n")
    tables = hs_labelled.build(ctx)
    labelled = tables["hs_labelled"].to_pylist()
    docs = tables["hs_search_docs"].to_pylist()
    indexed = {d["text"] for d in docs if d["kind"] == "labelled"}
    assert indexed == {r["text"] for r in labelled if r["split"] == "train"}


@pytest.mark.parametrize("text, value, dimension", [
    ("1500cc", Decimal(1500), "cm3"), ("3 tonnes", Decimal(3000), "kg"), ("900 g", Decimal("0.9"), "kg"),
    ("1,000 W", Decimal(1000), "W"), ("2.5 kW", Decimal(2500), "W"), ("12V", Decimal(12), "V"),
])
def test_query_quantities_in_base_units(text, value, dimension):
    [q] = quantities(f"a product of {text} here")
    assert (q.value, q.dimension) == (value, dimension)


def test_numbers_without_units_are_not_quantities():
    assert quantities("model 2020, pack of 12") == []


def test_ranges_of_hs_texts():
    text = "cylinder capacity over 1000 but not over 1500cc"  # UN Comtrade wording of 8703.22
    assert [b.describe() for b in bounds(text)] == ["> 1000cc", "≤ 1500cc"]
    assert [b.describe() for b in bounds("of a width 600mm or more, of a thickness exceeding 10mm")] == \
        ["≥ 600mm", "> 10mm"]
    assert [b.describe() for b in bounds("weighing less than 4.75mm")] == ["< 4.75mm"]


def test_compare_query_with_a_range():
    wanted = quantities("sedan 1500cc")
    assert [c.fits for c in compare(wanted, "cylinder capacity over 1000 but not over 1500cc")] == [True, True]
    assert [c.fits for c in compare(wanted, "cylinder capacity over 1500 but not over 3000cc")] == [False, True]
    assert compare(wanted, "of a weight exceeding 10 kg") == []  # another dimension: nothing to compare
    assert [c.fits for c in compare(quantities("truck 3 tonnes"), "gvw not exceeding 5 tonnes")] == [True]
