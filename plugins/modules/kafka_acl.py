"""kafka_acl: declare Kafka ACL bindings (create the missing, delete those declared absent)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_acl
short_description: Declare Kafka ACL bindings with an admin client
description:
  - Brings a list of ACL entries to the declared state in one pass, with confluent-kafka's C(AdminClient)
    (no JVM) - creates the bindings declared present that the cluster lacks and deletes the bindings
    declared absent that it has. Bindings not declared are left alone.
  - Each entry expands into one binding per operation of O(acls[].operations) - principal, permission,
    operation, resource type, resource name, pattern type and host - as C(kafka-acls.sh) lists them.
  - Validates every entry before any request - a principal without a C(User:) or C(Group:) prefix, an
    operation a resource type does not take (the table of Kafka's authorization documentation, e.g.
    C(write) on a group, C(idempotent_write) or C(cluster_action) anywhere but on the cluster), C(*) with
    O(acls[].pattern_type=prefixed), or a binding declared both present and absent fail with no change,
    each message naming the entry (its index, principal and resource) and what to change.
  - Reads the cluster's bindings with one C(describe_acls) request, then creates (C(create_acls)) and
    deletes (C(delete_acls), an exact filter per binding) what differs. After a change, describes again
    until the change shows (ACLs reach every broker asynchronously), within O(timeout).
  - Needs an authorizer on the cluster (C(authorizer.class.name), the kafka role's C(kafka_authorizer));
    without one the brokers answer C(SECURITY_DISABLED) and the module fails saying so. The client's
    principal needs C(DESCRIBE) on the cluster to read ACLs and C(ALTER) to change them (or must be a
    super user).
  - The host running the module (typically the control node, with C(delegate_to)) needs the
    C(confluent-kafka) package and must reach the brokers.
  - Supports check mode and diff mode (the declared principals' bindings, one a line).
version_added: "0.3.0"
author: kafka-aws
extends_documentation_fragment:
  - kafka_aws.kafka.admin_client
options:
  acls:
    description: The ACL entries to declare.
    type: list
    elements: dict
    required: true
    suboptions:
      principal:
        description: Whom the entry is about, C(User:<name>) (or C(Group:<name>)); C(User:*) is every user.
        type: str
        required: true
      resource_type:
        description: The kind of resource.
        type: str
        choices: [topic, group, cluster, transactional_id]
        required: true
      resource_name:
        description:
          - The resource's name (or prefix with O(acls[].pattern_type=prefixed)); C(*) is every resource
            of the type (literal only).
          - Required except for O(acls[].resource_type=cluster), whose one resource is C(kafka-cluster).
        type: str
      pattern_type:
        description: Whether O(acls[].resource_name) is the name itself or a prefix of names.
        type: str
        choices: [literal, prefixed]
        default: literal
      operations:
        description:
          - The operations allowed or denied; one binding each.
          - "A topic takes read, write, create, describe, delete, alter, describe_configs, alter_configs;
            a group read, describe, delete (describe_configs, alter_configs from Kafka 4.0); the cluster
            create, cluster_action, describe_configs, alter_configs, idempotent_write, alter, describe;
            a transactional id describe, write. Every type takes all."
        type: list
        elements: str
        required: true
        choices:
          - all
          - read
          - write
          - create
          - delete
          - alter
          - describe
          - cluster_action
          - describe_configs
          - alter_configs
          - idempotent_write
      permission:
        description: Whether the operations are allowed or denied.
        type: str
        choices: [allow, deny]
        default: allow
      host:
        description: The client address the bindings apply to; C(*) is every host.
        type: str
        default: "*"
      state:
        description: Whether the bindings should exist.
        type: str
        choices: [present, absent]
        default: present
  timeout:
    description: Seconds to wait for each admin request and for applied changes to show.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Let the orders service produce and consume its topics
  kafka_aws.kafka.kafka_acl:
    bootstrap_server: 10.0.1.10:9092,10.0.2.10:9092
    command_config: /etc/kafka/admin.properties
    acls:
      - principal: User:orders
        resource_type: topic
        resource_name: orders.
        pattern_type: prefixed
        operations: [read, write, describe]
      - principal: User:orders
        resource_type: group
        resource_name: orders-service
        operations: [read]
      - principal: User:orders
        resource_type: cluster
        operations: [idempotent_write]
  delegate_to: localhost
  run_once: true

- name: Revoke a binding, planning only and showing the difference
  kafka_aws.kafka.kafka_acl:
    bootstrap_server: 10.0.1.10:9092
    client_config:
      security.protocol: SASL_SSL
      sasl.mechanism: SCRAM-SHA-512
      sasl.username: admin
      sasl.password: "{{ kafka_admin_password }}"
    acls:
      - principal: User:legacy
        resource_type: topic
        resource_name: "*"
        operations: [all]
        state: absent
  check_mode: true
  diff: true
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
created:
  description: The bindings created (planned, in check mode), one line each, sorted.
  returned: always
  type: list
  elements: str
  sample: ["User:alice ALLOW READ on TOPIC orders (LITERAL) from *"]
deleted:
  description: The bindings deleted (planned, in check mode), one line each, sorted.
  returned: always
  type: list
  elements: str
  sample: ["User:legacy ALLOW ALL on TOPIC * (LITERAL) from *"]
acls:
  description:
    - The cluster's bindings of the declared principals after the run (before it, in check mode), in the
      module's own vocabulary, sorted by their line.
  returned: always
  type: list
  elements: dict
  sample:
    - principal: User:alice
      resource_type: topic
      resource_name: orders
      pattern_type: literal
      operation: read
      permission: allow
      host: "*"
"""

