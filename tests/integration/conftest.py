"""Integration tests run after `lab prepare`: the engine, images, mirror and fake EC2 are up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab import config, services

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def lab_services() -> None:
    """The lab's mirror and fake EC2 answer (started by `lab prepare`, or here)."""
    for service in services.SERVICES:
        services.start(service)


def ansible(tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(config.PROJECT_ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        [str(BIN / tool), *args],
        cwd=config.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )
