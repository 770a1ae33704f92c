"""service_gate: wait on the host until a health check passes, failing fast when the service crash-loops."""

from __future__ import annotations

DOCUMENTATION = r"""
module: service_gate
short_description: Wait until a health check passes on the host, failing at once when the service dies
description:
  - Runs O(check) on the host every O(interval) seconds until it passes (exit status 0, and O(pattern)
    found in its output when given, or its output empty when O(expect_empty) is true, or the KRaft
    quorum it describes healthy when O(quorum) is given), then returns at once. The whole wait is one
    module run, so one round trip per host however long it waits.
  - While waiting it watches the systemd unit O(service), when given. A unit that exits and is being
    restarted by systemd (a crash loop), or that is failed or inactive, fails the gate at once, with the
    last lines of the unit's journal in the message; a broken service never costs the whole O(timeout).
  - When the check does not pass within O(timeout) seconds the module fails with the check's last output
    (and the journal's last lines when O(service) is set; with O(quorum), what was wrong with the quorum
    at the last try).
  - When the journal's lines show a known fault of Kafka's own (KAFKA-20839, a migration's new controllers
    exiting at their activation), the message ends with what to do about it.
  - Never changes anything; the result is C(changed=false).
version_added: "0.2.0"
author: kafka-aws
options:
  check:
    description:
      - Command line run through C(/bin/bash -c) on each try (C(set -o pipefail) is on).
      - Exactly one of O(check) and O(metrics) is required.
    type: str
  metrics:
    description:
      - Instead of O(check), scrape each Kafka node's Prometheus JMX exporter agent (one HTTP request
        per node and try, no JVM started) and pass only when the cluster is healthy by its metrics
        ("more exact" than the tools, and much faster on a busy host).
      - >-
        Healthy means every required node answers; every broker's C(BrokerState) is 3 (running: in
        KRaft, registered and unfenced); no partition under-replicated or under min ISR (summed over
        the brokers, each reporting those it leads); no offline partition; one active controller (at most
        one among the KRaft controllers and at most one among the other nodes, counted over the nodes
        that answer: part-way through a migration to KRaft each side has one).
      - Mutually exclusive with O(check), O(pattern), O(expect_empty) and O(quorum).
    type: list
    elements: dict
    version_added: "0.5.0"
    suboptions:
      name:
        description: The node's name, for the messages.
        type: str
        required: true
      url:
        description: Its metrics URL, e.g. C(http://10.0.1.10:7071/metrics).
        type: str
        required: true
      broker:
        description: Whether the node is a broker (its broker state must be running).
        type: bool
        default: true
      controller:
        description: Whether the node is a KRaft controller (its active controller count is KRaft's).
        type: bool
        default: false
      required:
        description:
          - Whether a node that does not answer fails the check (false for a node that may be stopped on
            purpose).
        type: bool
        default: true
  pattern:
    description: Python regular expression that must be found in the check's standard output.
    type: str
  expect_empty:
    description: Pass only when the check prints nothing (e.g. no under-replicated partitions).
    type: bool
    default: false
  quorum:
    description:
      - Read the check's output as that of C(kafka-metadata-quorum.sh --bootstrap-controller HOST:PORT
        describe --replication --human-readable) (Kafka 3.9 and 4.x) and pass only when the KRaft quorum
        is healthy, e.g. before and after restarting a controller.
      - Healthy means exactly one Leader; every id of O(quorum.voters) listed as Leader or Follower (not
        missing, not only an Observer); no Leader or Follower outside O(quorum.voters); and every voter at
        most O(quorum.max_lag) records behind the leader and, the leader aside, last caught up at most
        O(quorum.max_lag_ms) ago (a voter whose last catch-up time is not shown is not caught up).
      - Mutually exclusive with O(pattern) and O(expect_empty).
    type: dict
    version_added: "0.3.0"
    suboptions:
      voters:
        description: Node ids of the controllers that must form the quorum's voters (the inventory's).
        type: list
        elements: int
        required: true
      max_lag:
        description: Most records a voter may be behind the leader's log end offset (the C(Lag) column).
        type: int
        default: 10
      max_lag_ms:
        description: Most milliseconds since a voter last caught up (C(LastCaughtUpTimestamp)).
        type: int
        default: 5000
  port:
    description:
      - C(HOST:PORT) the check talks to (e.g. the starting broker's client listener). While it refuses
        TCP connections the check is not run (no JVM started beside a starting service only to fail),
        and it is tried again every 0.2 seconds; once it accepts, the check runs as usual.
      - Only with O(check).
    type: str
    version_added: "0.6.0"
  service:
    description: systemd unit to watch for a crash loop while waiting (e.g. C(kafka.service)).
    type: str
  timeout:
    description: Seconds to wait for the check to pass.
    type: int
    default: 180
  interval:
    description: Seconds between tries.
    type: float
    default: 1
  journal_lines:
    description: Lines of the unit's journal included in a failure message.
    type: int
    default: 20
  what:
    description: What is being waited for, in words, for the messages (e.g. C(broker 2 registered)).
    type: str
    default: the health check
"""

