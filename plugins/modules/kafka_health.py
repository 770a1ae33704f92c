"""kafka_health: the cluster's health from its nodes' Prometheus metrics, read once, as a table."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_health
short_description: Read the cluster's health from the JMX exporter agents of its nodes, once
description:
  - Scrapes each Kafka node's and ZooKeeper member's Prometheus JMX exporter agent (kafka_metrics_port,
    zookeeper_metrics_port) once, from the host it runs on, and reports one row per node and the
    problems found. Fails when there is any, unless O(fail_on_problems=false).
  - >-
    Kafka is healthy when every node answers, every broker runs (C(BrokerState) 3), no partition is
    under-replicated, under min ISR or offline, and one controller is active (at most one among the KRaft
    controllers and at most one among the other nodes: part-way through a migration to KRaft each side
    has one until the KRaft controller takes over). ZooKeeper is
    healthy when every member answers and serves, with exactly one leader.
  - The same rules as kafka_aws.kafka.service_gate's O(kafka_aws.kafka.service_gate#module:metrics).
  - Never changes anything.
version_added: "0.5.0"
author: kafka-aws
options:
  kafka:
    description: The Kafka nodes (brokers and controllers).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: The node's name., type: str, required: true}
      url: {description: Its metrics URL., type: str, required: true}
      broker: {description: Whether it is a broker., type: bool, default: true}
      controller: {description: Whether it is a KRaft controller., type: bool, default: false}
      required: {description: Whether a node that does not answer is a problem., type: bool, default: true}
  zookeeper:
    description: The ZooKeeper members (none in KRaft).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: The member's name., type: str, required: true}
      url: {description: Its metrics URL., type: str, required: true}
      required: {description: Whether a member that does not answer is a problem., type: bool, default: true}
  timeout:
    description: Seconds to wait for each node's answer.
    type: float
    default: 5
  fail_on_problems:
    description: Fail when the cluster is not healthy (the table and the problems are returned either way).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Read the cluster's health
  kafka_aws.kafka.kafka_health:
    kafka:
      - {name: kafka-1, url: "http://10.0.1.10:7071/metrics"}
      - {name: controller-4, url: "http://10.0.1.20:7071/metrics", broker: false, controller: true}
  register: health
"""

RETURN = r"""
table:
  description: The health as aligned text lines, one per node.
  type: list
  elements: str
  returned: always
kafka:
  description:
    - Each Kafka node's figures (answered, state, under_replicated, under_min_isr, offline,
      active_controller).
  type: list
  elements: dict
  returned: always
zookeeper:
  description: Each ZooKeeper member's answer and role.
  type: list
  elements: dict
  returned: always
problems:
  description: What is not healthy (empty when healthy).
  type: list
  elements: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_metrics import (
    KAFKA_NODE_OPTIONS,
    NODE_OPTIONS,
    read,
    table,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "kafka": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": KAFKA_NODE_OPTIONS,
            },
            "zookeeper": {"type": "list", "elements": "dict", "default": [], "options": NODE_OPTIONS},
            "timeout": {"type": "float", "default": 5},
            "fail_on_problems": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    result = read(params["kafka"], params["zookeeper"], timeout=params["timeout"])
    output = {**result, "table": table(result), "changed": False}
    if result["problems"] and params["fail_on_problems"]:
        module.fail_json(msg="The cluster is not healthy: " + "; ".join(result["problems"]), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
