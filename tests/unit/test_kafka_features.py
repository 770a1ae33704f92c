"""kafka_features: parsing kafka-features.sh output, planning the upgrade, and the module's flow against a
fake kafka-features.sh (version-mapping outputs are the real Kafka 4.4.0 tool's; describe lines follow the
tool's formats: tab separated as quoted from a cluster, padded as Kafka 4.4.0's format string prints)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.module_utils import (  # noqa: E402
    kafka_features as kf,
)
from ansible_collections.kafka_aws.kafka.plugins.modules import (  # noqa: E402
    kafka_features as module,
)

# `kafka-features.sh version-mapping --release-version 4.4` (Kafka 4.4.0).
MAPPING_4_4 = """\
metadata.version=33 (4.4)
kraft.version=1
transaction.version=2
group.version=1
eligible.leader.replicas.version=1
share.version=2
streams.version=1
"""
# `... --release-version 3.9`.
MAPPING_3_9 = """\
metadata.version=21 (3.9)
kraft.version=1
transaction.version=0
group.version=0
eligible.leader.replicas.version=0
share.version=0
streams.version=0
"""
# `... --release-version 4.0-IV3`.
MAPPING_4_0_IV3 = """\
metadata.version=25 (4.0-IV3)
kraft.version=1
transaction.version=2
group.version=1
eligible.leader.replicas.version=0
share.version=0
streams.version=0
"""
UNKNOWN_RELEASE = (
    "Unknown metadata.version '9.9'. Supported metadata.version are: 3.3-IV3, 3.4-IV0, 3.5-IV0, 3.5-IV1, "
    "3.5-IV2, 3.6-IV0, 3.6-IV1, 3.6-IV2, 3.7-IV0, 3.7-IV1, 3.7-IV2, 3.7-IV3, 3.7-IV4, 3.8-IV0, 3.9-IV0, "
    "4.0-IV0, 4.0-IV1, 4.0-IV2, 4.0-IV3, 4.1-IV0, 4.1-IV1, 4.2-IV0, 4.2-IV1, 4.3-IV0, 4.4-IV0, 4.4-IV1, "
    "4.4-IV2, 4.5-IV0\n"
)
# A 3.9 cluster, as the 3.9 tool prints it: tab separated, only the features the node supports.
DESCRIBE_3_9 = (
    "Feature: kraft.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 0\t"
    "Epoch: 4\n"
    "Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 3.9-IV0\t"
    "FinalizedVersionLevel: 3.9-IV0\tEpoch: 4\n"
)
# A 4.0 node still at 3.9's levels (the line quoted from a real cluster).
DESCRIBE_4_0 = (
    "Feature: kraft.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 0\t"
    "Epoch: 4\n"
    "Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 4.0-IV3\t"
    "FinalizedVersionLevel: 3.9-IV0\tEpoch: 32\n"
)
# The Kafka 4.4.0 tool (`Feature: %-40s  SupportedMinVersion: %-15s  ...  Epoch: %s`), real output of a
# 4.4.0 node formatted with `--release-version 3.9`: every feature listed, levels still those of 3.9.
DESCRIBE_4_4 = (
    "Feature: eligible.leader.replicas.version          SupportedMinVersion: 0                "
    "SupportedMaxVersion: 1                FinalizedVersionLevel: 0                Epoch: 37\n"
    "Feature: group.version                             SupportedMinVersion: 0                "
    "SupportedMaxVersion: 1                FinalizedVersionLevel: 0                Epoch: 37\n"
    "Feature: kraft.version                             SupportedMinVersion: 0                "
    "SupportedMaxVersion: 1                FinalizedVersionLevel: 0                Epoch: 37\n"
    "Feature: metadata.version                          SupportedMinVersion: 3.3-IV3          "
    "SupportedMaxVersion: 4.4-IV2          FinalizedVersionLevel: 3.9-IV0          Epoch: 37\n"
    "Feature: share.version                             SupportedMinVersion: 0                "
    "SupportedMaxVersion: 2                FinalizedVersionLevel: 0                Epoch: 37\n"
    "Feature: streams.version                           SupportedMinVersion: 0                "
    "SupportedMaxVersion: 1                FinalizedVersionLevel: 0                Epoch: 37\n"
    "Feature: transaction.version                       SupportedMinVersion: 0                "
    "SupportedMaxVersion: 2                FinalizedVersionLevel: 0                Epoch: 37\n"
)
TARGET_4_4 = {
    "eligible.leader.replicas.version": 1,
    "group.version": 1,
    "kraft.version": 1,
    "metadata.version": 33,
    "share.version": 2,
    "streams.version": 1,
    "transaction.version": 2,
}
# The admin client's log lines on stderr, then the tool's own error (a describe with no broker up).
TIMEOUT_STDERR = (
    "[2026-11-26 00:11:59,296] WARN [AdminClient clientId=adminclient-1] Connection to node -1 "
    "(localhost/127.0.0.1:1) could not be established. Node may not be available. "
    "(org.apache.kafka.clients.NetworkClient)\n"
    "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. "
    "Call: describeFeatures\n"
)


# --- parsing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (MAPPING_4_4, TARGET_4_4),
        (
            MAPPING_3_9,
            {
                "eligible.leader.replicas.version": 0,
                "group.version": 0,
                "kraft.version": 1,
                "metadata.version": 21,
                "share.version": 0,
                "streams.version": 0,
                "transaction.version": 0,
            },
        ),
        (MAPPING_4_4.replace("(4.4)", "(4.4-IV2)"), TARGET_4_4),  # no --release-version: latest stable
    ],
)
def test_version_mapping(output, expected):
    assert kf.parse_version_mapping(output) == expected


def test_version_mapping_without_metadata_version_is_an_error():
    with pytest.raises(ValueError, match=r"no metadata\.version=N line"):
        kf.parse_version_mapping(UNKNOWN_RELEASE)


def test_describe_tab_separated_lists_only_supported_features():
    assert kf.parse_describe(DESCRIBE_3_9) == {"kraft.version": "0", "metadata.version": "3.9-IV0"}
    assert kf.parse_describe(DESCRIBE_4_0) == {"kraft.version": "0", "metadata.version": "3.9-IV0"}


def test_describe_padded_kafka_4_4():
    raw = kf.parse_describe(DESCRIBE_4_4)
    assert raw == {
        "eligible.leader.replicas.version": "0",
        "group.version": "0",
        "kraft.version": "0",
        "metadata.version": "3.9-IV0",
        "share.version": "0",
        "streams.version": "0",
        "transaction.version": "0",
    }


def test_describe_with_a_level_the_tool_does_not_know():
    line = (
        "Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: UNKNOWN 34\t"
        "FinalizedVersionLevel: UNKNOWN 34\tEpoch: -\n"
    )
    raw = kf.parse_describe(line)
    assert raw == {"metadata.version": "UNKNOWN 34"}
    assert kf.metadata_names(raw) == [] and kf.resolve(raw, {}) == {"metadata.version": 34}


def test_describe_without_feature_lines_is_an_error():
    with pytest.raises(ValueError, match="no `Feature:"):
        kf.parse_describe("org.apache.kafka.common.errors.TimeoutException: Timed out\n")


@pytest.mark.parametrize(
    ("text", "number"), [("0", 0), ("2", 2), ("UNKNOWN 34", 34), ("3.9-IV0", None), ("4.4-IV2", None)]
)
def test_level_number(text, number):
    assert kf.level_number(text) == number


def test_metadata_names_are_looked_up_and_missing_features_are_level_0():
    raw = kf.parse_describe(DESCRIBE_3_9)
    assert kf.metadata_names(raw) == ["3.9-IV0"]
    current = kf.resolve(raw, {"3.9-IV0": 21})
    assert current == {"kraft.version": 0, "metadata.version": 21}
    # transaction.version and the others are not listed by a 3.9 cluster: level 0, so upgraded.
    assert kf.plan(current, TARGET_4_4, [])["transaction.version"] == 2
    with pytest.raises(KeyError):
        kf.resolve(raw, {})


# --- planning --------------------------------------------------------------------------------------------


def test_plan_upgrades_what_is_below_and_skips_kraft_version():
    current = {"kraft.version": 0, "metadata.version": 21}
    assert kf.plan(current, TARGET_4_4, ["kraft.version"]) == {
        "eligible.leader.replicas.version": 1,
        "group.version": 1,
        "metadata.version": 33,
        "share.version": 2,
        "streams.version": 1,
        "transaction.version": 2,
    }
    assert kf.held_back(current, TARGET_4_4, ["kraft.version"]) == {"kraft.version": 1}
    assert "kraft.version" in kf.plan(current, TARGET_4_4, [])
    assert kf.held_back(current, TARGET_4_4, []) == {}


def test_plan_is_empty_when_already_final():
    assert kf.plan(dict(TARGET_4_4), TARGET_4_4, []) == {}
    static = dict(TARGET_4_4, **{"kraft.version": 0})
    assert kf.plan(static, TARGET_4_4, ["kraft.version"]) == {}


def test_plan_partial():
    current = dict(TARGET_4_4, **{"share.version": 1, "metadata.version": 31})
    assert kf.plan(current, TARGET_4_4, []) == {"metadata.version": 33, "share.version": 2}


def test_plan_never_downgrades():
    target_3_9 = kf.parse_version_mapping(MAPPING_3_9)
    assert kf.plan(dict(TARGET_4_4), target_3_9, []) == {}
    ahead = dict(TARGET_4_4, **{"share.version": 3, "metadata.version": 34})
    assert kf.plan(ahead, TARGET_4_4, []) == {}


def test_unknown_skip_names():
    known = set(TARGET_4_4)
    assert kf.unknown_features(["kraft.version"], known) == []
    assert kf.unknown_features(["kraft_version", "kraft.version"], known) == ["kraft_version"]


def test_upgrade_arguments_and_unreached():
    upgrades = {"metadata.version": 33, "group.version": 1}
    assert kf.upgrade_arguments(upgrades) == [
        "upgrade",
        "--feature",
        "group.version=1",
        "--feature",
        "metadata.version=33",
    ]
    assert kf.unreached(upgrades, {"metadata.version": 33, "group.version": 1}) == []
    assert kf.unreached(upgrades, {"metadata.version": 34, "group.version": 1}) == []
    assert kf.unreached(upgrades, {"metadata.version": 21}) == [
        "group.version: expected 1, found 0",
        "metadata.version: expected 33, found 21",
    ]


def test_tool_error_keeps_the_error_not_the_log_lines():
    assert kf.tool_error("", TIMEOUT_STDERR) == (
        "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. "
        "Call: describeFeatures"
    )
    only_logs = TIMEOUT_STDERR.splitlines()[0]
    assert kf.tool_error("", only_logs) == only_logs
    assert kf.tool_error(
        "Could not upgrade share.version to 2. Invalid update version 2 for feature share.version.\n",
        "1 out of 2 operation(s) failed.\n",
    ) == (
        "1 out of 2 operation(s) failed.\n"
        "Could not upgrade share.version to 2. Invalid update version 2 for feature share.version."
    )
    assert kf.tool_error("", "") == "no output"


# --- the module, against a fake kafka-features.sh ------------------------------------------------------

MAPPINGS = {
    "4.4": MAPPING_4_4,
    "4.4-IV2": MAPPING_4_4.replace("(4.4)", "(4.4-IV2)"),
    "3.9": MAPPING_3_9,
    "3.9-IV0": MAPPING_3_9.replace("(3.9)", "(3.9-IV0)"),
    "4.0-IV3": MAPPING_4_0_IV3,
}
METADATA_NAMES = {21: "3.9-IV0", 25: "4.0-IV3", 33: "4.4-IV2"}
SUBCOMMANDS = ("describe", "upgrade", "version-mapping")


class FakeTool:
    """kafka-features.sh against a cluster whose finalized levels are `levels`."""

    def __init__(self, levels, listed=None, padded=False, failures=None, upgrade_applies=True):
        self.levels = dict(levels)
        self.listed = set(listed if listed is not None else levels)  # features the node supports
        self.padded = padded
        self.failures = failures or {}  # subcommand -> (rc, stdout, stderr)
        self.upgrade_applies = upgrade_applies
        self.calls: list[list[str]] = []

    def __call__(self, cmd, environ_update=None, **kwargs):
        assert environ_update == {"KAFKA_HEAP_OPTS": "-Xmx256m"}
        assert cmd[0] == "/opt/kafka/bin/kafka-features.sh"
        index = next(i for i, word in enumerate(cmd) if word in SUBCOMMANDS)
        self.calls.append(cmd)
        arguments = cmd[index:]
        if arguments[0] in self.failures:
            return self.failures[arguments[0]]
        if arguments[0] == "version-mapping":
            release = arguments[arguments.index("--release-version") + 1]
            return (0, MAPPINGS[release], "") if release in MAPPINGS else (1, "", UNKNOWN_RELEASE)
        if arguments[0] == "describe":
            return 0, self.describe(), ""
        features = dict(
            value.split("=")
            for flag, value in zip(arguments[1::2], arguments[2::2], strict=True)
            if flag == "--feature"
        )
        for feature, level in features.items():
            if self.upgrade_applies:
                self.levels[feature] = int(level)
                self.listed.add(feature)
        return 0, "".join(f"{f} was upgraded to {v}.\n" for f, v in sorted(features.items())), ""

    def describe(self) -> str:
        lines = []
        for feature in sorted(self.listed):
            level = self.levels.get(feature, 0)
            shown = METADATA_NAMES[level] if feature == "metadata.version" else str(level)
            cells = [("Feature", feature), ("SupportedMinVersion", "0"), ("SupportedMaxVersion", "9")]
            cells += [("FinalizedVersionLevel", shown), ("Epoch", "7")]
            if self.padded:
                lines.append("  ".join(f"{name}: {value:<15}" for name, value in cells).rstrip())
            else:
                lines.append("\t".join(f"{name}: {value}" for name, value in cells))
        return "\n".join(lines) + "\n"

    def subcommands(self) -> list[list[str]]:
        """Each call from its subcommand on."""
        return [next(cmd[i:] for i, w in enumerate(cmd) if w in SUBCOMMANDS) for cmd in self.calls]


def fake_run_command(monkeypatch, tool: FakeTool) -> None:
    monkeypatch.setattr(AnsibleModule, "run_command", lambda _module, cmd, **kwargs: tool(cmd, **kwargs))


def run(monkeypatch, capsys, tool: FakeTool, **args) -> dict:
    fake_run_command(monkeypatch, tool)
    monkeypatch.setattr(module.time, "sleep", lambda seconds: None)
    params = {"bootstrap_server": "b1:9092,b2:9092", "release_version": "4.4", **args}
    with patch_module_args(params), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def cluster_3_9(**kwargs) -> FakeTool:
    return FakeTool({"kraft.version": 0, "metadata.version": 21}, **kwargs)


def test_finalize_3_9_to_4_4_holding_kraft_version_back(monkeypatch, capsys):
    tool = cluster_3_9()
    result = run(monkeypatch, capsys, tool, skip=["kraft.version"])
    assert not result.get("failed"), result
    assert result["changed"] is True and result["release_version"] == "4.4"
    assert result["before"] == {"kraft.version": 0, "metadata.version": 21}
    assert result["target"] == TARGET_4_4
    upgraded = {k: v for k, v in TARGET_4_4.items() if k != "kraft.version"}
    assert result["upgraded"] == upgraded
    assert result["held_back"] == {"kraft.version": 1}
    assert "skipped" not in result  # Ansible would report the task as skipped
    assert result["after"] == dict(upgraded, **{"kraft.version": 0})
    assert sorted(map(tuple, tool.subcommands()[:2])) == [
        ("describe",),
        ("version-mapping", "--release-version", "4.4"),
    ]
    assert tool.subcommands()[2:] == [
        ["version-mapping", "--release-version", "3.9-IV0"],
        kf.upgrade_arguments(upgraded),
        ["describe"],
        ["version-mapping", "--release-version", "4.4-IV2"],
    ]
    # The bootstrap flag goes before the subcommand, on every call.
    assert all(cmd[1:3] == ["--bootstrap-server", "b1:9092,b2:9092"] for cmd in tool.calls)

    # The second run finds everything final: no upgrade call, nothing changed.
    again = FakeTool(tool.levels, listed=tool.listed)
    second = run(monkeypatch, capsys, again, skip=["kraft.version"])
    assert second["changed"] is False and second["upgraded"] == {}
    assert second["after"] == second["before"] == result["after"]
    assert [c[0] for c in again.subcommands()] == ["version-mapping", "describe", "version-mapping"]


def test_without_skip_kraft_version_is_upgraded_too(monkeypatch, capsys):
    result = run(monkeypatch, capsys, cluster_3_9(padded=True))
    assert result["upgraded"] == TARGET_4_4 and result["after"] == TARGET_4_4 and result["held_back"] == {}


def test_check_mode_makes_no_upgrade_call(monkeypatch, capsys):
    tool = cluster_3_9()
    result = run(monkeypatch, capsys, tool, skip=["kraft.version"], _ansible_check_mode=True)
    assert result["changed"] is True
    assert result["upgraded"] == {k: v for k, v in TARGET_4_4.items() if k != "kraft.version"}
    assert result["after"] == result["before"] == {"kraft.version": 0, "metadata.version": 21}
    assert "upgrade" not in [c[0] for c in tool.subcommands()]


def test_never_downgrades_a_cluster_ahead_of_the_release(monkeypatch, capsys):
    tool = FakeTool(dict(TARGET_4_4))
    result = run(monkeypatch, capsys, tool, release_version="3.9")
    assert result["changed"] is False and result["upgraded"] == {}
    assert "upgrade" not in [c[0] for c in tool.subcommands()]


def test_bootstrap_controller_and_command_config_go_before_the_subcommand(monkeypatch, capsys, tmp_path):
    secrets = tmp_path / "admin.properties"
    secrets.write_text('sasl.jaas.config=... password="s3cr3t-value";\n')
    tool = FakeTool(dict(TARGET_4_4))
    params = {"bootstrap_controller": "c1:9093", "command_config": str(secrets), "release_version": "4.4"}
    fake_run_command(monkeypatch, tool)
    with patch_module_args(params), pytest.raises(SystemExit):
        module.main()
    out = capsys.readouterr().out
    assert json.loads(out)["changed"] is False and "s3cr3t" not in out
    assert all(
        cmd[1:5] == ["--bootstrap-controller", "c1:9093", "--command-config", str(secrets)]
        for cmd in tool.calls
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"bootstrap_controller": "c1:9093"}, "mutually exclusive"),
        ({"bootstrap_server": ""}, "must name at least one host:port"),
    ],
)
def test_exactly_one_bootstrap(monkeypatch, capsys, args, message):
    tool = FakeTool({})
    result = run(monkeypatch, capsys, tool, **args)
    assert result["failed"] is True and message in result["msg"] and tool.calls == []


def test_a_bootstrap_is_required(monkeypatch, capsys):
    fake_run_command(monkeypatch, FakeTool({}))
    with patch_module_args({"release_version": "4.4"}), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "one of the following is required: bootstrap_server, bootstrap_controller" in result["msg"]


def test_a_failing_describe_fails_with_the_tools_error(monkeypatch, capsys):
    tool = cluster_3_9(failures={"describe": (1, "", TIMEOUT_STDERR)})
    result = run(monkeypatch, capsys, tool)
    assert result["failed"] is True
    assert result["msg"] == (
        "kafka-features.sh describe failed (1): org.apache.kafka.common.errors.TimeoutException: "
        "Timed out waiting for a node assignment. Call: describeFeatures"
    )
    assert (
        result["stderr"] == TIMEOUT_STDERR and "--bootstrap-server b1:9092,b2:9092 describe" in result["cmd"]
    )


def test_a_failing_upgrade_fails_with_the_tools_error(monkeypatch, capsys):
    # Kafka 4.4.0's answer when one feature's level is refused: nothing applied, each feature's reason on
    # stdout, the count on stderr.
    reason = (
        "The update failed for all features since the following feature had an error: Invalid update "
        "version 2 for feature share.version. Local controller 1 only supports versions 0-1\n"
    )
    failure = (
        1,
        f"Could not upgrade group.version to 1. {reason}Could not upgrade share.version to 2. {reason}",
        "2 out of 6 operation(s) failed.\n",
    )
    tool = cluster_3_9(failures={"upgrade": failure})
    result = run(monkeypatch, capsys, tool, skip=["kraft.version"])
    assert result["failed"] is True
    assert result["msg"].startswith("kafka-features.sh upgrade failed (1): 2 out of 6 operation(s) failed.\n")
    assert "Could not upgrade share.version to 2. The update failed for all features" in result["msg"]
    assert [c[0] for c in tool.subcommands()].count("describe") == 1  # no describe after a failed upgrade


def test_an_unknown_release_fails_with_the_tools_error(monkeypatch, capsys):
    result = run(monkeypatch, capsys, cluster_3_9(), release_version="9.9")
    assert result["failed"] is True
    assert result["msg"] == "kafka-features.sh version-mapping failed (1): " + UNKNOWN_RELEASE.strip()


def test_an_upgrade_that_does_not_show_fails(monkeypatch, capsys):
    tool = cluster_3_9(upgrade_applies=False)
    result = run(monkeypatch, capsys, tool, skip=["kraft.version"])
    assert result["failed"] is True
    assert (
        "does not show the new level of eligible.leader.replicas.version: expected 1, found 0"
        in (result["msg"])
    )
    assert "metadata.version: expected 33, found 21" in result["msg"]
    calls = [c[0] for c in tool.subcommands()]
    assert calls.count("upgrade") == 1 and calls.count("describe") == 1 + module.SETTLE_TRIES


def test_a_misspelt_skip_fails_before_any_change(monkeypatch, capsys):
    tool = cluster_3_9()
    result = run(monkeypatch, capsys, tool, skip=["kraft_version"])
    assert result["failed"] is True and result["msg"].startswith(
        "skip lists kraft_version, which is no feature"
    )
    assert "upgrade" not in [c[0] for c in tool.subcommands()]
