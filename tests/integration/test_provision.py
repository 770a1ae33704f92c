"""playbooks/provision.yml and playbooks/teardown.yml against a moto server (the fake EC2 API), run as
the AWX job templates `kafka provision` and `kafka teardown` through ansible-runner (tools/awx_job.py).

One moto server of this module's own, on a free 127.0.0.1 port, holds three clusters: `prov-a`
(ZooKeeper mode, in a VPC the playbook creates), `prov-b` (KRaft, in a VPC the user brought, one
subnet given by id) and `bystander` (instances seeded directly, as by hand). The tests run in order
and share that state: provision, a re-run that changes nothing, the kafka_ec2 inventory reading the
result, refusals that change nothing, a scale-up, a drained broker removed, then teardowns that leave
nothing of their cluster and everything of the others. Tested against moto only, not against AWS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab import config
from tests.integration.conftest import ansible, ec2_client, moto_server

pytestmark = pytest.mark.integration
AMI = "ami-0123456789abcdef0"
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn0aPjKGf1Tg0L4OfzD1yWc0Fw6Wp0q8fJ3eGx0o4mR prov@test"
LIVE = ["pending", "running", "stopping", "stopped"]


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def ec2(moto: str) -> Any:
    return ec2_client(moto, "moto-key", "moto-secret")


@pytest.fixture(scope="module")
def bystander(ec2) -> list[str]:
    """A cluster made by hand (no playbook): teardowns of the others must leave it whole."""
    ids = []
    for i in (1, 2, 3):
        tags = {"Name": f"bystander-{i}", "kafka:cluster": "bystander", "kafka:role": "zookeeper,broker"}
        tags |= {"kafka:broker-id": str(i), "zookeeper:myid": str(i)}
        reply = ec2.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ],
        )
        ids.append(reply["Instances"][0]["InstanceId"])
    return ids


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("provision")


def cluster_a(moto: str, **changes: Any) -> dict[str, Any]:
    base = {
        "kafka_cluster_name": "prov-a",
        "ec2_cluster_endpoint_url": moto,
        "ec2_cluster_vpc_cidr": "127.40.0.0/16",
        "ec2_cluster_subnets": [
            {"zone": f"{config.REGION}{z}", "cidr": f"127.40.{16 * i}.0/20"} for i, z in enumerate("abc")
        ],
        "ec2_cluster_image_id": AMI,
        "ec2_cluster_key_name": "prov-a",
        "ec2_cluster_public_key": PUBLIC_KEY,
        "ec2_cluster_client_cidrs": ["127.50.0.0/16"],
        "ec2_cluster_admin_cidrs": ["127.60.0.1/32"],
        "kafka_metrics_port": 7071,
        "ec2_cluster_monitoring_cidrs": ["127.70.0.0/24"],
        "ec2_cluster_nodes": [{"roles": ["zookeeper", "broker"], "count": 3, "data_volume_size": 20}],
    }
    return base | changes


def run(
    workdir: Path,
    job: str,
    variables: dict[str, Any],
    check: bool = True,
    answers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """The AWX job template `job` through ansible-runner (tools/awx_job.py), on the control node only, with
    `variables` as the control inventory's variables would give them; (changed count, output)."""
    varfile = workdir / "vars.yml"
    varfile.write_text(yaml.safe_dump(variables))
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "moto-key",
        "AWS_SECRET_ACCESS_KEY": "moto-secret",
        "ANSIBLE_NOCOLOR": "1",
    }
    env["ANSIBLE_CONFIG"] = str(config.PROJECT_ROOT / "ansible.cfg")
    command = [sys.executable, "tools/awx_job.py", job, "-i", "localhost,", "-e", f"@{varfile}"]
    command += [f"--answer={name}={value}" for name, value in (answers or {}).items()]
    done = subprocess.run(command, cwd=config.PROJECT_ROOT, env=env, capture_output=True, text=True)
    output = done.stdout + done.stderr
    if check:
        assert done.returncode == 0, output[-4000:]
    recap = re.search(r"changed=(\d+)", output)
    return (int(recap.group(1)) if recap else -1), output


def live(ec2, cluster: str) -> list[dict[str, Any]]:
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": "tag:kafka:cluster", "Values": [cluster]},
            {"Name": "instance-state-name", "Values": LIVE},
        ]
    )
    return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]


def tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def tagged(ec2, cluster: str) -> dict[str, int]:
    """How many of each kind of resource carry the cluster's tag (instances: live ones)."""
    flt = [{"Name": "tag:kafka:cluster", "Values": [cluster]}]
    return {
        "instances": len(live(ec2, cluster)),
        "vpcs": len(ec2.describe_vpcs(Filters=flt)["Vpcs"]),
        "subnets": len(ec2.describe_subnets(Filters=flt)["Subnets"]),
        "groups": len(ec2.describe_security_groups(Filters=flt)["SecurityGroups"]),
        "keys": len(ec2.describe_key_pairs(Filters=flt)["KeyPairs"]),
        "gateways": len(ec2.describe_internet_gateways(Filters=flt)["InternetGateways"]),
        "route tables": len(ec2.describe_route_tables(Filters=flt)["RouteTables"]),
        "volumes": len(ec2.describe_volumes(Filters=flt)["Volumes"]),
    }


