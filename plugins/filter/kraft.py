"""What the kafka role derives for KRaft: node ids, the controller quorum, and the cluster id on disk."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.kafka_aws.kafka.plugins.module_utils.cluster_rules import bracket, node_id_of

DOCUMENTATION = r"""
name: kraft
short_description: KRaft node ids, quorum strings and stored cluster ids
description:
  - C(kraft_node_id(host_vars)) the node id of one host, its C(kafka_node_id), else its C(kafka_broker_id)
    (a broker's node id is its broker id).
  - C(kraft_node_ids(hosts, hostvars)) the node id of each host, in order.
  - C(kraft_hosts_with_ids(hosts, hostvars, ids)) the hosts whose node id is one of C(ids).
  - C(kraft_endpoints(hosts, hostvars, listener)) C(address:port) of the controller listener on each host
    (its C(kafka_host_address), IPv6 bracketed), for C(controller.quorum.bootstrap.servers) and
    C(--bootstrap-controller).
  - C(kraft_voters(hosts, hostvars, listener)) C(id@address:port) for each controller, for
    C(controller.quorum.voters).
  - C(kraft_initial_controllers(hosts, hostvars, listener, cluster_id)) C(id@address:port:directory-id)
    for each controller, for C(kafka-storage.sh format --initial-controllers); the directory ids come from
    C(kraft_directory_id), so every run (and every host) computes the same string.
  - C(kraft_directory_id(cluster_id, node_id)) a Kafka Uuid (22 characters of URL-safe base64) derived from
    the cluster id and the node id, for the metadata directory of a controller of a dynamic quorum.
  - C(meta_properties(text)) the keys of a C(meta.properties) file, as a dict (comments dropped).
  - >-
    C(stored_cluster_ids(probes)) from C({host: {path: content or None}}) (kafka_aws.kafka.host_state's
    C(files) per host), C({cluster id: [host, ...]}) for every C(meta.properties) that holds a cluster.id.
  - >-
    C(unformatted(files)) the paths of C({path: content or None}) whose C(meta.properties) is missing.
  - >-
    C(controller_listener_problems(primary, extras, broker_listeners, combined, quorum)) what is wrong with
    C(kafka_controller_listener) and C(kafka_controller_extra_listeners) (C(combined): the combined nodes;
    C(quorum): static or dynamic), one message per listener naming the variable and the fix.
"""

# Kafka's Uuid string form: 16 bytes in URL-safe base64 without padding.
UUID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def kraft_node_id(host_vars: Mapping[str, Any]) -> int:
    """A host's node id: kafka_node_id, else kafka_broker_id."""
    value = node_id_of(host_vars.get("kafka_broker_id"), host_vars.get("kafka_node_id"))
    if value is None:
        host = host_vars.get("inventory_hostname", "a host")
        raise AnsibleFilterError(f"{host} has neither kafka_node_id nor kafka_broker_id")
    return int(value)


def kraft_node_ids(hosts: Iterable[str], hostvars: Mapping[str, Any]) -> list[int]:
    return [kraft_node_id(hostvars[host]) for host in hosts]


def kraft_hosts_with_ids(hosts: Iterable[str], hostvars: Mapping[str, Any], ids: Iterable[Any]) -> list[str]:
    """The hosts (in order) whose node id is one of `ids`."""
    wanted = {int(i) for i in ids}
    return [host for host in hosts if kraft_node_id(hostvars[host]) in wanted]


def kraft_endpoints(
    hosts: Iterable[str], hostvars: Mapping[str, Any], listener: Mapping[str, Any]
) -> list[str]:
    return [f"{bracket(str(hostvars[host]['kafka_host_address']))}:{listener['port']}" for host in hosts]


def kraft_voters(hosts: Iterable[str], hostvars: Mapping[str, Any], listener: Mapping[str, Any]) -> list[str]:
    hosts = list(hosts)
    return [
        f"{node}@{endpoint}"
        for node, endpoint in zip(
            kraft_node_ids(hosts, hostvars), kraft_endpoints(hosts, hostvars, listener), strict=True
        )
    ]


def kraft_directory_id(cluster_id: str, node_id: Any) -> str:
    """A stable Uuid for a controller's metadata directory: the same cluster and node give the same id."""
    if not UUID_PATTERN.match(str(cluster_id)):
        raise AnsibleFilterError(f"kraft_directory_id: {cluster_id!r} is not a Kafka cluster id")
    salt = 0
    while True:
        digest = hashlib.sha256(f"kafka-aws/{cluster_id}/{int(node_id)}/{salt}".encode()).digest()[:16]
        text = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        # Kafka never hands out ids starting with '-' (they read as command-line flags)
        if not text.startswith("-"):
            return text
        salt += 1


def kraft_initial_controllers(
    hosts: Iterable[str], hostvars: Mapping[str, Any], listener: Mapping[str, Any], cluster_id: str
) -> list[str]:
    hosts = list(hosts)
    return [
        f"{voter}:{kraft_directory_id(cluster_id, node)}"
        for voter, node in zip(
            kraft_voters(hosts, hostvars, listener), kraft_node_ids(hosts, hostvars), strict=True
        )
    ]


def meta_properties(text: str | None) -> dict[str, str]:
    """The key=value lines of a meta.properties file."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def stored_cluster_ids(probes: Mapping[str, Mapping[str, str | None]]) -> dict[str, list[str]]:
    """{cluster id: hosts whose meta.properties hold it}, from each host's read files."""
    found: dict[str, list[str]] = {}
    for host, files in probes.items():
        for path, content in (files or {}).items():
            cluster = meta_properties(content).get("cluster.id") if path.endswith("meta.properties") else None
            if cluster and host not in found.setdefault(cluster, []):
                found[cluster].append(host)
    return found


def unformatted(files: Mapping[str, str | None]) -> list[str]:
    """Directories (of meta.properties paths read) that hold no meta.properties."""
    return [
        path.rsplit("/", 1)[0]
        for path, content in files.items()
        if path.endswith("/meta.properties") and content is None
    ]


LISTENER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _port(listener: Mapping[str, Any]) -> int | None:
    """A listener's port as a number (an inventory may give it as a string), None when it is none."""
    try:
        return int(listener.get("port"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _listener_shape(listener: Mapping[str, Any]) -> str:
    """What is wrong with one controller listener's name or port by itself."""
    port = _port(listener)
    if not LISTENER_NAME.match(str(listener.get("name", ""))) or port is None or not 1 <= port <= 65535:
        return "the name must be upper case (A-Z, 0-9, _) and the port 1-65535."
    return ""


def _listener_clash(
    listener: Mapping[str, Any],
    taken: list[Mapping[str, Any]],
    broker: list[Mapping[str, Any]],
    combined: list[str],
) -> str:
    """What this controller listener shares with the broker listeners or the controller listeners before
    it."""
    name, port = listener.get("name"), _port(listener)
    if name in [entry.get("name") for entry in broker]:
        return (
            f"its name {name} is also a broker listener in kafka_listeners; the controllers need a listener "
            "of their own (brokers and clients never use it). Rename it or remove it from kafka_listeners."
        )
    if combined and port in [_port(entry) for entry in broker]:
        nodes = ", ".join(combined)
        return f"its port is also a broker listener port on the combined nodes {nodes}; pick another port."
    if name in [entry.get("name") for entry in taken]:
        return f"its name {name} is also kafka_controller_listener's or an earlier one's; rename it."
    if port in [_port(entry) for entry in taken]:
        return f"its port {port} is also kafka_controller_listener's or an earlier one's; pick another port."
    return ""


def controller_listener_problems(
    primary: Mapping[str, Any],
    extras: list[Mapping[str, Any]],
    broker_listeners: list[Mapping[str, Any]],
    combined: list[str],
    quorum: str,
) -> list[str]:
    """What is wrong with the KRaft controller listeners (empty when nothing is): one message per listener."""
    listeners = [primary, *extras]
    problems = []
    for index, listener in enumerate(listeners):
        taken = listeners[:index]
        problem = _listener_shape(listener) or _listener_clash(listener, taken, broker_listeners, combined)
        label = f"kafka_controller_extra_listeners[{index - 1}]" if index else "kafka_controller_listener"
        if problem:
            problems.append(f"{label}={dict(listener)}: {problem}")
    if extras and quorum != "static":
        problems.append(
            "kafka_controller_extra_listeners: a dynamic quorum keeps each voter's endpoints in its metadata "
            "log, so its controller listener is not switched this way (kafka_controller_quorum: static is). "
            "Set kafka_controller_extra_listeners: []."
        )
    return problems


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "kraft_node_id": kraft_node_id,
            "kraft_node_ids": kraft_node_ids,
            "kraft_hosts_with_ids": kraft_hosts_with_ids,
            "kraft_endpoints": kraft_endpoints,
            "kraft_voters": kraft_voters,
            "kraft_directory_id": kraft_directory_id,
            "kraft_initial_controllers": kraft_initial_controllers,
            "meta_properties": meta_properties,
            "stored_cluster_ids": stored_cluster_ids,
            "unformatted": unformatted,
            "controller_listener_problems": controller_listener_problems,
        }
