"""Partition moves for adding and removing brokers: the fewest replica moves that even out the replicas
per broker, or that empty the brokers being removed.

Pure Python, no Kafka: the input is each partition's replica list (from `kafka-topics.sh --describe`)
and each broker's rack (broker.rack: the EC2 zone); the output is the reassignment
`kafka-reassign-partitions.sh --execute` takes, with only the partitions that change. A move replaces
one replica of a partition in place (the same position, so the preferred leader moves only when the
moved replica was it), never puts two replicas of a partition on one broker, and never lowers the
number of racks a partition's replicas span. Moves go from the broker holding the most replicas to
the one holding the fewest, until no two brokers differ by more than one, or no allowed move is left.
"""

from __future__ import annotations

import re
from typing import Any

Assignment = dict[tuple[str, int], list[int]]

_PARTITION = re.compile(r"Topic:\s*(\S+)\s+.*?Partition:\s*(\d+)\s+.*?Replicas:\s*([\d,]+)")


def parse_assignment(describe: str) -> Assignment:
    """Each partition's replicas from `kafka-topics.sh --describe` (one line per partition, 3.x and 4.x)."""
    assignment: Assignment = {}
    for line in describe.splitlines():
        found = _PARTITION.search(line)
        if found and "PartitionCount:" not in line:
            topic, partition, replicas = found.groups()
            assignment[(topic, int(partition))] = [int(r) for r in replicas.split(",") if r]
    return assignment


def _racks(replicas: list[int], racks: dict[int, str | None]) -> int:
    """How many racks the replicas span (a broker without a rack counts as its own)."""
    return len({racks.get(r) if racks.get(r) is not None else f"broker-{r}" for r in replicas})


def _counts(assignment: Assignment, brokers: list[int]) -> dict[int, int]:
    counts = dict.fromkeys(brokers, 0)
    for replicas in assignment.values():
        for replica in replicas:
            if replica in counts:
                counts[replica] += 1
    return counts


def _move(
    assignment: Assignment, donor: int, receiver: int, racks: dict[int, str | None]
) -> tuple[str, int] | None:
    """The first partition (in order) whose replica on `donor` can go to `receiver`."""
    for key in sorted(assignment):
        replicas = assignment[key]
        if donor not in replicas or receiver in replicas:
            continue
        moved = [receiver if r == donor else r for r in replicas]
        if _racks(moved, racks) >= _racks(replicas, racks):
            return key
    return None


def _next_move(
    assignment: Assignment, counts: dict[int, int], racks: dict[int, str | None]
) -> tuple[tuple[str, int], int, int] | None:
    """The next (partition, donor, receiver): fullest donors first, emptiest receivers first."""
    donors = sorted(counts, key=lambda b: (-counts[b], b))
    receivers = sorted(counts, key=lambda b: (counts[b], b))
    for donor in donors:
        for receiver in receivers:
            if counts[donor] - counts[receiver] <= 1:
                break
            key = _move(assignment, donor, receiver, racks)
            if key is not None:
                return key, donor, receiver
    return None


def plan(assignment: Assignment, racks: dict[int, str | None]) -> Assignment:
    """The partitions whose replicas change, with their new replica lists. `racks` names every broker
    that should hold replicas (broker id -> rack, None when it has none)."""
    current = {key: list(replicas) for key, replicas in assignment.items()}
    counts = _counts(current, sorted(racks))
    changed: Assignment = {}
    while (move := _next_move(current, counts, racks)) is not None:
        key, donor, receiver = move
        current[key] = [receiver if r == donor else r for r in current[key]]
        counts[donor] -= 1
        counts[receiver] += 1
        changed[key] = current[key]
    return {key: replicas for key, replicas in changed.items() if replicas != assignment[key]}


def _receiver(
    replicas: list[int], removed: int, counts: dict[int, int], racks: dict[int, str | None]
) -> tuple[int | None, str | None]:
    """Where the replica on `removed` goes: the remaining broker holding the fewest replicas among those
    that keep the partition on as many racks (the removed broker's rack first); or why none can."""
    candidates = [b for b in counts if b not in replicas]
    if not candidates or len(counts) < len(replicas):
        return None, f"needs {len(replicas)} brokers and only {len(counts)} would remain"
    keeping = [
        b
        for b in candidates
        if _racks([b if r == removed else r for r in replicas], racks) >= _racks(replicas, racks)
    ]
    if not keeping:
        spans = _racks(replicas, racks)
        return None, f"would span fewer racks than its {spans} (no remaining broker in a rack it lacks)"
    return min(keeping, key=lambda b: (counts[b], b)), None


