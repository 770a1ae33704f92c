"""The rules of a rolling Kafka upgrade: which release steps are allowed, from what the nodes run."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.module_utils import kafka_features

DOCUMENTATION = r"""
name: upgrade
short_description: Whether a KRaft cluster may be rolled to a Kafka release
description:
  - C(kafka_release_of(text)) the Kafka version of the first release directory named in C(text), a path
    or a process's command line (C(/opt/kafka_2.13-3.9.2), or
    C(java -cp /opt/kafka_2.13-3.9.2/bin/../libs/a.jar), gives C(3.9.2)); empty when it names no release.
  - >-
    C(upgrade_problems(running, target)) from C({host: version running, empty when none}) and the target
    version, one message per refused step - a node that runs no Kafka (start or deploy it first), a downgrade,
    a skipped major line, or Kafka 4 from a release older than 3.3 (upgrade to 3.9 first). Empty when the
    upgrade may go ahead.
  - C(metadata_version_problem(describe, target)) for a target of Kafka 4 or later, a message when the
    cluster's finalized metadata.version in C(kafka-features.sh describe)'s output C(describe) (for example
    C(3.9-IV0); read by the parser the kafka_features module uses) is older than C(3.3-IV3), the oldest
    Kafka 4 reads, or absent; empty otherwise.
"""

RELEASE = re.compile(r"/kafka_\d+\.\d+-(\d+\.\d+\.\d+)(?:/|$)")
METADATA_VERSION = re.compile(r"^(\d+)\.(\d+)-IV(\d+)$")
# Kafka 4 starts from a 3.3+ KRaft cluster (its upgrade notes): the software and metadata versions.
KAFKA4_FROM = (3, 3)
KAFKA4_METADATA_FROM = (3, 3, 3)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def kafka_release_of(path: str) -> str:
    match = RELEASE.search(str(path or ""))
    return match.group(1) if match else ""


def step_problem(current: str, target: str) -> str | None:
    """Why one node may not go from `current` to `target`, or None."""
    have, want = version_tuple(current), version_tuple(target)
    if want < have:
        return f"runs {current}, newer than kafka_version {target}: upgrade.yml does not downgrade"
    if want[0] > have[0] + 1:
        return f"runs {current}: upgrade to the last {have[0] + 1}.x first, then to {target}"
    if want[0] >= 4 > have[0] and have[:2] < KAFKA4_FROM:
        return f"runs {current}: Kafka {target} upgrades from 3.3 or later; upgrade to 3.9 first"
    return None


def upgrade_problems(running: Mapping[str, str], target: str) -> list[str]:
    problems = []
    for host in sorted(running):
        current = str(running[host] or "")
        if not current:
            problems.append(f"{host} runs no Kafka: start it (or deploy it with site.yml) first")
            continue
        problem = step_problem(current, str(target))
        if problem:
            problems.append(f"{host} {problem}")
    return problems


def finalized_metadata_version(describe: str) -> str:
    """The cluster's finalized metadata.version in `kafka-features.sh describe` output ('' when absent)."""
    try:
        return kafka_features.parse_describe(str(describe or "")).get(kafka_features.METADATA_VERSION, "")
    except ValueError:
        return ""


def metadata_version_problem(describe: str, target: str) -> str:
    if version_tuple(str(target))[0] < 4:
        return ""
    finalized = finalized_metadata_version(describe)
    match = METADATA_VERSION.match(str(finalized).strip())
    if match and tuple(int(part) for part in match.groups()) >= KAFKA4_METADATA_FROM:
        return ""
    return (
        f"the cluster's metadata.version is {finalized or 'unknown'}; Kafka {target} needs 3.3-IV3 or later. "
        "Finalize the running release first: ansible-playbook playbooks/finalize_features.yml"
    )


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "kafka_release_of": kafka_release_of,
            "upgrade_problems": upgrade_problems,
            "metadata_version_problem": metadata_version_problem,
        }
