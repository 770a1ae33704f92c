"""service_gate's crash-loop rule: a unit that systemd restarts, that failed or that stopped fails the
gate at once (with the journal), instead of the gate waiting out its timeout."""

from __future__ import annotations

import json
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
