"""Filters of the kafka_partitions role: the moves that spread the replicas evenly over the brokers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.module_utils.rebalance import (
    drain,
    moves,
    parse_assignment,
    plan,
    reassignment,
    replica_counts,
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


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"rebalance_plan": rebalance_plan}
