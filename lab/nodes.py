"""Lab nodes: systemd containers with host networking that stand in for EC2 hosts.

Each node binds its own loopback address (recorded in state.json and in the fake EC2 API as the
instance's private IP), exactly as an EC2 host binds its private IP.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import asdict, dataclass

from lab import config
from lab.fake_ec2 import ZONES
from lab.util import LabError, run

LABEL = "kafka-aws.lab.node"
STATE_FILE = config.STATE_DIR / "state.json"
SYSTEMD_FLAGS = (
    "--cap-add",
    "SYS_ADMIN",
    "--cgroupns=host",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "--network",
    "host",
    "--stop-signal",
    "SIGRTMIN+3",
)


@dataclass(frozen=True)
class Node:
    name: str
    container: str
    address: str
    zone: str


def planned(count: int) -> list[Node]:
    return [
        Node(
            config.node_name(i),
            config.container_name(i),
            config.node_address(i),
            f"{config.REGION}{ZONES[(i - 1) % len(ZONES)]}",
        )
        for i in range(1, count + 1)
    ]


def container_state(container: str) -> str | None:
    probe = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.Status}}", container], capture_output=True, text=True
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def create(node: Node, image: str) -> None:
    run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            node.container,
            "--hostname",
            node.name,
            "--label",
            f"{LABEL}={node.name}",
            *SYSTEMD_FLAGS,
            image,
            "/sbin/init",
        ]
    )


def wait_booted(node: Node, timeout: float = 90.0) -> str:
    """Wait until systemd in the node reports running (or degraded: some unit failed, still up)."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["docker", "exec", node.container, "systemctl", "is-system-running"],
            capture_output=True,
            text=True,
        )
        state = probe.stdout.strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(0.5)
    raise LabError(f"{node.container}: systemd did not finish booting in {timeout:.0f}s (state: {state!r})")


def ensure_nodes(count: int, image: str) -> list[Node]:
    """Create or start the nodes that are missing; running nodes are kept as they are."""
    nodes = planned(count)
    for node in nodes:
        state = container_state(node.container)
        if state is None:
            create(node, image)
        elif state != "running":
            run(["docker", "start", node.container])
    for node in nodes:
        wait_booted(node)
    save_state(nodes)
    return nodes


def save_state(nodes: list[Node]) -> None:
    config.STATE_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps({"nodes": [asdict(n) for n in nodes]}, indent=2) + "\n")


def load_state() -> list[Node]:
    if not STATE_FILE.exists():
        return []
    return [Node(**n) for n in json.loads(STATE_FILE.read_text())["nodes"]]


def lab_containers() -> list[str]:
    """Every container the lab created (found by label, whatever state.json says)."""
    out = run(["docker", "ps", "-a", "--filter", f"label={LABEL}", "--format", "{{.Names}}"], capture=True)
    return sorted(out.split())


def remove_all() -> list[str]:
    containers = lab_containers()
    if containers:
        run(["docker", "rm", "-f", *containers])
    STATE_FILE.unlink(missing_ok=True)
    return containers
