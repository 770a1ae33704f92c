"""node_facts: the facts the roles read, equal to what ansible.builtin.setup gives, on this machine."""

from __future__ import annotations

import json
import sys

import pytest

from tests.ansible_run import ansible_tool
from tests.unit.conftest import load

pytestmark = pytest.mark.integration
node_facts = load("plugins/modules/node_facts.py", "node_facts_module")
PYTHON = f"ansible_python_interpreter={sys.executable}"


def facts(module: str, *args: str) -> dict:
    env = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    command = ("localhost", "-c", "local", "-e", PYTHON, "-m", module, *args)
    result = ansible_tool("ansible", *command, env=env, check=True)
    play = json.loads(result.stdout)["plays"][0]
    return play["tasks"][0]["hosts"]["localhost"]["ansible_facts"]


def test_same_values_as_setup():
    ours = facts("kafka_aws.kafka.node_facts")
    # setup names its facts with the ansible_ prefix in a module result (ansible_facts drops it)
    setup = {
        k.removeprefix("ansible_"): v
        for k, v in facts("ansible.builtin.setup", "-a", "gather_subset=min,hardware").items()
    }
    names = [*node_facts.KEYS, "memtotal_mb"]
    assert {name: ours.get(name) for name in names} == {name: setup.get(name) for name in names}
    assert set(ours) == set(names) and ours["os_family"] and ours["memtotal_mb"] > 0


def test_memtotal_in_mib():
    assert node_facts.memtotal_mb("MemTotal:       24558332 kB\nMemFree: 1 kB\n") == 24558332 // 1024
    assert node_facts.memtotal_mb("MemFree: 1 kB\n") is None
