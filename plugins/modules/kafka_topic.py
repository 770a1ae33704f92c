"""kafka_topic: declare Kafka topics (create, add partitions, change configs, delete when allowed)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_topic
short_description: Declare Kafka topics with the Kafka CLI tools or an admin client
description:
  - Brings a list of topics to the declared state in one pass - creates missing topics, raises partition
    counts, sets or removes topic configs, and deletes topics declared absent when O(allow_delete) is true.
  - With O(client=cli) (the default), talks to the cluster with C(kafka-topics.sh) and C(kafka-configs.sh)
    of the installed Kafka (C(--bootstrap-server), never the C(--zookeeper) flag removed in Kafka 3.0); no
    Python package is needed on the host, but every tool call starts a JVM.
  - With O(client=admin), talks to the cluster with confluent-kafka's C(AdminClient) (no JVM); the host
    running the module (typically the control node, with C(delegate_to)) needs the C(confluent-kafka)
    package and must reach the brokers. Plans, checks, return values, check mode and diff are the same.
  - Plans everything and validates everything before applying anything - lowering partitions, changing a
    replication factor (a reassignment, not implemented), a replication factor above the live brokers, an
    illegal name, names colliding on C(.)/C(_), or an unknown config key fail with no change at all.
  - "Config semantics: keys declared in O(topics[].configs) are set; a key declared with a null value is
    removed (back to the broker default); keys not declared are left alone unless O(prune_configs) is true."
  - Unknown config keys are checked against Kafka's topic-level config keys for 3.x and 4.x (the Kafka
    documentation); a key missing from that list is accepted when the cluster itself lists it for an
    existing topic (C(kafka-configs.sh --describe --all)).
  - Supports check mode and diff mode.
version_added: "0.1.0"
author: kafka-aws
options:
  topics:
    description: The topics to manage.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Topic name (ASCII letters, digits, C(.), C(_), C(-); at most 249 characters).
        type: str
        required: true
      partitions:
        description: Partition count; omitted means the broker's C(num.partitions) on creation.
        type: int
      replication_factor:
        description: Replication factor; omitted means the broker's C(default.replication.factor).
        type: int
      configs:
        description: Topic configs (key -> value; a null value removes the key).
        type: dict
        default: {}
      state:
        description: Whether the topic should exist.
        type: str
        choices: [present, absent]
        default: present
  bootstrap_server:
    description: Broker(s) to talk to, C(host:port[,host:port]).
    type: str
    required: true
  client:
    description:
      - C(cli) runs the installed Kafka tools (a JVM per call); C(admin) uses confluent-kafka's AdminClient.
    type: str
    choices: [cli, admin]
    default: cli
  kafka_home:
    description: Kafka installation whose C(bin/) tools are used (O(client=cli)).
    type: path
    default: /opt/kafka
  command_config:
    description:
      - Client properties file (TLS/SASL settings) - passed to the tools as C(--command-config) with
        O(client=cli); read (C(key=value) lines) into the AdminClient configuration with O(client=admin),
        so its keys must then be librdkafka properties (such as C(security.protocol)).
    type: path
  client_config:
    description:
      - >-
        Further AdminClient properties (O(client=admin) only), applied over those of O(command_config). Never
        shown in the module's output: the values of C(sasl.password) and other secret keys are masked.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for each admin request and for applied changes to show (O(client=admin)).
    type: int
    default: 30
  allow_delete:
    description: Allow deleting topics declared with O(topics[].state=absent).
    type: bool
    default: false
  prune_configs:
    description: Remove topic config overrides that are not declared.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Declare the topics
  kafka_aws.kafka.kafka_topic:
    bootstrap_server: 10.0.1.10:9092,10.0.2.10:9092
    topics:
      - name: orders
        partitions: 12
        replication_factor: 3
        configs:
          retention.ms: 604800000
          min.insync.replicas: 2
      - name: orders.compacted
        configs:
          cleanup.policy: [compact, delete]
  check_mode: true
  diff: true

- name: The same through the admin client, from the control node (no JVM)
  kafka_aws.kafka.kafka_topic:
    client: admin
    bootstrap_server: 10.0.1.10:9092,10.0.2.10:9092
    client_config:
      security.protocol: PLAINTEXT
    topics:
      - name: orders
        partitions: 12
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
changes:
  description: The planned (check mode) or applied changes.
  returned: always
  type: list
  elements: dict
topics:
  description: Each managed topic as described by the cluster after the run.
  returned: always
  type: dict
"""

import traceback
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_admin import (
    AdminBackend,
    hide_secrets,
    module_settings,
)
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_topics import (
    TOPIC_CONFIG_KEYS,
    Change,
    Topic,
    add_config_argument,
    desired_configs,
    parse_all_configs,
    parse_broker_ids,
    parse_describe,
    parse_dynamic_configs,
    plan,
    validate,
)
from ansible_collections.kafka_aws.kafka.plugins.module_utils.tool_calls import run_tools


