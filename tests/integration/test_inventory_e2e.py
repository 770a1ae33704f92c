"""kafka_ec2 end to end: ansible-inventory and ansible-playbook against real moto servers.

The first tests read the lab's fake EC2 API (started by `lab prepare`); the others start their own
moto server on a free 127.0.0.1 port in this process, so they can count its DescribeInstances calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from moto.ec2.responses.instances import InstanceResponse

from lab import config, fake_ec2
from tests.integration.conftest import ansible, ec2_client, moto_server

pytestmark = pytest.mark.integration
PLUGIN = "kafka_aws.kafka.kafka_ec2"
AMI = "ami-0123456789abcdef0"


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
                "plugin": PLUGIN,
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


# -- a bad inventory fails the run, the plugin is queried once, ini never reads the file -------------------


@pytest.fixture(scope="module")
def own_moto() -> Iterator[str]:
    """A moto server of this test's own on a free 127.0.0.1 port, with clusters `good`, `dup` and `retire`."""
    with moto_server() as endpoint:
        yield seeded(endpoint)


def seeded(endpoint: str) -> str:
    """`endpoint`, its moto server now holding the clusters good, dup and retire."""
    ec2 = ec2_client(endpoint)
    # `retire`: a migrated cluster whose ZooKeeper is being retired - two zookeeper,broker hosts, one
    # ZooKeeper-only member and a controller
    for cluster, broker_ids in (("good", (1, 2, 3)), ("dup", (1, 2, 2)), ("retire", (1, 2, None, None))):
        for i, broker_id in enumerate(broker_ids, start=1):
            roles = "zookeeper,broker" if broker_id else "zookeeper" if i == 3 else "controller"
            tags = {
                "Name": f"{cluster}-{i}",
                "kafka:cluster": cluster,
                "kafka:role": roles,
                **({"kafka:broker-id": str(broker_id)} if broker_id else {}),
                **({"zookeeper:myid": str(i)} if "zookeeper" in roles else {"kafka:node-id": str(10 + i)}),
            }
            ec2.run_instances(
                ImageId=AMI,
                MinCount=1,
                MaxCount=1,
                Placement={"AvailabilityZone": f"{config.REGION}{'abc'[(i - 1) % 3]}"},
                TagSpecifications=[
                    {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                ],
            )
    return endpoint


@pytest.fixture
def describe_calls(monkeypatch) -> list[str]:
    """The DescribeInstances requests the in-process moto server answers during one test."""
    calls: list[str] = []
    original = InstanceResponse.describe_instances

    def counting(self):
        calls.append(self.region)
        return original(self)

    monkeypatch.setattr(InstanceResponse, "describe_instances", counting)
    return calls


def own_source(folder: Path, endpoint: str, cluster: str, plugin: str = PLUGIN) -> Path:
    path = folder / f"{cluster}.kafka_ec2.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "plugin": plugin,
                "cluster": cluster,
                "regions": [config.REGION],
                "endpoint_url": endpoint,
                "aws_access_key": "t",
                "aws_secret_key": "t",
            }
        )
    )
    return path


DUPLICATE = "have the same kafka_broker_id 2 (tag kafka:broker-id); it must be unique in the cluster"


def test_a_bad_inventory_fails_ansible_inventory_with_the_plugins_message(own_moto, describe_calls, tmp_path):
    result = ansible(
        "ansible-inventory", "-i", str(own_source(tmp_path, own_moto, "dup")), "--list", check=False
    )
    assert result.returncode != 0
    assert DUPLICATE in result.stderr
    assert "Completely failed to parse inventory source" in result.stderr
    assert len(describe_calls) == 1  # queried once: no `auto` plugin asking kafka_ec2 a second time
    assert "'ini'" not in result.stderr and "'auto'" not in result.stderr


def test_a_bad_inventory_fails_ansible_playbook_with_the_plugins_message(own_moto, describe_calls, tmp_path):
    playbook = tmp_path / "ping.yml"
    playbook.write_text(
        "- name: Trivial play\n  hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - name: Say hello\n      ansible.builtin.debug:\n        msg: hello\n"
    )
    source = own_source(tmp_path, own_moto, "dup")
    result = ansible("ansible-playbook", "-i", str(source), str(playbook), check=False)
    assert result.returncode != 0
    assert DUPLICATE in result.stdout + result.stderr
    assert "PLAY RECAP" not in result.stdout  # nothing ran against an empty inventory
    assert len(describe_calls) == 1


