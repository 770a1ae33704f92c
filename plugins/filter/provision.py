"""Provisioning on EC2: the instance plan (module_utils/ec2_plan.py) and the security group's rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.module_utils import ec2_plan


def ec2_provision_plan(
    instances: list[Mapping[str, Any]], cluster: str, nodes: list[Mapping[str, Any]], zones: list[str]
) -> dict[str, Any]:
    """ec2_plan.plan for the instances amazon.aws.ec2_instance_info returned."""
    return ec2_plan.plan(cluster, list(nodes), list(zones), list(instances))


def ec2_node_problems(
    nodes: list[Mapping[str, Any]], cluster: str, subnets: list[Mapping[str, Any]]
) -> list[str]:
    """What is wrong with the cluster name, the declared node groups and subnets, before any call to AWS."""
    name_problem = ec2_plan.unsafe_cluster_name(cluster)
    return (
        ([name_problem] if name_problem else [])
        + ec2_plan.node_problems(list(nodes))
        + ec2_plan.subnet_problems(list(subnets))
    )


def _member_ports(nodes: list[Mapping[str, Any]], ports: Mapping[str, Any]) -> list[int]:
    roles = {role for group in nodes if ec2_plan.whole(group.get("count")) for role in group.get("roles", [])}
    wanted = [listener["port"] for listener in ports["listeners"]] if "broker" in roles else []
    if "controller" in roles:
        wanted.append(ports["controller_listener"]["port"])
        wanted += [listener["port"] for listener in ports.get("controller_extra_listeners", [])]
    if "zookeeper" in roles:
        wanted += [ports["zookeeper_client"], ports["zookeeper_peer"], ports["zookeeper_election"]]
    return sorted({int(p) for p in wanted + _metrics_ports(ports) if int(p)})


def _metrics_ports(ports: Mapping[str, Any]) -> list[int]:
    return [int(p) for p in (ports["kafka_metrics"], ports["zookeeper_metrics"]) if int(p)]


def _sources(cidrs: list[str], groups: list[str]) -> list[dict[str, Any]]:
    """One ec2_security_group rule source per CIDR list and per security group id."""
    return ([{"cidr_ip": list(cidrs)}] if cidrs else []) + [{"group_id": g} for g in groups]


def ec2_security_rules(
    nodes: list[Mapping[str, Any]],
    group_name: str,
    ports: Mapping[str, Any],
    access: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Inbound rules of the cluster's security group (amazon.aws.ec2_security_group `rules`).

    Members (the group itself) reach every port a role they run listens on: the listeners, the
    controller listener, ZooKeeper's client, peer and election ports, the metrics ports. Clients
    (access.client_cidrs, access.client_groups) reach every listener but the inter-broker one;
    monitoring sources the metrics ports; admin CIDRs SSH (22).
    `ports`: listeners, inter_broker_listener, controller_listener, controller_extra_listeners (optional),
    zookeeper_client, zookeeper_peer, zookeeper_election, kafka_metrics, zookeeper_metrics.
    """
    rules = [
        {
            "proto": "tcp",
            "ports": _member_ports(nodes, ports),
            "group_name": group_name,
            "rule_desc": "members",
        }
    ]
    client_ports = sorted(
        int(x["port"]) for x in ports["listeners"] if x["name"] != ports["inter_broker_listener"]
    )
    sections = [
        (client_ports, _sources(access["client_cidrs"], access["client_groups"]), "clients"),
        (_metrics_ports(ports), _sources(access["monitoring_cidrs"], []), "monitoring"),
        ([22], _sources(access["admin_cidrs"], []), "ssh"),
    ]
    for port_list, sources, label in sections:
        if port_list:
            rules += [
                {"proto": "tcp", "ports": port_list, **source, "rule_desc": label} for source in sources
            ]
    return rules


def _tag_dict(tags: Any) -> dict[str, str]:
    """Tags as a dict, from a dict or from EC2's list of {Key, Value}."""
    if isinstance(tags, Mapping):
        return dict(tags)
    return {t["Key"]: t["Value"] for t in tags or []}


def ec2_tagged(
    resources: list[Mapping[str, Any]], tags: Mapping[str, str], attribute: str | None = None
) -> list[Any]:
    """The resources (or their `attribute`) whose tags hold every one of `tags` exactly.

    Teardown selects with an EC2 tag filter first; this second look keeps a resource out unless its tag
    equals the cluster name character for character.
    """
    wanted = dict(tags).items()
    chosen = [r for r in resources if wanted <= _tag_dict(r.get("tags")).items()]
    return [r[attribute] for r in chosen] if attribute else chosen


def ec2_cluster_name_problem(cluster: str) -> str | None:
    """Why `cluster` can't select one cluster's resources by tag exactly, or None."""
    return ec2_plan.unsafe_cluster_name(cluster)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "ec2_provision_plan": ec2_provision_plan,
            "ec2_node_problems": ec2_node_problems,
            "ec2_security_rules": ec2_security_rules,
            "ec2_tagged": ec2_tagged,
            "ec2_cluster_name_problem": ec2_cluster_name_problem,
        }
