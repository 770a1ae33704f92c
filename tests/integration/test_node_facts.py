"""node_facts: the facts the roles read, equal to what ansible.builtin.setup gives, on this machine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.ansible_run import ansible_tool, load_collections, module_result

load_collections()

from ansible_collections.kafka_aws.kafka.plugins.module_utils import java_home  # noqa: E402
from ansible_collections.kafka_aws.kafka.plugins.modules import node_facts  # noqa: E402

pytestmark = pytest.mark.integration


def facts(module: str, *args: str) -> dict:
    return module_result(module, *args)["ansible_facts"]


def test_same_values_as_setup():
    ours = facts("kafka_aws.kafka.node_facts")
    # setup names its facts with the ansible_ prefix in a module result (ansible_facts drops it)
    setup = {
        k.removeprefix("ansible_"): v
        for k, v in facts("ansible.builtin.setup", "-a", "gather_subset=min,hardware").items()
    }
    names = [*node_facts.KEYS, "memtotal_mb"]
    assert {name: ours.get(name) for name in names} == {name: setup.get(name) for name in names}
    assert set(ours) == {*names, "kafka_aws_java"} and ours["os_family"] and ours["memtotal_mb"] > 0


def test_memtotal_in_mib():
    assert node_facts.memtotal_mb("MemTotal:       24558332 kB\nMemFree: 1 kB\n") == 24558332 // 1024
    assert node_facts.memtotal_mb("MemFree: 1 kB\n") is None


# java_facts (module_utils/java_home): the Java home and version from the files of the java on PATH, the JVM
# asked only without them.
FAKE_JVM = """#!/bin/sh
: > "{home}/bin/started"  # the shell's own redirection: PATH holds no touch
echo '    java.home = {home}' >&2
echo '    java.specification.version = {version}' >&2
"""


def fake_java(home: Path, version: str = "21", release: str | None = None) -> Path:
    """<home>/bin/java, a script printing the JVM's settings and leaving a mark that it ran."""
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(FAKE_JVM.format(home=home, version=version))
    java.chmod(0o755)
    if release is not None:
        (home / "release").write_text(f'IMPLEMENTOR="Debian"\nJAVA_VERSION="{release}"\nOS_NAME="Linux"\n')
    return java


def on_path(tmp_path: Path, java: Path | None) -> dict:
    """Run java_facts with PATH holding only a folder with `java` linked the way alternatives link it."""
    path = tmp_path / "path"
    path.mkdir()
    if java is not None:
        (tmp_path / "alternative").symlink_to(java)
        (path / "java").symlink_to(tmp_path / "alternative")
    return module_result("kafka_aws.kafka.java_facts", env={"PATH": str(path)})


def test_java_read_from_its_release_file_without_a_jvm(tmp_path):
    home = tmp_path / "usr" / "lib" / "jvm" / "java-17-openjdk-amd64"
    java = fake_java(home, release="17.0.21.1")
    found = on_path(tmp_path, java)
    assert (found["java_home"], found["java_major_version"], found["source"]) == (str(home), 17, "release")
    assert not (home / "bin" / "started").exists() and found["changed"] is False


def test_java_8_jre_reads_the_release_file_of_its_jdk(tmp_path):
    jdk = tmp_path / "jvm" / "java-8-openjdk"
    java = fake_java(jdk / "jre", release=None)
    (jdk / "release").write_text('JAVA_VERSION="1.8.0_402"\n')
    found = on_path(tmp_path, java)
    assert (found["java_home"], found["java_major_version"], found["source"]) == (
        str(jdk / "jre"),
        8,
        "release",
    )


def test_java_without_a_release_file_asks_the_jvm(tmp_path):
    home = tmp_path / "opt" / "java"
    java = fake_java(home, version="21")
    found = on_path(tmp_path, java)
    assert (found["java_home"], found["java_major_version"], found["source"]) == (str(home), 21, "jvm")
    assert (home / "bin" / "started").exists()


def test_no_java_on_path_is_version_0(tmp_path):
    found = on_path(tmp_path, None)
    assert (found["java_home"], found["java_major_version"], found["source"]) == ("", 0, "none")


@pytest.mark.parametrize(
    ("version", "major"),
    [("1.8.0_402", 8), ("17.0.21.1", 17), ("21", 21), ('"11.0.2"', 11), ("", 0), ("x", 0)],
)
def test_java_major_version(version, major):
    assert java_home.major_version(version) == major


def test_node_facts_read_the_same_java_in_the_same_round_trip(tmp_path):
    home = tmp_path / "usr" / "lib" / "jvm" / "java-21-openjdk-amd64"
    java = fake_java(home, release="21.0.5")
    on_path(tmp_path, java)
    found = module_result("kafka_aws.kafka.node_facts", env={"PATH": str(tmp_path / "path")})["ansible_facts"]
    assert found["kafka_aws_java"] == {"java_home": str(home), "java_major_version": 21, "source": "release"}
    assert not (home / "bin" / "started").exists()


WAIT_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - {name: done, command: sleep 1, async: 60, poll: 0, register: done}
    - {name: broken, command: "sh -c 'sleep 1; exit 3'", async: 60, poll: 0, register: broken}
    - {name: slow, command: sleep 20, async: 60, poll: 0, register: slow}
    - name: wait done
      kafka_aws.kafka.java_facts: {job: "{{ done.ansible_job_id }}", async_dir: "{{ async_dir }}"}
    - name: wait broken
      kafka_aws.kafka.java_facts: {job: "{{ broken.ansible_job_id }}", async_dir: "{{ async_dir }}"}
      ignore_errors: true
    - name: wait slow
      kafka_aws.kafka.java_facts: {job: "{{ slow.ansible_job_id }}", async_dir: "{{ async_dir }}", timeout: 1}
      ignore_errors: true
    - name: wait gone
      kafka_aws.kafka.java_facts: {job: "{{ done.ansible_job_id }}", async_dir: "{{ async_dir }}"}
      ignore_errors: true
"""


def test_java_facts_waits_for_a_background_job_in_the_same_run(tmp_path):
    """With `job`, java_facts returns once the job ended, with its change and the facts; a failed job fails
    with the job's message, one still running past `timeout` fails saying so, a job already collected too."""
    (tmp_path / "play.yml").write_text(WAIT_PLAY)
    jobs = tmp_path / "async"
    env = {"ANSIBLE_ASYNC_DIR": str(jobs), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}
    run = ansible_tool(
        "ansible-playbook",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"async_dir={jobs}",
        str(tmp_path / "play.yml"),
        env=env | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
    )
    results = {
        t["task"]["name"]: t["hosts"]["localhost"] for t in json.loads(run.stdout)["plays"][0]["tasks"]
    }
    done = results["wait done"]
    assert done["changed"] is True and done["java_home"] is not None and "failed" not in done
    assert not (jobs / results["done"]["ansible_job_id"]).exists()  # collected: its result file is removed
    assert results["wait broken"]["failed"] and "non-zero return code" in results["wait broken"]["msg"]
    assert results["wait broken"]["job_result"]["rc"] == 3
    assert results["wait slow"]["failed"] and "did not end within 1s" in results["wait slow"]["msg"]
    assert results["wait gone"]["failed"] and "no background job writes" in results["wait gone"]["msg"]
