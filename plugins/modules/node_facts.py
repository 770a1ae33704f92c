"""node_facts: the few host facts the roles read, without the cost of a full fact gathering."""

from __future__ import annotations

DOCUMENTATION = r"""
module: node_facts
short_description: Read the distribution and memory facts the roles use, in one quick module run
description:
  - Sets C(ansible_facts.distribution), C(distribution_version), C(distribution_major_version),
    C(distribution_release), C(os_family) (computed by Ansible's own distribution fact collector, so
    the values are those of M(ansible.builtin.setup)) and C(memtotal_mb) (C(MemTotal) of C(/proc/meminfo),
    in MiB, as M(ansible.builtin.setup)'s hardware facts give it).
  - Sets C(ansible_facts.kafka_aws_java), the home and major version of the Java on C(PATH), read as
    M(kafka_aws.kafka.java_facts) reads them (from its files; the JVM asked only without them), so that a
    run whose preflight read them needs no second round trip for them in the java role.
  - M(ansible.builtin.setup) with the C(hardware) subset also reads every mount, device and DMI table;
    this module reads two files, about a second less per run on a busy host.
  - Never changes anything.
version_added: "0.6.0"
author: kafka-aws
options: {}
"""

EXAMPLES = r"""
- name: Read the facts the checks use
  kafka_aws.kafka.node_facts:
"""

RETURN = r"""
ansible_facts:
  description: >-
    distribution, distribution_version, distribution_major_version, distribution_release,
    os_family, memtotal_mb, and kafka_aws_java ({java_home, java_major_version, source}: empty, 0 and
    none without a java on PATH).
  type: dict
  returned: always
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.facts.system.distribution import DistributionFactCollector
from ansible_collections.kafka_aws.kafka.plugins.module_utils import java_home

KEYS = (
    "distribution",
    "distribution_version",
    "distribution_major_version",
    "distribution_release",
    "os_family",
)


def memtotal_mb(meminfo: str) -> int | None:
    """MemTotal in MiB (kB // 1024, as Ansible's hardware facts compute it); None when absent."""
    for line in meminfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "MemTotal":
            return int(value.split()[0]) // 1024
    return None


def main() -> None:
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    collected = DistributionFactCollector().collect(module=module)
    facts: dict[str, Any] = {key: collected[key] for key in KEYS if key in collected}
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            memory = memtotal_mb(meminfo.read())
    except OSError:
        memory = None
    if memory is not None:
        facts["memtotal_mb"] = memory
    facts["kafka_aws_java"] = java_home.read(module)
    module.exit_json(changed=False, ansible_facts=facts)


if __name__ == "__main__":
    main()
