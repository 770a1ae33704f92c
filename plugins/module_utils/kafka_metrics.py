"""The cluster's health from the Prometheus JMX exporter agents of its Kafka nodes and ZooKeeper members.

One scrape of each node's /metrics (kafka_metrics_port, zookeeper_metrics_port) answers what the CLI
tools answer one JVM start at a time, and some things they don't (a broker's own state, the active
controller count). Used by kafka_aws.kafka.service_gate (option metrics) and kafka_aws.kafka.kafka_health.
A node is given as {name, url, broker, controller, required}: a broker must be running (broker state 3);
a node that does not answer is a problem when required, and not counted otherwise (a controller a
migration rollback stopped). Active controllers are counted on each side: at most one among the KRaft
controllers (controller true) and at most one among the other nodes (ZooKeeper-mode brokers, whose
controller election ZooKeeper holds), and at least one in all. Part-way through a migration to KRaft
both sides have one until the KRaft controller takes over from ZooKeeper's.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Any

RUNNING = 3
BROKER_STATES = {
    0: "not running",
    1: "starting",
    2: "recovering",
    3: "running",
    6: "pending controlled shutdown",
    7: "shutting down",
}
# The metric names roles/kafka/templates/jmx_exporter.yml.j2 gives.
UNDER_REPLICATED = "kafka_server_replicamanager_underreplicatedpartitions"
UNDER_MIN_ISR = "kafka_server_replicamanager_underminisrpartitioncount"
OFFLINE = "kafka_controller_kafkacontroller_offlinepartitionscount"
ACTIVE_CONTROLLER = "kafka_controller_kafkacontroller_activecontrollercount"
BROKER_STATE = "kafka_server_kafkaserver_brokerstate"
# roles/zookeeper/templates/jmx_exporter.yml.j2: every member reports its connections, labelled with its role.
ZOOKEEPER_ROLE = "zookeeper_numaliveconnections"

# The argument spec of a node, for the modules that take nodes (service_gate's metrics, kafka_health).
NODE_OPTIONS: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "url": {"type": "str", "required": True},
    "required": {"type": "bool", "default": True},
}
KAFKA_NODE_OPTIONS: dict[str, dict[str, Any]] = {
    **NODE_OPTIONS,
    "broker": {"type": "bool", "default": True},
    "controller": {"type": "bool", "default": False},
}

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Samples = list[tuple[str, dict[str, str], float]]


def parse(text: str) -> Samples:
    """Each sample of a Prometheus text exposition: (name, labels, value); comments skipped."""
    samples: Samples = []
    for line in text.splitlines():
        found = _SAMPLE.match(line)
        if found is None:
            continue
        try:
            value = float(found.group(3))
        except ValueError:
            continue
        samples.append((found.group(1), dict(_LABEL.findall(found.group(2) or "")), value))
    return samples


def total(samples: Samples, name: str) -> float | None:
    """The sum of a metric's samples, or None when the node does not report it."""
    values = [value for metric, _, value in samples if metric == name]
    return sum(values) if values else None


