"""kafka_ec2 inventory plugin, driven through Ansible's real InventoryManager against moto's mock."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path
from types import ModuleType

import boto3
import botocore.parsers
import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible.template import Templar, is_trusted_as_template, trust_as_template
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

ROOT = Path(__file__).resolve().parents[2]
inventory_loader.add_directory(str(ROOT / "plugins" / "inventory"))


def kafka_ec2_module() -> ModuleType:
    """The plugin's module as Ansible's loader imported it (the one whose globals the plugin reads)."""
    return sys.modules[type(inventory_loader.get("kafka_ec2")).__module__]


REGION = "us-east-1"
AMI = "ami-0123456789abcdef0"  # moto accepts any image id; listing its catalogue is slow


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("ANSIBLE_INVENTORY_ENABLED", "kafka_ec2")
    with mock_aws():
        yield


def launch(tags: dict[str, str], zone: str = "a", region: str = REGION, state: str = "running") -> dict:
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
    )["Instances"][0]
    if state == "stopped":
        ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
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


def inventory(tmp_path: Path, **options) -> InventoryManager:
    config = {"plugin": "kafka_ec2", "cluster": "prod", "regions": [REGION], **options}
    source = tmp_path / "test.kafka_ec2.yml"
    source.write_text(yaml.safe_dump(config))
    manager = InventoryManager(loader=DataLoader(), sources=[str(source)], parse=False)
    manager.parse_sources(cache=True)
    return manager


def parse_error(tmp_path: Path, **options) -> str:
    source = tmp_path / "test.kafka_ec2.yml"
    source.write_text(
        yaml.safe_dump({"plugin": "kafka_ec2", "cluster": "prod", "regions": [REGION], **options})
    )
    plugin = inventory_loader.get("kafka_ec2")
    manager = InventoryManager(loader=DataLoader(), sources=[], parse=False)
    with pytest.raises(AnsibleError) as error:
        plugin.parse(manager._inventory, DataLoader(), str(source), cache=False)
    return str(error.value)


def host_vars(manager: InventoryManager, name: str) -> dict:
    return manager.get_host(name).get_vars()


def test_groups_and_host_variables(tmp_path):
    instances = three()
    launch(node(9, cluster="other"))
    launch(node(4), state="stopped")
    manager = inventory(tmp_path)
    groups = manager.get_groups_dict()
    assert sorted(groups["zookeeper"]) == sorted(groups["broker"]) == ["prod-1", "prod-2", "prod-3"]
    assert groups["controller"] == []
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


def test_derived_ids_depend_only_on_each_hosts_address(tmp_path):
    instances = [
        launch(node(i, **{"kafka:broker-id": "", "zookeeper:myid": ""}), zone="abc"[i - 1]) for i in (1, 2, 3)
    ]
    assert "no kafka:broker-id tag" in parse_error(tmp_path)
    manager = inventory(tmp_path, derive_missing_ids=True)
    for instance, name in zip(instances, ("prod-1", "prod-2", "prod-3"), strict=True):
        octets = [int(o) for o in instance["PrivateIpAddress"].split(".")]
        assert host_vars(manager, name)["kafka_broker_id"] == octets[2] * 256 + octets[3]
        assert host_vars(manager, name)["zookeeper_myid"] == octets[3]
    before = {n: host_vars(manager, n)["kafka_broker_id"] for n in ("prod-1", "prod-2")}
    boto3.client("ec2", region_name=REGION).terminate_instances(InstanceIds=[instances[2]["InstanceId"]])
    launch(node(5, **{"kafka:broker-id": "", "zookeeper:myid": ""}))
    again = inventory(tmp_path, derive_missing_ids=True)
    assert {n: host_vars(again, n)["kafka_broker_id"] for n in ("prod-1", "prod-2")} == before


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"kafka:broker-id": "2"}, "same kafka_broker_id 2"),
        ({"zookeeper:myid": "2"}, "same zookeeper_myid 2"),
        ({"kafka:broker-id": "x"}, "tag kafka:broker-id='x' must be a positive integer"),
        ({"kafka:broker-id": "0"}, "must be a positive integer"),
        ({"zookeeper:myid": "256"}, "must be between 1 and 255"),
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
    assert "2 zookeeper hosts" in parse_error(tmp_path)
    assert sorted(inventory(tmp_path, allow_even_zookeeper=True).get_groups_dict()["zookeeper"]) == [
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
    manager = inventory(tmp_path, allow_even_zookeeper=True)
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
    assert "same kafka_broker_id" in parse_error(tmp_path, allow_even_zookeeper=True)
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
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "inventory", "kafka_ec2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    ).stdout
    assert "Finds the running EC2 instances of one Kafka cluster" in doc
    for option in ("cluster", "regions", "derive_missing_ids", "rack_source", "cache_plugin", "keyed_groups"):
        assert option in doc
    assert "plugin: kafka_ec2" in doc


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


def test_assume_role(tmp_path):
    three()
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="inventory", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    manager = inventory(tmp_path, assume_role_arn=role)
    assert sorted(manager.get_groups_dict()["broker"]) == ["prod-1", "prod-2", "prod-3"]


def test_strict_constructed_expressions(tmp_path):
    three()
    lenient = inventory(tmp_path, compose={"x": "no_such_variable"}, strict=False)
    assert "x" not in host_vars(lenient, "prod-1")
    assert "no_such_variable" in parse_error(tmp_path, compose={"x": "no_such_variable"}, strict=True)