def drain(
    assignment: Assignment, racks: dict[int, str | None], removed: list[int]
) -> tuple[Assignment, list[str]]:
    """The moves that leave no replica on the `removed` brokers (their racks are in `racks` too), and
    what makes that impossible: a partition whose replication factor the remaining brokers can't hold,
    or whose replicas would span fewer racks. Any problem means nothing may be moved."""
    remaining = [b for b in sorted(racks) if b not in removed]
    counts = _counts(assignment, remaining)
    changed: Assignment = {}
    problems: list[str] = []
    for key in sorted(assignment):
        replicas = list(assignment[key])
        for gone in [r for r in replicas if r in removed]:
            target, problem = _receiver(replicas, gone, counts, racks)
            if target is None:
                problems.append(
                    f"{key[0]}-{key[1]} (replicas {','.join(map(str, assignment[key]))}) {problem}"
                )
                break
            replicas = [target if r == gone else r for r in replicas]
            counts[target] += 1
        if replicas != assignment[key]:
            changed[key] = replicas
    return changed, problems


def reassignment(changed: Assignment) -> dict[str, Any]:
    """The JSON document kafka-reassign-partitions.sh --reassignment-json-file reads."""
    return {
        "version": 1,
        "partitions": [
            {"topic": topic, "partition": partition, "replicas": replicas}
            for (topic, partition), replicas in sorted(changed.items())
        ],
    }


def moves(assignment: Assignment, changed: Assignment) -> list[str]:
    """What moves, one line per partition: `topic-0: 1,2,3 -> 7,2,3`."""
    return [
        f"{t}-{p}: {_ids(assignment[(t, p)])} -> {_ids(replicas)}"
        for (t, p), replicas in sorted(changed.items())
    ]


def _ids(replicas: list[int]) -> str:
    return ",".join(map(str, replicas))


def replica_counts(assignment: Assignment, brokers: list[int]) -> dict[int, int]:
    """Replicas per broker (for the report)."""
    return _counts(assignment, brokers)


def _shared(assignment: Assignment, brokers: set[int]) -> list[str]:
    """The partitions with more than one replica among `brokers`, as topic-partition names."""
    return [
        f"{topic}-{partition}"
        for (topic, partition), replicas in sorted(assignment.items())
        if len(brokers.intersection(replicas)) > 1
    ]


def zone_batches(
    order: list[str], zones: dict[str, tuple[int, str | None]], assignment: Assignment
) -> tuple[list[list[str]], list[str]]:
    """Restart batches for a zone-at-a-time roll. `order`: the hosts to restart, in restart order;
    `zones`: the hosts that may restart with others of their zone (broker-only nodes), host -> (broker
    id, rack). The hosts of one rack form one batch, at the place of the rack's first host, when no
    partition has two replicas among them (the zone's restart then takes at most one replica of any
    partition, as a restart of one broker does); otherwise, or without a rack, each restarts alone and a
    note says why. Every other host restarts alone, in its place."""
    batches: list[list[str]] = []
    notes: list[str] = []
    placed: dict[str, list[str]] = {}
    for host in order:
        rack = zones[host][1] if host in zones else None
        if host in zones and rack is None:
            notes.append(f"{host} has no kafka_rack: it restarts alone")
        if rack is None:
            batches.append([host])
        elif rack in placed:
            placed[rack].append(host)
        else:
            placed[rack] = [host]
            batches.append(placed[rack])
    return [part for batch in batches for part in _split(batch, zones, assignment, notes)], notes


def _split(
    batch: list[str], zones: dict[str, tuple[int, str | None]], assignment: Assignment, notes: list[str]
) -> list[list[str]]:
    """The batch as it is when placement allows it, else one batch per host (with a note)."""
    if len(batch) < 2:
        return [batch]
    shared = _shared(assignment, {zones[host][0] for host in batch})
    if not shared:
        return [batch]
    more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
    zone = f"zone {zones[batch[0]][1]} ({', '.join(batch)})"
    notes.append(
        f"{zone} holds two replicas of {', '.join(shared[:3])}{more}: its brokers restart one at a time"
    )
    return [[host] for host in batch]
