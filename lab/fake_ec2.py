"""The fake EC2 API: a moto server seeded with one running, tagged instance per lab node.

Each instance's private IP is its node's loopback address, so the inventory plugin sees the lab
exactly as it sees AWS.
"""

from __future__ import annotations

from typing import Any

import boto3

from lab import config

ZONES = ("a", "b", "c")
VPC_CIDR = "127.0.0.0/16"  # holds the loopback addresses the lab nodes use as private IPs
LAB_AMI = "ami-0123456789abcdef0"  # moto accepts any image id (listing its catalogue is slow)


def client(endpoint: str, region: str = config.REGION) -> Any:
    return boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="lab",
        aws_secret_access_key="lab",
    )


def tags_for(cluster: str, index: int, container_prefix: str) -> dict[str, str]:
    """The tag scheme of docs/design.md, for node `index` (1-based) of a lab cluster."""
    return {
        "Name": config.node_name(index) if cluster == config.CLUSTER_NAME else f"{cluster}-node{index}",
        "kafka:cluster": cluster,
        "kafka:role": "zookeeper,broker",
        "kafka:broker-id": str(index),
        "zookeeper:myid": str(index),
        "lab:container": f"{container_prefix}{config.node_name(index)}",
    }


def ensure_network(ec2: Any, region: str = config.REGION) -> dict[str, str]:
    """One VPC and a subnet per availability zone (zone name -> subnet id); idempotent."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:lab:network", "Values": ["kafka-lab"]}])["Vpcs"]
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
    else:
        vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "lab:network", "Value": "kafka-lab"}])
    subnets = {
        s["AvailabilityZone"]: s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    }
    for offset, zone_letter in enumerate(ZONES):
        zone = f"{region}{zone_letter}"
        if zone not in subnets:
            cidr = f"127.0.{offset * 64}.0/18"
            subnets[zone] = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"][
                "SubnetId"
            ]
    return subnets


def subnet_for(index: int, subnets: dict[str, str], region: str) -> tuple[str, str]:
    """Node i (1-based) goes to zone a, b, c in turn; moto accepts a loopback private IP there."""
    zone = f"{region}{ZONES[(index - 1) % len(ZONES)]}"
    return zone, subnets[zone]


def running_instances(ec2: Any, cluster: str) -> list[dict[str, Any]]:
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": "tag:kafka:cluster", "Values": [cluster]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )
    return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]


def seed_cluster(
    endpoint: str,
    cluster: str,
    nodes: int,
    container_prefix: str = config.CONTAINER_PREFIX,
    region: str = config.REGION,
    address_base: int = config.NODE_ADDRESS_BASE,
) -> list[dict[str, Any]]:
    """Seed `nodes` running instances for `cluster` unless they exist; returns the instances.

    Node i gets the address 127.0.0.(address_base+i-1) as its private IP (the lab node's address
    by default; a test cluster seeded beside the lab passes its own base) and zone a/b/c in turn.
    Nodes that already exist (matched by broker id) are kept, so seeding twice never duplicates.
    """
    ec2 = client(endpoint, region)
    subnets = ensure_network(ec2, region)
    existing = {_tag(i, "kafka:broker-id") for i in running_instances(ec2, cluster)}
    for index in range(1, nodes + 1):
        if str(index) in existing:
            continue
        address = f"{config.NODE_ADDRESS_PREFIX}{address_base + index - 1}"
        _, subnet = subnet_for(index, subnets, region)
        tags = tags_for(cluster, index, container_prefix)
        ec2.run_instances(
            ImageId=LAB_AMI,
            InstanceType="m7i.large",
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet,
            PrivateIpAddress=address,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ],
        )
    return sorted(running_instances(ec2, cluster), key=lambda i: int(_tag(i, "kafka:broker-id") or 0))


def _tag(instance: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in instance.get("Tags", []) if t["Key"] == key), None)
