"""noodlebowl hs …: JSON keys, text output, and bad input as one sentence with exit code 2."""

import json

import pytest


def test_show_json_keys(cli):
    r = cli("hs", "show", "851713", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == {"edition", "code", "dotted", "level", "description", "path", "children",
                      "ahtn_lines", "source", "notes"}
    assert set(d["path"][0]) == {"level", "code", "dotted", "description"}
    assert set(d["ahtn_lines"][0]) == {"code", "dotted", "hs6", "description", "description_path",
                                       "description_vi", "source_line"}


def test_show_text(cli):
    r = cli("hs", "show", "8517", "--edition", "HS2017")
    assert r.exit_code == 0 and "8517.12" in r.stdout


def test_transpose_json_keys(cli):
    r = cli("hs", "transpose", "8517.12", "--from", "HS2017", "--to", "HS2022", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == {"source_code", "source_dotted", "source_level", "from_edition", "to_edition",
                      "relationship", "ambiguous", "targets", "conversion_hint", "notes", "swept_out",
                      "steps", "parts"}
    assert set(d["targets"][0]) == {"code", "dotted", "description", "relationship", "sweep",
                                    "unsd_conversion", "from_codes"}
    assert d["ambiguous"] is True


def test_transpose_text_no_target(cli):
    r = cli("hs", "transpose", "300219", "--from", "HS2017", "--to", "HS2022")
    assert r.exit_code == 0 and "no HS2022 counterpart" in r.stdout


def test_search_json_keys(cli):
    r = cli("hs", "search", "fresh durian", "--limit", "3", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["query"] == "fresh durian" and len(d["hits"]) == 3
    assert set(d) == {"query", "hits", "headings", "check_between", "advice"}
    assert set(d["hits"][0]) == {"code", "dotted", "description", "score", "heading", "why", "siblings"}
    assert set(d["hits"][0]["why"]) == {"subheading", "ahtn", "ahtn_line", "heading", "chapter",
                                        "coverage", "examples", "numbers"}


def test_search_text(cli):
    r = cli("hs", "search", "smartphone")
    assert r.exit_code == 0 and "8517.13" in r.stdout


@pytest.mark.parametrize("args, fragment", [
    (("hs", "show", "abc"), "is not an HS code"),
    (("hs", "show", "8517.99"), "did you mean 8517."),
    (("hs", "show", "851713", "--edition", "HS2019"), "accepted: HS2012, HS2017, HS2022"),
    (("hs", "transpose", "851713", "--from", "HS2017", "--to", "HS2022"), "not a subheading in HS2017"),
    (("hs", "search", " "), "empty search text"),
])
def test_bad_input_is_one_sentence_exit_2(cli, args, fragment):
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and fragment in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
