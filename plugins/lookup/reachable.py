"""reachable: whether the control node opens a TCP connection to host:port, without a task."""

from __future__ import annotations

DOCUMENTATION = r"""
name: reachable
short_description: Whether the control node reaches a TCP port, in the play's own process
description:
  - For each C(host:port) term (an IPv6 address in brackets, C([::1]:9092)), C(true) when the control
    node opens a TCP connection to it within C(timeout) seconds, else C(false). The connection is
    closed at once; nothing is sent.
  - What M(ansible.builtin.wait_for) delegated to localhost answers with C(timeout), without a task's
    cost (a worker and a module run, about half a second on a busy control node).
  - Runs where lookups run, on the control node (in AWX, the job's execution environment).
version_added: "0.6.0"
author: kafka-aws
options:
  _terms:
    description: C(host:port) addresses.
    required: true
  timeout:
    description: Seconds to wait for each connection.
    type: float
    default: 2
"""

EXAMPLES = r"""
- name: Choose the admin client when the control node reaches the first broker
  ansible.builtin.set_fact:
    _use_admin: "{{ lookup('kafka_aws.kafka.reachable', '10.0.1.5:9092', timeout=2) }}"
"""

RETURN = r"""
_raw:
  description: One boolean per term.
  type: list
  elements: bool
"""

import socket
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase


def address(term: str) -> tuple[str, int]:
    """host and port of host:port or [v6]:port."""
    host, sep, port = str(term).rpartition(":")
    if not sep or not host or not port.isdigit():
        raise AnsibleError(f"reachable: {term!r} is not host:port")
    return host.removeprefix("[").removesuffix("]"), int(port)


def reaches(host: str, port: int, timeout: float) -> bool:
    """Whether a TCP connection to host:port opens within timeout seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[bool]:
        self.set_options(var_options=variables, direct=kwargs)
        timeout = float(self.get_option("timeout"))
        return [reaches(*address(term), timeout) for term in terms]
