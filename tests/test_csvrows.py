"""Reading CSV files a user brings: bad files give an error naming the file, never a traceback."""

import pytest

from noodlebowl.csvrows import read_rows
from noodlebowl.errors import DataImportError


def test_rows_remember_their_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n\n3,4\n", encoding="utf-8")
    assert [(r["a"], r["_line"]) for r in read_rows(path)] == [("1", 2), ("3", 4)]


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty file"),
    (b"a,b\n\xff\xfe,1\n", "not UTF-8"),
])
def test_bad_files_are_refused_with_the_file_named(tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataImportError) as info:
        read_rows(path)
    assert fragment in str(info.value) and "bad.csv" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataImportError, match="cannot read file"):
        read_rows(tmp_path / "nope.csv")


def test_user_tariff_import_of_a_binary_file_exits_2(cli, tmp_path):
    path = tmp_path / "vn.csv"
    path.write_bytes(b"\x00\xff\xfe garbage")
    result = cli("tariffs", "import", str(path), "--format-of", "vn", "--importer", "VN")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