import time
import traceback
from collections.abc import Callable
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_acls import (
    OPERATIONS,
    Binding,
    Plan,
    applied,
    diff_text,
    explain,
    from_kafka,
    lines,
    of_principals,
    plan,
    principals,
    shows,
    validate,
)
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_admin import (
    AdminBackend,
    hide_secrets,
    module_settings,
)


def explaining(fail: Callable[..., Any]) -> Callable[..., Any]:
    """`fail`, with what to do about a known broker error (no authorizer, no permission) appended."""

    def fail_explained(**kwargs: Any) -> Any:
        return fail(**dict(kwargs, msg=explain(kwargs["msg"])))

    return fail_explained


class AclBackend:
    """The cluster's ACLs through an AdminClient: AdminBackend's client, requests and waits."""

    def __init__(self, client: Any, fail: Callable[..., Any], timeout: float = 30.0, api: Any = None) -> None:
        self.admin = AdminBackend(client, explaining(fail), timeout, api)
        self.client = client
        self.api = api  # confluent_kafka.admin; a stand-in in unit tests
        self.timeout = timeout

    @classmethod
    def connect(cls, settings: dict[str, str], fail: Callable[..., Any], timeout: float) -> AclBackend:
        admin = AdminBackend.connect(settings, fail, timeout)  # imports confluent_kafka
        return cls(admin.client, fail, timeout, admin.api)

    def request(self, b: Binding, kind: Any) -> Any:
        """An AclBinding (`kind` api.AclBinding) or an exact AclBindingFilter (no ANY, no None) for `b`."""
        restype, pattern, operation, permission = b.kafka_names()
        api = self.api
        return kind(
            api.ResourceType[restype],
            b.resource_name,
            api.ResourcePatternType[pattern],
            b.principal,
            b.host,
            api.AclOperation[operation],
            api.AclPermissionType[permission],
        )

    def describe(self) -> set[Binding]:
        """Every binding of the cluster, with one describe_acls request."""
        api = self.api
        everything = api.AclBindingFilter(
            api.ResourceType.ANY,
            None,
            api.ResourcePatternType.ANY,
            None,
            None,
            api.AclOperation.ANY,
            api.AclPermissionType.ANY,
        )
        future = self.client.describe_acls(everything, request_timeout=self.timeout)
        found = self.admin.wait(future, "describing the ACLs")
        return {
            from_kafka(
                acl.restype.name,
                acl.name,
                acl.resource_pattern_type.name,
                acl.principal,
                acl.host,
                acl.operation.name,
                acl.permission_type.name,
            )
            for acl in found or []
        }

    def apply(self, change: Plan) -> None:
        """One create_acls request for the bindings to create, one delete_acls for those to delete."""
        if change.create:
            created = {b: self.request(b, self.api.AclBinding) for b in change.create}
            futures = self.client.create_acls(list(created.values()), request_timeout=self.timeout)
            for b, acl in created.items():
                self.admin.wait(futures[acl], f"creating the ACL {b.line()}")
        if change.delete:
            filters = {b: self.request(b, self.api.AclBindingFilter) for b in change.delete}
            futures = self.client.delete_acls(list(filters.values()), request_timeout=self.timeout)
            for b, acl_filter in filters.items():
                self.admin.wait(futures[acl_filter], f"deleting the ACL {b.line()}")

    def settle(self, change: Plan, pause: float = 0.3) -> tuple[set[Binding], bool]:
        """Describe again until the applied change shows, within the timeout; and whether it did."""
        deadline = time.monotonic() + self.timeout
        while True:
            current = self.describe()
            if shows(change, current):
                return current, True
            if time.monotonic() >= deadline:
                return current, False
            time.sleep(pause)


