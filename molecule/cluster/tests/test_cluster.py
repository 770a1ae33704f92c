"""Verify the three-node cluster converged with site.yml (testinfra, through molecule's inventory)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
NODES = ["cluster-1", "cluster-2", "cluster-3"]
ADDRESS = {name: f"127.0.0.{30 + i}" for i, name in enumerate(NODES, start=1)}
BIN = "/opt/kafka/bin"


def node(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def bootstrap(name: str) -> str:
    return f"{ADDRESS[name]}:9092"


def properties(host) -> dict[str, str]:
    text = host.file("/etc/kafka/server.properties").content_string
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


@pytest.mark.parametrize("name", NODES)
def test_services_active_enabled_and_bound_to_the_host_address(name):
    host = node(name)
    for service in ("kafka", "zookeeper"):
        assert host.service(service).is_running and host.service(service).is_enabled
    address = re.escape(ADDRESS[name])
    # ss shows a JVM's dual-stack socket bound to an IPv4 address as [::ffff:a.b.c.d]:port.
    local = [line.split()[3] for line in host.check_output("ss -Hltn").splitlines()]
    for port in (2181, 9091, 9092):
        assert any(re.fullmatch(rf"(\[::ffff:)?{address}\]?:{port}", sock) for sock in local), local
    # Every node shares the machine's network namespace (like hosts on one subnet), so the check
    # is that nothing listens on a wildcard address for these ports.
    for port in (2181, 2888, 3888, 9091, 9092):
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening
        assert not host.socket(f"tcp://:::{port}").is_listening


@pytest.mark.parametrize("name", NODES)
def test_rendered_server_properties(name):
    host = node(name)
    text = host.file("/etc/kafka/server.properties").content_string
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == sorted(lines)
    props = properties(host)
    index = name.rsplit("-", 1)[1]
    address = ADDRESS[name]
    assert props["broker.id"] == index
    assert props["listeners"] == f"INTERNAL://{address}:9091,CLIENT://{address}:9092"
    assert props["advertised.listeners"] == props["listeners"]
    assert props["listener.security.protocol.map"] == "INTERNAL:SSL,CLIENT:PLAINTEXT"
    assert props["ssl.keystore.type"] == "PEM" and props["ssl.truststore.type"] == "PEM"
    keystore = host.file(props["ssl.keystore.location"])
    assert keystore.user == "kafka" and keystore.mode == 0o400
    assert props["inter.broker.listener.name"] == "INTERNAL"
    assert props["inter.broker.protocol.version"] == "3.9"  # pinned: the line a migration to KRaft needs
    assert props["zookeeper.connect"] == "127.0.0.31:2181,127.0.0.32:2181,127.0.0.33:2181/kafka/cluster"
    assert props["broker.rack"] == f"use1-az{index}"
    assert props["default.replication.factor"] == "3" and props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"
    assert props["auto.create.topics.enable"] == "false"
    assert props["unclean.leader.election.enable"] == "false"
    config = host.file("/etc/kafka/server.properties")
    assert config.user == "root" and config.group == "kafka" and config.mode == 0o640
    assert host.file("/var/lib/kafka/data").user == "kafka"
    assert host.user("kafka").shell == "/usr/sbin/nologin"


def test_three_brokers_are_registered_with_their_racks():
    out = node("cluster-1").check_output(
        f"{BIN}/kafka-broker-api-versions.sh --bootstrap-server {bootstrap('cluster-1')}"
    )
    assert sorted(re.findall(r"\(id: (\d+) rack: (use1-az\d)\)", out)) == [
        ("1", "use1-az1"),
        ("2", "use1-az2"),
        ("3", "use1-az3"),
    ]


def produce(host, server: str, topic: str, messages: list[str]) -> None:
    payload = "\n".join(messages)
    host.check_output(
        f"printf '%s\\n' '{payload}' | {BIN}/kafka-console-producer.sh --bootstrap-server {server} "
        f"--topic {topic} --producer-property acks=all"
    )


def consume(host, server: str, topic: str, count: int, group: str) -> list[str]:
    out = host.check_output(
        f"{BIN}/kafka-console-consumer.sh --bootstrap-server {server} --topic {topic} --group {group} "
        f"--from-beginning --max-messages {count} --timeout-ms 60000"
    )
    return out.split()


def test_acks_all_writes_survive_a_broker_down():
    first, second, third = (node(n) for n in NODES)
    topic = f"verify-{uuid.uuid4().hex[:8]}"
    first.check_output(
        f"{BIN}/kafka-topics.sh --bootstrap-server {bootstrap('cluster-1')} --create --topic {topic} "
        "--partitions 3 --replication-factor 3 --config min.insync.replicas=2"
    )
    before = [f"before-{i}" for i in range(50)]
    produce(first, bootstrap("cluster-1"), topic, before)
    # Read them back from another node (this also creates __consumer_offsets with all brokers up).
    assert sorted(consume(second, bootstrap("cluster-2"), topic, 50, "verify-a")) == sorted(before)
    third.check_output("systemctl stop kafka")
    try:
        during = [f"during-{i}" for i in range(50)]
        produce(first, bootstrap("cluster-1"), topic, during)
        got = consume(second, bootstrap("cluster-2"), topic, 100, "verify-b")
        assert sorted(got) == sorted(before + during)
    finally:
        third.check_output("systemctl start kafka")
    first.run_expect(
        [0],
        "for i in $(seq 60); do "
        f"out=$({BIN}/kafka-topics.sh --bootstrap-server {bootstrap('cluster-1')} --describe "
        '--under-replicated-partitions) && [ -z "$out" ] && exit 0; sleep 5; done; exit 1',
    )


def metadata(address: str, settings: dict[str, str]) -> str:
    """An independent client's (librdkafka's) answer on one listener: `ok: <broker ids>` or `refused: ...`."""
    probe = Path(__file__).resolve().parents[2] / "topics" / "client_probe.py"
    argv = [sys.executable, str(probe), address, json.dumps(settings)]
    run = subprocess.run(argv, capture_output=True, text=True, check=True)
    return run.stdout.strip()


def test_the_tls_listener_refuses_plaintext_and_an_untrusted_ca_and_serves_the_cluster_ca():
    internal = f"{ADDRESS['cluster-1']}:9091"
    ca = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "tls" / "ca.crt"
    assert metadata(internal, {"security.protocol": "PLAINTEXT"}).startswith("refused:")
    untrusted = metadata(internal, {"security.protocol": "SSL"})
    assert untrusted.startswith("refused:") and "certificate verify failed" in untrusted, untrusted
    assert metadata(internal, {"security.protocol": "SSL", "ssl.ca.location": str(ca)}) == "ok: 1,2,3"
