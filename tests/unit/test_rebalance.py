"""The moves that spread replicas over added brokers (module_utils rebalance, filter rebalance_plan)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.filter.partitions import (  # noqa: E402
    rebalance_plan,
    restart_batches,
)
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


def six_brokers_over_three_zones() -> tuple[rb.Assignment, dict[str, tuple[int, str | None]]]:
    """Brokers 1-6, zone a: 1 and 4, b: 2 and 5, c: 3 and 6; every partition has a replica in each zone."""
    zones = {f"kafka-{b}": (b, "abc"[(b - 1) % 3]) for b in range(1, 7)}
    assignment = {("orders", p): [(p + i) % 3 + 1 + 3 * (p % 2) for i in range(3)] for p in range(12)}
    return assignment, zones


def test_zone_restarts_group_the_brokers_of_each_zone_in_restart_order():
    assignment, zones = six_brokers_over_three_zones()
    order = ["ctl-1", "ctl-2", *sorted(zones)]
    batches, notes = rb.zone_batches(order, zones, assignment)
    assert batches == [
        ["ctl-1"],
        ["ctl-2"],
        ["kafka-1", "kafka-4"],
        ["kafka-2", "kafka-5"],
        ["kafka-3", "kafka-6"],
    ]
    assert notes == []
    # a zone restart takes at most one replica of any partition, as one broker's restart does
    for batch in batches[2:]:
        ids = {zones[host][0] for host in batch}
        assert all(len(ids.intersection(replicas)) <= 1 for replicas in assignment.values())


def test_a_zone_holding_two_replicas_of_a_partition_restarts_one_at_a_time_and_says_why():
    assignment, zones = six_brokers_over_three_zones()
    assignment[("payments", 0)] = [1, 4, 2]
    batches, notes = rb.zone_batches(sorted(zones), zones, assignment)
    assert batches == [["kafka-1"], ["kafka-4"], ["kafka-2", "kafka-5"], ["kafka-3", "kafka-6"]]
    assert notes == [
        "zone a (kafka-1, kafka-4) holds two replicas of payments-0: its brokers restart one at a time"
    ]


def test_brokers_without_a_rack_and_hosts_not_allowed_to_batch_restart_alone():
    assignment, zones = six_brokers_over_three_zones()
    zones["kafka-4"] = (4, None)
    order = ["kafka-1", "kafka-2", "kafka-4", "kafka-5", "combined-7"]
    batches, notes = rb.zone_batches(order, zones, assignment)
    assert batches == [["kafka-1"], ["kafka-2", "kafka-5"], ["kafka-4"], ["combined-7"]]
    assert notes == ["kafka-4 has no kafka_rack: it restarts alone"]


def test_the_restart_batches_filter_reads_the_describe_output_and_the_inventory():
    describe = (FIXTURES / "describe-3.9.txt").read_text()
    hostvars = {
        "kafka-1": {"kafka_broker_id": 1, "kafka_rack": "a"},
        "kafka-2": {"kafka_broker_id": 2, "kafka_rack": "a"},
        "kafka-3": {"kafka_node_id": 3, "kafka_rack": ""},
    }
    result = restart_batches(
        ["kafka-1", "kafka-2", "kafka-3"], describe, hostvars, ["kafka-1", "kafka-2", "kafka-3"]
    )
    assert result["batches"] == [["kafka-1"], ["kafka-2"], ["kafka-3"]]
    assert result["notes"][0] == "kafka-3 has no kafka_rack: it restarts alone"
    assert result["notes"][1] == (
        "zone a (kafka-1, kafka-2) holds two replicas of __consumer_offsets-0, __consumer_offsets-1,"
        " __consumer_offsets-2 and 52 more: its brokers restart one at a time"
    )