def inventory(workdir: Path, moto: str, cluster: str) -> dict[str, Any]:
    source = workdir / f"{cluster}.kafka_ec2.yml"
    source.write_text(
        yaml.safe_dump(
            {
                "plugin": "kafka_aws.kafka.kafka_ec2",
                "cluster": cluster,
                "regions": [config.REGION],
                "endpoint_url": moto,
                "aws_access_key": "moto-key",
                "aws_secret_key": "moto-secret",
            }
        )
    )
    return json.loads(ansible("ansible-inventory", "-i", str(source), "--list").stdout)


def test_provision_creates_the_cluster_and_a_rerun_changes_nothing(moto, ec2, workdir, bystander):
    changed, _ = run(workdir, "kafka provision", cluster_a(moto))
    assert changed > 0
    instances = live(ec2, "prov-a")
    assert sorted(tags(i)["Name"] for i in instances) == [f"prov-a-zookeeper-broker-{n}" for n in (1, 2, 3)]
    assert sorted(i["Placement"]["AvailabilityZone"][-1] for i in instances) == ["a", "b", "c"]
    for instance in instances:
        number = tags(instance)["Name"].rsplit("-", 1)[1]
        assert tags(instance)["kafka:broker-id"] == number == tags(instance)["zookeeper:myid"]
        assert tags(instance)["kafka:role"] == "zookeeper,broker"
    volumes = ec2.describe_volumes(Filters=[{"Name": "tag:kafka:cluster", "Values": ["prov-a"]}])["Volumes"]
    assert [v["Size"] for v in volumes].count(
        20
    ) == 3  # each broker's data volume (the root volumes too are tagged)
    changed, output = run(workdir, "kafka provision", cluster_a(moto))
    assert changed == 0, output[-3000:]


def test_the_security_group_opens_what_each_source_needs(ec2):
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["prov-a-kafka"]}])[
        "SecurityGroups"
    ]
    by_source: dict[str, set[int]] = {}
    for rule in group["IpPermissions"]:
        sources = [r["CidrIp"] for r in rule.get("IpRanges", [])]
        sources += [p["GroupId"] for p in rule.get("UserIdGroupPairs", [])]
        for source in sources:
            by_source.setdefault(source, set()).update(range(rule["FromPort"], rule["ToPort"] + 1))
    assert by_source[group["GroupId"]] == {9091, 9092, 2181, 2888, 3888, 7071}
    assert by_source["127.50.0.0/16"] == {9092}  # clients: every listener but the inter-broker one
    assert by_source["127.70.0.0/24"] == {7071}
    assert by_source["127.60.0.1/32"] == {22}
    assert len(by_source) == 4


def test_the_inventory_reads_the_provisioned_cluster(moto, workdir):
    listed = inventory(workdir, moto, "prov-a")
    names = [f"prov-a-zookeeper-broker-{n}" for n in (1, 2, 3)]
    assert sorted(listed["zookeeper"]["hosts"]) == sorted(listed["broker"]["hosts"]) == names
    hostvars = listed["_meta"]["hostvars"]
    assert [hostvars[n]["kafka_broker_id"] for n in names] == [1, 2, 3]
    assert [hostvars[n]["zookeeper_myid"] for n in names] == [1, 2, 3]
    assert len({hostvars[n]["kafka_ec2_availability_zone"] for n in names}) == 3


def test_shrinking_the_ensemble_fails_before_anything_changes(moto, ec2, workdir):
    """The plan's refusals come after reading the instances and before any change (the others: unit tests)."""
    before = tagged(ec2, "prov-a")
    nodes = [{"roles": ["zookeeper", "broker"], "count": 1, "data_volume_size": 20}]
    _, output = run(workdir, "kafka provision", cluster_a(moto, ec2_cluster_nodes=nodes), check=False)
    assert "failed=1" in output and "never shrinks a ZooKeeper" in output, output[-3000:]
    assert "changed=0" in output
    assert tagged(ec2, "prov-a") == before


def scaled(moto: str, brokers: int) -> dict[str, Any]:
    nodes = cluster_a(moto)["ec2_cluster_nodes"] + [
        {"roles": ["broker"], "count": brokers, "data_volume_size": 30}
    ]
    return cluster_a(moto, ec2_cluster_nodes=nodes)


def test_scaling_up_adds_instances_with_new_ids_and_keeps_the_others(moto, ec2, workdir):
    before = {i["InstanceId"]: tags(i) for i in live(ec2, "prov-a")}
    run(workdir, "kafka provision", scaled(moto, 2))
    after = {i["InstanceId"]: (tags(i), i["Placement"]["AvailabilityZone"]) for i in live(ec2, "prov-a")}
    assert {k: v[0] for k, v in after.items() if k in before} == before  # ids (tags) never changed
    new = sorted((v for k, v in after.items() if k not in before), key=lambda v: v[0]["Name"])
    assert [(t["Name"], t["kafka:broker-id"], t["kafka:role"], z[-1]) for t, z in new] == [
        ("prov-a-broker-4", "4", "broker", "a"),
        ("prov-a-broker-5", "5", "broker", "b"),
    ]
    assert all("zookeeper:myid" not in t and "kafka:node-id" not in t for t, _ in new)
    listed = inventory(workdir, moto, "prov-a")
    assert len(listed["broker"]["hosts"]) == 5 and len(listed["zookeeper"]["hosts"]) == 3


