"""Every task of the roles and playbooks that starts one of Kafka's command-line tools runs it with the
tools' JVM flags: `environment: "{{ _kafka_tool_environment }}"` on the task, on a block around it or on
its play. A tool call added without it would start a JVM with Kafka's server defaults beside the brokers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.unit.conftest import ROOT

ENVIRONMENT = "{{ _kafka_tool_environment }}"
# what names a tool in a command, a shell script or a gate's check
TOOL_MARKERS = ("_kafka_bin", "_kafka_zookeeper_shell", "_kafka_partitions_tool")
RUNNERS = ("ansible.builtin.command", "ansible.builtin.shell")
# modules that start the tools themselves (kafka_topic only with client: cli)
TOOL_MODULES = ("kafka_aws.kafka.service_gate", "kafka_aws.kafka.kafka_features")
BLOCK_KEYS = ("block", "rescue", "always")


def task_files() -> list[Path]:
    return sorted((ROOT / "roles").glob("*/tasks/*.yml")) + sorted((ROOT / "playbooks").glob("*.yml"))


def walk(tasks: list[dict[str, Any]], inherited: bool) -> Iterator[tuple[dict[str, Any], bool]]:
    """Each task with whether it runs with the tools' environment (its own, or a block's around it)."""
    for task in tasks or []:
        covered = inherited or task.get("environment") == ENVIRONMENT
        if any(key in task for key in BLOCK_KEYS):
            for key in BLOCK_KEYS:
                yield from walk(task.get(key) or [], covered)
        else:
            yield task, covered


def tasks_of(path: Path) -> Iterator[tuple[dict[str, Any], bool]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if path.parent.name == "playbooks":
        for play in document:
            play_covered = play.get("environment") == ENVIRONMENT
            for key in ("pre_tasks", "tasks", "post_tasks"):
                yield from walk(play.get(key) or [], play_covered)
    else:
        yield from walk(document, False)


def starts_a_tool(task: dict[str, Any]) -> bool:
    if any(module in task for module in TOOL_MODULES):
        return True
    topic = task.get("kafka_aws.kafka.kafka_topic")
    if isinstance(topic, dict) and topic.get("client") == "cli":
        return True
    commands = [yaml.safe_dump(task[runner]) for runner in RUNNERS if runner in task]
    return any(marker in command for command in commands for marker in TOOL_MARKERS)


def test_every_tool_call_runs_with_the_tools_jvm_flags():
    calls = [(path, task, ok) for path in task_files() for task, ok in tasks_of(path) if starts_a_tool(task)]
    uncovered = [f"{path.relative_to(ROOT)}: {task.get('name')}" for path, task, ok in calls if not ok]
    assert not uncovered, f"tasks that start a Kafka tool without environment: {ENVIRONMENT}: {uncovered}"
    # the scan finds the calls it is about (a renamed marker would make it pass on nothing)
    assert len(calls) >= 20


def test_the_tools_jvm_flags_are_for_short_lived_jvms():
    common = yaml.safe_load((ROOT / "roles/_common/vars/main.yml").read_text(encoding="utf-8"))
    flags = common["_kafka_tool_environment"]["KAFKA_JVM_PERFORMANCE_OPTS"].split()
    assert "-XX:TieredStopAtLevel=1" in flags and "-XX:+UseSerialGC" in flags
