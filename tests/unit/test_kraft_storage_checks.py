"""The kafka role's KRaft storage checks (tasks/kraft_storage_checks.yml) on what the nodes' disks
hold, run through ansible-playbook with the probe's result set per host: nodes that disagree on the
cluster id are refused naming the hosts, no id is minted while part of the cluster is outside the
run, an empty controller of an existing quorum is refused, and an added node joins the one id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.unit.conftest import ansible_playbook
from tests.unit.test_preflight import recap

META = "/var/lib/kafka/data/meta.properties"
PLAY = """
- name: The storage checks, on what the probe read
  hosts: controller:broker
  gather_facts: false
  tasks:
    - name: Set what tasks/probe.yml would have read
      ansible.builtin.set_fact:
        _kafka_host: {files: "{{ disks[inventory_hostname] }}"}
    - name: Run the checks
      ansible.builtin.include_role:
        name: kafka_aws.kafka.kafka
        tasks_from: kraft_storage_checks
"""


def meta(cluster_id: str, node_id: int) -> str:
    return f"#\nnode.id={node_id}\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAA\nversion=1\ncluster.id={cluster_id}\n"


def run(tmp_path: Path, disks: dict[str, str | None], *extra: str) -> tuple[subprocess.CompletedProcess, str]:
    """Controllers n1-n3, broker n4; each host's metadata directory holds disks[host] (None: empty)."""
    hosts = {f"n{i}": {"kafka_host_address": f"127.0.0.{i}", "kafka_node_id": i} for i in (1, 2, 3, 4)}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "kafka_cluster_name": "storage",
                "disks": {host: {META: content} for host, content in disks.items()},
            },
            "children": {
                "controller": {"hosts": {h: hosts[h] for h in ("n1", "n2", "n3")}},
                "broker": {"hosts": {"n4": hosts["n4"]}},
            },
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(PLAY)
    result = ansible_playbook("-i", "inventory.yml", "play.yml", *extra, cwd=tmp_path)
    return result, " ".join(result.stdout.split())


def failed_hosts(result: subprocess.CompletedProcess) -> list[str]:
    return sorted(host for host, counters in recap(result.stdout).items() if counters["failed"])


def test_one_cluster_id_and_an_added_broker_pass(tmp_path):
    result, _ = run(tmp_path, {"n1": meta("A", 1), "n2": meta("A", 2), "n3": meta("A", 3), "n4": None})
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_new_cluster_passes(tmp_path):
    result, _ = run(tmp_path, dict.fromkeys(("n1", "n2", "n3", "n4")))
    assert result.returncode == 0, result.stdout[-3000:]


def test_nodes_that_disagree_on_the_cluster_id_are_refused_naming_them(tmp_path):
    result, output = run(
        tmp_path, {"n1": meta("A", 1), "n2": meta("A", 2), "n3": meta("B", 3), "n4": meta("A", 4)}
    )
    assert result.returncode != 0 and failed_hosts(result)
    assert "the nodes hold different cluster ids: A on n1, n2, n4; B on n3" in output, output[-3000:]


def test_no_id_is_minted_while_part_of_the_cluster_is_outside_the_run(tmp_path):
    result, output = run(tmp_path, dict.fromkeys(("n1", "n2", "n3", "n4")), "--limit", "n1,n2,n4")
    assert result.returncode != 0
    assert "no node in this run holds a cluster id, and n3 are outside the run" in output, output[-3000:]


def test_an_empty_controller_of_an_existing_quorum_is_refused(tmp_path):
    result, output = run(tmp_path, {"n1": meta("A", 1), "n2": None, "n3": meta("A", 3), "n4": meta("A", 4)})
    assert failed_hosts(result) == ["n2"]
    assert "controller 2 has no meta.properties in its metadata directory /var/lib/kafka/data" in output
    assert "add-controller" in output
