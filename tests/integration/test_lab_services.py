"""The lab's artifact mirror serves the archives, and the fake EC2 API holds tagged instances."""

from __future__ import annotations

import urllib.request

import boto3
import pytest

from lab import config, fake_ec2, mirror

pytestmark = pytest.mark.integration


def test_mirror_serves_each_archive_and_its_checksum(lab_services):
    for path in mirror.ensure_mirror():
        relative = path.relative_to(config.MIRROR_DIR)
        with urllib.request.urlopen(f"{config.MIRROR_URL}/{relative}.sha512", timeout=10) as response:
            assert response.read() == path.with_name(path.name + ".sha512").read_bytes()
        request = urllib.request.Request(f"{config.MIRROR_URL}/{relative}", method="HEAD")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert int(response.headers["Content-Length"]) == path.stat().st_size


def test_fake_ec2_holds_a_tagged_cluster_across_three_zones(lab_services):
    first = fake_ec2.seed_cluster(
        config.EC2_ENDPOINT, "it-services", 3, container_prefix="it-", address_base=81
    )
    again = fake_ec2.seed_cluster(
        config.EC2_ENDPOINT, "it-services", 3, container_prefix="it-", address_base=81
    )
    assert [i["InstanceId"] for i in again] == [i["InstanceId"] for i in first]
    ec2 = boto3.client(
        "ec2",
        endpoint_url=config.EC2_ENDPOINT,
        region_name=config.REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    found = ec2.describe_instances(
        Filters=[
            {"Name": "tag:kafka:cluster", "Values": ["it-services"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )["Reservations"]
    instances = sorted((i for r in found for i in r["Instances"]), key=lambda i: i["PrivateIpAddress"])
    assert [i["PrivateIpAddress"] for i in instances] == ["127.0.0.81", "127.0.0.82", "127.0.0.83"]
    assert [i["Placement"]["AvailabilityZone"] for i in instances] == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    ]
    tags = {t["Key"]: t["Value"] for t in instances[1]["Tags"]}
    assert (
        tags["kafka:role"] == "zookeeper,broker"
        and tags["kafka:broker-id"] == "2"
        and tags["zookeeper:myid"] == "2"
    )
    assert tags["lab:container"] == "it-node2"
    zones = ec2.describe_subnets()["Subnets"]
    assert {s["AvailabilityZone"] for s in zones} >= {"us-east-1a", "us-east-1b", "us-east-1c"}
