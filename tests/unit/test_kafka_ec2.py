"""kafka_ec2 inventory plugin, driven through Ansible's real InventoryManager against moto's mock.

The plugin is loaded as Ansible loads it, by FQCN through the collection loader (the repository is
the collection kafka_aws.kafka, linked under collections/), so its module_utils import resolves the
same way as from an installed tarball.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path
from types import ModuleType

import boto3
import botocore.auth
import botocore.parsers
import pytest
import yaml
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible.template import Templar, is_trusted_as_template, trust_as_template
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID, set_initial_no_auth_action_count
from moto.ec2.models import ec2_backends
from moto.sts.models import sts_backends

from tests.ansible_run import load_collections

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
PLUGIN = "kafka_aws.kafka.kafka_ec2"
load_collections()


def kafka_ec2_module() -> ModuleType:
    """The plugin's module as Ansible's loader imported it (the one whose globals the plugin reads)."""
    return sys.modules[type(inventory_loader.get(PLUGIN)).__module__]


def cluster_rules() -> ModuleType:
    """plugins/module_utils/cluster_rules.py, imported by the name the plugin and the roles use."""
    from ansible_collections.kafka_aws.kafka.plugins.module_utils import cluster_rules as rules

    return rules


REGION = "us-east-1"
AMI = "ami-0123456789abcdef0"  # moto accepts any image id; listing its catalogue is slow


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # The InventoryManager tries only this plugin, whatever ansible.cfg the tests run under.
    monkeypatch.setattr(C, "INVENTORY_ENABLED", [PLUGIN])
    monkeypatch.setattr(C, "INVENTORY_ANY_UNPARSED_IS_FAILED", True)  # as the project's ansible.cfg
    with mock_aws():
        yield


def set_state(instance: dict, state: str, region: str = REGION) -> None:
    """Put a moto instance in a state moto never leaves it in by itself (pending, stopping, ...)."""
    ec2_backends[DEFAULT_ACCOUNT_ID][region].get_instance(instance["InstanceId"])._state.name = state


def launch(
    tags: dict[str, str], zone: str = "a", region: str = REGION, state: str = "running", **kwargs
) -> dict:
    ec2 = boto3.client("ec2", region_name=region)
    instance = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="m7i.large",
        Placement={"AvailabilityZone": f"{region}{zone}"},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
        **kwargs,
    )["Instances"][0]
    if state == "stopped":
        ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
    elif state == "terminated":
        ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    elif state != "running":
        set_state(instance, state, region)
    return instance


def node(i: int, cluster: str = "prod", roles: str = "zookeeper,broker", **extra: str) -> dict[str, str]:
    tags = {
        "Name": f"{cluster}-{i}",
        "kafka:cluster": cluster,
        "kafka:role": roles,
        "kafka:broker-id": str(i),
        "zookeeper:myid": str(i),
    }
    tags.update(extra)
    return {k: v for k, v in tags.items() if v != ""}


def three(cluster: str = "prod") -> list[dict]:
    return [launch(node(i, cluster), zone="abc"[i - 1]) for i in (1, 2, 3)]


def source_file(tmp_path: Path, **options) -> Path:
    source = tmp_path / "test.kafka_ec2.yml"
    source.write_text(yaml.safe_dump({"plugin": PLUGIN, "cluster": "prod", "regions": [REGION], **options}))
    return source


def inventory(tmp_path: Path, **options) -> InventoryManager:
    manager = InventoryManager(
        loader=DataLoader(), sources=[str(source_file(tmp_path, **options))], parse=False
    )
    manager.parse_sources(cache=True)
    assert manager._inventory.processed_sources, "the source was not parsed"
    return manager


def parse_error(tmp_path: Path, **options) -> str:
    source = source_file(tmp_path, **options)
    plugin = inventory_loader.get(PLUGIN)
    manager = InventoryManager(loader=DataLoader(), sources=[], parse=False)
    with pytest.raises(AnsibleError) as error:
        plugin.parse(manager._inventory, DataLoader(), str(source), cache=False)
    return str(error.value)


def configured(tmp_path: Path, **options):
    """The plugin with its options read from a source file, for calling its parts directly."""
    plugin = inventory_loader.get(PLUGIN)
    plugin.loader = DataLoader()
    plugin._read_config_data(str(source_file(tmp_path, **options)))
    return plugin


def host_vars(manager: InventoryManager, name: str) -> dict:
    return manager.get_host(name).get_vars()


def test_groups_and_host_variables(tmp_path):
    instances = three()
    launch(node(9, cluster="other"))
    launch(node(4), state="terminated")  # never a member, whatever non_running_members says
    launch(node(5), state="shutting-down")
    manager = inventory(tmp_path)
    groups = manager.get_groups_dict()
    assert sorted(groups["zookeeper"]) == sorted(groups["broker"]) == ["prod-1", "prod-2", "prod-3"]
    assert groups["controller"] == [] and groups["not_running"] == []
    assert sorted(groups["kafka_prod"]) == ["prod-1", "prod-2", "prod-3"]
    assert groups["zone_us_east_1a"] == ["prod-1"] and groups["zone_us_east_1c"] == ["prod-3"]
    first = host_vars(manager, "prod-1")
    ec2 = boto3.client("ec2", region_name=REGION)
    zone_ids = {z["ZoneName"]: z["ZoneId"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    assert first["kafka_host_address"] == instances[0]["PrivateIpAddress"] == first["ansible_host"]
    assert first["kafka_broker_id"] == 1 and first["zookeeper_myid"] == 1
    assert first["kafka_rack"] == zone_ids["us-east-1a"]
    assert first["kafka_cluster_name"] == "prod"
    assert first["kafka_ec2_region"] == REGION and first["kafka_ec2_availability_zone"] == "us-east-1a"
    assert first["kafka_ec2_instance_id"] == instances[0]["InstanceId"]
    assert first["kafka_ec2_instance_type"] == "m7i.large"
    assert first["kafka_ec2_subnet_id"] and first["kafka_ec2_vpc_id"]
    assert first["kafka_ec2_tags"]["kafka:cluster"] == "prod"
    assert first["kafka_ec2_private_dns_name"] == instances[0]["PrivateDnsName"]
    assert first["kafka_ec2_public_ip_address"] == instances[0]["PublicIpAddress"]
    assert "kafka_ec2_ipv6_address" not in first  # optional facts are set only when the instance has one
    assert "tags" not in first and "kafka_ec2_instance" not in first and "kafka_node_id" not in first
    assert "kafka_ec2_state" not in first  # set only on members that are not running


def test_options_hostnames_addresses_racks_raw(tmp_path):
    instances = three()
    manager = inventory(
        tmp_path,
        hostname_source="instance-id",
        ansible_host_source="tag:Name",
        rack_source="zone-name",
        include_raw_instance=True,
    )
    name = instances[1]["InstanceId"]
    hv = host_vars(manager, name)
    assert hv["ansible_host"] == "prod-2" and hv["kafka_rack"] == "us-east-1b"
    assert hv["kafka_ec2_instance"]["InstanceId"] == name
    dns = inventory(tmp_path, hostname_source="private-dns-name", rack_source="tag:Name")
    assert host_vars(dns, instances[0]["PrivateDnsName"])["kafka_rack"] == "prod-1"


def test_custom_tag_keys_filters_and_constructed(tmp_path):
    for i in (1, 2, 3):
        launch(
            {
                "Name": f"n{i}",
                "team:cluster": "prod",
                "team:roles": "zookeeper,broker",
                "bid": str(i),
                "zid": str(i),
            }
        )
    manager = inventory(
        tmp_path,
        cluster_tag="team:cluster",
        role_tag="team:roles",
        broker_id_tag="bid",
        myid_tag="zid",
        filters={"instance-type": ["m7i.large"]},
        compose={"rack_upper": "kafka_rack | upper"},
        keyed_groups=[{"key": "kafka_ec2_instance_type", "prefix": "type"}],
        groups={"first": "kafka_broker_id == 1"},
    )
    groups = manager.get_groups_dict()
    assert sorted(groups["type_m7i_large"]) == ["n1", "n2", "n3"] and groups["first"] == ["n1"]
    assert host_vars(manager, "n2")["rack_upper"] == host_vars(manager, "n2")["kafka_rack"].upper()
    assert (
        parse_error(
            tmp_path,
            cluster_tag="team:cluster",
            role_tag="team:roles",
            broker_id_tag="bid",
            myid_tag="zid",
            filters={"instance-type": "t3.micro"},
        ).count("no running instances")
        == 1
    )


def test_controllers_get_node_ids(tmp_path):
    for i in (1, 2, 3):
        launch(
            node(
                i,
                roles="controller",
                **{"kafka:node-id": str(100 + i), "kafka:broker-id": "", "zookeeper:myid": ""},
            )
        )
    launch(node(4, roles="broker", **{"zookeeper:myid": ""}))
    manager = inventory(tmp_path)
    assert sorted(manager.get_groups_dict()["controller"]) == ["prod-1", "prod-2", "prod-3"]
    assert host_vars(manager, "prod-2")["kafka_node_id"] == 102
    assert "kafka_broker_id" not in host_vars(manager, "prod-2")


def test_a_broker_tagged_with_a_controller_node_id_also_runs_that_controller(tmp_path):
    instances = [
        launch(node(i, **{"kafka:controller-node-id": str(100 + i)}), zone="abc"[i - 1]) for i in (1, 2, 3)
    ]
    manager = inventory(tmp_path)
    groups = manager.get_groups_dict()
    twins = ["prod-1-controller", "prod-2-controller", "prod-3-controller"]
    assert sorted(groups["controller"]) == sorted(groups["colocated_controller"]) == twins
    assert sorted(groups["broker"]) == ["prod-1", "prod-2", "prod-3"]
    assert "prod-2-controller" in groups["zone_us_east_1b"] and "prod-2-controller" in groups["kafka_prod"]
    broker, twin = host_vars(manager, "prod-2"), host_vars(manager, "prod-2-controller")
    assert twin["kafka_node_id"] == 102 and twin["kafka_colocated_with"] == "prod-2"
    assert "kafka_broker_id" not in twin and "zookeeper_myid" not in twin and "kafka_node_id" not in broker
    assert twin["kafka_host_address"] == broker["kafka_host_address"] == instances[1]["PrivateIpAddress"]
    assert twin["ansible_host"] == broker["ansible_host"] and twin["kafka_rack"] == broker["kafka_rack"]
    assert twin["kafka_ec2_instance_id"] == broker["kafka_ec2_instance_id"]


@pytest.mark.parametrize(
    ("roles", "value", "message"),
    [
        ("controller,broker", "101", "has tag kafka:controller-node-id but its roles are broker, controller"),
        ("zookeeper", "101", "has tag kafka:controller-node-id but its roles are zookeeper"),
        ("zookeeper,broker", "2", "the controller beside instance"),
        ("zookeeper,broker", "07", "kafka:controller-node-id"),
    ],
    ids=["a controller", "no broker", "an id taken", "not canonical"],
)
def test_a_controller_beside_a_broker_is_checked_like_any_node(tmp_path, roles, value, message):
    launch(
        node(
            1,
            roles=roles,
            **{"kafka:controller-node-id": value, "kafka:node-id": "1" if "controller" in roles else ""},
        )
    )
    launch(node(2, roles="zookeeper,broker"))
    launch(node(3, roles="zookeeper,broker"))
    error = parse_error(tmp_path)
    assert message in error, error


NO_ZK_IDS = {"kafka:broker-id": "", "zookeeper:myid": ""}


def kraft(i: int, roles: str = "controller,broker", cluster: str = "prod", **extra: str) -> dict[str, str]:
    """A KRaft node's tags: kafka:node-id only (no broker id, no myid)."""
    return node(i, cluster, roles, **(NO_ZK_IDS | {"kafka:node-id": str(i)} | extra))


