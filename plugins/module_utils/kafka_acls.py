"""The kafka_acl module's rules: validate declared ACL entries, expand them to bindings, plan the change.

No I/O and no confluent_kafka here: bindings are plain values named in the module's own vocabulary
(`topic`, `literal`, `read`, `allow`); the backend maps them to and from confluent_kafka's enums by name
(`kafka_names`, `from_kafka`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

RESOURCE_TYPES = ("topic", "group", "cluster", "transactional_id")
PATTERN_TYPES = ("literal", "prefixed")
PERMISSIONS = ("allow", "deny")
STATES = ("present", "absent")
OPERATIONS = (
    "all",
    "read",
    "write",
    "create",
    "delete",
    "alter",
    "describe",
    "cluster_action",
    "describe_configs",
    "alter_configs",
    "idempotent_write",
)
PRINCIPAL_TYPES = ("User:", "Group:")
CLUSTER_NAME = "kafka-cluster"  # the one name of the cluster resource
WILDCARD = "*"

# The operations each resource type takes, as Kafka's authorization documentation tables them (and
# AclEntry.supportedOperations, which kafka-acls.sh enforces; the brokers store any operation). `all` is
# valid on every type. Groups take describe_configs/alter_configs from Kafka 4.0 (group configs, KIP-848).
SUPPORTED_OPERATIONS: dict[str, frozenset[str]] = {
    "topic": frozenset(
        {"read", "write", "create", "describe", "delete", "alter", "describe_configs", "alter_configs"}
    ),
    "group": frozenset({"read", "describe", "delete", "describe_configs", "alter_configs"}),
    "cluster": frozenset(
        {"create", "cluster_action", "describe_configs", "alter_configs", "idempotent_write"}
        | {"alter", "describe"}
    ),
    "transactional_id": frozenset({"describe", "write"}),
}

# librdkafka names Kafka's CLUSTER resource type (4) BROKER; every other name is Kafka's.
KAFKA_RESOURCE_NAMES = {"cluster": "BROKER"}

# What to do about the broker errors an ACL request commonly meets.
ERROR_HINTS = {
    "SECURITY_DISABLED": (
        "the cluster has no authorizer configured: turn kafka_authorizer on (authorizer.class.name) "
        "before declaring ACLs"
    ),
    "CLUSTER_AUTHORIZATION_FAILED": (
        "the client's principal (command_config / client_config) needs DESCRIBE on the cluster to read "
        "ACLs and ALTER to change them, or must be a super user"
    ),
}


@dataclass(frozen=True, order=True)
class Binding:
    """One ACL binding: a principal allowed or denied one operation on one resource pattern from a host."""

    principal: str
    resource_type: str
    resource_name: str
    pattern_type: str
    operation: str
    permission: str
    host: str

    def line(self) -> str:
        """`User:alice ALLOW READ on TOPIC orders (LITERAL) from *`."""
        grant = f"{self.principal} {self.permission.upper()} {self.operation.upper()}"
        resource = f"{self.resource_type.upper()} {self.resource_name} ({self.pattern_type.upper()})"
        return f"{grant} on {resource} from {self.host}"

    def as_dict(self) -> dict[str, str]:
        return {
            "principal": self.principal,
            "resource_type": self.resource_type,
            "resource_name": self.resource_name,
            "pattern_type": self.pattern_type,
            "operation": self.operation,
            "permission": self.permission,
            "host": self.host,
        }

    def kafka_names(self) -> tuple[str, str, str, str]:
        """confluent_kafka enum names: ResourceType, ResourcePatternType, AclOperation, AclPermissionType."""
        restype = KAFKA_RESOURCE_NAMES.get(self.resource_type, self.resource_type.upper())
        return restype, self.pattern_type.upper(), self.operation.upper(), self.permission.upper()


def from_kafka(
    restype: str, name: str, pattern: str, principal: str, host: str, operation: str, permission: str
) -> Binding:
    """A binding as described by the cluster, from its enum names (confluent_kafka's `.name`)."""
    kinds = {kafka: ours for ours, kafka in KAFKA_RESOURCE_NAMES.items()}
    return Binding(
        principal=principal,
        resource_type=kinds.get(restype, restype.lower()),
        resource_name=name,
        pattern_type=pattern.lower(),
        operation=operation.lower(),
        permission=permission.lower(),
        host=host,
    )


@dataclass
class Plan:
    """Bindings to create and bindings to delete, each sorted by their line."""

    create: list[Binding] = field(default_factory=list)
    delete: list[Binding] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create or self.delete)


