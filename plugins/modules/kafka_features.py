"""kafka_features: finalize Kafka feature levels after a rolling upgrade (kafka-features.sh upgrade)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_features
short_description: Finalize Kafka feature levels after a rolling upgrade, idempotently
description:
  - The last step of Kafka's upgrade procedure, once every node runs the new release - raises the
    cluster's finalized feature levels (C(metadata.version), C(transaction.version), C(group.version)...)
    to those of O(release_version), with the installed C(kafka-features.sh).
  - Reads the target levels with C(kafka-features.sh version-mapping --release-version R) and the
    cluster's finalized levels with C(kafka-features.sh describe) (a feature the cluster does not list is
    at level 0; C(metadata.version)'s level, shown as a name such as C(3.9-IV0), is turned into its
    number with C(version-mapping)).
  - Upgrades every feature of the release below its target level, except those of O(skip), in one
    C(kafka-features.sh upgrade --feature name=level ...) call, then describes the cluster again and fails
    when a feature does not show its new level. A feature at or above its target is left alone (never
    a downgrade); when nothing is below its target nothing is called and the result is C(changed=false).
  - Each feature is set with C(--feature), never with C(upgrade --release-version), so that a feature can
    be held back - C(upgrade --release-version) also raises C(kraft.version), which silently turns a
    static KRaft quorum into a dynamic one (KAFKA-21426); list C(kraft.version) in O(skip) for a static
    quorum.
  - Any failing tool call fails the module with the subcommand and the tool's own error text. The
    O(command_config) file is only passed to the tool, never read.
  - Needs C(kafka-features.sh) with the C(version-mapping) subcommand (Kafka 3.9 and later). The bootstrap
    and O(command_config) flags are passed to every call; C(version-mapping) does not contact the cluster.
  - Supports check mode (plans without the upgrade call).
version_added: "0.3.0"
author: kafka-aws
options:
  kafka_home:
    description: Kafka installation whose C(bin/kafka-features.sh) is used (the new release's).
    type: path
    default: /opt/kafka
  bootstrap_server:
    description:
      - Broker(s) to talk to, C(host:port[,host:port]), passed as C(--bootstrap-server).
      - Exactly one of O(bootstrap_server) and O(bootstrap_controller) is required.
    type: str
  bootstrap_controller:
    description:
      - KRaft controller(s) to talk to, C(host:port[,host:port]), passed as C(--bootstrap-controller).
      - Exactly one of O(bootstrap_server) and O(bootstrap_controller) is required.
    type: str
  command_config:
    description: Client properties file (TLS/SASL settings) passed to the tool as C(--command-config).
    type: path
  release_version:
    description:
      - The release whose feature levels are finalized, as C(kafka-features.sh version-mapping
        --release-version) takes it, e.g. C(4.4) or C(3.9) (or a metadata version such as C(3.9-IV0)).
    type: str
    required: true
  skip:
    description:
      - Features never changed, whatever O(release_version) maps them to; e.g. C(kraft.version) for a
        static KRaft quorum (KAFKA-21426).
      - A name that is no feature of the tool's version mapping nor of the cluster fails the module (a
        misspelt name would otherwise skip nothing).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Finalize the feature levels of Kafka 4.4, leaving the static quorum's kraft.version alone
  kafka_aws.kafka.kafka_features:
    bootstrap_server: 10.0.1.10:9092,10.0.2.10:9092
    release_version: "4.4"
    skip: [kraft.version]
  run_once: true

- name: The same through the controllers, with TLS client settings, planning only
  kafka_aws.kafka.kafka_features:
    bootstrap_controller: 10.0.1.10:9093
    command_config: /etc/kafka/admin.properties
    release_version: "4.4"
  check_mode: true
  run_once: true
"""

RETURN = r"""
release_version:
  description: The release version whose levels were the target, as given.
  returned: always
  type: str
  sample: "4.4"
before:
  description: The cluster's finalized levels before the run, feature -> level (metadata.version as a number).
  returned: always
  type: dict
  sample: {"kraft.version": 0, "metadata.version": 21}
target:
  description: The levels O(release_version) maps each feature to (C(version-mapping)), skipped ones included.
  returned: always
  type: dict
  sample: {"group.version": 1, "kraft.version": 1, "metadata.version": 33, "share.version": 2}
upgraded:
  description: The features upgraded (planned, in check mode), feature -> new level; empty when none.
  returned: always
  type: dict
  sample: {"group.version": 1, "metadata.version": 33}
held_back:
  description:
    - The features of O(skip) the release version would have raised, feature -> that level.
    - (Not named C(skipped), a key that would mark the task skipped.)
  returned: always
  type: dict
  sample: {"kraft.version": 1}
after:
  description: The finalized levels after the run; as RV(before) in check mode or when nothing changed.
  returned: always
  type: dict
  sample: {"group.version": 1, "kraft.version": 0, "metadata.version": 33}
"""

import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_features import (
    METADATA_VERSION,
    held_back,
    metadata_names,
    parse_describe,
    parse_version_mapping,
    plan,
    resolve,
    tool_error,
    unknown_features,
    unreached,
    upgrade_arguments,
)
from ansible_collections.kafka_aws.kafka.plugins.module_utils.tool_calls import run_tools