class Kafka:
    """The cluster, through the installed command-line tools."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.home = module.params["kafka_home"]
        self.bootstrap = module.params["bootstrap_server"]
        self.command_config = module.params["command_config"]

    def command(self, tool: str, *args: str) -> list[str]:
        cmd = [f"{self.home}/bin/{tool}", "--bootstrap-server", self.bootstrap, *args]
        if self.command_config:
            cmd += ["--command-config", self.command_config]
        return cmd

    def run(self, tool: str, *args: str) -> str:
        return self.run_all([(tool, *args)])[0]

    def run_all(self, calls: list[tuple[str, ...]]) -> list[str]:
        """Run independent tool calls at once (each is a JVM start-up); fail on the first error."""
        commands = [self.command(*call) for call in calls]
        results = run_tools(self.module, commands)
        for index, (rc, out, err) in enumerate(results):  # no zip(strict=): hosts may run Python 3.9
            cmd = commands[index]
            if rc != 0:
                self.module.fail_json(
                    msg=f"{cmd[0].rsplit('/', 1)[-1]} failed ({rc}): {err.strip() or out.strip()}",
                    cmd=" ".join(cmd),
                )
        return [out for _, out, _ in results]

    def describe(self, names: list[str] | None = None) -> dict[str, Topic]:
        """Partitions and replication from kafka-topics, configs from the topics' own overrides."""
        described, dynamic = self.run_all(
            [("kafka-topics.sh", "--describe"), ("kafka-configs.sh", "--entity-type", "topics", "--describe")]
        )
        topics = parse_describe(described)
        overrides = parse_dynamic_configs(dynamic)
        for name, topic in topics.items():
            topic.configs = overrides.get(name, {})
        return topics

    def settle(self, changes: list[Change], names: list[str]) -> dict[str, Topic]:
        return self.describe(names)

    def live_brokers(self) -> int:
        return len(parse_broker_ids(self.run("kafka-broker-api-versions.sh")))

    def config_keys(self, topic: str) -> set[str]:
        return parse_all_configs(
            self.run(
                "kafka-configs.sh", "--entity-type", "topics", "--entity-name", topic, "--describe", "--all"
            )
        )

    def apply(self, change: Change) -> None:
        if change.action == "create":
            args = ["--create", "--topic", change.name]
            if change.partitions:
                args += ["--partitions", str(change.partitions)]
            if change.replication_factor:
                args += ["--replication-factor", str(change.replication_factor)]
            for key, value in sorted(change.set_configs.items()):
                args += ["--config", f"{key}={value}"]
            self.run("kafka-topics.sh", *args)
        elif change.action == "partitions":
            self.run(
                "kafka-topics.sh", "--alter", "--topic", change.name, "--partitions", str(change.partitions)
            )
        elif change.action == "configs":
            args = ["--entity-type", "topics", "--entity-name", change.name, "--alter"]
            if change.set_configs:
                args += ["--add-config", add_config_argument(change.set_configs)]
            if change.delete_configs:
                args += ["--delete-config", ",".join(change.delete_configs)]
            self.run("kafka-configs.sh", *args)
        elif change.action == "delete":
            self.run("kafka-topics.sh", "--delete", "--topic", change.name)


def admin_backend(module: AnsibleModule) -> AdminBackend:
    """The admin client, configured from command_config's properties and client_config."""
    hide_secrets(module.no_log_values, module.params["client_config"])
    try:
        import confluent_kafka  # noqa: F401 (only needed on this path)
    except ImportError:
        module.fail_json(
            msg=missing_required_lib("confluent-kafka", reason="for client=admin"),
            exception=traceback.format_exc(),
        )
    settings = module_settings(module)
    return AdminBackend.connect(settings, module.fail_json, float(module.params["timeout"]))


def known_keys(
    kafka: Kafka | AdminBackend, specs: list[dict[str, Any]], existing: dict[str, Any]
) -> set[str]:
    """The documented keys, widened by the cluster's own list when a declared key is not in it."""
    declared = {k for spec in specs for k in desired_configs(spec)}
    keys = set(TOPIC_CONFIG_KEYS)
    if declared - keys and existing:
        keys |= kafka.config_keys(sorted(existing)[0])
    return keys


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "topics": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "name": {"type": "str", "required": True},
                    "partitions": {"type": "int"},
                    "replication_factor": {"type": "int"},
                    "configs": {"type": "dict", "default": {}},
                    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
                },
            },
            "bootstrap_server": {"type": "str", "required": True},
            "client": {"type": "str", "choices": ["cli", "admin"], "default": "cli"},
            "kafka_home": {"type": "path", "default": "/opt/kafka"},
            "command_config": {"type": "path"},
            "client_config": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 30},
            "allow_delete": {"type": "bool", "default": False},
            "prune_configs": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    kafka = admin_backend(module) if module.params["client"] == "admin" else Kafka(module)
    specs = module.params["topics"]
    names = [s["name"] for s in specs]
    existing = kafka.describe(names)
    creates_with_rf = any(
        s["state"] == "present" and s["name"] not in existing and s.get("replication_factor") for s in specs
    )
    live = kafka.live_brokers() if creates_with_rf else None
    errors = validate(
        specs, existing, live, known_keys(kafka, specs, existing), module.params["allow_delete"]
    )
    if errors:
        module.fail_json(msg="refusing to change any topic: " + "; ".join(errors), errors=errors)
    changes = plan(specs, existing, module.params["prune_configs"])
    if changes and not module.check_mode:
        for change in changes:
            kafka.apply(change)
        existing = kafka.settle(changes, names)
    result: dict[str, Any] = {
        "changed": bool(changes),
        "changes": [
            {"topic": c.name, "action": c.action, "before": c.before, "after": c.after} for c in changes
        ],
        "topics": {n: existing[n].as_dict() for n in names if n in existing},
    }
    if module._diff:
        result["diff"] = [
            {
                "before_header": f"topic {c.name}",
                "after_header": f"topic {c.name}",
                "before": c.before or {},
                "after": c.after or {},
            }
            for c in changes
        ]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
