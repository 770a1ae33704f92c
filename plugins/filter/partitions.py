"""Filters of the kafka_partitions role: the moves that spread the replicas evenly over the brokers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.filter.kraft import kraft_node_id
from ansible_collections.kafka_aws.kafka.plugins.module_utils.rebalance import (
    drain,
    moves,
    parse_assignment,
    plan,
    reassignment,
    replica_counts,
    zone_batches,
)


def rebalance_plan(describe: str, racks: Mapping[Any, Any], remove: Iterable[Any] = ()) -> dict[str, Any]:
    """From `kafka-topics.sh --describe` and each broker's rack (broker id -> rack or None): the
    reassignment document, one line per moved partition, the replicas per broker before and after, and
    the problems that forbid it. With `remove` (broker ids, in `racks` too): the moves that empty those
    brokers; without: the moves that even out the replicas over all brokers."""
    brokers = {int(broker): (None if rack is None else str(rack)) for broker, rack in racks.items()}
    removed = sorted({int(broker) for broker in remove})
    assignment = parse_assignment(describe)
    changed, problems = drain(assignment, brokers, removed) if removed else (plan(assignment, brokers), [])
    after = {**assignment, **changed}
    ids = sorted(brokers)
    return {
        "problems": problems,
        "reassignment": reassignment(changed),
        "moves": [] if problems else moves(assignment, changed),
        "before": {str(b): n for b, n in replica_counts(assignment, ids).items()},
        "after": {str(b): n for b, n in replica_counts(after, ids).items()},
    }


def _broker(host_vars: Mapping[str, Any]) -> tuple[int, str | None]:
    rack = host_vars.get("kafka_rack")
    return kraft_node_id(host_vars), None if rack in (None, "") else str(rack)


def restart_batches(
    order: Iterable[str], describe: str, hostvars: Mapping[str, Any], zone_hosts: Iterable[str] = ()
) -> dict[str, Any]:
    """The batches of a zone-at-a-time rolling restart (module_utils/rebalance.zone_batches): `order`, the
    hosts to restart in restart order; `describe`, `kafka-topics.sh --describe`; `zone_hosts`, the
    broker-only nodes, which may restart with the others of their kafka_rack. Returns the batches and the
    notes that say which hosts restart alone and why."""
    zones = {host: _broker(hostvars[host]) for host in zone_hosts}
    batches, notes = zone_batches(list(order), zones, parse_assignment(describe))
    return {"batches": batches, "notes": notes}


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"rebalance_plan": rebalance_plan, "restart_batches": restart_batches}
