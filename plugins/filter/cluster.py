"""Cluster facts shared by every role: listener addresses, bootstrap servers, id and key checks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.kafka_aws.kafka.plugins.module_utils import cluster_rules
from ansible_collections.kafka_aws.kafka.plugins.module_utils.cluster_rules import bracket, id_problem
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_topics import TOPIC_CONFIG_KEYS, validate

# What a listener's `advertise` may name besides a literal host name or address.
ADVERTISE_SOURCES = {
    "private": "kafka_host_address",
    "public-dns": "kafka_ec2_public_dns_name",
    "public-ip": "kafka_ec2_public_ip_address",
}


def listener(listeners: Iterable[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    """The listener called `name` (the validate tasks make sure it exists)."""
    for entry in listeners:
        if entry.get("name") == name:
            return entry
    raise AnsibleFilterError(f"kafka_listeners has no listener named {name!r}")


def advertised_host(entry: Mapping[str, Any], host_vars: Mapping[str, Any]) -> str | None:
    """The address a listener advertises for one host, or None when the host has no such address.

    `advertise` is `private` (default: kafka_host_address), `public-dns` or `public-ip` (from the EC2
    inventory), or a literal host name or address (a load balancer, an internal DNS name).
    """
    source = str(entry.get("advertise") or "private")
    variable = ADVERTISE_SOURCES.get(source)
    if variable is None:
        return source
    value = host_vars.get(variable)
    return str(value) if value else None


def advertised_endpoint(entry: Mapping[str, Any], host_vars: Mapping[str, Any], host: str) -> str:
    """`host:port` a listener advertises for one host (IPv6 bracketed, advertised_port when set)."""
    address = advertised_host(entry, host_vars)
    if address is None:
        raise AnsibleFilterError(
            f"{host}: listener {entry['name']} advertises {entry.get('advertise')}, which it lacks"
        )
    return f"{bracket(address)}:{entry.get('advertised_port') or entry['port']}"


def advertised_listeners(listeners: Iterable[Mapping[str, Any]], host_vars: Mapping[str, Any]) -> list[str]:
    """`NAME://host:port` for each listener, as advertised.listeners wants them."""
    host = str(host_vars.get("inventory_hostname", "this host"))
    return [f"{entry['name']}://{advertised_endpoint(entry, host_vars, host)}" for entry in listeners]


def bootstrap_servers(
    hosts: Iterable[str], hostvars: Mapping[str, Any], listeners: list[Mapping[str, Any]], name: str
) -> list[str]:
    """`host:port` of listener `name` on each host, as clients of that listener reach it.

    A host's own kafka_listeners (inventory variables, templated for that host) win over `listeners`.
    """
    return [
        advertised_endpoint(
            listener(hostvars[host].get("kafka_listeners") or listeners, name), hostvars[host], host
        )
        for host in hosts
    ]


def missing_advertised(
    listeners: Iterable[Mapping[str, Any]], hosts: Iterable[str], hostvars: Mapping[str, Any]
) -> list[str]:
    """`host: listener -> variable` for each listener whose advertised address a host lacks."""
    problems = []
    for host in hosts:
        for entry in listeners:
            if advertised_host(entry, hostvars[host]) is None:
                variable = ADVERTISE_SOURCES[str(entry.get("advertise"))]
                problems.append(
                    f"{host}: listener {entry['name']} advertises {entry['advertise']}, "
                    f"but {variable} is unset"
                )
    return problems


def plain(value: Any) -> Any:
    """Ansible's tagged ints and strings as the plain types cluster_rules checks (bools stay bools)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    return str(value) if isinstance(value, str) else value


def id_problems(hosts: Iterable[str], hostvars: Mapping[str, Any], variable: str) -> list[str]:
    """One message per host whose `variable` is missing or outside its bound, then per repeated id."""
    problems, seen = [], {}
    for host in hosts:
        value = plain(hostvars[host].get(variable))
        problem = id_problem(variable, value)
        if problem:
            problems.append(f"{host}: {problem}")
            continue
        key = int(value)
        if key in seen:
            problems.append(f"{host} and {seen[key]} share {variable} {key}")
        seen[key] = host
    return problems


def node_id_problems(hosts: Iterable[str], hostvars: Mapping[str, Any]) -> list[str]:
    """One message per host whose node id is missing, invalid or ambiguous, then per node id two hosts share.

    Controller and broker ids share one namespace: a host's node id is its kafka_node_id, else its
    kafka_broker_id. A host with neither is reported ("has neither kafka_node_id nor kafka_broker_id"), as
    is a value outside its bound, a host whose two values differ (a broker's node id is its broker id)
    and two hosts with the same node id. The rule is module_utils/cluster_rules.py's, which the
    kafka_ec2 inventory plugin applies to the tags.
    """
    return cluster_rules.node_id_problems(
        (host, plain(hostvars[host].get("kafka_broker_id")), plain(hostvars[host].get("kafka_node_id")))
        for host in hosts
    )