def test_kraft_brokers_may_carry_only_a_node_id(tmp_path):
    for i in (1, 2, 3):
        launch(kraft(i))
    launch(kraft(4, roles="broker"))
    launch(kraft(5, roles="broker", **{"kafka:broker-id": "5"}))  # both tags, equal: both variables
    manager = inventory(tmp_path)
    groups = manager.get_groups_dict()
    assert sorted(groups["controller"]) == ["prod-1", "prod-2", "prod-3"]
    assert sorted(groups["broker"]) == ["prod-1", "prod-2", "prod-3", "prod-4", "prod-5"]
    for name, number in (("prod-2", 2), ("prod-4", 4)):
        hv = host_vars(manager, name)
        assert hv["kafka_node_id"] == number
        assert "kafka_broker_id" not in hv and "zookeeper_myid" not in hv
    assert (
        host_vars(manager, "prod-5")["kafka_broker_id"] == host_vars(manager, "prod-5")["kafka_node_id"] == 5
    )


def test_a_broker_with_neither_id_tag_is_still_an_error_or_derived(tmp_path):
    for i in (1, 2, 3):
        launch(kraft(i, roles="controller"))
    bare = launch(node(4, roles="broker", **NO_ZK_IDS))
    error = parse_error(tmp_path)
    assert f"instance {bare['InstanceId']} (prod-4) has no kafka:broker-id tag" in error
    assert "set derive_missing_ids: true" in error
    hv = host_vars(inventory(tmp_path, derive_missing_ids=True), "prod-4")
    octets = [int(o) for o in bare["PrivateIpAddress"].split(".")]
    assert hv["kafka_broker_id"] == octets[2] * 256 + octets[3] and "kafka_node_id" not in hv


