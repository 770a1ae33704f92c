"""playbooks/preflight.yml refuses bad input before any host is touched, naming the variable."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.conftest import ansible_playbook

GOOD = {
    "all": {
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "kafka_cluster_name": "preflight",
            "kafka_topics": [{"name": "orders", "partitions": 3, "replication_factor": 3}],
            "kafka_client_profiles": [
                {"name": "p", "type": "producer", "acks": "all", "batch.size": 16384},
                {"name": "c", "type": "consumer", "group.id": "g", "auto.offset.reset": "earliest"},
            ],
        },
        "children": {
            "zookeeper": {"hosts": {f"n{i}": None for i in (1, 2, 3)}},
            "broker": {"hosts": {f"n{i}": None for i in (1, 2, 3)}},
        },
    },
    "n1": {"kafka_host_address": "127.0.0.1", "zookeeper_myid": 1, "kafka_broker_id": 1},
    "n2": {"kafka_host_address": "127.0.0.2", "zookeeper_myid": 2, "kafka_broker_id": 2},
    "n3": {"kafka_host_address": "127.0.0.3", "zookeeper_myid": 3, "kafka_broker_id": 3},
}


# KRaft: three combined controller-broker nodes, node ids only (the default version is 4.x).
KRAFT = copy.deepcopy(GOOD)
KRAFT["all"]["children"] = {
    "controller": {"hosts": {f"n{i}": None for i in (1, 2, 3)}},
    "broker": {"hosts": {f"n{i}": None for i in (1, 2, 3)}},
}
for _i in (1, 2, 3):
    KRAFT[f"n{_i}"] = {"kafka_host_address": f"127.0.0.{_i}", "kafka_node_id": _i}


# A migration: the ZooKeeper-mode cluster plus one dedicated controller (n4, node id 4).
MIGRATION = copy.deepcopy(GOOD)
MIGRATION["all"]["children"]["controller"] = {"hosts": {"n4": None}}
MIGRATION["n4"] = {"kafka_host_address": "127.0.0.4", "kafka_node_id": 4}


def inventory(tmp_path: Path, change, base: dict = GOOD) -> Path:
    data = copy.deepcopy(base)
    change(data)
    hosts = {name: data.pop(name) for name in list(data) if name != "all"}
    for group in data["all"]["children"].values():
        for name in group["hosts"]:
            group["hosts"][name] = hosts.get(name, {})
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": data["all"]}))
    return path


def preflight(path: Path, *extra: str) -> subprocess.CompletedProcess:
    explicit = {"ANSIBLE_GATHERING": "explicit"}
    return ansible_playbook("-i", str(path), *extra, "playbooks/preflight.yml", env=explicit)


RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$")


def inventory_hosts(path: Path) -> set[str]:
    """Every host the inventory file lists, in any group."""
    groups = yaml.safe_load(path.read_text())["all"]["children"].values()
    return {name for group in groups for name in group["hosts"]}


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP's counters per host; fails the test when the run printed no (or more than one) recap."""
    parts = stdout.split("PLAY RECAP")
    assert len(parts) == 2, f"expected one PLAY RECAP, found {len(parts) - 1}:\n{stdout[-3000:]}"
    hosts = {}
    for line in parts[1].splitlines()[1:]:
        match = RECAP_LINE.match(line.strip())
        if match:
            counters = dict(item.split("=") for item in match.group(2).split())
            hosts[match.group(1)] = {key: int(value) for key, value in counters.items()}
    return hosts


def assert_untouched(result: subprocess.CompletedProcess, path: Path, refused: bool) -> None:
    """Every inventory host is in the recap with changed=0; a refusal failed on some host, a pass on none."""
    hosts = recap(result.stdout)
    assert set(hosts) == inventory_hosts(path), (sorted(hosts), result.stdout[-3000:])
    changed = {host: counters["changed"] for host, counters in hosts.items() if counters["changed"] != 0}
    assert not changed, f"preflight changed hosts {changed}:\n{result.stdout[-3000:]}"
    failed = sum(counters["failed"] + counters["unreachable"] for counters in hosts.values())
    assert (failed > 0) == refused, (hosts, result.stdout[-3000:])


def fake_run(recap_lines: str) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([], 2, stdout=f"TASK [x] ***\nok: [n1]\n{recap_lines}", stderr="")


