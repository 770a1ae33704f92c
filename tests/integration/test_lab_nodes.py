"""`lab up` gives running systemd nodes Ansible reaches; `lab down` removes what the lab started only."""

from __future__ import annotations

import subprocess

import pytest

from lab import cli, config, engine, nodes, services
from tests.integration.conftest import ansible

pytestmark = pytest.mark.integration
DECOY = "kafka-aws-it-decoy"


@pytest.fixture
def decoy():
    """A container the lab did not start; `lab down` must leave it alone."""
    subprocess.run(["docker", "rm", "-f", DECOY], capture_output=True)
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            DECOY,
            "--network",
            "none",
            "kafka-lab/debian12:latest",
            "sleep",
            "600",
        ],
        check=True,
        capture_output=True,
    )
    yield DECOY
    subprocess.run(["docker", "rm", "-f", DECOY], capture_output=True)


def test_up_ping_status_down(decoy, capsys):
    assert cli.main(["up"]) == 0
    assert [n.container for n in nodes.load_state()] == [config.container_name(i) for i in (1, 2, 3)]
    pong = ansible("ansible", "-i", "inventory/lab", "all", "-m", "ansible.builtin.ping", "-o")
    assert pong.stdout.count("SUCCESS") == 3, pong.stdout
    capsys.readouterr()  # drop what `lab up` printed
    assert cli.main(["status"]) == 0
    status = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("  kafka-lab-") and line.endswith(" running") for line in status) == 3
    assert [line for line in status if line.endswith(" answering")], status
    try:
        assert cli.main(["down"]) == 0
        left = subprocess.run(
            ["docker", "ps", "--format", "{{.Names}}"], capture_output=True, text=True, check=True
        ).stdout
        assert not any(config.container_name(i) in left for i in (1, 2, 3))
        assert decoy in left.split()  # still running: the engine stays up for containers not the lab's
        assert not any(services.answers(s.url) for s in services.SERVICES)
        subprocess.run(["docker", "rm", "-f", decoy], check=True, capture_output=True)
        lab_started_engine = engine.PIDFILE.exists()
        assert cli.main(["down"]) == 0
        assert engine.engine_answers() is not lab_started_engine  # stopped only when the lab started it
    finally:
        cli.prepare()  # later tests and the molecule scenarios use the engine, mirror and fake EC2 API