def test_a_derived_node_id_of_a_combined_node_is_its_broker_id(tmp_path):
    for i in (1, 2, 3):
        launch(node(i, roles="controller,broker", **{"zookeeper:myid": ""}))  # broker ids only
    assert "has no kafka:node-id tag" in parse_error(tmp_path)
    manager = inventory(tmp_path, derive_missing_ids=True)
    for i in (1, 2, 3):
        hv = host_vars(manager, f"prod-{i}")
        assert hv["kafka_node_id"] == hv["kafka_broker_id"] == i


def test_a_broker_and_node_id_that_differ_are_an_error_naming_both_tags(tmp_path):
    for i in (1, 2, 3):
        launch(kraft(i))
    bad = launch(kraft(4, roles="broker", **{"kafka:broker-id": "7"}))
    error = parse_error(tmp_path)
    assert (
        f"instance {bad['InstanceId']} (prod-4) has tag kafka:broker-id 7 and tag kafka:node-id 4: "
        "a broker's node id is its broker id; keep one tag or make them equal"
    ) in error


@pytest.mark.parametrize(
    ("cluster", "members", "clash"),
    [
        # ZooKeeper-to-KRaft migration: a controller's node id equal to a broker's broker id
        (
            "mig",
            [node(i, "mig") for i in (1, 2, 3)] + [kraft(4, "controller", "mig", **{"kafka:node-id": "3"})],
            3,
        ),
        # KRaft: a broker with a broker id only, equal to a combined node's node id
        (
            "kr",
            [kraft(i, cluster="kr") for i in (1, 2, 3)]
            + [node(4, "kr", "broker", **NO_ZK_IDS | {"kafka:broker-id": "2"})],
            2,
        ),
        # a ZooKeeper host carrying a node id (a migration's controller-to-be) equal to a broker id
        (
            "zk",
            [node(i, "zk") for i in (1, 2, 3)]
            + [node(4, "zk", "zookeeper", **{"kafka:broker-id": "", "kafka:node-id": "1"})],
            1,
        ),
    ],
)
def test_controller_and_broker_ids_share_one_namespace(tmp_path, cluster, members, clash):
    ids = [launch(tags)["InstanceId"] for tags in members]
    error = parse_error(tmp_path, cluster=cluster, zookeeper_allow_even_ensemble=True)
    assert (
        f"instance {ids[clash - 1]} ({cluster}-{clash}) and instance {ids[3]} ({cluster}-4) have the same "
        f"node id {clash} (tag kafka:node-id, else tag kafka:broker-id): controller and broker ids share one "
        "namespace"
    ) in error