EXAMPLES = r"""
- name: Wait until broker 2 runs again and no partition is under-replicated, under min ISR or offline
  kafka_aws.kafka.service_gate:
    metrics:
      - {name: kafka-1, url: "http://10.0.1.10:7071/metrics"}
      - {name: kafka-2, url: "http://10.0.2.10:7071/metrics"}
      - {name: kafka-3, url: "http://10.0.3.10:7071/metrics"}
    service: kafka.service
    what: broker 2 back and every partition in sync

- name: Wait until the broker is registered again (crash loops fail at once, with the journal)
  kafka_aws.kafka.service_gate:
    check: /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server 10.0.1.10:9092
    pattern: '\(id: 1 rack'
    port: 10.0.1.10:9092
    service: kafka.service
    timeout: 180
    what: broker 1 registered

- name: Wait until the KRaft quorum has one leader and voters 1, 2 and 3 caught up (controller 2 restarted)
  kafka_aws.kafka.service_gate:
    check: >-
      /opt/kafka/bin/kafka-metadata-quorum.sh --bootstrap-controller 10.0.1.10:9093
      describe --replication --human-readable
    quorum:
      voters: [1, 2, 3]
      max_lag: 10
      max_lag_ms: 5000
    service: kafka.service
    timeout: 180
    what: one active controller and voters 1, 2, 3 caught up
"""

RETURN = r"""
elapsed:
  description: Seconds waited.
  type: float
  returned: always
tries:
  description: How many times the check ran.
  type: int
  returned: always
stdout:
  description: The last output of the check (with O(metrics), the problems found at the last try).
  type: str
  returned: always
"""

import re
import socket
import subprocess
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_metrics import KAFKA_NODE_OPTIONS, read
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kraft_quorum import (
    parse_replication,
    quorum_problems,
)


def unit_state(module: AnsibleModule, unit: str) -> dict[str, str]:
    """ActiveState, SubState and NRestarts of a systemd unit."""
    _, out, _ = module.run_command(
        ["systemctl", "show", unit, "--property=ActiveState,SubState,NRestarts,Result"], check_rc=False
    )
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def journal_tail(module: AnsibleModule, unit: str, lines: int) -> str:
    _, out, _ = module.run_command(
        ["journalctl", "-u", unit, "-n", str(lines), "--no-pager", "-o", "cat"], check_rc=False
    )
    return out.strip()


def crashed(before: dict[str, str], now: dict[str, str]) -> str | None:
    """Why the unit is not coming up, or None while it may still come up."""
    if now.get("SubState") == "auto-restart" or now.get("NRestarts", "0") != before.get("NRestarts", "0"):
        return f"exited and is being restarted by systemd ({now.get('Result', 'unknown result')})"
    if now.get("ActiveState") == "failed":
        return f"failed ({now.get('Result', 'unknown result')})"
    if now.get("ActiveState") == "inactive":
        return "is not running"
    return None


