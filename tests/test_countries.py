"""Countries: ISO codes through pycountry; ASEAN membership from the packaged parties data."""

import pytest

from noodlebowl.countries import asean_members, country
from noodlebowl.errors import UnknownCountry
from noodlebowl.refdata import rows


@pytest.mark.parametrize("code", ["VN", "vn", "VNM", "vnm", " Vn ", "Viet Nam"])
def test_country_accepts_alpha2_alpha3_any_case(code):
    c = country(code)
    assert (c.iso2, c.iso3, c.name) == ("VN", "VNM", "Viet Nam")


def test_unknown_country_has_suggestions():
    with pytest.raises(UnknownCountry) as err:
        country("Japn")
    assert any(s.startswith("JP") for s in err.value.suggestions)


def test_uk_suggests_gb():
    with pytest.raises(UnknownCountry) as err:
        country("UK")
    assert err.value.suggestions[0].startswith("GB")


@pytest.mark.parametrize("bad", ["", "   ", "XQ", "ZZZ"])
def test_not_a_country(bad):
    with pytest.raises(UnknownCountry):
        country(bad)


def test_asean_members_come_from_parties_data():
    expected = {r["iso2"] for r in rows("parties") if r["asean_member"]}
    assert asean_members() == expected
    assert len(expected) == 10 and "VN" in expected and "CN" not in expected and "JP" not in expected


def test_module_attribute_asean():
    import noodlebowl.countries as countries

    assert countries.ASEAN == asean_members()