def vpc_subnets() -> dict[str, str]:
    """A VPC 10.0.0.0/16 with one subnet per zone: a = 10.0.0.0/18, b = 10.0.64.0/18, c = 10.0.128.0/18."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return {
        zone: ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.0.{64 * n}.0/18", AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
        for n, zone in enumerate("abc")
    }


def test_derived_ids_depend_only_on_each_hosts_address(tmp_path):
    subnets = vpc_subnets()
    untagged = {"kafka:broker-id": "", "zookeeper:myid": ""}

    def at(i: int, zone: str, address: str) -> dict:
        return launch(node(i, **untagged), zone=zone, SubnetId=subnets[zone], PrivateIpAddress=address)

    at(1, "a", "10.0.1.7")
    at(2, "b", "10.0.66.200")
    third = at(3, "c", "10.0.130.9")
    assert "no kafka:broker-id tag" in parse_error(tmp_path)
    manager = inventory(tmp_path, derive_missing_ids=True)
    ids = {
        n: (host_vars(manager, n)["kafka_broker_id"], host_vars(manager, n)["zookeeper_myid"])
        for n in manager.hosts
    }
    assert ids == {"prod-1": (263, 7), "prod-2": (17096, 200), "prod-3": (33289, 9)}  # c*256+d, d
    boto3.client("ec2", region_name=REGION).terminate_instances(InstanceIds=[third["InstanceId"]])
    at(5, "c", "10.0.131.1")
    again = inventory(tmp_path, derive_missing_ids=True)
    ids = {
        n: (host_vars(again, n)["kafka_broker_id"], host_vars(again, n)["zookeeper_myid"])
        for n in again.hosts
    }
    assert ids == {"prod-1": (263, 7), "prod-2": (17096, 200), "prod-5": (33537, 1)}  # no one renumbered


def test_a_derived_id_out_of_bounds_is_an_error(tmp_path):
    subnets = vpc_subnets()
    launch(node(1, **{"zookeeper:myid": ""}), SubnetId=subnets["a"], PrivateIpAddress="10.0.2.0")
    error = parse_error(tmp_path, derive_missing_ids=True, zookeeper_allow_even_ensemble=True)
    assert "(prod-1): zookeeper_myid derived from private address 10.0.2.0" in error
    assert "must be an integer between 1 and 255, got 0" in error


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"kafka:broker-id": "2"}, "same kafka_broker_id 2"),
        ({"zookeeper:myid": "2"}, "same zookeeper_myid 2"),
        ({"kafka:broker-id": "x"}, "tag kafka:broker-id='x': kafka_broker_id must be an integer between 1"),
        ({"kafka:broker-id": "0"}, "kafka_broker_id must be an integer between 1 and 2147483647, got '0'"),
        ({"zookeeper:myid": "256"}, "zookeeper_myid must be an integer between 1 and 255, got '256'"),
        ({"kafka:role": "broker,kafka"}, "unknown role kafka"),
        ({"Name": "prod-2"}, "same inventory hostname 'prod-2'"),
    ],
)
def test_bad_tags_name_the_instance_and_the_tag(tmp_path, tags, message):
    three()
    bad = launch(node(4) | tags, zone="a") if "Name" in tags else None
    if bad is None:
        launch(node(4, **{"zookeeper:myid": "9"}) | tags)
        launch(node(5))
    error = parse_error(tmp_path)
    assert message in error
    assert "i-" in error


def test_cluster_shape_errors(tmp_path):
    for i in (1, 2):
        launch(node(i))
    error = parse_error(tmp_path)
    assert "2 zookeeper hosts" in error and "set zookeeper_allow_even_ensemble: true" in error
    for name in ("zookeeper_allow_even_ensemble", "allow_even_zookeeper"):  # the option and its alias
        assert sorted(inventory(tmp_path, **{name: True}).get_groups_dict()["zookeeper"]) == [
            "prod-1",
            "prod-2",
        ]
    launch(node(7, cluster="solo", roles="broker", **{"zookeeper:myid": ""}))
    assert "brokers but no zookeeper and no controller" in parse_error(tmp_path, cluster="solo")
    assert "no running instances of cluster 'none'" in parse_error(tmp_path, cluster="none")


def test_missing_credentials_and_region_are_clear(tmp_path, monkeypatch):
    three()
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert "no region to search" in parse_error(tmp_path, regions=[])
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert "no AWS credentials found" in parse_error(tmp_path)


def test_denied_credentials_are_clear(tmp_path, monkeypatch):
    three()
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="no-ec2-rights")
    key = iam.create_access_key(UserName="no-ec2-rights")["AccessKey"]

    @set_initial_no_auth_action_count(0)  # moto checks IAM from now on
    def denied(access_key: str, secret_key: str) -> str:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret_key)
        return parse_error(tmp_path)

    message = denied(key["AccessKeyId"], key["SecretAccessKey"])
    assert "AWS denied these credentials in us-east-1 (AccessDenied)" in message  # EC2: UnauthorizedOperation
    assert "not authorized to perform: ec2:DescribeInstances" in message
    message = denied("AKIAUNKNOWNUNKNOWN00", "wrong")
    assert "AWS denied these credentials in us-east-1 (AuthFailure)" in message
    assert "Traceback" not in message


def test_lean_page_parse_matches_botocore():
    """The plugin's DescribeInstances parser agrees with botocore's on every member it reads."""
    three()
    bodies: list[bytes] = []
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.meta.events.register(
        "after-call.ec2.DescribeInstances", lambda http_response, **_: bodies.append(http_response.content)
    )
    ec2.describe_instances()
    body = bodies[0].decode()
    assert "<ipAddress>" in body and "<ipv6Address>" not in body
    body = body.replace("<instanceId>", "<ipv6Address>2001:db8::7</ipv6Address><instanceId>", 1)
    body = body.replace(
        "<ipv6AddressesSet/>",
        "<ipv6AddressesSet><item><ipv6Address>2001:db8::8</ipv6Address></item></ipv6AddressesSet>",
        1,
    )
    body = body.replace("</reservationSet>", "</reservationSet><nextToken>page-2</nextToken>")
    plugin_module = kafka_ec2_module()
    shape = ec2.meta.service_model.operation_model("DescribeInstances").output_shape
    response = {"body": body.encode(), "headers": {"X-Test": "1"}, "status_code": 200}
    full = botocore.parsers.create_parser("ec2").parse(response, shape)
    lean = plugin_module.LeanParser(botocore.parsers.create_parser("ec2")).parse(response, shape)
    assert lean["NextToken"] == full["NextToken"] == "page-2"
    assert lean["ResponseMetadata"]["HTTPHeaders"] == {"x-test": "1"}
    pairs = [
        (mine, theirs)
        for r_mine, r_theirs in zip(lean["Reservations"], full["Reservations"], strict=True)
        for mine, theirs in zip(r_mine["Instances"], r_theirs["Instances"], strict=True)
    ]
    assert len(pairs) == 3
    for mine, theirs in pairs:
        for key, value in mine.items():
            if key == "Placement":
                assert value["AvailabilityZone"] == theirs[key]["AvailabilityZone"]
            elif key == "State":
                assert value["Name"] == theirs[key]["Name"]
            elif key == "NetworkInterfaces":
                assert value == [
                    {"Ipv6Addresses": [{"Ipv6Address": a["Ipv6Address"]} for a in n["Ipv6Addresses"]]}
                    for n in theirs[key]
                ]
            else:
                assert value == theirs[key], key
        assert set(plugin_module.INSTANCE_SCALARS.values()) - set(theirs) <= {
            "Ipv6Address",
            "PublicIpAddress",
            "PublicDnsName",
        }
    first = pairs[0][0]
    assert first["PublicIpAddress"] and first["Ipv6Address"] == "2001:db8::7"
    assert first["NetworkInterfaces"][0]["Ipv6Addresses"] == [{"Ipv6Address": "2001:db8::8"}]


def test_lean_and_botocore_parsers_give_the_same_inventory(tmp_path, monkeypatch):
    three()
    launch(node(4, roles="broker", **{"zookeeper:myid": ""}))
    lean = inventory(tmp_path)
    plugin_module = kafka_ec2_module()
    original = plugin_module.botocore_session
    monkeypatch.setattr(plugin_module, "botocore_session", lambda lean: original(False))
    full = inventory(tmp_path)
    assert lean.get_groups_dict() == full.get_groups_dict()
    for name in ("prod-1", "prod-2", "prod-3", "prod-4"):
        assert host_vars(lean, name) == host_vars(full, name)


@pytest.mark.parametrize(
    ("value", "trusted"),
    [
        ("use1-az4", True),
        ("ip-10-0-1-7.eu-west-1.compute.internal", True),
        ("zookeeper,broker", True),
        ("Kafka broker 1", True),
        ("arn:aws:iam::123456789012:role/x", True),
        ("{{ 7 * 6 }}", False),
        ("{% if true %}x{% endif %}", False),
        ("{# c #}", False),
        ("lookup('pipe', 'id')", False),
        ("a|b", False),
        ("x[0]", False),
        ("100%", False),
    ],
)
def test_only_plain_strings_are_trusted_for_templating(value, trusted):
    plugin_module = kafka_ec2_module()
    marked = plugin_module.trusted_if_plain({"tags": {"k": value}, "ids": [value]}, {})
    assert marked == {"tags": {"k": value}, "ids": [value]}
    assert is_trusted_as_template(marked["tags"]["k"]) is trusted
    assert is_trusted_as_template(marked["ids"][0]) is trusted


def test_a_template_in_a_tag_is_never_rendered(tmp_path):
    launch(node(1, evil="{{ 7 * 6 }}"))
    manager = inventory(tmp_path, zookeeper_allow_even_ensemble=True)
    variables = host_vars(manager, "prod-1")
    templar = Templar(loader=DataLoader(), variables=variables)
    assert templar.template(trust_as_template("{{ kafka_ec2_tags.evil }}")) == "{{ 7 * 6 }}"
    assert templar.template(trust_as_template("{{ kafka_ec2_tags['kafka:role'] }}")) == "zookeeper,broker"
    assert is_trusted_as_template(variables["kafka_ec2_instance_id"])
    assert not is_trusted_as_template(variables["kafka_ec2_tags"]["evil"])


@pytest.fixture
def collector():
    """The cyclic collector as the tests found it (on, nothing frozen), whatever a test left."""
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


def test_collector_is_paused_while_building_and_the_inventory_frozen(tmp_path, monkeypatch, collector):
    three()
    plugin_module = kafka_ec2_module()
    original = plugin_module.InventoryModule.populate
    during: list[bool] = []

    def populate(self, hosts):
        during.append(gc.isenabled())
        original(self, hosts)

    monkeypatch.setattr(plugin_module.InventoryModule, "populate", populate)
    manager = inventory(tmp_path)
    assert during == [False]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    assert host_vars(manager, "prod-1")["kafka_broker_id"] == 1
    gc.unfreeze()
    gc.disable()  # a caller that runs with the collector off keeps it off
    inventory(tmp_path)
    assert not gc.isenabled()


def test_failed_build_restores_the_collector_and_freezes_nothing(tmp_path, collector):
    launch(node(1))
    launch(node(2, **{"kafka:broker-id": "1"}))
    assert "same kafka_broker_id" in parse_error(tmp_path, zookeeper_allow_even_ensemble=True)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_replaced_inventory_is_freed(tmp_path, collector):
    three()
    first = inventory(tmp_path)
    host = weakref.ref(first.get_host("prod-1"))  # hosts and groups refer to each other: a cycle
    del first
    second = inventory(tmp_path)  # as `meta: refresh_inventory` or a second source does
    assert host() is None
    assert second.get_host("prod-1") is not None


def test_unreachable_endpoint_is_a_clear_error(tmp_path, monkeypatch):
    plugin_module = kafka_ec2_module()
    monkeypatch.setattr(plugin_module, "RETRIES", {"mode": "standard", "max_attempts": 1})
    message = parse_error(tmp_path, endpoint_url="http://127.0.0.1:9")  # discard port: nothing listens
    assert "could not query EC2 in us-east-1" in message and "127.0.0.1:9" in message


def test_regions_are_queried_and_region_comes_from_the_query(tmp_path):
    three()
    launch(node(4, **{"zookeeper:myid": "4"}), region="eu-west-1", zone="a")
    launch(node(5, **{"zookeeper:myid": "5"}), region="eu-west-1", zone="b")
    manager = inventory(tmp_path, regions=[REGION, "eu-west-1"])
    assert host_vars(manager, "prod-5")["kafka_ec2_region"] == "eu-west-1"
    assert sorted(manager.get_groups_dict()["zookeeper"]) == [f"prod-{i}" for i in range(1, 6)]


def test_warm_cache_makes_no_api_call(tmp_path):
    three()
    calls: list[str] = []
    original = boto3.Session.client

    def counting_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        return client

    cache = {"cache": True, "cache_plugin": "jsonfile", "cache_connection": str(tmp_path / "cache")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3.Session, "client", counting_client)
        first = inventory(tmp_path, **cache)
        cold = list(calls)
        second = inventory(tmp_path, **cache)
    assert "DescribeInstances" in cold and "DescribeAvailabilityZones" in cold
    assert calls == cold  # the second parse read the cache only
    assert host_vars(second, "prod-2") == host_vars(first, "prod-2")
    assert any(Path(tmp_path / "cache").iterdir())


def test_ansible_doc_renders_the_documentation():
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    doc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "inventory", PLUGIN],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    ).stdout
    assert "Finds the EC2 instances of one Kafka cluster" in doc
    for option in (
        "cluster",
        "regions",
        "derive_missing_ids",
        "rack_source",
        "cache_plugin",
        "keyed_groups",
        "non_running_members",
        "zookeeper_allow_even_ensemble",
    ):
        assert option in doc
    assert "plugin: kafka_aws.kafka.kafka_ec2" in doc


def test_address_sources_and_a_missing_address_is_an_error(tmp_path):
    three()
    manager = inventory(tmp_path, ansible_host_source="private-dns-name")
    assert host_vars(manager, "prod-1")["ansible_host"].endswith(".internal")
    public = inventory(tmp_path, ansible_host_source="public-ip-address")
    assert (
        host_vars(public, "prod-1")["ansible_host"]
        == host_vars(public, "prod-1")["kafka_ec2_public_ip_address"]
    )
    error = parse_error(tmp_path, ansible_host_source="ipv6-address")
    assert "has no ipv6-address (ansible_host_source)" in error and "i-" in error
    assert "not dropped silently" in parse_error(tmp_path, ansible_host_source="tag:ssh-host")


def test_assume_role_queries_ec2_with_the_assumed_credentials(tmp_path, monkeypatch):
    three()
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="inventory", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    signed: list[tuple[str, str]] = []  # (service, access key) of every request the plugin signs
    original = botocore.auth.SigV4Auth.add_auth

    def add_auth(self, request):
        signed.append((self._service_name, self.credentials.access_key))
        return original(self, request)

    monkeypatch.setattr(botocore.auth.SigV4Auth, "add_auth", add_auth)
    manager = inventory(tmp_path, assume_role_arn=role)
    assert sorted(manager.get_groups_dict()["broker"]) == ["prod-1", "prod-2", "prod-3"]
    assumed = [r.access_key_id for r in sts_backends[DEFAULT_ACCOUNT_ID]["global"].assumed_roles]
    assert len(assumed) == 1 and assumed[0] != "testing"  # moto's STS hands out keys of its own
    assert ("sts", os.environ["AWS_ACCESS_KEY_ID"]) in signed  # AssumeRole: signed with the original key
    ec2_keys = {key for service, key in signed if service == "ec2"}
    assert ec2_keys == {assumed[0]}  # DescribeInstances and DescribeAvailabilityZones: assumed key only


def test_strict_constructed_expressions(tmp_path):
    three()
    lenient = inventory(tmp_path, compose={"x": "no_such_variable"}, strict=False)
    assert "x" not in host_vars(lenient, "prod-1")
    assert "no_such_variable" in parse_error(tmp_path, compose={"x": "no_such_variable"}, strict=True)


# -- plugin names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [PLUGIN, "kafka_ec2"])
def test_the_file_may_name_the_plugin_by_fqcn_or_short_name(tmp_path, name):
    three()
    assert kafka_ec2_module().InventoryModule.NAME == PLUGIN
    manager = inventory(tmp_path, plugin=name)  # loaded by FQCN, as ansible.cfg's enable_plugins says
    assert sorted(manager.get_groups_dict()["broker"]) == ["prod-1", "prod-2", "prod-3"]


def test_another_plugins_file_is_refused(tmp_path):
    three()
    assert "Incorrect plugin name in file: amazon.aws.aws_ec2" in parse_error(
        tmp_path, plugin="amazon.aws.aws_ec2"
    )


# -- regions and cluster names --------------------------------------------------------------------------


def test_a_region_listed_twice_is_queried_once(tmp_path):
    three()
    calls: list[str] = []
    original = boto3.Session.client

    def counting_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call.ec2.DescribeInstances", lambda **_: calls.append("x"))
        return client

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3.Session, "client", counting_client)
        manager = inventory(tmp_path, regions=[REGION, "eu-west-1", REGION])
    assert sorted(manager.get_groups_dict()["broker"]) == ["prod-1", "prod-2", "prod-3"]
    assert len(calls) == 2  # us-east-1 and eu-west-1, each once


@pytest.mark.parametrize("cluster", ["prod", "pro*", "p?od"])
def test_cluster_names_are_matched_literally_not_as_patterns(tmp_path, cluster):
    for n, name in enumerate(("prod", "pro*", "p?od")):
        for i in (1, 2, 3):
            launch(node(i, cluster=name, Name=f"{n}-{i}"), zone="abc"[i - 1])
    mine = f"{('prod', 'pro*', 'p?od').index(cluster)}-"
    manager = inventory(tmp_path, cluster=cluster)
    groups = manager.get_groups_dict()
    assert sorted(groups["broker"]) == sorted(groups["zookeeper"]) == [f"{mine}{i}" for i in (1, 2, 3)]
    assert {host_vars(manager, h)["kafka_cluster_name"] for h in groups["broker"]} == {cluster}
    launch(node(1, cluster="prod-old", Name="old-1"))  # matches "pro*" and "p?od"... as patterns only
    assert sorted(inventory(tmp_path, cluster=cluster).get_groups_dict()["broker"]) == groups["broker"]


def test_a_pattern_matching_only_other_clusters_finds_nothing(tmp_path):
    three()
    assert "no running instances of cluster 'pro*'" in parse_error(tmp_path, cluster="pro*")


# -- ids: one rule per fact (module_utils/cluster_rules.py) -----------------------------------------------


def test_cluster_rules_bounds_and_canonical_integers():
    rules = cluster_rules()
    assert rules.ID_BOUNDS == {
        "kafka_broker_id": (1, 2147483647),
        "zookeeper_myid": (1, 255),
        "kafka_node_id": (1, 2147483647),
    }
    for var, value, expected in [
        ("kafka_broker_id", "7", 7),
        ("kafka_broker_id", 7, 7),
        ("kafka_broker_id", "1001", 1001),
        ("kafka_broker_id", "2147483647", 2147483647),
        ("kafka_node_id", "2147483647", 2147483647),
        ("zookeeper_myid", "255", 255),
        ("zookeeper_myid", "1", 1),
    ]:
        assert rules.parse_id(var, value) == expected
        assert rules.id_problem(var, value) is None
    for var, value in [
        ("kafka_broker_id", "01"),
        ("kafka_broker_id", " 7 "),
        ("kafka_broker_id", "7 "),
        ("kafka_broker_id", "+7"),
        ("kafka_broker_id", "-7"),
        ("kafka_broker_id", "7.0"),
        ("kafka_broker_id", 7.0),
        ("kafka_broker_id", True),
        ("kafka_broker_id", "7\n"),
        ("kafka_broker_id", "\u0667"),  # ARABIC-INDIC DIGIT SEVEN: a digit to int(), not to the rule
        ("kafka_broker_id", "1_000"),
        ("kafka_broker_id", ""),
        ("kafka_broker_id", None),
        ("kafka_broker_id", "0"),
        ("kafka_broker_id", 0),
        ("kafka_broker_id", "2147483648"),
        ("kafka_broker_id", "9" * 5000),
        ("kafka_node_id", "2147483648"),
        ("zookeeper_myid", "256"),
        ("zookeeper_myid", 256),
        ("zookeeper_myid", "0"),
    ]:
        problem = rules.id_problem(var, value)
        assert isinstance(problem, str) and problem.startswith(f"{var} must be an integer between 1 and ")
        assert rules.parse_id(var, value) == problem


@pytest.mark.parametrize(
    ("tag", "value", "bound"),
    [
        ("kafka:broker-id", "01", "between 1 and 2147483647"),
        ("kafka:broker-id", " 7 ", "between 1 and 2147483647"),
        ("kafka:broker-id", "+7", "between 1 and 2147483647"),
        ("kafka:broker-id", "7.0", "between 1 and 2147483647"),
        ("kafka:broker-id", "2147483648", "between 1 and 2147483647"),
        ("zookeeper:myid", "07", "between 1 and 255"),
        ("kafka:node-id", " 9", "between 1 and 2147483647"),
    ],
)
def test_non_canonical_ids_are_refused_naming_instance_tag_and_bound(tmp_path, tag, value, bound):
    three()
    bad = launch(node(4, **{"zookeeper:myid": "4"}) | {tag: value})
    launch(node(5))
    error = parse_error(tmp_path)
    assert f"instance {bad['InstanceId']} (prod-4) tag {tag}={value!r}" in error
    assert bound in error


def test_ids_up_to_2147483647_are_accepted(tmp_path):
    three()
    launch(node(4, roles="broker", **{"zookeeper:myid": "", "kafka:broker-id": "2147483647"}))
    launch(node(5, roles="broker", **{"zookeeper:myid": "", "kafka:broker-id": "1001"}))
    # Another cluster: in this one node id 2147483647 would be prod-4's (one id namespace).
    launch(
        node(
            6,
            cluster="kraft",
            roles="controller",
            **{"zookeeper:myid": "", "kafka:broker-id": "", "kafka:node-id": "2147483647"},
        )
    )
    manager = inventory(tmp_path)
    assert host_vars(manager, "prod-4")["kafka_broker_id"] == 2147483647
    assert host_vars(manager, "prod-5")["kafka_broker_id"] == 1001
    assert host_vars(inventory(tmp_path, cluster="kraft"), "kraft-6")["kafka_node_id"] == 2147483647


# -- members that are not running -------------------------------------------------------------------------


def test_members_not_running_are_an_error_naming_each(tmp_path):
    three()
    stopped = launch(node(4), state="stopped")
    stopping = launch(node(5), state="stopping")
    pending = launch(node(6, roles="broker", **{"zookeeper:myid": ""}), state="pending")
    error = parse_error(tmp_path)
    for instance, name, state in (
        (stopped, "prod-4", "stopped"),
        (stopping, "prod-5", "stopping"),
        (pending, "prod-6", "pending"),
    ):
        assert f"{instance['InstanceId']} ({name}): {state}" in error
    assert "Start them" in error and "terminate them" in error and "non_running_members: keep" in error
    assert "prod-1" not in error  # running members are not listed


def test_kept_members_not_running_stay_members_in_not_running(tmp_path):
    instances = three()
    set_state(instances[1], "stopped")
    set_state(instances[2], "stopping")
    manager = inventory(tmp_path, non_running_members="keep")
    groups = manager.get_groups_dict()
    names = ["prod-1", "prod-2", "prod-3"]
    assert sorted(groups["zookeeper"]) == sorted(groups["broker"]) == sorted(groups["kafka_prod"]) == names
    assert sorted(groups["not_running"]) == ["prod-2", "prod-3"]
    assert [host_vars(manager, n).get("kafka_ec2_state") for n in names] == [None, "stopped", "stopping"]
    assert [host_vars(manager, n)["zookeeper_myid"] for n in names] == [1, 2, 3]  # the ensemble stays 3
    assert [host_vars(manager, n)["kafka_broker_id"] for n in names] == [1, 2, 3]
    assert host_vars(manager, "prod-2")["kafka_host_address"] == instances[1]["PrivateIpAddress"]
    running = [h.name for h in manager.get_hosts("all:!not_running")]
    assert running == ["prod-1"]


def test_a_kept_member_not_running_needs_its_private_address_not_its_ssh_address(tmp_path):
    instances = three()
    boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[instances[2]["InstanceId"]])
    # A stopped instance has no public address: its ansible_host is left unset (it is not reached).
    manager = inventory(tmp_path, non_running_members="keep", ansible_host_source="public-ip-address")
    assert "ansible_host" not in host_vars(manager, "prod-3")
    assert host_vars(manager, "prod-1")["ansible_host"] == instances[0]["PublicIpAddress"]
    # Without a private address it cannot stay a member: the error names it and its state.
    plugin = configured(tmp_path, non_running_members="keep")
    stopped = {
        "InstanceId": "i-0stopped",
        "State": {"Name": "stopped"},
        "Placement": {"AvailabilityZone": "us-east-1a"},
        "Tags": [{"Key": "Name", "Value": "prod-9"}, {"Key": "kafka:role", "Value": "broker"}],
    }
    with pytest.raises(AnsibleError, match=r"i-0stopped \(prod-9\) \(stopped\) has no private IPv4 address"):
        plugin.host_entry(stopped, REGION, {"us-east-1a": "use1-az1"})


def test_nothing_found_is_still_the_no_running_instances_error(tmp_path):
    launch(node(1), state="terminated")
    assert "no running instances of cluster 'prod'" in parse_error(tmp_path)
    assert "no running instances of cluster 'prod'" in parse_error(tmp_path, non_running_members="keep")


# -- the cache key ----------------------------------------------------------------------------------------


def other_value(name: str, definition: dict, current: object) -> object:
    """A value of option `name` different from `current`, of the option's type."""
    if definition.get("choices"):
        return next(c for c in definition["choices"] if c != current)
    kind = definition.get("type", "str")
    if kind in ("bool", "boolean"):
        return not current
    if kind == "int":
        return (current or 0) + 1
    if kind == "list":
        return [*(current or []), "eu-west-1"]
    if kind == "dict":
        return {**(current or {}), "instance-type": "m7i.large"}
    return f"{current or ''}x"


