"""The web API's HS search returns the library's hits with the same reasons."""

from __future__ import annotations

import pytest

from noodlebowl.hs.search import classify
from tests.test_web_fixtures import make_client


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with make_client(f"sqlite:///{tmp_path_factory.mktemp('web') / 'api.db'}") as c:
        yield c


@pytest.mark.parametrize("query", ["rubber gloves for surgery", "petrol engine for a car 1500cc"])
def test_api_search_equals_the_library_answer(api, query):
    body = api.get("/hs/search", params={"q": query, "limit": 5}).json()
    assert body == {"query": query, **{k: v for k, v in classify(query, 5).as_dict().items() if k != "query"}}
    assert body["hits"][0]["why"]["subheading"] and body["hits"][0]["siblings"]