def test_a_good_inventory_is_queried_once_and_read_by_kafka_ec2_only(own_moto, describe_calls, tmp_path):
    """With ANSIBLE_DEBUG, the inventory manager names each plugin it tries on the file."""
    source = own_source(tmp_path, own_moto, "good", plugin="kafka_ec2")  # the short name is accepted too
    env = {**os.environ, "ANSIBLE_CONFIG": str(config.PROJECT_ROOT / "ansible.cfg"), "ANSIBLE_DEBUG": "1"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--list"],
        cwd=config.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    listing = json.loads(result.stdout[result.stdout.index("{") :])
    assert sorted(listing["broker"]["hosts"]) == ["good-1", "good-2", "good-3"]
    assert sorted(listing["_meta"]["hostvars"]) == ["good-1", "good-2", "good-3"]  # no stray host
    attempts = [
        line for line in (result.stdout + result.stderr).splitlines() if "Attempting to use plugin" in line
    ]
    assert len(attempts) == 1 and "kafka_ec2" in attempts[0], attempts  # parsed by the first plugin tried
    assert len(describe_calls) == 1


def test_the_inventory_section_of_ansible_cfg():
    """kafka_ec2 first, host_list and yaml kept; neither ini nor auto; unparsed sources fail the run."""
    dump = ansible("ansible-config", "dump", "--only-changed", "-t", "all").stdout
    enabled = next(line for line in dump.splitlines() if line.startswith("INVENTORY_ENABLED"))
    assert enabled.split("=", 1)[1].strip() == "['kafka_aws.kafka.kafka_ec2', 'host_list', 'yaml']"
    assert any(
        line.startswith("INVENTORY_ANY_UNPARSED_IS_FAILED") and "True" in line for line in dump.splitlines()
    )
    assert any(
        line.startswith("INVENTORY_UNPARSED_IS_FAILED") and "True" in line for line in dump.splitlines()
    )


def test_the_plugin_works_from_an_installed_collection_tarball(own_moto, tmp_path):
    """Built with ansible-galaxy and installed elsewhere: the plugin and its module_utils import resolve."""
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text(
        f"[defaults]\ncollections_path = {tmp_path / 'installed'}\n"
        "[inventory]\nenable_plugins = kafka_aws.kafka.kafka_ec2\nany_unparsed_is_failed = True\n"
    )
    env = {**os.environ, "ANSIBLE_CONFIG": str(cfg)}
    galaxy = str(Path(sys.executable).parent / "ansible-galaxy")

    def run(*cmd: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=True)

    run(galaxy, "collection", "build", "--output-path", str(tmp_path), str(config.PROJECT_ROOT))
    tarball = next(tmp_path.glob("kafka_aws-kafka-*.tar.gz"))
    run(galaxy, "collection", "install", "-p", str(tmp_path / "installed"), str(tarball))
    installed = tmp_path / "installed/ansible_collections/kafka_aws/kafka/plugins"
    assert (installed / "module_utils/cluster_rules.py").is_file()
    source = own_source(tmp_path, own_moto, "good")
    result = run(str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--list")
    listing = json.loads(result.stdout)
    assert sorted(listing["zookeeper"]["hosts"]) == ["good-1", "good-2", "good-3"]
    assert listing["_meta"]["hostvars"]["good-2"]["kafka_broker_id"] == 2


def instance_tags(endpoint: str, cluster_name: str) -> dict[str, dict[str, str]]:
    """Name -> tags of every instance whose Name starts with the cluster's name."""
    ec2 = ec2_client(endpoint)
    found = {}
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            if tags.get("Name", "").startswith(f"{cluster_name}-"):
                found[tags["Name"]] = tags
    return found


def test_retiring_zookeeper_takes_its_hosts_out_of_the_zookeeper_group(own_moto, tmp_path):
    """retire_zookeeper.yml's tag step (playbooks/tasks/retire_tags.yml) against the fake EC2 API."""
    playbook = tmp_path / "retire.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Retire the ZooKeeper members' tags",
                    "hosts": "zookeeper",
                    "gather_facts": False,
                    "module_defaults": {
                        "group/amazon.aws.aws": {
                            "endpoint_url": own_moto,
                            "access_key": "t",
                            "secret_key": "t",
                        }
                    },
                    "tasks": [
                        {
                            "name": "The tag step",
                            "ansible.builtin.include_tasks": str(
                                config.PROJECT_ROOT / "playbooks/tasks/retire_tags.yml"
                            ),
                        }
                    ],
                }
            ]
        )
    )
    source = own_source(tmp_path, own_moto, "retire")
    first = ansible("ansible-playbook", "-i", str(source), str(playbook), check=False)
    assert first.returncode == 0, first.stdout[-3000:]
    tags = instance_tags(own_moto, "retire")
    assert tags["retire-1"]["kafka:role"] == "broker" and tags["retire-2"]["kafka:role"] == "broker"
    assert (
        "kafka:role" not in tags["retire-3"] and "kafka:cluster" not in tags["retire-3"]
    )  # left the cluster
    assert tags["retire-4"]["kafka:role"] == "controller"  # untouched
    listing = inventory_list(str(source))
    assert "zookeeper" not in listing or not listing["zookeeper"].get("hosts")
    assert sorted(listing["_meta"]["hostvars"]) == ["retire-1", "retire-2", "retire-4"]
    again = ansible("ansible-playbook", "-i", str(source), str(playbook), check=False)
    assert again.returncode == 0 and "changed=" not in again.stdout.replace("changed=0", ""), again.stdout[
        -3000:
    ]