def test_the_cache_key_covers_every_option_but_a_few_that_cannot_matter(tmp_path):
    module = kafka_ec2_module()
    base = {"plugin": PLUGIN, "cluster": "prod", "regions": [REGION]}
    plugin = configured(tmp_path)
    definitions = C.config.get_configuration_definitions("inventory", plugin._load_name)
    assert set(definitions) >= module.CACHE_NEUTRAL  # no stale name in the short list
    key = plugin.cache_key()
    for name, definition in sorted(definitions.items()):
        name = str(name)  # a tagged string to Ansible 2.19, which yaml cannot write
        current = json.loads(json.dumps(plugin.get_option(name)))
        changed = {**base, name: json.loads(json.dumps(other_value(name, definition, current)))}
        other = configured(tmp_path, **changed)
        if name in module.CACHE_NEUTRAL:
            assert other.cache_key() == key, name
        else:
            assert other.cache_key() != key, name
    # Shaping options include every tag key, the raw data switch, the even-ensemble switch and the
    # non-running policy; a new option joins the key unless named in CACHE_NEUTRAL.
    for name in (
        "cluster_tag",
        "role_tag",
        "broker_id_tag",
        "myid_tag",
        "node_id_tag",
        "include_raw_instance",
        "zookeeper_allow_even_ensemble",
        "non_running_members",
        "aws_access_key",
    ):
        assert name in definitions and name not in module.CACHE_NEUTRAL
    assert configured(tmp_path, plugin="kafka_ec2").cache_key() == key  # either name, one entry