TOOL = "kafka-features.sh"
# Brokers apply a finalized level from the metadata log a moment after the controller commits it.
SETTLE_TRIES = 6
SETTLE_INTERVAL = 2.0


class Features:
    """The cluster's feature levels, through the installed kafka-features.sh."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        params = module.params
        self.prefix = [f"{params['kafka_home']}/bin/{TOOL}"]
        if params["bootstrap_server"]:
            self.prefix += ["--bootstrap-server", params["bootstrap_server"]]
        elif params["bootstrap_controller"]:
            self.prefix += ["--bootstrap-controller", params["bootstrap_controller"]]
        else:  # given, but empty or null
            module.fail_json(msg="bootstrap_server or bootstrap_controller must name at least one host:port")
        if params["command_config"]:
            self.prefix += ["--command-config", params["command_config"]]
        self.names: dict[str, int] = {}  # metadata.version name -> level, as version-mapping gave it

    def run_all(self, calls: list[list[str]]) -> list[str]:
        """Run independent calls at once (each starts a JVM); fail on the first error, in call order."""
        results = run_tools(self.module, [[*self.prefix, *arguments] for arguments in calls])
        for index, (rc, out, err) in enumerate(results):  # no zip(strict=): hosts may run Python 3.9
            if rc != 0:
                self.fail(calls[index], f"failed ({rc}): {tool_error(out, err)}", stdout=out, stderr=err)
        return [out for _, out, _ in results]

    def run(self, *arguments: str) -> str:
        return self.run_all([list(arguments)])[0]

    def fail(self, arguments: list[str], problem: str, **extra: Any) -> None:
        self.module.fail_json(
            msg=f"{TOOL} {arguments[0]} {problem}", cmd=" ".join([*self.prefix, *arguments]), **extra
        )

    def mapping(self, output: str, arguments: list[str]) -> dict[str, int]:
        try:
            return parse_version_mapping(output)
        except ValueError as exc:
            self.fail(arguments, f"printed {exc}: {output.strip() or 'nothing'}", stdout=output)
            raise  # not reached: fail_json exits

    def levels(self, output: str) -> dict[str, int]:
        """Feature -> finalized level of a describe output, metadata.version names looked up (once each)."""
        try:
            raw = parse_describe(output)
        except ValueError as exc:
            self.fail(["describe"], f"printed {exc}: {output.strip() or 'nothing'}", stdout=output)
            raise  # not reached: fail_json exits
        for name in metadata_names(raw):
            if name not in self.names:
                arguments = ["version-mapping", "--release-version", name]
                self.names[name] = self.mapping(self.run(*arguments), arguments)[METADATA_VERSION]
        return resolve(raw, self.names)

    def describe(self) -> dict[str, int]:
        return self.levels(self.run("describe"))

    def target_and_current(self, release: str) -> tuple[dict[str, int], dict[str, int]]:
        """version-mapping of the release and describe, side by side."""
        arguments = ["version-mapping", "--release-version", release]
        mapped, described = self.run_all([arguments, ["describe"]])
        target = dict(sorted(self.mapping(mapped, arguments).items()))
        self.names[release] = target[METADATA_VERSION]
        return target, self.levels(described)

    def upgrade(self, upgrades: dict[str, int]) -> dict[str, int]:
        """One upgrade call with every planned feature, then the levels once the cluster shows them."""
        self.run(*upgrade_arguments(upgrades))
        after = self.describe()
        for _ in range(SETTLE_TRIES - 1):
            if not unreached(upgrades, after):
                break
            time.sleep(SETTLE_INTERVAL)
            after = self.describe()
        missing = unreached(upgrades, after)
        if missing:
            self.module.fail_json(
                msg=f"{TOOL} upgrade succeeded but describe does not show the new level of "
                + "; ".join(missing),
                upgraded=upgrades,
                after=after,
            )
        return after


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "kafka_home": {"type": "path", "default": "/opt/kafka"},
            "bootstrap_server": {"type": "str"},
            "bootstrap_controller": {"type": "str"},
            "command_config": {"type": "path"},
            "release_version": {"type": "str", "required": True},
            "skip": {"type": "list", "elements": "str", "default": []},
        },
        mutually_exclusive=[["bootstrap_server", "bootstrap_controller"]],
        required_one_of=[["bootstrap_server", "bootstrap_controller"]],
        supports_check_mode=True,
    )
    release = module.params["release_version"]
    skip = module.params["skip"]
    features = Features(module)
    target, before = features.target_and_current(release)
    unknown = unknown_features(skip, set(target) | set(before))
    if unknown:
        module.fail_json(
            msg=f"skip lists {', '.join(unknown)}, which is no feature of release {release} nor of the "
            f"cluster (features: {', '.join(sorted(set(target) | set(before)))})"
        )
    upgrades = plan(before, target, skip)
    after = before
    if upgrades and not module.check_mode:
        after = features.upgrade(upgrades)
    module.exit_json(
        changed=bool(upgrades),
        release_version=release,
        before=before,
        target=target,
        upgraded=upgrades,
        held_back=held_back(before, target, skip),
        after=after,
    )


if __name__ == "__main__":
    main()
