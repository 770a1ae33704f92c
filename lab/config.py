"""Shared lab settings: paths, addresses and ports every lab module and test agrees on."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("LAB_CACHE_DIR", PROJECT_ROOT / ".cache"))
STATE_DIR = CACHE_DIR / "lab"  # pid files, logs, state.json
MIRROR_DIR = CACHE_DIR / "mirror"  # Apache archive layout: kafka/<v>/..., zookeeper/zookeeper-<v>/...
MAVEN_DIR = CACHE_DIR / "maven"  # jars fetched from Maven Central
IMAGE_DIR = CACHE_DIR / "images"  # debootstrap work dirs

# Everything the lab serves listens on loopback only.
SERVICE_HOST = "127.0.0.1"
MIRROR_PORT = int(os.environ.get("LAB_MIRROR_PORT", "8765"))
EC2_PORT = int(os.environ.get("LAB_EC2_PORT", "8766"))
MIRROR_URL = f"http://{SERVICE_HOST}:{MIRROR_PORT}"
EC2_ENDPOINT = f"http://{SERVICE_HOST}:{EC2_PORT}"

# Lab nodes: node1 -> 127.0.0.11, node2 -> 127.0.0.12, ... (molecule scenarios use 127.0.0.21+).
NODE_COUNT = int(os.environ.get("LAB_NODES", "3"))
NODE_ADDRESS_PREFIX = "127.0.0."
NODE_ADDRESS_BASE = 11
CONTAINER_PREFIX = "kafka-lab-"
CLUSTER_NAME = "lab"
REGION = "us-east-1"

# How the lab's cluster is tagged (`lab up --mode`): zookeeper = kafka:role=zookeeper,broker with
# kafka:broker-id and zookeeper:myid; kraft = kafka:role=controller,broker with kafka:node-id only;
# kraft-dedicated = nodes 1-3 kafka:role=controller, the others kafka:role=broker, kafka:node-id only.
MODES = ("zookeeper", "kraft", "kraft-dedicated")
DEFAULT_MODE = "zookeeper"
DEDICATED_CONTROLLERS = 3  # kraft-dedicated: nodes 1-3 are the controllers, the rest brokers
DEDICATED_NODE_COUNT = 6  # kraft-dedicated's default node count: three controllers, three brokers


def default_node_count(mode: str) -> int:
    """How many nodes `lab up --mode MODE` starts without --nodes: 6 for kraft-dedicated, else NODE_COUNT."""
    return DEDICATED_NODE_COUNT if mode == "kraft-dedicated" else NODE_COUNT


def minimum_node_count(mode: str) -> int:
    """kraft-dedicated needs its controllers and at least one broker; the other modes one node."""
    return DEDICATED_CONTROLLERS + 1 if mode == "kraft-dedicated" else 1


def mode_file() -> Path:
    """Where `lab up` records the mode its nodes were set up for (removed by `lab down`)."""
    return STATE_DIR / "mode"


def node_name(index: int) -> str:
    """Lab node name for a 1-based index."""
    return f"node{index}"


def node_address(index: int) -> str:
    """Loopback address a 1-based lab node binds to and advertises, like an EC2 private IP."""
    return f"{NODE_ADDRESS_PREFIX}{NODE_ADDRESS_BASE + index - 1}"


def container_name(index: int) -> str:
    return f"{CONTAINER_PREFIX}{node_name(index)}"
