import json

from noodlebowl.refdata import data_version


def test_version_reports_data_version(cli):
    result = cli("version", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["data_version"] == data_version()


def test_unknown_command_is_a_usage_error(cli):
    result = cli("no-such-command")
    assert result.exit_code == 2