def test_lowering_a_broker_count_needs_a_drained_broker(moto, ec2, workdir):
    _, output = run(workdir, "kafka provision", scaled(moto, 1), check=False)
    assert "only 0 of its instances are drained" in output and "failed=1" in output
    (five,) = [i for i in live(ec2, "prov-a") if tags(i)["Name"] == "prov-a-broker-5"]
    ec2.create_tags(Resources=[five["InstanceId"]], Tags=[{"Key": "kafka:drained", "Value": "true"}])
    run(workdir, "kafka provision", scaled(moto, 1))
    names = sorted(tags(i)["Name"] for i in live(ec2, "prov-a"))
    assert "prov-a-broker-5" not in names and "prov-a-broker-4" in names and len(names) == 4


@pytest.fixture(scope="module")
def cluster_b(moto, ec2) -> dict[str, Any]:
    """KRaft, in a VPC the user brought (untagged): one subnet given by id, two created."""
    vpc = ec2.create_vpc(CidrBlock="127.41.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="127.41.0.0/20", AvailabilityZone=f"{config.REGION}a")
    return {
        "kafka_cluster_name": "prov-b",
        "ec2_cluster_endpoint_url": moto,
        "ec2_cluster_vpc_id": vpc,
        "ec2_cluster_subnets": [
            {"zone": f"{config.REGION}a", "id": subnet["Subnet"]["SubnetId"]},
            {"zone": f"{config.REGION}b", "cidr": "127.41.16.0/20"},
            {"zone": f"{config.REGION}c", "cidr": "127.41.32.0/20"},
        ],
        "ec2_cluster_image_id": AMI,
        "ec2_cluster_key_name": "prov-b",
        "ec2_cluster_public_key": PUBLIC_KEY,
        "ec2_cluster_nodes": [
            {"roles": ["controller"], "count": 3, "instance_type": "t3.small"},
            {"roles": ["broker"], "count": 2, "data_volume_size": 10},
        ],
    }


def test_a_kraft_cluster_in_an_existing_vpc(moto, ec2, workdir, cluster_b):
    run(workdir, "kafka provision", cluster_b)
    found = {tags(i)["Name"]: tags(i) for i in live(ec2, "prov-b")}
    assert {n: (t["kafka:role"], t.get("kafka:node-id")) for n, t in found.items()} == {
        "prov-b-controller-1": ("controller", "1"),
        "prov-b-controller-2": ("controller", "2"),
        "prov-b-controller-3": ("controller", "3"),
        "prov-b-broker-4": ("broker", "4"),
        "prov-b-broker-5": ("broker", "5"),
    }
    assert all("kafka:broker-id" not in t for t in found.values())
    listed = inventory(workdir, moto, "prov-b")
    assert len(listed["controller"]["hosts"]) == 3 and len(listed["broker"]["hosts"]) == 2


def test_teardown_needs_the_cluster_named(moto, workdir):
    _, output = run(workdir, "kafka teardown", {"ec2_cluster_endpoint_url": moto}, check=False)
    assert "kafka_teardown_cluster is required" in output  # the job template's survey
    done = ansible("ansible-playbook", "-i", "localhost,", "playbooks/teardown.yml", check=False)
    assert done.returncode != 0 and "kafka_teardown_cluster" in done.stdout  # the playbook itself


def test_teardown_removes_its_cluster_only(moto, ec2, workdir, bystander, cluster_b):
    others = {name: tagged(ec2, name) for name in ("prov-b", "bystander")}
    teardown = {"ec2_cluster_endpoint_url": moto}
    changed, _ = run(workdir, "kafka teardown", teardown, answers={"kafka_teardown_cluster": "prov-a"})
    assert changed > 0
    assert set(tagged(ec2, "prov-a").values()) == {0}
    assert {name: tagged(ec2, name) for name in others} == others
    assert sorted(i["InstanceId"] for i in live(ec2, "bystander")) == sorted(bystander)
    changed, output = run(workdir, "kafka teardown", teardown, answers={"kafka_teardown_cluster": "prov-a"})
    assert changed == 0, output[-3000:]


def test_teardown_keeps_what_the_user_brought(moto, ec2, workdir, cluster_b):
    run(
        workdir,
        "kafka teardown",
        {"ec2_cluster_endpoint_url": moto},
        answers={"kafka_teardown_cluster": "prov-b"},
    )
    assert set(tagged(ec2, "prov-b").values()) == {0}
    vpc = cluster_b["ec2_cluster_vpc_id"]
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert [s["SubnetId"] for s in subnets] == [cluster_b["ec2_cluster_subnets"][0]["id"]]
    assert len(live(ec2, "bystander")) == 3