def acl_backend(module: AnsibleModule) -> AclBackend:
    """The admin client, configured from command_config's properties and client_config."""
    try:
        import confluent_kafka  # noqa: F401 (only needed here)
    except ImportError:
        module.fail_json(msg=missing_required_lib("confluent-kafka"), exception=traceback.format_exc())
    settings = module_settings(module)
    return AclBackend.connect(settings, module.fail_json, float(module.params["timeout"]))


ARGUMENT_SPEC: dict[str, Any] = {
    "acls": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "principal": {"type": "str", "required": True},
            "resource_type": {
                "type": "str",
                "required": True,
                "choices": ["topic", "group", "cluster", "transactional_id"],
            },
            "resource_name": {"type": "str"},
            "pattern_type": {"type": "str", "choices": ["literal", "prefixed"], "default": "literal"},
            "operations": {"type": "list", "elements": "str", "required": True, "choices": list(OPERATIONS)},
            "permission": {"type": "str", "choices": ["allow", "deny"], "default": "allow"},
            "host": {"type": "str", "default": "*"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
    },
    "bootstrap_server": {"type": "str", "required": True},
    "command_config": {"type": "path"},
    "client_config": {"type": "dict", "default": {}},
    "timeout": {"type": "int", "default": 30},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    hide_secrets(module.no_log_values, module.params["client_config"])  # before any message
    entries = module.params["acls"]
    errors = validate(entries)
    if errors:
        module.fail_json(msg="refusing to change any ACL: " + "; ".join(errors), errors=errors)
    backend = acl_backend(module)
    before = backend.describe()
    change = plan(entries, before)
    current = before
    if change and not module.check_mode:
        backend.apply(change)
        current, settled = backend.settle(change)
        if not settled:
            module.warn(
                f"the applied ACL change did not show in the cluster's ACLs within {backend.timeout:g}s"
            )
    names = principals(entries)
    result: dict[str, Any] = {
        "changed": bool(change),
        "created": lines(change.create),
        "deleted": lines(change.delete),
        "acls": [b.as_dict() for b in of_principals(current, names)],
    }
    if module._diff:
        result["diff"] = {
            "before": diff_text(of_principals(before, names)),
            "after": diff_text(of_principals(applied(before, change), names)),
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