def run_check(check: str, timeout: float) -> tuple[int, str]:
    try:
        done = subprocess.run(
            ["/bin/bash", "-c", f"set -o pipefail; {check}"],
            capture_output=True,
            text=True,
            timeout=max(timeout, 1),
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        return 124, str(expired.stdout or "")
    return done.returncode, done.stdout


PORT_RETRY = 0.2  # seconds between connection attempts while the port refuses


def accepting(address: str, timeout: float) -> bool:
    """Whether HOST:PORT accepts a TCP connection within `timeout` seconds."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=max(min(timeout, 1.0), 0.1)):
            return True
    except OSError:
        return False


def run_metrics(nodes: list[dict[str, Any]], timeout: float) -> tuple[int, str]:
    """One try of the metrics check: status 0 and no output when the cluster is healthy, else 1 and
    each problem on a line."""
    wrong = read(nodes, [], timeout=max(min(timeout, 3.0), 0.5))["problems"]
    return (1 if wrong else 0), "\n".join(wrong)


def problems(params: dict[str, Any], rc: int, stdout: str) -> list[str]:
    """Why the check did not pass (empty when it passed): its exit status, the pattern or output it
    lacks, or each problem of the KRaft quorum it describes."""
    if params.get("metrics"):
        return stdout.splitlines() if rc else []
    if rc != 0:
        return [f"the check exited with status {rc}"]
    quorum = params.get("quorum")
    if quorum:
        rows = parse_replication(stdout)
        return quorum_problems(rows, quorum["voters"], quorum["max_lag"], quorum["max_lag_ms"])
    if params["expect_empty"]:
        return [] if stdout.strip() == "" else ["the check printed something"]
    if params["pattern"] is None or re.search(params["pattern"], stdout) is not None:
        return []
    return [f"the check's output lacks {params['pattern']!r}"]


def refusing(params: dict[str, Any], deadline: float) -> str | None:
    """Why the check is not worth running yet (its O(port) refuses connections), or None."""
    port = params.get("port")
    if port and not accepting(port, deadline - time.monotonic()):
        return f"{port} does not accept connections"
    return None


def timeout_message(
    params: dict[str, Any], rc: int, stdout: str, wrong: list[str], refused: str | None, tries: int
) -> str:
    """What the gate saw at its last try, for the failure after O(timeout)."""
    head = f"{params['what']} not reached within {params['timeout']}s"
    if refused:
        return f"{head}: at the last try {refused} (the check ran {tries} times)."
    if params["metrics"]:
        return f"{head}; by the metrics at the last try:\n" + "\n".join(f"- {w}" for w in wrong)
    message = f"{head} (last check exit status {rc}, output: {stdout.strip()[-2000:] or '(none)'})."
    if params["quorum"] and rc == 0:
        message += "\nQuorum problems at the last try:\n" + "\n".join(f"- {w}" for w in wrong)
    return message


# Faults of Kafka itself that a line of the journal identifies, each with what to do about it: a failed
# gate's message gives the hint after the journal's lines.
KNOWN_FAULTS = (
    (
        re.compile(r"Should not have ZK migrations enabled on a cluster running metadata\.version 3\.0-IV1"),
        "This is Kafka 3.9's fault KAFKA-20839: the new controllers' first leader lost its leadership "
        "before it wrote the metadata version, and every later leader exits. The controllers hold no "
        "metadata yet: run playbooks/rollback_migration.yml (it moves their storage aside), then "
        "playbooks/migrate_to_kraft.yml again, which formats them afresh.",
    ),
)


def fault_hints(journal: str) -> list[str]:
    """What to do about each known fault of Kafka's that the journal shows."""
    return [hint for pattern, hint in KNOWN_FAULTS if pattern.search(journal)]


def fail(module: AnsibleModule, message: str, result: dict[str, Any]) -> None:
    unit = module.params["service"]
    if unit:
        tail = journal_tail(module, unit, module.params["journal_lines"])
        message += f"\nLast lines of journalctl -u {unit}:\n{tail}"
        message += "".join(f"\n{hint}" for hint in fault_hints(tail))
    module.fail_json(msg=message, **result)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "check": {"type": "str"},
            "metrics": {
                "type": "list",
                "elements": "dict",
                "options": KAFKA_NODE_OPTIONS,
            },
            "pattern": {"type": "str"},
            "expect_empty": {"type": "bool", "default": False},
            "quorum": {
                "type": "dict",
                "options": {
                    "voters": {"type": "list", "elements": "int", "required": True},
                    "max_lag": {"type": "int", "default": 10},
                    "max_lag_ms": {"type": "int", "default": 5000},
                },
            },
            "port": {"type": "str"},
            "service": {"type": "str"},
            "timeout": {"type": "int", "default": 180},
            "interval": {"type": "float", "default": 1},
            "journal_lines": {"type": "int", "default": 20},
            "what": {"type": "str", "default": "the health check"},
        },
        mutually_exclusive=[
            ("pattern", "expect_empty", "quorum", "metrics"),
            ("check", "metrics"),
            ("port", "metrics"),
        ],
        required_one_of=[("check", "metrics")],
        supports_check_mode=True,
    )
    params, unit = module.params, module.params["service"]
    start = time.monotonic()
    deadline = start + params["timeout"]
    before = unit_state(module, unit) if unit else {}
    rc, stdout, tries = 1, "", 0
    while True:
        result = {
            "changed": False,
            "tries": tries,
            "stdout": stdout,
            "elapsed": round(time.monotonic() - start, 1),
        }
        if unit:
            why = crashed(before, unit_state(module, unit))
            if why:
                fail(module, f"{unit} {why} while waiting for {params['what']}.", result)
        refused = refusing(params, deadline)
        if refused:
            rc, wrong = 1, [refused]
        else:
            rc, stdout = (
                run_metrics(params["metrics"], deadline - time.monotonic())
                if params["metrics"]
                else run_check(params["check"], deadline - time.monotonic())
            )
            tries += 1
            wrong = problems(params, rc, stdout)
        result.update(tries=tries, stdout=stdout, elapsed=round(time.monotonic() - start, 1))
        if not wrong:
            module.exit_json(**result)
        pause = PORT_RETRY if refused else params["interval"]
        if time.monotonic() + pause > deadline:
            fail(module, timeout_message(params, rc, stdout, wrong, refused, tries), result)
        time.sleep(pause)


if __name__ == "__main__":
    main()
