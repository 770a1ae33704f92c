"""The reachable lookup: a TCP connection from the control node, opened and closed, no task."""

from __future__ import annotations

import socket

import pytest
from ansible.errors import AnsibleError

from tests.ansible_run import module_result
from tests.unit.conftest import load

reachable = load("plugins/lookup/reachable.py", "reachable_lookup")


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("127.0.0.1:9092", ("127.0.0.1", 9092)),
        ("[::1]:9092", ("::1", 9092)),
        ("b1.example:1", ("b1.example", 1)),
    ],
)
def test_address(term, expected):
    assert reachable.address(term) == expected


@pytest.mark.parametrize("term", ["127.0.0.1", ":9092", "host:port", ""])
def test_not_an_address(term):
    with pytest.raises(AnsibleError, match="is not host:port"):
        reachable.address(term)


def test_a_listening_port_is_reached_and_a_closed_one_is_not():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert reachable.reaches("127.0.0.1", port, 1) is True
    # the port is closed now: refused at once, not after the timeout
    assert reachable.reaches("127.0.0.1", port, 1) is False


def test_the_lookup_in_a_play():
    """Through Ansible's plugin loader, with its documented timeout option: one boolean per term."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        expression = f"{{{{ query('kafka_aws.kafka.reachable', '127.0.0.1:{port}', '[::1]:1', timeout=1) }}}}"
        result = module_result("ansible.builtin.debug", "-a", f"msg={expression}")
    assert result["msg"] == [True, False], result
