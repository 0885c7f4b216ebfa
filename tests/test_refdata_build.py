"""The packaged reference data is exactly what the importers build from ../shared/data."""

from __future__ import annotations

import json

from noodlebowl import refdata
from tools.build_data import build


def test_rebuild_from_sources_reproduces_the_packaged_data(shared_data, tmp_path):
    rebuilt = build(shared_data, tmp_path / "a")
    packaged = refdata.manifest()
    assert rebuilt["sources"] == packaged["sources"], "a source file changed: rebuild with python -m tools.build_data"
    for name, table in packaged["tables"].items():
        assert rebuilt["tables"][name]["content_sha256"] == table["content_sha256"], name
        assert rebuilt["tables"][name]["rows"] == table["rows"], name
    assert rebuilt["data_version"] == refdata.data_version()


def test_two_builds_write_identical_bytes(shared_data, tmp_path):
    build(shared_data, tmp_path / "a")
    build(shared_data, tmp_path / "b")
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files_a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_manifest_lists_every_source_with_checksum():
    manifest = refdata.manifest()
    assert manifest["sources"], "no sources recorded"
    for source in manifest["sources"]:
        assert len(source["sha256"]) == 64 and source["path"]
    assert json.dumps(manifest["tables"])  # serialisable
    assert set(manifest["tables"]) >= {"hs_codes", "ahtn_lines", "hs_correlation", "psr", "parties"}
