"""`lab up` gives running systemd nodes Ansible reaches; `lab down` removes what the lab started only."""

from __future__ import annotations

import subprocess

import pytest

from lab import cli, config, nodes, services
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
            ["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True
        ).stdout
        assert not any(config.container_name(i) in left for i in (1, 2, 3))
        assert decoy in left
        assert not any(services.answers(s.url) for s in services.SERVICES)
    finally:
        cli.prepare()  # later tests and the molecule scenarios use the mirror and the fake EC2 API
