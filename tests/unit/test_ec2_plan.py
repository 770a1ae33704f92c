"""Provisioning's plan (module_utils/ec2_plan.py) and the security group rules (filter provision)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.filter import provision  # noqa: E402
from ansible_collections.kafka_aws.kafka.plugins.module_utils import ec2_plan  # noqa: E402

ZONES = ["z-a", "z-b", "z-c"]
ZK = {"roles": ["zookeeper", "broker"], "count": 3, "data_volume_size": 10}


def instance(
    number: int, roles: str, zone: str, state: str = "running", cluster: str = "c", **extra: str
) -> dict:
    tags = {"kafka:cluster": cluster, "kafka:role": roles, "Name": f"n{number}", **extra}
    if "zookeeper" in roles:
        tags["zookeeper:myid"] = str(number)
    if "broker" in roles:
        tags["kafka:broker-id"] = str(number)
    return {
        "instance_id": f"i-{number}",
        "tags": tags,
        "placement": {"availability_zone": zone},
        "state": {"name": state},
    }


def created(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    assert result["problems"] == []
    return [(c["tags"]["Name"], c["zone"], c["tags"]["kafka:role"]) for c in result["create"]]


def test_a_new_zookeeper_cluster_gets_equal_myid_and_broker_id_over_three_zones():
    result = ec2_plan.plan("c", [ZK], ZONES, [])
    assert created(result) == [
        ("c-zookeeper-broker-1", "z-a", "zookeeper,broker"),
        ("c-zookeeper-broker-2", "z-b", "zookeeper,broker"),
        ("c-zookeeper-broker-3", "z-c", "zookeeper,broker"),
    ]
    tags = result["create"][1]["tags"]
    assert tags["zookeeper:myid"] == tags["kafka:broker-id"] == "2" and "kafka:node-id" not in tags


def test_kraft_controllers_and_brokers_share_one_id_space():
    nodes = [{"roles": ["controller"], "count": 3}, {"roles": ["broker"], "count": 2, "data_volume_size": 5}]
    result = ec2_plan.plan("c", nodes, ZONES, [])
    ids = [(c["tags"]["kafka:role"], c["tags"]["kafka:node-id"]) for c in result["create"]]
    assert ids == [
        ("controller", "1"),
        ("controller", "2"),
        ("controller", "3"),
        ("broker", "4"),
        ("broker", "5"),
    ]
    assert all("kafka:broker-id" not in c["tags"] for c in result["create"])


def test_scaling_up_keeps_ids_fills_the_lowest_free_one_and_the_emptiest_zone():
    existing = [instance(1, "zookeeper,broker", "z-a"), instance(3, "zookeeper,broker", "z-c")]
    existing += [instance(2, "zookeeper,broker", "z-b", state="terminated")]  # a terminated one frees its id
    existing += [instance(4, "broker", "z-a")]
    nodes = [ZK, {"roles": ["broker"], "count": 3, "data_volume_size": 10}]
    assert created(ec2_plan.plan("c", nodes, ZONES, existing)) == [
        ("c-zookeeper-broker-2", "z-b", "zookeeper,broker"),
        ("c-broker-5", "z-b", "broker"),
        ("c-broker-6", "z-c", "broker"),
    ]


def test_a_rerun_plans_nothing_and_other_clusters_do_not_count():
    existing = [instance(n, "zookeeper,broker", z) for n, z in zip((1, 2, 3), ZONES, strict=True)]
    existing += [instance(9, "broker", "z-a", cluster="other")]
    assert ec2_plan.plan("c", [ZK], ZONES, existing) == {"create": [], "terminate": [], "problems": []}


def test_lowering_brokers_terminates_drained_ones_highest_id_first_and_refuses_otherwise():
    existing = [instance(n, "zookeeper,broker", z) for n, z in zip((1, 2, 3), ZONES, strict=True)]
    brokers = [instance(4, "broker", "z-a"), instance(5, "broker", "z-b"), instance(6, "broker", "z-c")]
    nodes = [ZK, {"roles": ["broker"], "count": 1, "data_volume_size": 10}]
    refused = ec2_plan.plan("c", nodes, ZONES, existing + brokers)
    assert refused["terminate"] == [] and "only 0 of its instances are drained" in refused["problems"][0]
    drained = [instance(n, "broker", "z-a", **{"kafka:drained": "true"}) for n in (4, 5)]
    result = ec2_plan.plan("c", nodes, ZONES, existing + drained + brokers[2:])
    assert result == {"create": [], "terminate": ["i-5", "i-4"], "problems": []}


@pytest.mark.parametrize(
    "nodes, existing, message",
    [
        ([{**ZK, "count": 4}], [], "4 zookeepers; a zookeeper quorum needs an odd number"),
        ([{"roles": ["controller"], "count": 2}], [], "2 controllers"),
        (
            [{"roles": ["broker"], "count": 3, "data_volume_size": 1}],
            [],
            "brokers need ZooKeeper members or KRaft",
        ),
        ([{**ZK, "count": 1}], [instance(n, "zookeeper,broker", "z-a") for n in (1, 2, 3)], "never shrinks"),
        ([{"roles": ["zookeeper", "controller"], "count": 3}], [], "not both"),
        ([{"roles": ["broker", "zookeeper"], "count": 3}], [], "data volume of 1 GiB"),
        ([ZK, {**ZK, "roles": ["broker", "zookeeper"]}], [], "declares the roles zookeeper,broker twice"),
        ([{**ZK, "count": "three"}], [], "count must be a whole number"),
        ([ZK], [instance(7, "broker", "z-a")], "has roles broker, which ec2_cluster_nodes does not declare"),
    ],
    ids=[
        "even-ensemble",
        "even-quorum",
        "no-quorum",
        "shrink-ensemble",
        "zk-and-controller",
        "no-volume",
        "twice",
        "count",
        "undeclared",
    ],
)
def test_problems_plan_nothing(nodes, existing, message):
    result = ec2_plan.plan("c", nodes, ZONES, existing)
    assert result["create"] == [] and result["terminate"] == []
    assert any(message in p for p in result["problems"]), result["problems"]


def test_no_myid_above_255():
    existing = [instance(n, "broker", "z-a") for n in range(1, 256)]
    existing += [instance(n, "zookeeper,broker", "z-a") for n in (256, 257, 258)]
    nodes = [{**ZK, "count": 5}, {"roles": ["broker"], "count": 255, "data_volume_size": 1}]
    result = ec2_plan.plan("c", nodes, ZONES, existing)
    assert result["create"] == [] and "ids must be between 1 and 255" in result["problems"][0]


def test_counts_from_extra_vars_are_strings():
    assert len(ec2_plan.plan("c", [{**ZK, "count": "3", "data_volume_size": "10"}], ZONES, [])["create"]) == 3


@pytest.mark.parametrize(
    "subnets, message",
    [
        ([], "ec2_cluster_subnets is empty"),
        ([{"zone": "z-a", "cidr": "10.0.0.0/24", "id": "subnet-1"}], "either cidr"),
        ([{"zone": "z-a"}], "either cidr"),
        ([{"zone": "z-a", "id": "subnet-1"}, {"zone": "z-a", "cidr": "10.0.0.0/24"}], "zone z-a twice"),
    ],
)
def test_subnet_problems(subnets, message):
    assert any(message in p for p in provision.ec2_node_problems([ZK], "c", subnets))


@pytest.mark.parametrize("name", ["prod*", "pro?", "", "  "])
def test_cluster_names_that_tag_filters_would_read_as_patterns_are_refused(name):
    assert provision.ec2_cluster_name_problem(name)
    assert provision.ec2_cluster_name_problem("prod-1") is None


def test_tagged_compares_exactly_and_reads_both_tag_shapes():
    resources = [
        {"id": "a", "tags": {"kafka:cluster": "prod"}},
        {"id": "b", "tags": [{"Key": "kafka:cluster", "Value": "prod"}]},
        {"id": "c", "tags": {"kafka:cluster": "prod2"}},
        {"id": "d"},
    ]
    assert provision.ec2_tagged(resources, {"kafka:cluster": "prod"}, "id") == ["a", "b"]


PORTS = {
    "listeners": [{"name": "INTERNAL", "port": 9091}, {"name": "CLIENT", "port": 9092}],
    "inter_broker_listener": "INTERNAL",
    "controller_listener": {"name": "CONTROLLER", "port": 9093},
    "zookeeper_client": 2181,
    "zookeeper_peer": 2888,
    "zookeeper_election": 3888,
    "kafka_metrics": 7071,
    "zookeeper_metrics": 0,
}
ACCESS = {
    "client_cidrs": ["10.1.0.0/16"],
    "client_groups": ["sg-9"],
    "monitoring_cidrs": [],
    "admin_cidrs": [],
}


def test_security_rules_open_each_port_to_who_needs_it():
    nodes = [{"roles": ["controller"], "count": 3}, {"roles": ["broker"], "count": 3}]
    rules = provision.ec2_security_rules(nodes, "c-kafka", PORTS, ACCESS)
    assert rules == [
        {"proto": "tcp", "ports": [7071, 9091, 9092, 9093], "group_name": "c-kafka", "rule_desc": "members"},
        {"proto": "tcp", "ports": [9092], "cidr_ip": ["10.1.0.0/16"], "rule_desc": "clients"},
        {"proto": "tcp", "ports": [9092], "group_id": "sg-9", "rule_desc": "clients"},
    ]


def test_a_controller_listener_switch_opens_the_further_listener_to_the_members():
    nodes = [{"roles": ["controller"], "count": 3}, {"roles": ["broker"], "count": 3}]
    ports = {**PORTS, "controller_extra_listeners": [{"name": "CONTROLLER_SASL", "port": 9096}]}
    rules = provision.ec2_security_rules(nodes, "c-kafka", ports, ACCESS)
    assert rules[0]["ports"] == [7071, 9091, 9092, 9093, 9096]
    assert [rule["ports"] for rule in rules[1:]] == [[9092], [9092]]
