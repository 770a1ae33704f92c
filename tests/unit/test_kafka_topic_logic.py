"""kafka_topic's parsing, validation and planning, fed real Kafka 3.9 and 4.4 tool output."""

from __future__ import annotations

import pytest

from tests.unit.conftest import FIXTURES, load

kt = load("plugins/module_utils/kafka_topics.py", "kafka_topics_logic")
KEYS = kt.TOPIC_CONFIG_KEYS


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def existing(version: str) -> dict:
    topics = kt.parse_describe(fixture(f"describe-{version}.txt"))
    overrides = kt.parse_dynamic_configs(fixture(f"configs-topics-{version}.txt"))
    for name, topic in topics.items():
        topic.configs = overrides.get(name, {})
    return topics


def test_parse_describe_kafka_3_9():
    topics = kt.parse_describe(fixture("describe-3.9.txt"))
    assert topics["verify-acks"].partitions == 3 and topics["verify-acks"].replication_factor == 3
    assert topics["__consumer_offsets"].partitions == 50
    assert topics["fixture.compacted"].configs["cleanup.policy"] == "compact,delete"
    assert topics["fixture.compacted"].partitions == 2


def test_parse_describe_kafka_4_4():
    topics = kt.parse_describe(fixture("describe-4.4.txt"))
    assert set(topics) == {"fixture.compacted", "plain"}
    assert topics["plain"].partitions == 3 and topics["plain"].replication_factor == 1
    assert topics["fixture.compacted"].configs == {
        "min.insync.replicas": "1",
        "cleanup.policy": "compact,delete",
        "retention.ms": "3600000",
    }


@pytest.mark.parametrize("version", ["3.9", "4.4"])
def test_dynamic_configs_are_the_topics_own_overrides(version):
    overrides = kt.parse_dynamic_configs(fixture(f"configs-topics-{version}.txt"))
    assert overrides["fixture.compacted"] == {"cleanup.policy": "compact,delete", "retention.ms": "3600000"}
    if version == "4.4":
        assert (
            overrides["plain"] == {}
        )  # min.insync.replicas=1 in --describe is the broker's, not the topic's


@pytest.mark.parametrize(("version", "ids"), [("3.9", [1, 2, 3]), ("4.4", [1])])
def test_broker_ids(version, ids):
    assert kt.parse_broker_ids(fixture(f"api-versions-{version}.txt")) == ids


def test_all_configs_lists_keys():
    keys = kt.parse_all_configs(fixture("configs-all-3.9.txt"))
    assert {"cleanup.policy", "retention.ms", "min.insync.replicas"} <= keys
    assert keys <= KEYS | {"message.downconversion.enable"}


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("orders", True),
        ("a.b_c-9", True),
        (".", False),
        ("..", False),
        ("bad name", False),
        ("x" * 250, False),
    ],
)
def test_topic_names(name, ok):
    assert (kt.name_error(name) is None) is ok


def test_plan_creates_grows_and_changes_configs():
    current = existing("3.9")
    specs = [
        {"name": "new", "partitions": 6, "replication_factor": 3, "configs": {"retention.ms": 1000}},
        {
            "name": "fixture.compacted",
            "partitions": 4,
            "configs": {"retention.ms": 7200000, "cleanup.policy": None},
        },
        {"name": "verify-acks", "configs": {"min.insync.replicas": 2}},
    ]
    assert kt.validate(specs, current, 3, KEYS, False) == []
    changes = kt.plan(specs, current, prune_configs=False)
    actions = [(c.name, c.action) for c in changes]
    assert actions == [
        ("new", "create"),
        ("fixture.compacted", "partitions"),
        ("fixture.compacted", "configs"),
    ]
    configs = changes[2]
    assert configs.set_configs == {"retention.ms": "7200000"} and configs.delete_configs == ["cleanup.policy"]
    assert configs.after["configs"] == {"retention.ms": "7200000"}
    assert changes[0].set_configs == {"retention.ms": "1000"}


def test_plan_is_empty_when_nothing_changes_and_prune_removes_undeclared():
    current = existing("3.9")
    same = [{"name": "fixture.compacted", "configs": {"cleanup.policy": ["compact", "delete"]}}]
    assert kt.plan(same, current, prune_configs=False) == []
    pruned = kt.plan(same, current, prune_configs=True)
    assert [c.delete_configs for c in pruned] == [["retention.ms"]]


def test_delete_needs_the_guard():
    current = existing("4.4")
    specs = [{"name": "plain", "state": "absent"}, {"name": "never-existed", "state": "absent"}]
    assert "deleting topics is off" in kt.validate(specs, current, 1, KEYS, False)[0]
    assert kt.validate(specs, current, 1, KEYS, True) == []
    assert [(c.name, c.action) for c in kt.plan(specs, current, False)] == [("plain", "delete")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "plain", "partitions": 2}, "can't be lowered from 3 to 2"),
        ({"name": "plain", "replication_factor": 3}, "needs a partition reassignment"),
        ({"name": "new", "replication_factor": 2}, "above the 1 live broker"),
        ({"name": "new", "configs": {"retention.msec": 1}}, "unknown topic config key(s) retention.msec"),
        ({"name": "fixture_compacted"}, "collides with existing topic 'fixture.compacted'"),
        ({"name": "bad/name"}, "may only contain"),
        ({"name": "new", "partitions": 0}, "partitions must be at least 1"),
    ],
)
def test_refusals(spec, message):
    errors = kt.validate([spec], existing("4.4"), 1, KEYS, False)
    assert any(message in e for e in errors), errors


def test_declared_names_colliding_with_each_other():
    errors = kt.validate([{"name": "a.b"}, {"name": "a_b"}], {}, 3, KEYS, False)
    assert errors == ["topics 'a.b' and 'a_b' collide: names may not differ only by '.' and '_'"]


def test_add_config_argument_brackets_lists():
    assert kt.add_config_argument({"retention.ms": "5", "cleanup.policy": "compact,delete"}) == (
        "cleanup.policy=[compact,delete],retention.ms=5"
    )
    assert (
        kt.config_value(True) == "true"
        and kt.config_value(["a", "b"]) == "a,b"
        and kt.config_value(None) is None
    )
