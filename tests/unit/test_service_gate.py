"""service_gate's crash-loop rule: a unit that systemd restarts, that failed or that stopped fails the
gate at once (with the journal), instead of the gate waiting out its timeout."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.modules import (  # noqa: E402
    service_gate as gate,
)

RUNNING = {"ActiveState": "active", "SubState": "running", "NRestarts": "0", "Result": "success"}


@pytest.mark.parametrize(
    ("now", "why"),
    [
        (
            {**RUNNING, "SubState": "auto-restart", "Result": "exit-code"},
            "being restarted by systemd (exit-code)",
        ),
        ({**RUNNING, "NRestarts": "1"}, "being restarted by systemd (success)"),
        (
            {**RUNNING, "ActiveState": "failed", "SubState": "failed", "Result": "exit-code"},
            "failed (exit-code)",
        ),
        ({**RUNNING, "ActiveState": "inactive", "SubState": "dead"}, "is not running"),
    ],
)
def test_a_unit_that_is_not_coming_up_is_named(now, why):
    assert why in (gate.crashed(RUNNING, now) or "")


@pytest.mark.parametrize(
    "now",
    [RUNNING, {**RUNNING, "ActiveState": "activating", "SubState": "start"}],
)
def test_a_unit_that_may_still_come_up_is_waited_for(now):
    assert gate.crashed(RUNNING, now) is None


def test_a_crash_loop_fails_the_gate_at_the_next_poll_with_the_journal(monkeypatch, capsys):
    states = iter([RUNNING, RUNNING, {**RUNNING, "SubState": "auto-restart", "Result": "exit-code"}])
    checks: list[str] = []

    def fake_check(check, timeout):
        checks.append(check)
        return 1, ""  # the broker never answers

    monkeypatch.setattr(gate, "unit_state", lambda module, unit: next(states))
    monkeypatch.setattr(gate, "journal_tail", lambda module, unit, lines: "log.retention.hours: not-a-number")
    monkeypatch.setattr(gate, "run_check", fake_check)
    monkeypatch.setattr(gate.time, "sleep", lambda seconds: None)
    args = {
        "check": "kafka-broker-api-versions.sh",
        "service": "kafka.service",
        "timeout": 600,
        "interval": 0,
    }
    with patch_module_args({**args, "what": "broker 1 registered again"}), pytest.raises(SystemExit):
        gate.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert len(checks) == 1  # one try, then the restart is seen: no waiting out the 600 s
    assert result["msg"].startswith(
        "kafka.service exited and is being restarted by systemd (exit-code)"
        " while waiting for broker 1 registered again."
    )
    assert "Last lines of journalctl -u kafka.service:\nlog.retention.hours: not-a-number" in result["msg"]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_gate(args: dict, capsys) -> dict:
    with patch_module_args({"what": "broker 1 registered", **args}), pytest.raises(SystemExit):
        gate.main()
    return json.loads(capsys.readouterr().out)


def test_the_check_waits_for_its_port_and_runs_once_the_port_accepts(monkeypatch, capsys):
    """No check (a JVM) is started while the starting broker's listener refuses connections."""
    port = free_port()
    checks: list[float] = []
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def listen_later() -> None:
        time.sleep(0.7)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        opened.append(time.monotonic())

    def fake_check(check, timeout):
        checks.append(time.monotonic())
        return 0, "127.0.0.1:9092 (id: 1 rack: a) -> (...)"

    opened: list[float] = []
    monkeypatch.setattr(gate, "run_check", fake_check)
    thread = threading.Thread(target=listen_later)
    thread.start()
    try:
        result = run_gate(
            {"check": "api-versions", "pattern": r"\(id: 1 rack", "port": f"127.0.0.1:{port}"}, capsys
        )
    finally:
        thread.join()
        listener.close()
    assert result.get("failed") is not True, result
    assert result["tries"] == 1 and len(checks) == 1
    assert checks[0] >= opened[0]  # the check ran only after the port accepted
    assert result["elapsed"] < 1.5  # retried every 0.2 s, not every `interval` (1 s)


def test_a_port_that_never_accepts_fails_the_gate_naming_it(monkeypatch, capsys):
    port = free_port()
    checks: list[str] = []
    monkeypatch.setattr(gate, "run_check", lambda check, timeout: checks.append(check) or (0, ""))
    result = run_gate({"check": "api-versions", "port": f"127.0.0.1:{port}", "timeout": 1}, capsys)
    assert result["failed"] is True
    assert result["msg"] == (
        f"broker 1 registered not reached within 1s: at the last try 127.0.0.1:{port} does not accept"
        " connections (the check ran 0 times)."
    )
    assert checks == []


def test_a_port_goes_with_a_check_only(capsys):
    result = run_gate(
        {"metrics": [{"name": "n1", "url": "http://127.0.0.1:1/metrics"}], "port": "127.0.0.1:1"}, capsys
    )
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]


KAFKA_20839 = (
    "[QuorumController id=5] Becoming the active controller at epoch 9, next write offset 2.\n"
    "ERROR Encountered fatal fault: exception while completing controller activation\n"
    "java.lang.RuntimeException: Should not have ZK migrations enabled on a cluster running metadata.version"
    " 3.0-IV1\n"
    "kafka.service: Main process exited, code=exited, status=1/FAILURE"
)


@pytest.mark.parametrize(
    ("journal", "hinted"),
    [(KAFKA_20839, True), ("log.retention.hours: not-a-number", False)],
    ids=["kafka-20839", "another fault"],
)
def test_a_known_kafka_fault_in_the_journal_ends_the_message_with_the_way_out(
    monkeypatch, capsys, journal, hinted
):
    monkeypatch.setattr(gate, "unit_state", lambda module, unit: {**RUNNING, "ActiveState": "failed"})
    monkeypatch.setattr(gate, "journal_tail", lambda module, unit, lines: journal)
    monkeypatch.setattr(gate, "run_check", lambda check, timeout: (1, ""))
    monkeypatch.setattr(gate.time, "sleep", lambda seconds: None)
    args = {"check": "kafka-metadata-quorum.sh describe --replication", "service": "kafka.service"}
    result = run_gate({**args, "timeout": 600, "interval": 0, "what": "one active controller"}, capsys)
    assert result["failed"] is True
    message = result["msg"]
    assert message.startswith("kafka.service failed")
    assert f"Last lines of journalctl -u kafka.service:\n{journal}" in message
    hint = "\nThis is Kafka 3.9's fault KAFKA-20839:"
    assert (hint in message) is hinted
    if hinted:
        assert message.endswith(
            "run playbooks/rollback_migration.yml (it moves their storage aside), then "
            "playbooks/migrate_to_kraft.yml again, which formats them afresh."
        )
