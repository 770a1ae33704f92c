"""The rules a Kafka cluster's host ids follow, stated once for every part of kafka-aws.

The kafka_ec2 inventory plugin checks its tags with them and the roles check their variables with
them (through a filter), so a value one accepts the other accepts too. No Ansible import here.

API:
  ID_BOUNDS: host variable -> (lowest, highest) id, both inclusive.
  parse_id(var, value) -> int | str: the id as an int, or a problem string saying what is wrong.
  id_problem(var, value) -> str | None: the problem string, or None for a valid id.
  node_id_of(broker id, node id): a host's node id (its node id, else its broker id).
  bracket(host) -> str: an IPv6 literal bracketed for host:port strings.
  node_id_problems(hosts) -> list[str]: what is wrong with the node ids of (host, broker id, node id)
    triples: bad values, a broker id and node id that differ, two hosts with the same node id.
  ROLES: the roles a host may have (the kafka:role tag lists them, comma-separated).
  split_roles(value) -> list[str]: the names of a kafka:role value, as written (stripped, empty ones dropped).

An id is canonical: an int (not a bool), or a string of ASCII digits without sign, spaces or
leading zeros (`^[1-9][0-9]*$`): `7` and `"7"` are accepted, `"01"`, `" 7 "`, `"+7"`, `"7.0"` and
`7.0` are refused, so that two spellings never name the same id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INT32_MAX = 2147483647

ROLES = ("zookeeper", "broker", "controller")


def split_roles(value: str) -> list[str]:
    return [role.strip() for role in str(value).split(",") if role.strip()]


# broker.id and KRaft node.id are Java ints (Kafka refuses a negative id; 0 is refused here because a
# missing value must never pass as one); ZooKeeper's myid is 1-255 (ZooKeeper's own limit).
# Broker ids above reserved.broker.max.id (1000 by default) are accepted: the kafka role raises
# that setting to fit.
ID_BOUNDS: dict[str, tuple[int, int]] = {
    "kafka_broker_id": (1, INT32_MAX),
    "kafka_node_id": (1, INT32_MAX),
    "zookeeper_myid": (1, 255),
}

# An integer written canonically: ASCII digits, no sign, spaces, decimal point or leading zero. With the
# lowest bound 1, the ids accepted are exactly the strings matching ^[1-9][0-9]*$ (0 is out of bounds).
CANONICAL = re.compile(r"0|[1-9][0-9]*")


def bounds_text(var: str) -> str:
    """`an integer between 1 and 255`, for messages."""
    low, high = ID_BOUNDS[var]
    return f"an integer between {low} and {high}"


def parse_id(var: str, value: object) -> int | str:
    """`value` as the id `var` (a key of ID_BOUNDS), or a string saying why it is not one."""
    low, high = ID_BOUNDS[var]
    if type(value) is int:
        number = value
    elif isinstance(value, str) and CANONICAL.fullmatch(value):
        # more digits than the highest id: out of range (and int() of a huge string is refused)
        number = int(value) if len(value) <= len(str(high)) else high + 1
    else:
        return (
            f"{var} must be {bounds_text(var)} written in plain digits (no sign, spaces, decimal point "
            f"or leading zeros), got {value!r}"
        )
    if not low <= number <= high:
        return f"{var} must be {bounds_text(var)}, got {value!r}"
    return number


def id_problem(var: str, value: object) -> str | None:
    """None when `value` is a valid `var`, else what is wrong with it."""
    parsed = parse_id(var, value)
    return parsed if isinstance(parsed, str) else None


def node_id_of(broker_value: object, node_value: object) -> object:
    """A host's node id: its node id when set, else its broker id (None when it has neither)."""
    return broker_value if node_value is None else node_value


def bracket(host: str) -> str:
    """IPv6 literals are bracketed in host:port strings."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def node_id_problems(
    hosts: Iterable[tuple[str, object, object]],
    broker_id_name: str = "kafka_broker_id",
    node_id_name: str = "kafka_node_id",
    kind: str = "variable",
) -> list[str]:
    """One message per problem with the node ids of `hosts`, (host, broker id or None, node id or None).

    Controller and broker ids share one namespace (KRaft, and ZooKeeper-to-KRaft migration): a host's
    node id is its node id when set, else its broker id, and no two hosts may have the same one. A host
    with both must have them equal (a broker's node id is its broker id). Each value must be a valid id
    (parse_id), and a host with neither is reported. `broker_id_name`, `node_id_name` and `kind` name
    the two values in messages (the inventory plugin passes its tags: "tag kafka:broker-id", ..., "tag").
    """
    problems: list[str] = []
    seen: dict[int, str] = {}
    for host, broker_value, node_value in hosts:
        if broker_value is None and node_value is None:
            problems.append(f"{host} has neither {node_id_name} nor {broker_id_name}")
            continue
        broker_id = None if broker_value is None else parse_id("kafka_broker_id", broker_value)
        node_id = None if node_value is None else parse_id("kafka_node_id", node_value)
        bad = [p for p in (broker_id, node_id) if isinstance(p, str)]
        if bad:  # a bad value has no id to compare
            problems.extend(f"{host}: {p}" for p in bad)
            continue
        if isinstance(broker_id, int) and isinstance(node_id, int) and broker_id != node_id:
            problems.append(
                f"{host} has {broker_id_name} {broker_id} and {node_id_name} {node_id}: a broker's node id "
                f"is its broker id; keep one {kind} or make them equal"
            )
        effective = node_id_of(broker_id, node_id)
        if not isinstance(effective, int):
            continue
        if effective in seen:
            problems.append(
                f"{seen[effective]} and {host} have the same node id {effective} ({node_id_name}, else "
                f"{broker_id_name}): controller and broker ids share one namespace, each must be unique"
            )
        else:
            seen[effective] = host
    return problems
