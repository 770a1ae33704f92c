"""Monitoring with Debian's Prometheus (unpacked by `lab prepare`): the alerting rules pass their
promtool unit tests, and tools/prometheus_config.py's configuration makes a real Prometheus find a
cluster's instances in a (moto) EC2 API by their tags and scrape each node's exporter, labelled with
the cluster, the node's Name and its zone; other clusters' and stopped instances are left out. (The
molecule default scenario scrapes a real broker the same way.)"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import lab.moto_server  # noqa: F401 (its allowance: a loopback private IP in any subnet, as the lab seeds them)
from lab import config, fake_ec2
from lab.prometheus import binary, ensure_prometheus
from tests.fake_exporter import Exporter
from tests.integration.conftest import ec2_client, moto_server

ROOT = config.PROJECT_ROOT
BASE = 211  # 127.0.0.211-214: the instances' private IPs, where the fake exporters listen


@pytest.fixture(scope="module")
def promtool() -> Path:
    return ensure_prometheus()


def test_the_alerting_rules_pass_their_promtool_tests(promtool):
    done = subprocess.run(
        [promtool, "test", "rules", "kafka_alerts_test.yml"],
        cwd=ROOT / "monitoring",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def query(url: str, promql: str) -> list[dict]:
    with urllib.request.urlopen(
        f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}", timeout=5
    ) as r:
        return list(json.load(r)["data"]["result"])


@pytest.fixture
def prometheus_on_ec2(tmp_path, promtool) -> Iterator[tuple[str, list[dict]]]:
    """Cluster `mon` in a moto of its own: nodes 1-3 ZooKeeper members and brokers, node 4 stopped;
    cluster `other` beside it. Exporters on nodes 1-4 (Kafka 7071, ZooKeeper 7072), and Prometheus
    configured by tools/prometheus_config.py. Yields Prometheus's URL and the instances."""
    with moto_server() as endpoint:
        nodes = fake_ec2.seed_cluster(
            endpoint, "mon", 4, container_prefix="mon-", address_base=BASE, mode="zookeeper"
        )
        fake_ec2.seed_cluster(endpoint, "other", 1, container_prefix="other-", address_base=BASE + 10)
        ec2_client(endpoint).stop_instances(InstanceIds=[nodes[3]["InstanceId"]])
        exporters = [
            Exporter(text, node["PrivateIpAddress"], port)
            for node in [*nodes, {"PrivateIpAddress": f"127.0.0.{BASE + 10}"}]
            for port, text in (
                (7071, "kafka_server_kafkaserver_brokerstate 3.0\n"),
                (7072, 'zookeeper_numaliveconnections{membertype="Follower",myid="1"} 1.0\n'),
            )
        ]
        web = f"127.0.0.1:{free_port()}"
        settings = tmp_path / "prometheus.yml"
        options = {
            "--cluster": "mon",
            "--region": config.REGION,
            "--kafka-port": "7071",
            "--zookeeper-port": "7072",
            "--endpoint": endpoint,
            "--access-key": "moto-key",
            "--secret-key": "moto-secret",
            "--scrape-interval": "1s",
            "--refresh-interval": "1s",
            "-o": str(settings),
        }
        tool = [sys.executable, str(ROOT / "tools" / "prometheus_config.py")]
        subprocess.run(tool + [part for pair in options.items() for part in pair], check=True)
        check = subprocess.run([promtool, "check", "config", settings], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        server = subprocess.Popen(
            [binary("prometheus"), f"--config.file={settings}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address={web}"],
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("wb"),
        )  # fmt: skip
        try:
            yield f"http://{web}", nodes
        finally:
            server.terminate()
            server.wait(timeout=30)
            for exporter in exporters:
                exporter.close()


def test_prometheus_finds_the_cluster_on_ec2_and_scrapes_each_node(prometheus_on_ec2):
    url, nodes = prometheus_on_ec2
    running = {node["PrivateIpAddress"] for node in nodes[:3]}
    want = {
        (job, f"{address}:{port}")
        for address in running
        for job, port in (("kafka", 7071), ("zookeeper", 7072))
    }
    deadline, got = time.monotonic() + 60, set()
    while time.monotonic() < deadline:
        try:
            samples = query(url, "kafka_server_kafkaserver_brokerstate or zookeeper_numaliveconnections")
        except OSError:
            samples = []
        got = {(s["metric"]["job"], s["metric"]["instance"]) for s in samples}
        if got == want:
            break
        time.sleep(1)
    assert got == want  # nodes 1-3 on both ports; not the stopped node 4, not cluster other
    brokers = query(url, 'kafka_server_kafkaserver_brokerstate{cluster="mon"} == 3')
    labels = {s["metric"]["instance"]: (s["metric"]["node"], s["metric"]["zone"]) for s in brokers}
    assert labels == {
        f"{n['PrivateIpAddress']}:7071": (tags(n)["Name"], n["Placement"]["AvailabilityZone"])
        for n in nodes[:3]
    }


def tags(instance: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in instance["Tags"]}
