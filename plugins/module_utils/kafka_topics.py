"""Pure logic of the kafka_topic module: parsing Kafka's tool output, validating, planning.

Kept apart from the module so that unit tests cover it directly; no Ansible import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

LEGAL_NAME = re.compile(r"[a-zA-Z0-9._-]+")
MAX_NAME_LENGTH = 249

# Topic-level configuration keys of Kafka 3.x and 4.x (kafka.apache.org/documentation/#topicconfigs).
# A key outside this list is checked against the cluster's own list before being refused.
TOPIC_CONFIG_KEYS = frozenset(
    [
        "cleanup.policy",
        "compression.type",
        "compression.gzip.level",
        "compression.lz4.level",
        "compression.zstd.level",
        "delete.retention.ms",
        "file.delete.delay.ms",
        "flush.messages",
        "flush.ms",
        "follower.replication.throttled.replicas",
        "index.interval.bytes",
        "leader.replication.throttled.replicas",
        "local.retention.bytes",
        "local.retention.ms",
        "max.compaction.lag.ms",
        "max.message.bytes",
        "message.downconversion.enable",
        "message.format.version",
        "message.timestamp.after.max.ms",
        "message.timestamp.before.max.ms",
        "message.timestamp.difference.max.ms",
        "message.timestamp.type",
        "min.cleanable.dirty.ratio",
        "min.compaction.lag.ms",
        "min.insync.replicas",
        "preallocate",
        "remote.log.copy.disable",
        "remote.log.delete.on.disable",
        "remote.storage.enable",
        "retention.bytes",
        "retention.ms",
        "segment.bytes",
        "segment.index.bytes",
        "segment.jitter.ms",
        "segment.ms",
        "unclean.leader.election.enable",
    ]
)


class PlanError(ValueError):
    """A declared change Kafka can't make safely; nothing is applied when one is raised."""


@dataclass
class Topic:
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partitions": self.partitions,
            "replication_factor": self.replication_factor,
            "configs": dict(sorted(self.configs.items())),
        }


def parse_configs(text: str) -> dict[str, str]:
    """`k=v,k2=a,b` as printed by kafka-topics --describe; a token without `=` continues the last value."""
    configs: dict[str, str] = {}
    last = None
    for token in text.split(","):
        token = token.strip()
        if not token:
            continue
        key, sep, value = token.partition("=")
        if sep and re.fullmatch(r"[a-z0-9][a-z0-9._-]*", key):
            configs[key] = value
            last = key
        elif last is not None:
            configs[last] += "," + token
    return configs


def parse_describe(output: str) -> dict[str, Topic]:
    """Topics from `kafka-topics.sh --describe` (Kafka 3.x and 4.x formats)."""
    topics: dict[str, Topic] = {}
    for line in output.splitlines():
        if not line.startswith("Topic:") or "PartitionCount:" not in line:
            continue
        fields = dict(re.findall(r"(\w+):\s*(.*?)(?=\t|$)", line))
        name = fields["Topic"].strip()
        topics[name] = Topic(
            name=name,
            partitions=int(fields["PartitionCount"]),
            replication_factor=int(fields["ReplicationFactor"]),
            configs=parse_configs(fields.get("Configs", "")),
        )
    return topics


def parse_dynamic_configs(output: str) -> dict[str, dict[str, str]]:
    """Topic-level overrides per topic, from `kafka-configs.sh --entity-type topics --describe`.

    `kafka-topics --describe` also prints values inherited from the brokers' static settings, so
    the overrides a topic really holds are read here.
    """
    configs: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in output.splitlines():
        header = re.match(r"Dynamic configs for topic (\S+) are:", line)
        if header:
            current = configs.setdefault(header.group(1), {})
            continue
        entry = re.match(r"\s+([a-z0-9][a-z0-9._-]*)=(.*?) sensitive=(?:true|false) synonyms=", line)
        if entry and current is not None:
            current[entry.group(1)] = entry.group(2)
    return configs


def parse_broker_ids(output: str) -> list[int]:
    """Broker ids listed by `kafka-broker-api-versions.sh`."""
    return sorted({int(i) for i in re.findall(r"\(id: (\d+) rack", output)})


def parse_all_configs(output: str) -> set[str]:
    """Config keys listed by `kafka-configs.sh --describe --all` for a topic."""
    return set(re.findall(r"^\s+([a-z][a-z0-9._-]*)=", output, re.MULTILINE))


def config_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def name_error(name: str) -> str | None:
    if not name or name in (".", ".."):
        return f"topic name {name!r} is not allowed"
    if len(name) > MAX_NAME_LENGTH:
        return f"topic name {name[:40]!r}... is longer than {MAX_NAME_LENGTH} characters"
    if not LEGAL_NAME.fullmatch(name):
        return f"topic name {name!r} may only contain ASCII letters, digits, '.', '_' and '-'"
    return None


def collision_key(name: str) -> str:
    """Kafka refuses topics whose names differ only by '.' versus '_' (metric names collide)."""
    return name.replace(".", "_")


@dataclass
class Change:
    name: str
    action: str  # create | partitions | configs | delete
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    partitions: int | None = None
    replication_factor: int | None = None
    set_configs: dict[str, str] = field(default_factory=dict)
    delete_configs: list[str] = field(default_factory=list)


