"""Integration tests run after `lab prepare`: the engine, images, mirror and fake EC2 are up."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from lab import config, services
from tests.ansible_run import ansible_tool


@pytest.fixture(scope="session")
def lab_services() -> None:
    """The lab's mirror and fake EC2 answer (started by `lab prepare`, or here)."""
    for service in services.SERVICES:
        services.start(service)


def ansible(tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`tool` in the project's folder (tests/ansible_run.py); a failed run raises unless check=False."""
    return ansible_tool(tool, *args, check=check)


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server of a test's own on a free 127.0.0.1 port (not the lab's); yields its endpoint."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def ec2_client(endpoint: str, key: str = "t", secret: str = "t") -> Any:
    """An EC2 client of a moto server (any credentials do)."""
    return boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name=config.REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )
