"""Where a ZooKeeper-to-KRaft migration stands, read from the cluster itself."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.filter.kraft import meta_properties
from ansible_collections.kafka_aws.kafka.plugins.module_utils.cluster_rules import ROLES, split_roles

DOCUMENTATION = r"""
name: migration
short_description: The phase of a ZooKeeper-to-KRaft migration, from the nodes and ZooKeeper
description:
  - C(migration_state(probes, controllers, migration_znode, cluster_znode)) reads the phase a migration is
    in. C(probes) maps each Kafka node to its kafka_aws.kafka.host_state result, which read the node's
    server.properties and meta.properties; C(controllers) lists the controllers (the other nodes are brokers).
    C(migration_znode) and C(cluster_znode) are the outputs of C(get /migration) and C(get /cluster/id) in
    ZooKeeper.
  - A node's stage comes from its server.properties; it counts as reached only when the node runs it (active,
    no restart pending). Brokers - 0 ZooKeeper mode, 1 prepared (inter.broker.protocol.version pinned),
    2 migration mode, 3 KRaft. Controllers - 0 not deployed, 1 migration mode, 2 finalized.
  - Returns C({phase, index, migrated, cluster_id, stages, problems}) - the first phase whose result is not
    there yet (C(prepare), C(controllers), C(brokers_migration), C(brokers_kraft), C(finalize), or C(done)),
    its index (1-6), whether the controllers completed the metadata migration (C(/migration) records a KRaft
    offset), the cluster id ZooKeeper holds, each host's stage, and the problems that forbid going on (a node
    beyond a phase the cluster has not completed).
  - C(migration_id_problems(brokers)) from the brokers' host variables, one message per broker whose
    C(kafka_node_id) is not its C(kafka_broker_id).
  - C(retired_tags(tags, cluster_name)) the EC2 tag changes (C({set, remove})) that take a retired ZooKeeper
    member out of group zookeeper - its role tag without C(zookeeper), or, with no other role, its role and
    cluster tags removed (it leaves the cluster's inventory).
"""

PHASES = ("prepare", "controllers", "brokers_migration", "brokers_kraft", "finalize", "done")
BROKER_STAGES = ("ZooKeeper mode", "prepared", "migration mode", "KRaft")
CONTROLLER_STAGES = ("not deployed", "migration mode", "finalized")
OFFSET = re.compile(r'"kraft_metadata_offset"\s*:\s*(-?\d+)')
CLUSTER_ID = re.compile(r'"id"\s*:\s*"([A-Za-z0-9_-]{22})"')


def broker_stage(props: Mapping[str, str]) -> int:
    if "process.roles" in props:
        return 3
    if props.get("zookeeper.metadata.migration.enable") == "true":
        return 2
    return 1 if "inter.broker.protocol.version" in props else 0


def controller_stage(props: Mapping[str, str], formatted: bool) -> int:
    if not props or not formatted:
        return 0
    return 1 if props.get("zookeeper.metadata.migration.enable") == "true" else 2


def written_stage(node: Mapping[str, Any]) -> int:
    """The stage the node's server.properties describes."""
    props = meta_properties(node.get("properties"))
    if node.get("role") == "controller":
        return controller_stage(props, bool(node.get("formatted")))
    return broker_stage(props)


def running_stage(node: Mapping[str, Any]) -> int:
    """The stage the node has reached: its file's stage when it runs that file, else the one before."""
    stage = written_stage(node)
    settled = bool(node.get("active")) and not node.get("restart_pending")
    return stage if settled or stage == 0 else stage - 1


def migrated(migration_znode: str | None) -> bool:
    """The controllers wrote the migrated metadata's KRaft offset into ZooKeeper's /migration."""
    match = OFFSET.search(migration_znode or "")
    return bool(match) and int(match.group(1)) >= 0


def next_phase(brokers: list[int], controllers: list[int], done_migrating: bool) -> str:
    """The first phase whose result is missing, from the stages the nodes run."""
    if min(brokers, default=1) < 1:
        return "prepare"
    if min(controllers, default=0) < 1:
        return "controllers"
    if min(brokers, default=2) < 2 or not done_migrating:
        return "brokers_migration"
    if min(brokers, default=3) < 3:
        return "brokers_kraft"
    return "finalize" if min(controllers) < 2 else "done"


def skipped(host: str, node: Mapping[str, Any], phase: str) -> str | None:
    """Why a node's written stage is ahead of what the cluster has completed, or None."""
    stage, index = written_stage(node), PHASES.index(phase)
    if node.get("role") == "controller":
        needed = {2: "finalize"}.get(stage)
        names = CONTROLLER_STAGES
    else:
        needed = {2: "brokers_migration", 3: "brokers_kraft"}.get(stage)
        names = BROKER_STAGES
    if needed is None or index >= PHASES.index(needed):
        return None
    return (
        f"{host} is in {names[stage]} ({node.get('role')}) while the cluster has not completed phase "
        f"{PHASES[index]}, which comes first"
    )


def node_of(probe: Mapping[str, Any], controller: bool) -> dict[str, Any]:
    """The facts of one node the stages are read from, out of its host_state result."""
    files = probe.get("files") or {}
    return {
        "role": "controller" if controller else "broker",
        "active": bool(probe.get("active")),
        "restart_pending": bool(probe.get("restart_pending")),
        "properties": next((v for k, v in files.items() if k.endswith("/server.properties")), None),
        "formatted": any(v for k, v in files.items() if k.endswith("/meta.properties")),
    }


def migration_state(
    probes: Mapping[str, Mapping[str, Any]],
    controllers: list[str],
    migration_znode: str | None = None,
    cluster_znode: str | None = None,
) -> dict[str, Any]:
    nodes = {host: node_of(probe, host in controllers) for host, probe in probes.items()}
    roles = {host: str(node.get("role")) for host, node in nodes.items()}
    reached = {host: running_stage(node) for host, node in nodes.items()}
    done = migrated(migration_znode)
    phase = next_phase(
        [reached[h] for h in sorted(nodes) if roles[h] == "broker"],
        [reached[h] for h in sorted(nodes) if roles[h] == "controller"],
        done,
    )
    problems = [p for h in sorted(nodes) if (p := skipped(h, nodes[h], phase))]
    match = CLUSTER_ID.search(cluster_znode or "")
    return {
        "phase": phase,
        "index": PHASES.index(phase) + 1,
        "migrated": done,
        "cluster_id": match.group(1) if match else "",
        "stages": {h: written_stage(nodes[h]) for h in sorted(nodes)},
        "problems": problems,
    }


def migration_znode_json(text: str | None) -> dict[str, Any]:
    """The JSON line of `get /migration`, for messages and debugging ({} when absent)."""
    for line in (text or "").splitlines():
        if line.startswith("{") and "kraft_metadata_offset" in line:
            return dict(json.loads(line))
    return {}


def migration_id_problems(brokers: list[Mapping[str, Any]]) -> list[str]:
    """Brokers whose kafka_node_id is not their broker id (a migrated broker keeps its id)."""
    return [
        f"{b.get('inventory_hostname')}: kafka_node_id={b.get('kafka_node_id')} is not its kafka_broker_id="
        f"{b.get('kafka_broker_id')} (a migrated broker keeps its broker.id as its node.id: "
        "remove kafka_node_id or make it equal)"
        for b in brokers
        if str(b.get("kafka_node_id")) != str(b.get("kafka_broker_id"))
    ]


def retired_tags(tags: Mapping[str, str], cluster_name: str) -> dict[str, dict[str, str]]:
    """The EC2 tag changes that take a retired ZooKeeper member out of the zookeeper group.

    The role tag (the one listing roles) loses `zookeeper`; an instance that had no other role leaves
    the cluster instead (its role and cluster tags are removed), since a member without a role is refused
    by the inventory. Returns {"set": {key: value}, "remove": {key: value}}.
    """
    role_key = next(
        (k for k, v in tags.items() if "zookeeper" in (r := set(split_roles(v))) and r <= set(ROLES)),
        None,
    )
    if role_key is None:
        return {"set": {}, "remove": {}}
    rest = [r for r in split_roles(tags[role_key]) if r != "zookeeper"]
    if rest:
        return {"set": {role_key: ",".join(rest)}, "remove": {}}
    cluster_keys = {k: v for k, v in tags.items() if v == cluster_name and k != role_key}
    return {"set": {}, "remove": {role_key: str(tags[role_key]), **cluster_keys}}


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "migration_state": migration_state,
            "migration_znode_json": migration_znode_json,
            "migration_id_problems": migration_id_problems,
            "retired_tags": retired_tags,
        }