def test_a_changed_option_with_the_cache_on_is_not_answered_from_the_cache(tmp_path):
    instances = three()
    for i, instance in enumerate(instances, start=1):  # a second tag scheme on the same instances
        boto3.client("ec2", region_name=REGION).create_tags(
            Resources=[instance["InstanceId"]],
            Tags=[
                {"Key": "alt:role", "Value": "zookeeper"},
                {"Key": "alt:broker-id", "Value": str(10 + i)},
                {"Key": "alt:myid", "Value": str(20 + i)},
                {"Key": "alt:node-id", "Value": str(i)},  # a broker's node id is its broker id
                {"Key": "alt:cluster", "Value": "prod"},
            ],
        )
    cache = {"cache": True, "cache_plugin": "jsonfile", "cache_connection": str(tmp_path / "cache")}
    baseline = inventory(tmp_path, **cache)
    assert host_vars(baseline, "prod-1")["kafka_broker_id"] == 1

    def listing(**options) -> tuple:
        manager = inventory(tmp_path, **cache, **options)
        return manager.get_groups_dict(), {h: host_vars(manager, h) for h in sorted(manager.hosts)}

    stale = listing()
    variants = {
        "role_tag": {"role_tag": "alt:role"},
        "broker_id_tag": {"broker_id_tag": "alt:broker-id"},
        "myid_tag": {"myid_tag": "alt:myid"},
        "node_id_tag": {"node_id_tag": "alt:node-id"},
        "include_raw_instance": {"include_raw_instance": True},
        "cluster_tag": {"cluster_tag": "alt:cluster", "broker_id_tag": "alt:broker-id"},
    }
    for name, options in variants.items():
        assert listing(**options) != stale, name
    set_state(instances[2], "stopped")
    assert listing() == stale  # the same options: read from the cache (what a cache is for)
    assert listing(non_running_members="keep")[0]["not_running"] == ["prod-3"]  # not the cached entry
    # compose, groups and keyed_groups apply to cached hosts too: a change shows without an API call.
    composed = listing(compose={"double_id": "kafka_broker_id * 2"}, groups={"first": "kafka_broker_id == 1"})
    assert composed[1]["prod-2"]["double_id"] == 4 and composed[0]["first"] == ["prod-1"]


