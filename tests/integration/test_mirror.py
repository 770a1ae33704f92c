"""The assembled distributions really run: ZooKeeper answers ruok, brokers take produce requests."""

from __future__ import annotations

import os
import socket
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import mirror
from tests.ansible_run import load_collections

load_collections()

from ansible_collections.kafka_aws.kafka.plugins.modules import host_state  # noqa: E402

pytestmark = pytest.mark.integration
HOST = "127.0.0.1"


def free_ports(count: int) -> list[int]:
    """Distinct free ports: each socket stays bound until all are chosen, so no two can be the same."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


def four_letter(port: int, word: str) -> str:
    """The member's answer, read as the zookeeper role reads it (host_state); empty until it listens."""
    return host_state.four_letter_reply({"address": HOST, "port": port, "word": word}, active=True)


def log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def wait_until(
    check, timeout: float, what: str, proc: subprocess.Popen | None = None, log: Path | None = None
) -> None:
    """Poll check until true; fail at once if proc exits, and show the tail of its log on failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process exited ({proc.returncode}) before {what}:\n{log_tail(log)}")
        time.sleep(0.5)
    tail = f":\n{log_tail(log)}" if log is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")


@pytest.fixture(scope="module")
def archives() -> dict[str, Path]:
    paths = mirror.ensure_mirror()
    return {p.name: p for p in paths}


def extract(archive: Path, dest: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="tar")
    return next(dest.iterdir())


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for proc in reversed(started):
        proc.kill()
        proc.wait(timeout=30)


def tool_env() -> dict[str, str]:
    return {
        **os.environ,
        "KAFKA_HEAP_OPTS": "-Xmx128m",
        "KAFKA_JVM_PERFORMANCE_OPTS": "-XX:TieredStopAtLevel=1",
    }


def start(
    cmd: list[str], log: Path, env: dict[str, str], processes: list[subprocess.Popen]
) -> subprocess.Popen:
    with log.open("wb") as out:
        processes.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env))
    return processes[-1]


def start_zookeeper(home: Path, tmp: Path, processes: list[subprocess.Popen]) -> int:
    port = free_port()
    cfg = tmp / "zoo.cfg"
    cfg.write_text(
        f"tickTime=2000\ndataDir={tmp / 'zk-data'}\nclientPort={port}\nclientPortAddress={HOST}\n"
        "4lw.commands.whitelist=ruok,srvr\nadmin.enableServer=false\n"
    )
    env = {**os.environ, "ZK_SERVER_HEAP": "128", "ZOO_LOG_DIR": str(tmp / "zk-logs")}
    log = tmp / "zk.log"
    proc = start([str(home / "bin/zkServer.sh"), "start-foreground", str(cfg)], log, env, processes)
    wait_until(lambda: four_letter(port, "ruok") == "imok", 60, "ZooKeeper to answer ruok", proc, log)
    wait_until(lambda: "Mode: " in four_letter(port, "srvr"), 60, "ZooKeeper to serve requests", proc, log)
    return port


def produce_and_consume(home: Path, bootstrap: str, messages: list[str]) -> list[str]:
    bin_dir, env = home / "bin", tool_env()
    subprocess.run(
        [
            bin_dir / "kafka-topics.sh",
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            "t",
            "--partitions",
            "2",
        ],
        check=True,
        env=env,
        timeout=120,
    )
    subprocess.run(
        [bin_dir / "kafka-console-producer.sh", "--bootstrap-server", bootstrap, "--topic", "t"],
        input="\n".join(messages) + "\n",
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    consumed = subprocess.run(
        [
            bin_dir / "kafka-console-consumer.sh",
            "--bootstrap-server",
            bootstrap,
            "--topic",
            "t",
            "--from-beginning",
            "--max-messages",
            str(len(messages)),
            "--timeout-ms",
            "60000",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    return consumed.stdout.split()


def test_archives_have_apache_layout_and_checksums(archives: dict[str, Path]) -> None:
    for path in archives.values():
        digest_line = path.with_name(path.name + ".sha512").read_text()
        assert digest_line.endswith(f"  {path.name}\n")
        assert digest_line.split()[0] == mirror.hashlib.sha512(path.read_bytes()).hexdigest()


def test_zookeeper_answers_ruok(archives: dict[str, Path], tmp_path: Path, processes) -> None:
    home = extract(archives[mirror.zookeeper_dist(mirror.ZOOKEEPER_VERSION).archive_name], tmp_path / "zk")
    port = start_zookeeper(home, tmp_path, processes)
    # read by host_state's four_letter_reply, as the zookeeper role judges an untouched member
    assert "Mode: standalone" in four_letter(port, "srvr")


def test_kafka_zookeeper_mode_broker_takes_produce_requests(
    archives: dict[str, Path], tmp_path: Path, processes
) -> None:
    zk_home = extract(archives[mirror.zookeeper_dist(mirror.ZOOKEEPER_VERSION).archive_name], tmp_path / "zk")
    home = extract(archives[mirror.kafka_dist(mirror.KAFKA_ZK_VERSION).archive_name], tmp_path / "kafka")
    zk_port, port = start_zookeeper(zk_home, tmp_path, processes), free_port()
    props = tmp_path / "server.properties"
    props.write_text(
        f"broker.id=1\nlisteners=PLAINTEXT://{HOST}:{port}\nlog.dirs={tmp_path / 'logs'}\n"
        f"zookeeper.connect={HOST}:{zk_port}/kafka/test\noffsets.topic.replication.factor=1\n"
        "group.initial.rebalance.delay.ms=0\n"
    )
    env = {**tool_env(), "KAFKA_HEAP_OPTS": "-Xmx256m", "LOG_DIR": str(tmp_path / "klogs")}
    log = tmp_path / "kafka.log"
    proc = start([str(home / "bin/kafka-server-start.sh"), str(props)], log, env, processes)
    wait_until(
        lambda: socket.create_connection((HOST, port), timeout=1), 90, "the broker to listen", proc, log
    )
    messages = [f"m-{uuid.uuid4().hex}" for _ in range(5)]
    assert sorted(produce_and_consume(home, f"{HOST}:{port}", messages)) == sorted(messages)


def test_kafka_4_kraft_node_takes_produce_requests(
    archives: dict[str, Path], tmp_path: Path, processes
) -> None:
    home = extract(archives[mirror.kafka_dist(mirror.KAFKA_KRAFT_VERSION).archive_name], tmp_path / "kafka")
    port, controller = free_ports(2)
    props = tmp_path / "server.properties"
    props.write_text(
        f"process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@{HOST}:{controller}\n"
        f"listeners=PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller}\n"
        f"advertised.listeners=PLAINTEXT://{HOST}:{port}\ncontroller.listener.names=CONTROLLER\n"
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
        f"log.dirs={tmp_path / 'logs'}\noffsets.topic.replication.factor=1\n"
        "transaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1\n"
        "group.initial.rebalance.delay.ms=0\n"
    )
    env = {**tool_env(), "LOG_DIR": str(tmp_path / "klogs")}
    cluster_id = subprocess.run(
        [home / "bin/kafka-storage.sh", "random-uuid"], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    # An id may start with '-' (base64url, 1 in 64): passed as --cluster-id=<id>, as roles/kafka formats,
    # not as a separate argument the tool would read as an option. This one always does.
    cluster_id = "-" + cluster_id[1:]
    subprocess.run(
        [home / "bin/kafka-storage.sh", "format", f"--cluster-id={cluster_id}", "-c", props],
        check=True,
        env=env,
        timeout=120,
    )
    env["KAFKA_HEAP_OPTS"] = "-Xmx256m"
    log = tmp_path / "kafka.log"
    proc = start([str(home / "bin/kafka-server-start.sh"), str(props)], log, env, processes)
    wait_until(
        lambda: socket.create_connection((HOST, port), timeout=1), 90, "the KRaft node to listen", proc, log
    )
    messages = [f"m-{uuid.uuid4().hex}" for _ in range(5)]
    assert sorted(produce_and_consume(home, f"{HOST}:{port}", messages)) == sorted(messages)
