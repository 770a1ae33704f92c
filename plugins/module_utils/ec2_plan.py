"""What provisioning a cluster's EC2 instances must do, decided on the control node before any change.

Pure Python (no Ansible, no AWS calls): playbooks/provision.yml reads the cluster's instances with
amazon.aws.ec2_instance_info and passes them here with the declared node groups (ec2_cluster_nodes);
the answer says which instances to launch (with every tag the kafka_ec2 inventory plugin reads),
which drained brokers to terminate, and what is wrong, so that bad input changes nothing.

API:
  node_problems(nodes) -> list[str]: what is wrong with the declared node groups alone.
  subnet_problems(subnets) -> list[str]: what is wrong with the declared subnets.
  plan(cluster, nodes, zones, instances) -> dict: {"create": [...], "terminate": [...], "problems": [...]}
  unsafe_cluster_name(name) -> str | None: why a cluster name can't select resources by tag exactly.

Rules (docs/design.md's tag scheme):
- A group is a set of roles (zookeeper, broker, controller) and a count; an instance belongs to the
  group whose roles equal its kafka:role tag's. An instance no group declares is a problem.
- Ids are never changed. A new instance takes the smallest number no instance of the cluster uses as
  any id (broker id, node id or myid), so ids stay unique across kinds (KRaft migration needs broker
  and controller ids apart) and a combined ZooKeeper member and broker gets equal myid and broker id.
- A broker takes kafka:broker-id when the cluster declares ZooKeeper members, else kafka:node-id;
  a controller kafka:node-id; a ZooKeeper member zookeeper:myid (bounds: cluster_rules.ID_BOUNDS).
- The ZooKeeper ensemble and the controller quorum stay odd. Raising a count adds instances, each in
  the zone (of `zones`, in order) holding the fewest of its group. Lowering one is refused, except for
  a group of brokers only whose surplus instances are drained (tag kafka:drained=true, set once their
  partitions have moved away): those are terminated, highest id first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.module_utils.cluster_rules import (
    ID_BOUNDS,
    ROLES,
    split_roles,
)

CLUSTER_TAG = "kafka:cluster"
ROLE_TAG = "kafka:role"
DRAINED_TAG = "kafka:drained"
ID_TAGS = {"broker": "kafka:broker-id", "node": "kafka:node-id", "myid": "zookeeper:myid"}
QUORUM_ROLES = ("zookeeper", "controller")
# Instances in these states still hold their ids and their place in a group (terminated ones do not).
NO_SUBNETS = "ec2_cluster_subnets is empty: declare one subnet per availability zone"
LIVE_STATES = ("pending", "running", "stopping", "stopped", "shutting-down")


def unsafe_cluster_name(name: object) -> str | None:
    """Why `name` can't pick a cluster's resources out by tag exactly (EC2 tag filters treat * and ? as
    wildcards), or None."""
    if not isinstance(name, str) or not name.strip():
        return "the cluster name must be a non-empty string"
    if "*" in name or "?" in name:
        return f"the cluster name {name!r} contains * or ?, which EC2 tag filters read as wildcards"
    return None


def role_key(roles: Iterable[str]) -> tuple[str, ...]:
    """Roles in one canonical order (ROLES), so `broker,zookeeper` and `zookeeper,broker` are one group."""
    wanted = set(roles)
    return tuple(role for role in ROLES if role in wanted)


def whole(value: object) -> int | None:
    """A count or size as an int: an int (not a bool) or a string of digits (from -e), else None."""
    if isinstance(value, int) and not isinstance(value, bool):  # Ansible's tagged ints are subclasses
        return int(value)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _group_problems(index: int, group: Mapping[str, Any]) -> list[str]:
    where = f"ec2_cluster_nodes[{index}]"
    roles = group.get("roles") or []
    unknown = [r for r in roles if r not in ROLES]
    problems = [f"{where}.roles: unknown role {r!r} (one of {', '.join(ROLES)})" for r in unknown]
    if not roles:
        problems.append(f"{where}.roles is empty: list one or more of {', '.join(ROLES)}")
    elif len(set(roles)) != len(roles):
        problems.append(f"{where}.roles lists a role twice: {', '.join(roles)}")
    if "zookeeper" in roles and "controller" in roles:
        problems.append(f"{where}: a host is a ZooKeeper member or a KRaft controller, not both")
    if whole(group.get("count")) is None:
        problems.append(f"{where}.count must be a whole number 0 or more, got {group.get('count')!r}")
    if "broker" in roles and (whole(group.get("data_volume_size")) or 0) < 1:
        problems.append(f"{where}.data_volume_size: brokers need a data volume of 1 GiB or more")
    return problems


def node_problems(nodes: list[Mapping[str, Any]]) -> list[str]:
    """What is wrong with the declared groups: roles, counts, volumes, repeated role sets, quorum sizes."""
    problems = [p for i, group in enumerate(nodes) for p in _group_problems(i, group)]
    if problems:
        return problems
    keys = [role_key(group["roles"]) for group in nodes]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(
            f"ec2_cluster_nodes declares the roles {','.join(key)} twice: give each set of roles one entry"
        )
    totals = {role: sum(whole(g["count"]) or 0 for g in nodes if role in g["roles"]) for role in ROLES}
    for role in QUORUM_ROLES:
        if totals[role] % 2 == 0 and totals[role]:
            problems.append(
                f"ec2_cluster_nodes: {totals[role]} {role}s; a {role} quorum needs an odd number (3 or 5) to "
                "survive losing a member"
            )
    if totals["broker"] and not (totals["zookeeper"] or totals["controller"]):
        problems.append("ec2_cluster_nodes: brokers need ZooKeeper members or KRaft controllers; declare one")
    return problems


def subnet_problems(subnets: list[Mapping[str, Any]]) -> list[str]:
    """Each subnet names a zone once, and either a CIDR to create or an existing id (not both)."""
    if not subnets:
        return [NO_SUBNETS]
    problems = [
        f"ec2_cluster_subnets[{i}] ({s.get('zone')}): give either cidr (to create a subnet) or id (existing)"
        for i, s in enumerate(subnets)
        if bool(s.get("cidr")) == bool(s.get("id"))
    ]
    zones = [s.get("zone") for s in subnets]
    problems += [
        f"ec2_cluster_subnets lists zone {z} twice: one subnet per zone"
        for z in sorted({z for z in zones if zones.count(z) > 1})
    ]
    return problems


def _tags(instance: Mapping[str, Any]) -> dict[str, str]:
    return dict(instance.get("tags") or {})


def _zone(instance: Mapping[str, Any]) -> str:
    return str((instance.get("placement") or {}).get("availability_zone", ""))


def _used_ids(instances: Iterable[Mapping[str, Any]]) -> set[int]:
    values = (_tags(i).get(tag, "") for i in instances for tag in ID_TAGS.values())
    return {int(v) for v in values if v.isdigit()}


def _primary_id(instance: Mapping[str, Any]) -> int:
    tags = _tags(instance)
    values = [tags.get(tag, "") for tag in ID_TAGS.values()]
    return max((int(v) for v in values if v.isdigit()), default=0)


def _new_tags(cluster: str, key: tuple[str, ...], number: int, zookeeper_mode: bool) -> dict[str, str]:
    tags = {CLUSTER_TAG: cluster, ROLE_TAG: ",".join(key), "Name": f"{cluster}-{'-'.join(key)}-{number}"}
    if "zookeeper" in key:
        tags[ID_TAGS["myid"]] = str(number)
    if "broker" in key:
        tags[ID_TAGS["broker" if zookeeper_mode else "node"]] = str(number)
    if "controller" in key:
        tags[ID_TAGS["node"]] = str(number)
    return tags


def _next_id(used: set[int], key: tuple[str, ...]) -> int | str:
    number = next(n for n in range(1, len(used) + 2) if n not in used)
    low, high = ID_BOUNDS["zookeeper_myid" if "zookeeper" in key else "kafka_node_id"]
    if not low <= number <= high:
        return f"no free id for a new {','.join(key)} instance: ids must be between {low} and {high}"
    used.add(number)
    return number


def _zone_for(zones: list[str], members: list[str]) -> str:
    """The first of `zones` holding the fewest of `members`' zones."""
    return min(zones, key=lambda zone: (members.count(zone), zones.index(zone)))