def desired_configs(spec: dict[str, Any]) -> dict[str, str | None]:
    return {str(k): config_value(v) for k, v in (spec.get("configs") or {}).items()}


def validate(
    specs: list[dict[str, Any]],
    existing: dict[str, Topic],
    live_brokers: int | None,
    known_keys: frozenset[str] | set[str],
    allow_delete: bool,
) -> list[str]:
    """Every reason the declared topics can't be applied; empty when the plan is safe."""
    errors: list[str] = []
    seen: dict[str, str] = {}
    existing_keys = {collision_key(n): n for n in existing}
    for spec in specs:
        name = str(spec.get("name", ""))
        problem = name_error(name)
        if problem:
            errors.append(problem)
            continue
        key = collision_key(name)
        if key in seen:
            errors.append(
                f"topics {seen[key]!r} and {name!r} collide: names may not differ only by '.' and '_'"
            )
        seen[key] = name
        other = existing_keys.get(key)
        if other and other != name and spec.get("state", "present") == "present":
            errors.append(
                f"topic {name!r} collides with existing topic {other!r} ('.' and '_' are equivalent)"
            )
        current = existing.get(name)
        if spec.get("state", "present") == "absent":
            if current is not None and not allow_delete:
                errors.append(f"topic {name!r} is declared absent, but deleting topics is off (allow_delete)")
            continue
        errors.extend(validate_present(name, spec, current, live_brokers, known_keys))
    return errors


def validate_present(
    name: str,
    spec: dict[str, Any],
    current: Topic | None,
    live: int | None,
    known_keys: frozenset[str] | set[str],
) -> list[str]:
    errors = []
    partitions, replication = spec.get("partitions"), spec.get("replication_factor")
    if partitions is not None and int(partitions) < 1:
        errors.append(f"topic {name!r}: partitions must be at least 1, not {partitions}")
    if replication is not None and int(replication) < 1:
        errors.append(f"topic {name!r}: replication_factor must be at least 1, not {replication}")
    unknown = sorted(set(desired_configs(spec)) - set(known_keys))
    if unknown:
        errors.append(f"topic {name!r}: unknown topic config key(s) {', '.join(unknown)}")
    if current is None:
        if replication is not None and live is not None and int(replication) > live:
            errors.append(
                f"topic {name!r}: replication_factor {replication} is above the {live} live broker(s)"
            )
        return errors
    if partitions is not None and int(partitions) < current.partitions:
        errors.append(
            f"topic {name!r}: partitions can't be lowered from {current.partitions} to {partitions} "
            "(Kafka only adds partitions)"
        )
    if replication is not None and int(replication) != current.replication_factor:
        errors.append(
            f"topic {name!r}: changing replication_factor from {current.replication_factor} to {replication} "
            "needs a partition reassignment, which this module does not do"
        )
    return errors


def plan(specs: list[dict[str, Any]], existing: dict[str, Topic], prune_configs: bool) -> list[Change]:
    """The changes that bring the cluster to the declared state (call validate first)."""
    changes: list[Change] = []
    for spec in specs:
        name = str(spec["name"])
        current = existing.get(name)
        if spec.get("state", "present") == "absent":
            if current is not None:
                changes.append(Change(name, "delete", current.as_dict(), None))
            continue
        wanted = desired_configs(spec)
        if current is None:
            configs = {k: v for k, v in wanted.items() if v is not None}
            after = {
                "partitions": spec.get("partitions") or "cluster default",
                "replication_factor": spec.get("replication_factor") or "cluster default",
                "configs": dict(sorted(configs.items())),
            }
            changes.append(
                Change(
                    name,
                    "create",
                    None,
                    after,
                    partitions=spec.get("partitions"),
                    replication_factor=spec.get("replication_factor"),
                    set_configs=configs,
                )
            )
            continue
        changes.extend(plan_existing(name, spec, current, wanted, prune_configs))
    return changes


def plan_existing(
    name: str, spec: dict[str, Any], current: Topic, wanted: dict[str, str | None], prune: bool
) -> list[Change]:
    changes = []
    partitions = spec.get("partitions")
    if partitions is not None and int(partitions) > current.partitions:
        after = current.as_dict() | {"partitions": int(partitions)}
        changes.append(Change(name, "partitions", current.as_dict(), after, partitions=int(partitions)))
    to_set = {k: v for k, v in wanted.items() if v is not None and current.configs.get(k) != v}
    to_delete = sorted(k for k, v in wanted.items() if v is None and k in current.configs)
    if prune:
        to_delete = sorted(set(to_delete) | {k for k in current.configs if k not in wanted})
    if to_set or to_delete:
        configs = {k: v for k, v in current.configs.items() if k not in to_delete} | to_set
        before = current.as_dict()
        after = before | {"configs": dict(sorted(configs.items()))}
        changes.append(Change(name, "configs", before, after, set_configs=to_set, delete_configs=to_delete))
    return changes


def add_config_argument(configs: dict[str, str]) -> str:
    """`--add-config` value; values holding commas are bracketed as kafka-configs expects."""
    return ",".join(f"{k}=[{v}]" if "," in v else f"{k}={v}" for k, v in sorted(configs.items()))