# -- the lean page parser, on pages recorded from moto -----------------------------------------------------

PAGES = sorted(FIXTURES.glob("describe-instances-page-*.xml"))
# What the plugin reads of an instance (botocore's keys), written out here rather than taken from the plugin.
READ = (
    "InstanceId",
    "InstanceType",
    "SubnetId",
    "VpcId",
    "PrivateIpAddress",
    "PublicIpAddress",
    "PrivateDnsName",
    "PublicDnsName",
    "Ipv6Address",
)


def read_members(instance: dict) -> dict:
    """The members the plugin reads of one instance as botocore's full parse gives it."""
    out = {k: instance[k] for k in READ if k in instance}
    if "Placement" in instance:
        out["Placement"] = {"AvailabilityZone": instance["Placement"]["AvailabilityZone"]}
    if "State" in instance:
        out["State"] = {"Name": instance["State"]["Name"]}
    if "Tags" in instance:
        out["Tags"] = [{"Key": t["Key"], "Value": t["Value"]} for t in instance["Tags"]]
    if "NetworkInterfaces" in instance:
        out["NetworkInterfaces"] = [
            {"Ipv6Addresses": [{"Ipv6Address": a["Ipv6Address"]} for a in n.get("Ipv6Addresses", [])]}
            for n in instance["NetworkInterfaces"]
        ]
    return out


def both_parses(body: bytes, status: int = 200) -> tuple[dict, dict]:
    shape = (
        boto3.client("ec2", region_name=REGION)
        .meta.service_model.operation_model("DescribeInstances")
        .output_shape
    )
    response = {"body": body, "headers": {"Content-Type": "text/xml"}, "status_code": status}
    full = botocore.parsers.create_parser("ec2").parse(response, shape)
    lean = kafka_ec2_module().LeanParser(botocore.parsers.create_parser("ec2")).parse(response, shape)
    return lean, full