def managed_overrides(overrides: Mapping[str, Any], managed: Mapping[str, str]) -> list[str]:
    """`key (set X instead)` for each key of `overrides` that the role manages itself."""
    out = []
    for key in overrides:
        instead = managed.get(key)
        if instead is None:
            instead = next(
                (v for k, v in managed.items() if k.endswith("*") and key.startswith(k[:-1])), None
            )
        if instead is not None:
            out.append(f"{key} (set {instead} instead)")
    return out


def topic_problems(topics: list[dict[str, Any]], brokers: int, allow_delete: bool) -> list[str]:
    """What the kafka_topic module would refuse, checked before any host changes (the same rules)."""
    # Config keys are checked by the module against the live cluster (it knows keys newer than our list).
    declared = {str(key) for topic in topics for key in (topic.get("configs") or {})}
    problems = validate(topics, {}, brokers, TOPIC_CONFIG_KEYS | declared, allow_delete)
    if not allow_delete:
        absent = [str(t.get("name")) for t in topics if t.get("state", "present") == "absent"]
        if absent:
            problems.append(
                f"topics declared absent ({', '.join(absent)}) need kafka_topics_allow_delete: true"
            )
    return problems


def profile_files(
    profiles: Iterable[Mapping[str, Any]], folder: str, truststore: str = "", **attributes: str
) -> list[dict[str, Any]]:
    """config_files entries rendering client.properties.j2 once per client profile (the profile as `item`,
    and `truststore`: where the CA certificate is on the host the profiles are written to).

    Profiles may hold credentials, so each file is marked secret: its content never shows in a diff.
    """
    return [
        {
            "src": "client.properties.j2",
            "dest": f"{folder}/{p['name']}.properties",
            "vars": {"item": dict(p), "truststore": truststore},
            "secret": True,
            **attributes,
        }
        for p in profiles
    ]


PROFILE_NAME = re.compile(r"[A-Za-z0-9._-]+")
POSITIVE = ("batch.size", "max.poll.records", "max.partition.fetch.bytes")


def profile_problems(profiles: Iterable[Mapping[str, Any]]) -> list[str]:
    """One message per broken rule of each client profile, naming the profile and the setting."""
    problems, names = [], []
    for profile in profiles:
        name = str(profile.get("name", ""))
        names.append(name)
        if not PROFILE_NAME.fullmatch(name):
            problems.append(f"profile name {name!r} may only hold letters, digits, '.', '_' and '-'")
        if profile.get("type") == "consumer" and not profile.get("group.id"):
            problems.append(f"consumer profile {name} needs group.id")
        for key in POSITIVE:
            if profile.get(key) is not None and int(profile[key]) <= 0:
                problems.append(f"profile {name}: {key} must be positive, not {profile[key]}")
        if profile.get("linger.ms") is not None and int(profile["linger.ms"]) < 0:
            problems.append(f"profile {name}: linger.ms must not be negative")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"profile names must be unique: {', '.join(repeated)}")
    return problems


def path_prefixes(path: str) -> list[str]:
    """Every znode from the root down to `path`: /kafka/lab -> [/kafka, /kafka/lab] (none for /)."""
    parts = [part for part in str(path).split("/") if part]
    return ["/" + "/".join(parts[: index + 1]) for index in range(len(parts))]


def folders(paths: Iterable[str], owner: str, group: str, mode: str) -> list[dict[str, str]]:
    """config_files directory entries for several paths with the same owner, group and mode."""
    return [{"path": path, "owner": owner, "group": group, "mode": mode} for path in paths]


def jmx_agent_option(port: int | str, jar: str, address: str, config: str) -> str:
    """The JVM option that runs the Prometheus JMX exporter agent on `address:port` with the rules file
    `config` (IPv6 bracketed, as the agent parses it), or "" when the port is 0 (no agent)."""
    if int(port) == 0:
        return ""
    return f"-javaagent:{jar}={bracket(str(address))}:{int(port)}:{config}"


def metrics_port_problems(ports: Mapping[str, Any], bound: Iterable[Any]) -> list[str]:
    """What is wrong with the metrics ports (variable name -> port; 0 runs no agent): each must be 0 or
    1-65535, not a port the cluster binds (`bound`), and two agents may not share one (one host may run
    ZooKeeper and Kafka)."""
    taken = {int(port) for port in bound}
    problems = []
    for name, value in ports.items():
        port = int(value)
        if not 0 <= port <= 65535:
            problems.append(f"{name}={port} must be 0 (no agent) or 1-65535")
        elif port in taken:
            problems.append(f"{name}={port} is a port a listener or ZooKeeper binds; pick another")
    used = [int(value) for value in ports.values() if int(value) > 0]
    for port in sorted({port for port in used if used.count(port) > 1}):
        names = " and ".join(name for name, value in ports.items() if int(value) == port)
        problems.append(
            f"{names} are both {port}; ZooKeeper and Kafka may share a host, so give each its own port"
        )
    return problems