def _shrink(
    key: tuple[str, ...], surplus: int, members: list[Mapping[str, Any]]
) -> tuple[list[str], list[str]]:
    """(instance ids to terminate, problems) when a group's count is lowered by `surplus`."""
    label = ",".join(key)
    if any(role in key for role in QUORUM_ROLES):
        return [], [
            f"lowering the {label} count by {surplus} is refused: provisioning never shrinks a ZooKeeper "
            "ensemble or controller quorum; restore the count"
        ]
    drained = sorted(
        (m for m in members if _tags(m).get(DRAINED_TAG) == "true"), key=_primary_id, reverse=True
    )
    if len(drained) < surplus:
        return [], [
            f"lowering the {label} count by {surplus} is refused: only {len(drained)} of its instances are "
            f"drained (tag {DRAINED_TAG}=true); move their partitions away first, or restore the count"
        ]
    return [str(m["instance_id"]) for m in drained[:surplus]], []


def plan(
    cluster: str, nodes: list[Mapping[str, Any]], zones: list[str], instances: list[Mapping[str, Any]]
) -> dict[str, Any]:
    """What to launch and terminate so `cluster` has the declared groups; nothing when there are problems."""
    problems = node_problems(nodes)
    if not zones:
        problems.append(NO_SUBNETS)
    live = [
        i
        for i in instances
        if _tags(i).get(CLUSTER_TAG) == cluster and (i.get("state") or {}).get("name") in LIVE_STATES
    ]
    groups = {role_key(g["roles"]): g for g in nodes} if not problems else {}
    for instance in live:
        key = role_key(split_roles(_tags(instance).get(ROLE_TAG, "")))
        if groups and key not in groups:
            problems.append(
                f"instance {instance.get('instance_id')} ({_tags(instance).get('Name', 'no Name')}) has "
                f"roles {','.join(key) or 'none'}, which ec2_cluster_nodes does not declare: declare them "
                "(the count includes it) or take the instance out of the cluster"
            )
    if problems:
        return {"create": [], "terminate": [], "problems": problems}
    used = _used_ids(live)
    zookeeper_mode = any("zookeeper" in key for key in groups)
    create: list[dict[str, Any]] = []
    terminate: list[str] = []
    for key, group in groups.items():
        members = [i for i in live if role_key(split_roles(_tags(i).get(ROLE_TAG, ""))) == key]
        count = whole(group["count"]) or 0
        if count < len(members):
            gone, refused = _shrink(key, len(members) - count, members)
            terminate += gone
            problems += refused
            continue
        member_zones = [_zone(m) for m in members]
        for _ in range(count - len(members)):
            number = _next_id(used, key)
            if isinstance(number, str):
                problems.append(number)
                break
            zone = _zone_for(zones, member_zones)
            member_zones.append(zone)
            create.append(
                {"zone": zone, "group": group, "tags": _new_tags(cluster, key, number, zookeeper_mode)}
            )
    if problems:
        return {"create": [], "terminate": [], "problems": problems}
    return {"create": create, "terminate": terminate, "problems": []}