def test_recorded_pages_cover_what_the_plugin_reads():
    assert len(PAGES) == 2
    text = "".join(p.read_text() for p in PAGES)
    for needle in (
        "<nextToken>",
        "<tagSet>",
        "<ipAddress>",
        "<dnsName>",
        "<ipv6Address>",
        "<name>stopped</name>",
        "&amp;",
    ):
        assert needle in text, needle
    first = PAGES[0].read_text()
    assert first.count("<reservationId>") >= 4 and first.count("<instanceId>") > first.count(
        "<reservationId>"
    )
    assert set(kafka_ec2_module().INSTANCE_SCALARS.values()) == set(READ)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_lean_parse_equals_botocores_on_recorded_pages(page):
    lean, full = both_parses(page.read_bytes())
    assert lean.get("NextToken") == full.get("NextToken")
    assert lean["ResponseMetadata"]["RequestId"] == full["ResponseMetadata"]["RequestId"]
    assert lean["ResponseMetadata"]["HTTPStatusCode"] == full["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [len(r["Instances"]) for r in lean["Reservations"]] == [
        len(r["Instances"]) for r in full["Reservations"]
    ]
    pairs = [
        (mine, theirs)
        for r_mine, r_theirs in zip(lean["Reservations"], full["Reservations"], strict=True)
        for mine, theirs in zip(r_mine["Instances"], r_theirs["Instances"], strict=True)
    ]
    for mine, theirs in pairs:
        assert mine == read_members(theirs), theirs["InstanceId"]


def test_lean_and_full_pages_give_the_same_hosts_host_for_host(tmp_path):
    plugin = configured(tmp_path, cluster="rec")
    zones = {"us-east-1a": "use1-az6", "us-east-1b": "use1-az1"}
    parsed = [both_parses(p.read_bytes()) for p in PAGES]
    hosts = {}
    for index, kind in enumerate(("lean", "full")):
        instances = [i for pages in parsed for r in pages[index]["Reservations"] for i in r["Instances"]]
        hosts[kind] = [plugin.host_entry(i, REGION, zones) for i in plugin.in_cluster(instances)]
    assert hosts["lean"] == hosts["full"]
    assert len(hosts["lean"]) == 6  # the untagged instance is in no cluster
    facts = [h["vars"] for h in hosts["lean"]]
    assert any("kafka_ec2_ipv6_address" in v for v in facts) and any(
        "kafka_ec2_public_ip_address" in v for v in facts
    )
    assert any(v.get("kafka_ec2_state") == "stopped" for v in facts)
    assert any(v["kafka_ec2_tags"].get("note") == "a<b & c>d \"q\" 'é' {{ x }}" for v in facts)


class RecordingParser:
    """A stand-in for botocore's parser: says whether the lean parser handed it the response."""

    def __init__(self) -> None:
        self.calls = 0

    def parse(self, response, shape):
        self.calls += 1
        return {"parsed_by": "botocore"}


@pytest.mark.parametrize(
    ("case", "status", "body", "operation"),
    [
        (
            "error status",
            400,
            b"<Response><Errors><Error><Code>X</Code></Error></Errors></Response>",
            "DescribeInstances",
        ),
        ("server error", 503, PAGES[0].read_bytes() if PAGES else b"", "DescribeInstances"),
        ("1xx", 100, PAGES[0].read_bytes() if PAGES else b"", "DescribeInstances"),
        (
            "error document with 200",
            200,
            b"<Response><Errors><Error><Code>X</Code></Error></Errors></Response>",
            "DescribeInstances",
        ),
        (
            "other root",
            200,
            b'<DescribeInstancesResult xmlns="x"><reservationSet/></DescribeInstancesResult>',
            "DescribeInstances",
        ),
        ("malformed", 200, b"<DescribeInstancesResponse><reservationSet>", "DescribeInstances"),
        ("not xml", 200, b"\xff\xfe", "DescribeInstances"),
        ("other operation", 200, PAGES[0].read_bytes() if PAGES else b"", "DescribeInstanceStatus"),
    ],
)
def test_anything_unexpected_goes_to_botocores_parser(case, status, body, operation):
    model = boto3.client("ec2", region_name=REGION).meta.service_model.operation_model(operation)
    default = RecordingParser()
    response = {"body": body, "headers": {}, "status_code": status}
    assert kafka_ec2_module().LeanParser(default).parse(response, model.output_shape) == {
        "parsed_by": "botocore"
    }, case
    assert default.calls == 1


def test_the_lean_parser_takes_describe_instances_pages_only():
    default = RecordingParser()
    shape = (
        boto3.client("ec2", region_name=REGION)
        .meta.service_model.operation_model("DescribeInstances")
        .output_shape
    )
    response = {"body": PAGES[0].read_bytes(), "headers": {}, "status_code": 200}
    page = kafka_ec2_module().LeanParser(default).parse(response, shape)
    assert default.calls == 0 and page["Reservations"] and page["NextToken"]


# -- the collector: never unfreeze what someone else froze --------------------------------------------------


def is_frozen(obj: object) -> bool:
    return gc.is_tracked(obj) and not any(o is obj for o in gc.get_objects())


@pytest.fixture
def unfreezes(monkeypatch):
    """Counts gc.unfreeze() calls (the plugin's included) while still unfreezing."""
    calls: list[int] = []
    original = gc.unfreeze

    def counting() -> None:
        calls.append(1)
        original()

    monkeypatch.setattr(gc, "unfreeze", counting)
    return calls


def test_a_freeze_by_someone_else_survives_a_build_and_nothing_is_added(tmp_path, collector, unfreezes):
    three()
    theirs = [object()]  # another component's long-lived object, frozen by it
    gc.freeze()
    frozen = gc.get_freeze_count()
    manager = inventory(tmp_path)
    assert unfreezes == []  # not unfrozen, not even briefly
    assert is_frozen(theirs)
    assert gc.get_freeze_count() <= frozen  # the plugin froze nothing on top of theirs
    assert not is_frozen(manager.get_host("prod-1"))
    assert gc.isenabled()


def test_a_freeze_after_the_plugins_own_survives_a_rebuild(tmp_path, collector, unfreezes):
    three()
    first = inventory(tmp_path)
    assert is_frozen(first.get_host("prod-1"))  # the plugin froze its inventory
    theirs = [object()]
    gc.freeze()  # then another component froze its own objects (and, with them, the plugin's canary)
    inventory(tmp_path)
    assert unfreezes == [] and is_frozen(theirs)


def test_the_plugins_own_freeze_is_undone_on_a_rebuild(tmp_path, collector, unfreezes):
    three()
    first = inventory(tmp_path)
    host = weakref.ref(first.get_host("prod-1"))
    del first
    second = inventory(tmp_path)
    assert unfreezes == [1] and host() is None
    assert is_frozen(second.get_host("prod-1"))
