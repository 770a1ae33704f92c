"""kafka_ec2 end to end: ansible-inventory against the lab's fake EC2 API (a real moto server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lab import config, fake_ec2
from tests.integration.conftest import ansible

pytestmark = pytest.mark.integration


def inventory_list(source: str) -> dict:
    """`--list` as written: plain values from EC2 come out as plain strings, not `__ansible_unsafe`."""
    return json.loads(ansible("ansible-inventory", "-i", source, "--list").stdout)


@pytest.fixture(scope="module")
def source(lab_services, tmp_path_factory) -> Path:
    fake_ec2.seed_cluster(config.EC2_ENDPOINT, "e2e", 3, container_prefix="e2e-", address_base=71)
    path = tmp_path_factory.mktemp("inventory") / "e2e.kafka_ec2.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "plugin": "kafka_ec2",
                "cluster": "e2e",
                "regions": [config.REGION],
                "endpoint_url": config.EC2_ENDPOINT,
                "aws_access_key": "lab",
                "aws_secret_key": "lab",
                "ansible_host_source": "tag:lab:container",
            }
        )
    )
    return path


def test_list(source: Path):
    inventory = inventory_list(str(source))
    names = ["e2e-node1", "e2e-node2", "e2e-node3"]
    for group in ("zookeeper", "broker", "kafka_e2e"):
        assert sorted(inventory[group]["hosts"]) == names
    assert inventory["zone_us_east_1b"]["hosts"] == ["e2e-node2"]
    hostvars = inventory["_meta"]["hostvars"]
    for index, name in enumerate(names, start=1):
        host = hostvars[name]
        assert host["kafka_host_address"] == f"127.0.0.{70 + index}"
        assert host["ansible_host"] == f"e2e-node{index}"
        assert host["kafka_broker_id"] == index and host["zookeeper_myid"] == index
        assert host["kafka_rack"].startswith("use1-az")
        assert host["kafka_cluster_name"] == "e2e" and host["kafka_ec2_region"] == config.REGION


def test_graph(source: Path):
    graph = ansible("ansible-inventory", "-i", str(source), "--graph").stdout
    assert "@zookeeper:" in graph and "@broker:" in graph and "@kafka_e2e:" in graph and "e2e-node3" in graph


def test_the_lab_inventory_file_sees_the_lab_cluster(lab_services):
    fake_ec2.seed_cluster(config.EC2_ENDPOINT, config.CLUSTER_NAME, config.NODE_COUNT)
    inventory = inventory_list("inventory/lab")
    hostvars = inventory["_meta"]["hostvars"]
    assert sorted(inventory["broker"]["hosts"]) == ["node1", "node2", "node3"]
    assert hostvars["node1"]["ansible_host"] == "kafka-lab-node1"
    assert hostvars["node1"]["ansible_connection"] == "community.docker.docker"
    assert hostvars["node2"]["kafka_host_address"] == config.node_address(2)