def normalized(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry with the module's defaults filled in (Ansible fills them; the rules don't rely on it)."""
    kind = entry.get("resource_type")
    name = entry.get("resource_name")
    return {
        "principal": entry.get("principal") or "",
        "resource_type": kind,
        "resource_name": CLUSTER_NAME if kind == "cluster" and name is None else name,
        "pattern_type": entry.get("pattern_type") or "literal",
        "operations": list(entry.get("operations") or []),
        "permission": entry.get("permission") or "allow",
        "host": WILDCARD if entry.get("host") is None else entry["host"],
        "state": entry.get("state") or "present",
    }


def label(index: int, entry: dict[str, Any]) -> str:
    """How a message names an entry: `acls[2] (User:alice on topic orders)`."""
    spec = normalized(entry)
    resource = spec["resource_type"] or "?"
    if spec["resource_name"] is not None:
        resource += f" {spec['resource_name']}"
    return f"acls[{index}] ({spec['principal'] or '?'} on {resource})"


def principal_error(principal: str) -> str | None:
    prefix = next((p for p in PRINCIPAL_TYPES if principal.startswith(p)), None)
    if prefix is None or not principal[len(prefix) :].strip():
        return f"principal {principal!r} must be User:<name> or Group:<name> (e.g. User:alice)"
    return None


def resource_errors(spec: dict[str, Any]) -> list[str]:
    kind, name, pattern = spec["resource_type"], spec["resource_name"], spec["pattern_type"]
    if kind not in RESOURCE_TYPES:
        return [f"resource_type {kind!r} is not one of {', '.join(RESOURCE_TYPES)}"]
    if pattern not in PATTERN_TYPES:
        return [f"pattern_type {pattern!r} is not one of {', '.join(PATTERN_TYPES)}"]
    if kind == "cluster":
        errors = []
        if name != CLUSTER_NAME:
            errors.append(f"the cluster resource is {CLUSTER_NAME}: drop resource_name or set it to that")
        if pattern != "literal":
            errors.append("cluster ACLs are literal: drop pattern_type or set it to literal")
        return errors
    if not name:
        return [f"resource_name is required for resource_type {kind} (the {kind}, or * for every {kind})"]
    if name == WILDCARD and pattern == "prefixed":
        return [f"* with pattern_type prefixed matches nothing: set pattern_type literal for every {kind}"]
    return []


def operation_errors(kind: str, operations: list[str]) -> list[str]:
    if not operations:
        return ["operations is empty: list at least one operation"]
    unknown = sorted({op for op in operations if op not in OPERATIONS})
    if unknown:
        return [f"unknown operation(s) {', '.join(unknown)}: use {', '.join(OPERATIONS)}"]
    if kind not in SUPPORTED_OPERATIONS:
        return []
    valid = SUPPORTED_OPERATIONS[kind] | {"all"}
    wrong = sorted({op for op in operations if op not in valid})
    if not wrong:
        return []
    takers = sorted(k for k, ops in SUPPORTED_OPERATIONS.items() if set(wrong) <= ops)
    where = f" (declare it on resource_type {' or '.join(takers)})" if takers else ""
    return [
        f"{', '.join(wrong)} is not an operation on a {kind}{where}: a {kind} takes "
        f"{', '.join(['all', *sorted(SUPPORTED_OPERATIONS[kind])])}"
    ]


def entry_errors(index: int, entry: dict[str, Any]) -> list[str]:
    """What is wrong with one entry, each message naming the entry and what to change."""
    spec = normalized(entry)
    errors = []
    wrong = principal_error(spec["principal"])
    if wrong:
        errors.append(wrong)
    errors += resource_errors(spec)
    errors += operation_errors(spec["resource_type"], spec["operations"])
    if spec["permission"] not in PERMISSIONS:
        errors.append(f"permission {spec['permission']!r} is not one of {', '.join(PERMISSIONS)}")
    if not str(spec["host"]).strip():
        errors.append("host is empty: set an IP address, or * for every host")
    if spec["state"] not in STATES:
        errors.append(f"state {spec['state']!r} is not one of {', '.join(STATES)}")
    return [f"{label(index, entry)}: {error}" for error in errors]


def expand(entry: dict[str, Any]) -> list[Binding]:
    """One binding per declared operation (a valid entry)."""
    spec = normalized(entry)
    return [
        Binding(
            principal=spec["principal"],
            resource_type=spec["resource_type"],
            resource_name=spec["resource_name"],
            pattern_type=spec["pattern_type"],
            operation=operation,
            permission=spec["permission"],
            host=spec["host"],
        )
        for operation in dict.fromkeys(spec["operations"])
    ]


def conflicts(entries: list[dict[str, Any]]) -> list[str]:
    """Bindings that one entry declares present and another absent."""
    declared: dict[Binding, tuple[int, str]] = {}
    errors = []
    for index, entry in enumerate(entries):
        state = normalized(entry)["state"]
        for binding in expand(entry):
            seen = declared.setdefault(binding, (index, state))
            if seen[1] != state:
                first = entries[seen[0]]
                errors.append(
                    f"{label(seen[0], first)} and {label(index, entry)} declare {binding.line()} both "
                    "present and absent: keep one of the two"
                )
    return errors


def validate(entries: list[dict[str, Any]]) -> list[str]:
    """Every refusal, before anything is asked of the cluster; empty when the entries are sound."""
    errors = [error for index, entry in enumerate(entries) for error in entry_errors(index, entry)]
    return errors or conflicts(entries)


def desired(entries: list[dict[str, Any]]) -> tuple[set[Binding], set[Binding]]:
    """The bindings declared present and those declared absent."""
    present: set[Binding] = set()
    absent: set[Binding] = set()
    for entry in entries:
        (absent if normalized(entry)["state"] == "absent" else present).update(expand(entry))
    return present, absent


def plan(entries: list[dict[str, Any]], current: Iterable[Binding]) -> Plan:
    """Create the present bindings missing, delete the absent ones that exist; leave the rest alone."""
    present, absent = desired(entries)
    existing = set(current)
    return Plan(create=by_line(present - existing), delete=by_line(absent & existing))


def applied(current: Iterable[Binding], change: Plan) -> set[Binding]:
    """The bindings once a plan is applied."""
    return (set(current) - set(change.delete)) | set(change.create)


def shows(change: Plan, current: Iterable[Binding]) -> bool:
    """Whether a description reflects an applied plan (ACLs reach the brokers asynchronously)."""
    existing = set(current)
    return existing.issuperset(change.create) and existing.isdisjoint(change.delete)


def principals(entries: list[dict[str, Any]]) -> set[str]:
    return {normalized(entry)["principal"] for entry in entries}


def of_principals(bindings: Iterable[Binding], names: set[str]) -> list[Binding]:
    return by_line(b for b in bindings if b.principal in names)


def by_line(bindings: Iterable[Binding]) -> list[Binding]:
    return sorted(bindings, key=Binding.line)


def lines(bindings: Iterable[Binding]) -> list[str]:
    return sorted(binding.line() for binding in bindings)


def diff_text(bindings: Iterable[Binding]) -> str:
    """Sorted lines, one binding a line, for Ansible's diff."""
    return "".join(f"{line}\n" for line in lines(bindings))


def explain(message: str) -> str:
    """A failure message with what to do about a known broker error appended."""
    hints = [hint for name, hint in ERROR_HINTS.items() if f"{name}:" in message]
    return " - ".join([message, *hints])
