"""The moves that spread replicas over added brokers (module_utils rebalance, filter rebalance_plan)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.filter.partitions import rebalance_plan  # noqa: E402
from ansible_collections.kafka_aws.kafka.plugins.module_utils import rebalance as rb  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def per_broker(assignment: rb.Assignment) -> Counter:
    return Counter(r for replicas in assignment.values() for r in replicas)


def three_brokers(partitions: int = 12, rf: int = 3) -> rb.Assignment:
    """A topic spread round-robin over brokers 1-3, as Kafka creates it."""
    return {("orders", p): [(p + i) % 3 + 1 for i in range(rf)] for p in range(partitions)}


def test_the_real_describe_outputs_are_read_partition_by_partition():
    for release in ("3.9", "4.4"):
        text = (FIXTURES / f"describe-{release}.txt").read_text()
        assignment = rb.parse_assignment(text)
        lines = [
            line for line in text.splitlines() if "\tPartition: " in line and "PartitionCount" not in line
        ]
        assert len(assignment) == len(lines) > 0
    assert rb.parse_assignment((FIXTURES / "describe-3.9.txt").read_text())[("verify-acks", 0)] == [3, 2, 1]


def test_an_added_broker_gets_its_share_with_the_fewest_moves():
    before = three_brokers()
    changed = rb.plan(before, {1: "a", 2: "b", 3: "c", 4: "d"})
    counts = per_broker({**before, **changed})
    assert counts == {1: 9, 2: 9, 3: 9, 4: 9}  # 36 replicas over 4 brokers
    assert len(changed) == 9  # one replica per move: nothing moved twice
    for key, replicas in changed.items():
        assert len(set(replicas)) == len(replicas) == 3
        assert sum(a != b for a, b in zip(before[key], replicas, strict=True)) == 1  # in place


def test_moves_keep_every_partition_on_as_many_racks():
    before = three_brokers()
    racks = {1: "a", 2: "b", 3: "c", 4: "a", 5: "b"}
    changed = rb.plan(before, racks)
    after = {**before, **changed}
    assert all(len({racks[r] for r in replicas}) == 3 for replicas in after.values())
    # rack a holds one replica of each of the 12 partitions: brokers 1 and 4 share them, as 2 and 5 share b's
    assert per_broker(after) == {1: 6, 2: 6, 3: 12, 4: 6, 5: 6}
    for key, replicas in changed.items():
        for old, new in zip(before[key], replicas, strict=True):
            assert old == new or racks[old] == racks[new]


def test_a_balanced_cluster_moves_nothing():
    assert rb.plan(three_brokers(), {1: "a", 2: "b", 3: "c"}) == {}
    before = three_brokers()
    once = {**before, **rb.plan(before, {1: "a", 2: "b", 3: "c", 4: "d"})}
    assert rb.plan(once, {1: "a", 2: "b", 3: "c", 4: "d"}) == {}  # a second run plans nothing


def test_brokers_without_racks_count_as_their_own():
    before = three_brokers(partitions=6, rf=2)
    changed = rb.plan(before, {1: None, 2: None, 3: None, 4: None})
    assert per_broker({**before, **changed})[4] == 3


def test_the_filter_gives_the_tool_document_the_report_and_the_counts():
    describe = "".join(
        f"\tTopic: orders\tPartition: {p}\tLeader: {r[0]}\tReplicas: {','.join(map(str, r))}\tIsr: 1,2,3\n"
        for (_, p), r in sorted(three_brokers(partitions=3).items())
    )
    describe = "Topic: orders\tTopicId: x\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: \n" + describe
    got = rebalance_plan(describe, {"1": "a", "2": "b", "3": "c", "4": "a"})
    # broker 4 shares rack a with broker 1: it takes one of broker 1's three replicas, and no other can
    # move without a partition losing a rack
    assert got["reassignment"] == {
        "version": 1,
        "partitions": [{"topic": "orders", "partition": 0, "replicas": [4, 2, 3]}],
    }
    assert got["moves"] == ["orders-0: 1,2,3 -> 4,2,3"]
    assert got["before"] == {"1": 3, "2": 3, "3": 3, "4": 0}
    assert got["after"] == {"1": 2, "2": 3, "3": 3, "4": 1}


def test_removing_a_broker_moves_each_of_its_replicas_to_its_rack_first():
    before = three_brokers()
    racks = {1: "a", 2: "b", 3: "c", 4: "a"}
    grown = {**before, **rb.plan(before, racks)}
    changed, problems = rb.drain(grown, racks, [4])
    after = {**grown, **changed}
    assert problems == []
    assert per_broker(after)[4] == 0
    assert all(len({racks[r] for r in replicas}) == 3 for replicas in after.values())
    assert after == before  # broker 4 took only broker 1's replicas (zone a): they go back to broker 1


def test_removing_brokers_the_rest_cannot_replace_is_refused_naming_the_partitions():
    racks = {1: "a", 2: "b", 3: "c"}
    _, problems = rb.drain(three_brokers(partitions=2), racks, [3])
    assert problems == [
        "orders-0 (replicas 1,2,3) needs 3 brokers and only 2 would remain",
        "orders-1 (replicas 2,3,1) needs 3 brokers and only 2 would remain",
    ]
    racks = {1: "a", 2: "b", 3: "c", 4: "a"}
    _, problems = rb.drain(three_brokers(partitions=1), racks, [3])
    assert problems == [
        "orders-0 (replicas 1,2,3) would span fewer racks than its 3 (no remaining broker in a rack it lacks)"
    ]


def test_the_filter_drains_by_broker_id_and_refuses_with_no_moves():
    describe = "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n"
    got = rebalance_plan(describe, {1: None, 2: None, 3: None}, [2])
    assert got["problems"] == [] and got["moves"] == ["t-0: 1,2 -> 1,3"]
    refused = rebalance_plan(describe, {1: None, 2: None}, [2])
    assert refused["moves"] == [] and refused["problems"] == [
        "t-0 (replicas 1,2) needs 2 brokers and only 1 would remain"
    ]