def metrics_endpoints(
    hosts: Iterable[str],
    hostvars: Mapping[str, Any],
    variable: str,
    default_port: int | str,
    brokers: Iterable[str] | None = None,
    controllers: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Each host's JMX exporter agent as {name, url, required} (and `broker`, `controller` when `brokers` is
    given: Kafka nodes): its address (IPv6 bracketed) and its `variable` port (a host variable, else
    `default_port`); [] when any host runs no agent (port 0), so a caller falls back to the CLI tools."""
    endpoints: list[dict[str, Any]] = []
    optional_set, controller_set = set(optional), set(controllers)
    for host in hosts:
        port = int(hostvars[host].get(variable, default_port))
        if port == 0:
            return []
        address = bracket(str(hostvars[host]["kafka_host_address"]))
        endpoint = {
            "name": host,
            "url": f"http://{address}:{port}/metrics",
            "required": host not in optional_set,
        }
        if brokers is not None:
            endpoint |= {"broker": host in brokers, "controller": host in controller_set}
        endpoints.append(endpoint)
    return endpoints


def restart_due(
    order: Iterable[str], hostvars: Mapping[str, Any], service: str, play_hosts: Iterable[str]
) -> list[str]:
    """The hosts of `order` (kept in that order) in the play whose restart of `service` is pending:
    their `_<service>_restart_pending` fact is true (set by the _common role's configure step)."""
    fact, playing = f"_{service}_restart_pending", set(play_hosts)
    return [host for host in order if host in playing and hostvars[host].get(fact)]


def _nested(path: str, other: str) -> bool:
    """`path` is `other` or lies inside it (or the other way round)."""
    a, b = path.rstrip("/") + "/", other.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


def colocation_problems(
    host: str,
    use: Mapping[str, Any],
    owner: str,
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Any],
) -> list[str]:
    """What is wrong with `host`, a KRaft controller run as a second process on `owner`'s instance
    (kafka_colocated_with): `owner` must be a broker of the inventory that is no controller and no second
    process itself, `host` a controller that is no broker and the only one on that instance, at the same
    address; and the two may share no unit, folder or port. `use` is each Kafka host's {unit, address, paths:
    {variable: [path]}, ports: {what: port}} (the kafka role's validate step sets it as the fact
    `_kafka_machine_use`); the folders and ports are compared when `owner` is in the run."""
    brokers, controllers = set(groups.get("broker", [])), set(groups.get("controller", []))
    where = f"kafka on {host}: kafka_colocated_with={owner}"
    if owner not in hostvars or owner not in brokers:
        return [f"{where} must name a broker of the inventory (the instance the controller shares)"]
    problems = []
    if host in brokers or host not in controllers:
        problems.append(
            f"{where}: only a controller runs as a second process; keep {host} in group controller only"
        )
    if owner in controllers or hostvars[owner].get("kafka_colocated_with"):
        problems.append(f"{where}: {owner} is itself a controller; co-locate with a broker-only host")
    twins = sorted(h for h in controllers if h != host and hostvars[h].get("kafka_colocated_with") == owner)
    if twins:
        problems.append(f"{where}: {', '.join(twins)} already runs there; give each its own broker")
    theirs = hostvars[owner].get("_kafka_machine_use")
    if theirs is None:
        return problems
    return problems + _shared_resources(where, use, owner, theirs)


def _shared_resources(where: str, use: Mapping[str, Any], owner: str, theirs: Mapping[str, Any]) -> list[str]:
    """The address, unit, folders and ports two processes on one instance would share."""
    problems = []
    if str(use["address"]) != str(theirs["address"]):
        problems.append(
            f"{where}: its kafka_host_address {use['address']} is not {owner}'s ({theirs['address']}); "
            "a second process binds the instance's own address"
        )
    if use["unit"] == theirs["unit"]:
        problems.append(f"{where}: both would run as {use['unit']}.service")
    for variable, paths in use["paths"].items():
        for path in paths:
            clash = [
                f"{name} {other}"
                for name, others in theirs["paths"].items()
                for other in others
                if _nested(path, other)
            ]
            if clash:
                problems.append(
                    f"{where}: {variable} {path} overlaps {owner}'s {', '.join(clash)}; give it its own"
                )
    ports = {int(v): k for k, v in theirs["ports"].items() if int(v) > 0}
    for what, port in use["ports"].items():
        if int(port) in ports:
            problems.append(f"{where}: {what} {port} is also {owner}'s {ports[int(port)]}; pick another port")
    return problems


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "advertised_listeners": advertised_listeners,
            "bootstrap_servers": bootstrap_servers,
            "missing_advertised": missing_advertised,
            "id_problems": id_problems,
            "node_id_problems": node_id_problems,
            "managed_overrides": managed_overrides,
            "folders": folders,
            "path_prefixes": path_prefixes,
            "profile_problems": profile_problems,
            "profile_files": profile_files,
            "topic_problems": topic_problems,
            "jmx_agent_option": jmx_agent_option,
            "metrics_port_problems": metrics_port_problems,
            "metrics_endpoints": metrics_endpoints,
            "restart_due": restart_due,
            "colocation_problems": colocation_problems,
        }