COUNTERS = "changed=0    unreachable=0    failed={}    skipped=0    rescued=0    ignored=0   "
RECAP_OK = "PLAY RECAP ****\n" + "".join(
    f"{host:<27}: ok=16   {COUNTERS.format(failed)}\n" for host, failed in (("n1", 1), ("n2", 0), ("n3", 0))
)


@pytest.mark.parametrize(
    "stdout",
    [
        "",  # no recap: the run stopped before the play (the old check passed)
        RECAP_OK.replace(
            "n2                         : ok=16   changed=0", "n2 : ok=16   changed=1"
        ),  # one host
        "".join(RECAP_OK.splitlines(keepends=True)[:3]),  # n3 missing from the recap
        RECAP_OK.replace("failed=1", "failed=0"),  # a refusal that failed nowhere
    ],
    ids=["no recap", "one host changed", "host missing", "nothing failed"],
)
def test_the_recap_check_fails_on(tmp_path: Path, stdout: str):
    path = inventory(tmp_path, lambda d: None)
    assert_untouched(fake_run(RECAP_OK), path, refused=True)
    with pytest.raises(AssertionError):
        assert_untouched(fake_run(stdout), path, refused=True)


def test_good_input_passes(tmp_path: Path):
    path = inventory(tmp_path, lambda d: None)
    result = preflight(path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert_untouched(result, path, refused=False)


def test_good_kraft_input_passes(tmp_path: Path):
    path = inventory(tmp_path, lambda d: None, KRAFT)
    result = preflight(path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert_untouched(result, path, refused=False)


def set_host(host: str, key: str, value):
    def change(data):
        data[host][key] = value

    return change


def set_all(key: str, value):
    def change(data):
        data["all"]["vars"][key] = value

    return change


def drop_zookeeper(name: str):
    def change(data):
        del data["all"]["children"]["zookeeper"]["hosts"][name]

    return change


CASES = {
    "duplicate myid": (set_host("n3", "zookeeper_myid", 1), "n3 and n1 share zookeeper_myid 1"),
    "myid out of range": (
        set_host("n2", "zookeeper_myid", 300),
        "n2: zookeeper_myid must be an integer between 1 and 255, got 300",
    ),
    "even ensemble": (drop_zookeeper("n3"), "group zookeeper has 2 members"),
    "duplicate broker id": (set_host("n2", "kafka_broker_id", 1), "n2 and n1 share kafka_broker_id 1"),
    "missing address": (lambda d: d["n2"].pop("kafka_host_address"), "kafka_host_address"),
    "replication above brokers": (
        set_all("kafka_default_replication_factor", 4),
        "kafka_default_replication_factor=4",
    ),
    "bad listener protocol": (
        set_all("kafka_listeners", [{"name": "CLIENT", "port": 9092, "protocol": "HTTP"}]),
        "kafka_listeners",
    ),
    "listener name missing": (
        set_all("kafka_listeners", [{"name": "CLIENT", "port": 9092, "protocol": "PLAINTEXT"}]),
        "kafka_listeners: kafka_inter_broker_listener=INTERNAL names no listener.",
    ),
    "metrics port on a listener": (
        set_all("kafka_metrics_port", 9092),
        "kafka_metrics_port=9092 is a port a listener or ZooKeeper binds; pick another.",
    ),
    "one metrics port for two agents": (
        lambda d: d["all"]["vars"].update(kafka_metrics_port=7071, zookeeper_metrics_port=7071),
        "kafka_metrics_port and zookeeper_metrics_port are both 7071",
    ),
    "tls renewed on every run": (
        lambda d: d["all"]["vars"].update(
            kafka_listeners=[
                {"name": "INTERNAL", "port": 9091, "protocol": "SSL"},
                {"name": "CLIENT", "port": 9092, "protocol": "PLAINTEXT"},
            ],
            kafka_tls_validity_days=30,
            kafka_tls_ca_cert="/nonexistent/ca.crt",
        ),
        "kafka_tls_ca_cert and kafka_tls_ca_key: set both (your own CA) or neither (the toolkit creates one "
        "in kafka_tls_dir); /nonexistent/ca.crt is no file on the control node; kafka_tls_renew_days=30 must "
        "be 1 to kafka_tls_validity_days - 1 (29), or every run would issue new certificates.",
    ),
    "heap above memory": (set_all("kafka_heap_mb", 100_000_000), "kafka_heap_mb=100000000"),
    "zookeeper heap above memory": (set_all("zookeeper_heap_mb", 100_000_000), "zookeeper_heap_mb=100000000"),
    "neither zookeeper nor controller hosts": (
        lambda d: d["all"]["children"].pop("zookeeper"),
        "the inventory has no hosts in group zookeeper or controller",
    ),
    "kafka 4 in zookeeper mode": (
        set_all("kafka_version", "4.4.0"),
        "is KRaft-only (Kafka 4.0 removed ZooKeeper mode) and this cluster runs ZooKeeper",
    ),
    "zookeeper and controller hosts outside a migration": (
        lambda d: (
            d["all"]["children"].update(controller={"hosts": {"n1": None}}) or d["n1"].update(kafka_node_id=1)
        ),
        "the inventory has hosts in both zookeeper (n1, n2, n3) and controller (n1)",
    ),
    "topic replication above brokers": (
        set_all("kafka_topics", [{"name": "t", "replication_factor": 5}]),
        "topic 't': replication_factor 5 is above the 3 live broker(s)",
    ),
    "consumer without group.id": (
        set_all("kafka_client_profiles", [{"name": "c", "type": "consumer"}]),
        "consumer profile c needs group.id",
    ),
    "unknown auto.offset.reset": (
        set_all(
            "kafka_client_profiles",
            [{"name": "c", "type": "consumer", "group.id": "g", "auto.offset.reset": "oldest"}],
        ),
        "auto.offset.reset",
    ),
    "non-positive size": (
        set_all("kafka_client_profiles", [{"name": "p", "type": "producer", "batch.size": 0}]),
        "profile p: batch.size must be positive, not 0.",
    ),
    "non-canonical broker id": (
        set_host("n2", "kafka_broker_id", "02"),
        "kafka_broker_id must be an integer",
    ),
    "managed broker key": (
        set_all("kafka_server_properties", {"broker.id": 7, "log.retention.hours": 1}),
        "kafka_server_properties may not set broker.id (set kafka_broker_id (EC2 tag kafka:broker-id) "
        "instead):",
    ),
    "managed listener key": (
        set_all("kafka_server_properties", {"advertised.listeners": "CLIENT://x:1"}),
        "may not set advertised.listeners (set kafka_listeners (advertise, advertised_port) instead)",
    ),
    "managed zookeeper key": (
        set_all("zookeeper_extra_config", {"server.1": "x:1:2", "dataDir": "/tmp"}),
        "zookeeper_extra_config may not set dataDir (set zookeeper_data_dir instead); "
        "server.1 (set the hosts",
    ),
    "public address missing": (
        set_all(
            "kafka_listeners",
            [
                {"name": "INTERNAL", "port": 9091, "protocol": "PLAINTEXT"},
                {"name": "CLIENT", "port": 9092, "protocol": "PLAINTEXT"},
                {"name": "EXTERNAL", "port": 9093, "protocol": "PLAINTEXT", "advertise": "public-dns"},
            ],
        ),
        "n1: listener EXTERNAL advertises public-dns, but kafka_ec2_public_dns_name is unset",
    ),
    "java too old for kafka": (set_all("java_version", 8), "needs Java 11 or newer, and java_version is 8"),
}


def drop_controller(name: str):
    def change(data):
        del data["all"]["children"]["controller"]["hosts"][name]

    return change


# A further controller listener (kafka_controller_extra_listeners), as a switch to SASL_SSL has it.
CONTROLLER_SASL = {"name": "CONTROLLER_SASL", "port": 9096, "protocol": "SASL_SSL"}

KRAFT_CASES = {
    "even voter set": (
        drop_controller("n3"),
        "group controller has 2 hosts (n1, n2); a KRaft quorum needs an odd",
    ),
    "controller without node id": (
        lambda d: d["n2"].pop("kafka_node_id"),
        "n2: a controller needs kafka_node_id (EC2 tag kafka:node-id)",
    ),
    "colliding node ids": (set_host("n3", "kafka_node_id", 1), "n3"),
    "controller id equal to a broker id": (
        lambda d: (
            d["all"]["children"]["broker"]["hosts"].update(n4=None)
            or d.update(n4={"kafka_host_address": "127.0.0.4", "kafka_broker_id": 2})
        ),
        "n4",
    ),
    "controller listener is a broker listener": (
        set_all("kafka_controller_listener", {"name": "INTERNAL", "port": 9093, "protocol": "PLAINTEXT"}),
        "its name INTERNAL is also a broker listener in kafka_listeners",
    ),
    "controller port taken on combined nodes": (
        set_all("kafka_controller_listener", {"name": "CONTROLLER", "port": 9092, "protocol": "PLAINTEXT"}),
        "its port is also a broker listener port on the combined nodes n1, n2, n3",
    ),
    "unknown quorum kind": (set_all("kafka_controller_quorum", "elastic"), "kafka_controller_quorum"),
    "further controller listener on a broker listener's name": (
        set_all("kafka_controller_extra_listeners", [{"name": "CLIENT", "port": 9096, "protocol": "SSL"}]),
        "kafka_controller_extra_listeners[0]={'name': 'CLIENT', 'port': 9096, 'protocol': 'SSL'}: "
        "its name CLIENT is also a broker listener in kafka_listeners",
    ),
    "further controller listener with a dynamic quorum": (
        lambda d: d["all"]["vars"].update(
            kafka_controller_quorum="dynamic",
            kafka_controller_extra_listeners=[{**CONTROLLER_SASL, "protocol": "PLAINTEXT"}],
        ),
        "its controller listener is not switched this way (kafka_controller_quorum: static is)",
    ),
    "further sasl controller listener without the admin password": (
        set_all("kafka_controller_extra_listeners", [CONTROLLER_SASL]),
        "a listener uses SASL: set kafka_sasl_admin_password",
    ),
    "authorizer with a sasl controller listener only as a further one": (
        lambda d: d["all"]["vars"].update(
            kafka_listeners=[
                {"name": "INTERNAL", "port": 9091, "protocol": "SASL_SSL"},
                {"name": "CLIENT", "port": 9092, "protocol": "SASL_SSL"},
            ],
            kafka_sasl_admin_password="Pw-for-the-test-1",
            kafka_authorizer=True,
            kafka_controller_extra_listeners=[CONTROLLER_SASL],
        ),
        "kafka_authorizer needs kafka_controller_listener on SASL_SSL or SASL_PLAINTEXT",
    ),
    "kraft on an old release": (set_all("kafka_version", "3.8.1"), "KRaft mode needs Kafka 3.9 or newer"),
    # upgrade.yml's "Java too old for the target" is this preflight check
    "java too old for kafka 4": (
        set_all("java_version", 11),
        "Kafka 4.4.0 needs Java 17 or newer, and java_version is 11",
    ),
    "key removed in kafka 4": (
        set_all("kafka_server_properties", {"inter.broker.protocol.version": "3.9"}),
        "kafka_server_properties sets inter.broker.protocol.version (Kafka 4.4.0 removed it;",
    ),
    "authorizer without sasl": (
        set_all("kafka_authorizer", True),
        "kafka_authorizer needs kafka_inter_broker_listener (INTERNAL) on SASL_SSL or SASL_PLAINTEXT",
    ),
    "everyone allowed without the authorizer": (
        set_all("kafka_allow_everyone_if_no_acl", True),
        "kafka_allow_everyone_if_no_acl applies only with kafka_authorizer",
    ),
    "sasl listener without the admin password": (
        set_all(
            "kafka_listeners",
            [
                {"name": "INTERNAL", "port": 9091, "protocol": "PLAINTEXT"},
                {"name": "CLIENT", "port": 9092, "protocol": "SASL_SSL"},
            ],
        ),
        "a listener uses SASL: set kafka_sasl_admin_password",
    ),
    "acl operation the resource does not take": (
        set_all(
            "kafka_acls",
            [
                {
                    "principal": "User:alice",
                    "resource_type": "group",
                    "resource_name": "g",
                    "operations": ["write"],
                }
            ],
        ),
        "kafka_acls: acls[0] (User:alice on group g): write is not an operation on a group",
    ),
    "profile user not declared": (
        lambda d: d["all"]["vars"]["kafka_client_profiles"][0].update(user="carol"),
        "profile p names a user that kafka_sasl_users does not declare present",
    ),
}


@pytest.mark.parametrize("case", sorted(KRAFT_CASES))
def test_bad_kraft_input_fails_naming_the_variable(tmp_path: Path, case: str):
    change, message = KRAFT_CASES[case]
    path = inventory(tmp_path, change, KRAFT)
    result = preflight(path)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert message in output, output[-3000:]
    assert_untouched(result, path, refused=True)


# Rules that must not be printed when only the case's own rule is broken.
SILENT = ("collide", "allow_delete", "must be unique", "must be positive")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_naming_the_variable(tmp_path: Path, case: str):
    change, message = CASES[case]
    path = inventory(tmp_path, change)
    result = preflight(path)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert message in output, output[-3000:]
    failed = output[output.index("[ERROR]") :] if "[ERROR]" in output else output
    for rule in SILENT:
        assert rule not in failed.split("PLAY RECAP")[0] or rule in message, failed[:1500]
    assert_untouched(result, path, refused=True)


# preflight.yml as migrate_to_kraft.yml, rollback_migration.yml and retire_zookeeper.yml import it.
MIGRATION_RUN = ("-e", "_kafka_migration_run=true")

MIGRATION_CASES = {
    "no controllers": (
        lambda d: d["all"]["children"].pop("controller"),
        "the inventory has no KRaft controllers",
    ),
    "kafka 3.8": (set_all("kafka_version", "3.8.1"), "kafka_version=3.8.1: a migration runs on Kafka 3.9"),
    "combined nodes": (
        lambda d: (
            d["all"]["children"]["broker"]["hosts"].update(n4=None) or d["n4"].update(kafka_broker_id=4)
        ),
        "combined broker-controller nodes (n4) are not a migration target",
    ),
    "dynamic quorum": (
        set_all("kafka_controller_quorum", "dynamic"),
        "kafka_controller_quorum=dynamic: Kafka 3.9 migrates to a static quorum only",
    ),
    "broker node id not its broker id": (
        set_host("n2", "kafka_node_id", 7),
        "n2: kafka_node_id=7 is not its kafka_broker_id=2",
    ),
}


# A migration to controllers that run as second processes on the brokers' instances (n1c..n3c on n1..n3).
COLOCATED = copy.deepcopy(MIGRATION)
COLOCATED["all"]["children"]["controller"] = {"hosts": {f"n{i}c": None for i in (1, 2, 3)}}
del COLOCATED["n4"]
for _i in (1, 2, 3):
    COLOCATED[f"n{_i}c"] = {
        "kafka_host_address": f"127.0.0.{_i}",
        "kafka_node_id": 10 + _i,
        "kafka_colocated_with": f"n{_i}",
        "kafka_metrics_port": 7073,
    }

COLOCATED_CASES = {
    "shared metrics port": (
        set_all("kafka_metrics_port", 7073),
        "kafka on n1c: kafka_colocated_with=n1: kafka_metrics_port 7073 is also n1's kafka_metrics_port",
    ),
    "shared data folder": (
        set_host("n2c", "kafka_log_dirs", ["/var/lib/kafka/data/controller"]),
        "kafka_log_dirs /var/lib/kafka/data/controller overlaps n2's kafka_log_dirs /var/lib/kafka/data",
    ),
    "not a broker": (
        set_host("n3c", "kafka_colocated_with", "n9"),
        "kafka on n3c: kafka_colocated_with=n9 must name a broker of the inventory",
    ),
}

# Each case with the inventory it changes: the dedicated controller's, or the co-located controllers'.
MIGRATION_RUN_CASES = {name: (MIGRATION, *case) for name, case in MIGRATION_CASES.items()} | {
    f"beside the brokers, {name}": (COLOCATED, *case) for name, case in COLOCATED_CASES.items()
}


@pytest.mark.parametrize(
    "base", [MIGRATION, COLOCATED], ids=["dedicated controller", "controllers beside the brokers"]
)
def test_a_migration_inventory_passes_in_a_migration_run(tmp_path: Path, base: dict):
    path = inventory(tmp_path, lambda d: None, base)
    result = preflight(path, *MIGRATION_RUN)
    assert result.returncode == 0, result.stdout[-3000:]
    assert_untouched(result, path, refused=False)


@pytest.mark.parametrize("case", sorted(MIGRATION_RUN_CASES))
def test_bad_migration_input_fails_naming_the_fix(tmp_path: Path, case: str):
    base, change, message = MIGRATION_RUN_CASES[case]
    path = inventory(tmp_path, change, base)
    result = preflight(path, *MIGRATION_RUN)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert message in output, output[-3000:]
    assert_untouched(result, path, refused=True)


def test_a_bad_password_is_refused_without_being_printed(tmp_path: Path):
    secret = 'pa"ss-Q7x'
    path = inventory(
        tmp_path,
        lambda d: d["all"]["vars"].update(kafka_sasl_users=[{"name": "alice", "password": secret}]),
        KRAFT,
    )
    result = preflight(path, "-v")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "kafka_sasl_users[0] (alice): the password holds a double quote" in " ".join(output.split())
    assert secret not in output and "Q7x" not in output
    assert_untouched(result, path, refused=True)
