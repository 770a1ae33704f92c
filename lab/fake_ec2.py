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


# The tags whose keys and values depend on the mode; seeding in another mode rewrites them.
MODE_TAGS = ("kafka:role", "kafka:broker-id", "zookeeper:myid", "kafka:node-id")
# An instance beyond a smaller lab's node count is parked: its kafka:cluster tag is replaced by this one.
PARKED_TAG = "lab:parked-from"


def tags_for(
    cluster: str, index: int, container_prefix: str, mode: str = config.DEFAULT_MODE
) -> dict[str, str]:
    """The tag scheme of docs/design.md, for node `index` (1-based) of a lab cluster.

    zookeeper mode: every node is a ZooKeeper member and a broker (broker id and myid = index).
    kraft mode: every node is a controller and a broker, with its node id (= index) only.
    kraft-dedicated mode: nodes 1-3 are controllers, the others brokers, each with its node id only.
    """
    return {
        "Name": config.node_name(index) if cluster == config.CLUSTER_NAME else f"{cluster}-node{index}",
        "kafka:cluster": cluster,
        **role_tags(index, mode),
        "lab:container": f"{container_prefix}{config.node_name(index)}",
    }


def role_tags(index: int, mode: str) -> dict[str, str]:
    """The role and id tags (MODE_TAGS) of node `index` in `mode`."""
    if mode not in config.MODES:
        raise ValueError(f"unknown lab mode {mode!r} (one of {', '.join(config.MODES)})")
    if mode == "zookeeper":
        return {"kafka:role": "zookeeper,broker", "kafka:broker-id": str(index), "zookeeper:myid": str(index)}
    if mode == "kraft":
        role = "controller,broker"
    else:
        role = "controller" if index <= config.DEDICATED_CONTROLLERS else "broker"
    return {"kafka:role": role, "kafka:node-id": str(index)}


def node_index(instance: dict[str, Any]) -> int:
    """A seeded instance's node index: its kafka:broker-id, else its kafka:node-id (0 when it has neither)."""
    value = _tag(instance, "kafka:broker-id") or _tag(instance, "kafka:node-id")
    return int(value) if value and value.isdigit() else 0


def seeded_mode(instances: list[dict[str, Any]]) -> str | None:
    """The mode existing instances were seeded in; None if there are none.

    zookeeper unless one is a controller; then kraft-dedicated if a controller is not a broker, else kraft.
    """
    if not instances:
        return None
    roles = [set((_tag(i, "kafka:role") or "").split(",")) for i in instances]
    if not any("controller" in r for r in roles):
        return "zookeeper"
    return "kraft-dedicated" if any(r == {"controller"} for r in roles) else "kraft"


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


def running_instances(ec2: Any, cluster: str, tag: str = "kafka:cluster") -> list[dict[str, Any]]:
    """The cluster's running instances (tag=PARKED_TAG: those parked out of it)."""
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": f"tag:{tag}", "Values": [cluster]},
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
    mode: str | None = None,
) -> list[dict[str, Any]]:
    """Seed `nodes` running instances for `cluster` unless they exist; returns them by node index.

    Node i gets the address 127.0.0.(address_base+i-1) as its private IP (the lab node's address
    by default; a test cluster seeded beside the lab passes its own base) and zone a/b/c in turn.
    Nodes that already exist (matched by node index: broker id, else node id) are kept, so seeding
    twice never duplicates. `mode` is one of config.MODES (tags_for); None keeps the mode the existing
    instances were seeded in (zookeeper for a new cluster). Existing instances tagged for another
    mode are retagged (their id and role tags rewritten; instance ids and addresses stay).
    Instances beyond `nodes` (a node index above it: a 3-node lab after a 6-node one) are parked
    out of the cluster (park), and taken back, retagged, when the cluster grows again: moto never
    frees a terminated instance's address, which the node of that index needs again.
    """
    ec2 = client(endpoint, region)
    subnets = ensure_network(ec2, region)
    instances = running_instances(ec2, cluster)
    mode = mode or seeded_mode(instances) or config.DEFAULT_MODE
    existing = {node_index(i): i for i in instances}
    for index, instance in existing.items():
        if index > nodes:
            park(ec2, instance, cluster)
    existing |= {node_index(i): i for i in running_instances(ec2, cluster, PARKED_TAG)}
    for index in range(1, nodes + 1):
        if index in existing:
            retag(ec2, existing[index], tags_for(cluster, index, container_prefix, mode))
            continue
        address = f"{config.NODE_ADDRESS_PREFIX}{address_base + index - 1}"
        _, subnet = subnet_for(index, subnets, region)
        tags = tags_for(cluster, index, container_prefix, mode)
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
    return sorted(running_instances(ec2, cluster), key=node_index)


def park(ec2: Any, instance: dict[str, Any], cluster: str) -> None:
    """Take `instance` out of `cluster` (no kafka:cluster tag, so no inventory sees it) but keep it."""
    ec2.create_tags(Resources=[instance["InstanceId"]], Tags=[{"Key": PARKED_TAG, "Value": cluster}])
    ec2.delete_tags(Resources=[instance["InstanceId"]], Tags=[{"Key": "kafka:cluster"}])


def retag(ec2: Any, instance: dict[str, Any], tags: dict[str, str]) -> bool:
    """Give `instance` the tags `tags`: set what differs, delete the other mode's (and PARKED_TAG);
    True if it changed."""
    current = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
    changed = {k: v for k, v in tags.items() if current.get(k) != v}
    stale = [k for k in (*MODE_TAGS, PARKED_TAG) if k in current and k not in tags]
    if changed:
        ec2.create_tags(
            Resources=[instance["InstanceId"]], Tags=[{"Key": k, "Value": v} for k, v in changed.items()]
        )
    if stale:
        ec2.delete_tags(Resources=[instance["InstanceId"]], Tags=[{"Key": k} for k in stale])
    return bool(changed or stale)


def _tag(instance: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in instance.get("Tags", []) if t["Key"] == key), None)