def scrape(url: str, timeout: float = 3.0) -> str | None:
    """The node's metrics, or None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return str(response.read().decode("utf-8", "replace"))
    except (OSError, ValueError):
        return None


def kafka_row(node: dict[str, Any], text: str | None) -> dict[str, Any]:
    """What one Kafka node reports: whether it answered, its broker state and its partition counts."""
    samples = parse(text) if text is not None else []
    state = total(samples, BROKER_STATE)
    return {
        "name": node["name"],
        "answered": text is not None,
        "broker": bool(node.get("broker", True)),
        "controller": bool(node.get("controller", False)),
        "required": bool(node.get("required", True)),
        "state": None if state is None else int(state),
        "under_replicated": total(samples, UNDER_REPLICATED),
        "under_min_isr": total(samples, UNDER_MIN_ISR),
        "offline": total(samples, OFFLINE),
        "active_controller": total(samples, ACTIVE_CONTROLLER),
    }


def zookeeper_row(node: dict[str, Any], text: str | None) -> dict[str, Any]:
    """What one ZooKeeper member reports: whether it answered and its role (Leader, Follower, ...)."""
    roles = sorted(
        {labels.get("membertype", "") for metric, labels, _ in parse(text or "") if metric == ZOOKEEPER_ROLE}
    )
    return {
        "name": node["name"],
        "answered": text is not None,
        "required": bool(node.get("required", True)),
        "role": ",".join(r for r in roles if r) or None,
    }


def _sum(rows: list[dict[str, Any]], key: str) -> int:
    return int(sum(row[key] or 0 for row in rows if row["answered"]))


def _controller_problems(rows: list[dict[str, Any]]) -> list[str]:
    """Not exactly one active controller: more than one on either side (KRaft controllers, ZooKeeper-mode
    brokers), or none at all."""
    kraft = _sum([r for r in rows if r["controller"]], "active_controller")
    zookeeper = _sum([r for r in rows if not r["controller"]], "active_controller")
    problems = []
    if kraft > 1:
        problems.append(f"{kraft} active KRaft controllers (exactly 1 expected)")
    if zookeeper > 1:
        problems.append(f"{zookeeper} active ZooKeeper-mode controllers (at most 1 expected)")
    if kraft + zookeeper == 0:
        problems.append("0 active controllers (exactly 1 expected)")
    return problems


def _state_name(state: int | None) -> str:
    return "reporting no broker state" if state is None else BROKER_STATES.get(state, f"in state {state}")


def kafka_problems(rows: list[dict[str, Any]]) -> list[str]:
    """Why the Kafka nodes are not healthy (empty when they are): a required node not answering, a
    broker not running, partitions under-replicated, under min ISR or offline, no active controller or
    two on one side."""
    problems = [
        f"{r['name']}: its metrics do not answer" for r in rows if r["required"] and not r["answered"]
    ]
    problems += [
        f"{r['name']}: the broker is {_state_name(r['state'])}"
        for r in rows
        if r["answered"] and r["broker"] and r["state"] != RUNNING
    ]
    for key, what in (
        ("under_replicated", "under-replicated"),
        ("under_min_isr", "under min ISR"),
        ("offline", "offline"),
    ):
        count = _sum(rows, key)
        if count:
            problems.append(f"{count} partition(s) {what}")
    return problems + _controller_problems(rows)


def zookeeper_problems(rows: list[dict[str, Any]]) -> list[str]:
    """Why the ZooKeeper ensemble is not healthy: a member not answering or not serving, not one leader."""
    problems = [
        f"{r['name']}: its metrics do not answer" for r in rows if r["required"] and not r["answered"]
    ]
    problems += [f"{r['name']}: not serving" for r in rows if r["answered"] and r["role"] is None]
    leaders = [r for r in rows if r["role"] == "Leader"]
    if rows and len(leaders) != 1 and not any(r["role"] == "Standalone" for r in rows):
        problems.append(f"{len(leaders)} ZooKeeper leaders (exactly 1 expected)")
    return problems


def read(
    kafka: list[dict[str, Any]], zookeeper: list[dict[str, Any]], timeout: float = 3.0
) -> dict[str, Any]:
    """Scrape every node once: its rows and the problems found."""
    kafka_rows = [kafka_row(node, scrape(node["url"], timeout)) for node in kafka]
    zookeeper_rows = [zookeeper_row(node, scrape(node["url"], timeout)) for node in zookeeper]
    problems = kafka_problems(kafka_rows) if kafka else []
    problems += zookeeper_problems(zookeeper_rows) if zookeeper else []
    return {"kafka": kafka_rows, "zookeeper": zookeeper_rows, "problems": problems}


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(int(value)) if isinstance(value, float) else str(value)


def table(result: dict[str, Any]) -> list[str]:
    """The health as aligned text lines: one per Kafka node, then one per ZooKeeper member."""
    lines = [["node", "broker state", "under-replicated", "under min ISR", "offline", "active controller"]]
    for r in result["kafka"]:
        state = "no answer" if not r["answered"] else ("-" if not r["broker"] else _state_name(r["state"]))
        lines.append(
            [r["name"], state]
            + [_cell(r[k]) for k in ("under_replicated", "under_min_isr", "offline", "active_controller")]
        )
    zookeeper = [
        [r["name"], "no answer" if not r["answered"] else (r["role"] or "not serving")]
        for r in result["zookeeper"]
    ]
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in lines
    ]
    if zookeeper:
        width = max(len(row[0]) for row in [["zookeeper member"], *zookeeper])
        text += [""] + [
            "  ".join(cell.ljust(width) if i == 0 else cell for i, cell in enumerate(row))
            for row in [["zookeeper member", "role"], *zookeeper]
        ]
    return text
