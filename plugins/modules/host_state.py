"""host_state: everything a role needs to know about a service's host, read in one round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_state
short_description: Read a service's state on the host in one round trip (read-only)
description:
  - Reads, in one module run, what a role decides on before changing a host - whether the service's
    systemd unit is active and enabled, whether a restart is pending from an earlier run (a marker
    file), whether the service user and group exist, whether a release is installed and where its
    stable link points, and the content of small identity files (myid, meta.properties).
  - A missing file reads as null; any other read error fails, naming the file, so a guard that reads
    an identity file can never be silently disabled.
  - Never changes anything.
version_added: "0.2.0"
author: kafka-aws
options:
  service:
    description: systemd unit name without C(.service).
    type: str
    required: true
  marker:
    description: File whose existence means a restart of the service is still pending.
    type: path
  user:
    description: Service user to look up.
    type: str
  group:
    description: Service group to look up.
    type: str
  release_dir:
    description: Installed release folder; installed means its C(.kafka-aws-release) marker exists.
    type: path
  link:
    description: Stable link whose target is reported.
    type: path
  read:
    description: Small files whose content is returned (null when missing).
    type: list
    elements: path
    default: []
  present:
    description: Files whose existence only is returned (an installed jar, too large to read).
    type: list
    elements: path
    default: []
  four_letter:
    description:
      - A ZooKeeper four-letter word to send to the service (C(srvr)), answered in RV(four_letter_reply), so
        a run that leaves a member untouched can judge its health from this read instead of another round
        trip. Only read when the unit is active.
    type: dict
    suboptions:
      address:
        description: Address the member's client port listens on.
        type: str
        required: true
      port:
        description: The client port.
        type: int
        required: true
      word:
        description: The four-letter word.
        type: str
        required: true
"""

EXAMPLES = r"""
- name: Read the broker host's state
  kafka_aws.kafka.host_state:
    service: kafka
    marker: /var/lib/kafka-aws/kafka.restart-pending
    user: kafka
    group: kafka
    release_dir: /opt/kafka_2.13-3.9.2
    link: /opt/kafka
    read: [/var/lib/kafka/data/meta.properties]
  register: broker_host
"""

RETURN = r"""
active:
  description: The unit is active.
  type: bool
  returned: always
enabled:
  description: The unit is enabled at boot.
  type: bool
  returned: always
restart_pending:
  description: The marker exists.
  type: bool
  returned: always
user_exists:
  description: The user exists (false when O(user) is not given).
  type: bool
  returned: always
user_info:
  description: The user's C(shell), C(home) and primary C(group) (empty when it does not exist).
  type: dict
  returned: always
group_exists:
  description: The group exists (false when O(group) is not given).
  type: bool
  returned: always
release_installed:
  description: The release folder holds the installed-release marker.
  type: bool
  returned: always
link_target:
  description: Where O(link) points, or null.
  type: str
  returned: always
release_current:
  description: The release is installed (RV(release_installed)) and O(link) points at O(release_dir); when
    false, the role installs or re-links it.
  type: bool
  returned: always
files:
  description: Path -> content (null when the file does not exist).
  type: dict
  returned: always
present:
  description: Path -> whether it exists, for each path of O(present) (a file that is installed, not read).
  type: dict
  returned: always
four_letter_reply:
  description: The service's answer to O(four_letter); empty when the unit is down or the port did not answer
    within 5 seconds.
  type: str
  returned: always
"""

import grp
import os
import pwd
import socket
from typing import Any

from ansible.module_utils.basic import AnsibleModule

RELEASE_MARKER = ".kafka-aws-release"


def unit_state(module: AnsibleModule, unit: str) -> tuple[bool, bool]:
    """(active, enabled) of a systemd unit; a unit that does not exist is neither."""
    _, out, _ = module.run_command(
        ["systemctl", "show", f"{unit}.service", "--property=ActiveState,UnitFileState"], check_rc=False
    )
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return props.get("ActiveState") == "active", props.get("UnitFileState") == "enabled"


def exists(lookup: Any, name: str | None) -> bool:
    if not name:
        return False
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def user_info(name: str | None) -> dict[str, str]:
    """Shell, home and primary group of a user, as ansible.builtin.user would set them."""
    if not name:
        return {}
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return {}
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = str(entry.pw_gid)
    return {"shell": entry.pw_shell, "home": entry.pw_dir, "group": group}


def read_file(module: AnsibleModule, path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(65536)
    except FileNotFoundError:
        return None
    except OSError as error:
        module.fail_json(msg=f"host_state: cannot read {path}: {error}")
    return None


def four_letter_reply(ask: dict[str, Any] | None, active: bool) -> str:
    """The member's answer to a four-letter word, read to the end; empty when down or not answering."""
    if not ask or not active:
        return ""
    chunks: list[bytes] = []
    try:
        with socket.create_connection((ask["address"], ask["port"]), timeout=5) as sock:
            sock.sendall(ask["word"].encode())
            while chunk := sock.recv(4096):
                chunks.append(chunk)
    except OSError:
        return ""
    return b"".join(chunks).decode(errors="replace")


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "service": {"type": "str", "required": True},
            "marker": {"type": "path"},
            "user": {"type": "str"},
            "group": {"type": "str"},
            "release_dir": {"type": "path"},
            "link": {"type": "path"},
            "read": {"type": "list", "elements": "path", "default": []},
            "present": {"type": "list", "elements": "path", "default": []},
            "four_letter": {
                "type": "dict",
                "options": {
                    "address": {"type": "str", "required": True},
                    "port": {"type": "int", "required": True},
                    "word": {"type": "str", "required": True},
                },
            },
        },
        supports_check_mode=True,
    )
    params = module.params
    active, enabled = unit_state(module, params["service"])
    link = params["link"]
    release = params["release_dir"]
    installed = bool(release) and os.path.exists(os.path.join(release, RELEASE_MARKER))
    target = os.readlink(link) if link and os.path.islink(link) else None
    module.exit_json(
        changed=False,
        active=active,
        enabled=enabled,
        restart_pending=bool(params["marker"]) and os.path.exists(params["marker"]),
        user_exists=exists(pwd.getpwnam, params["user"]),
        user_info=user_info(params["user"]),
        group_exists=exists(grp.getgrnam, params["group"]),
        release_installed=installed,
        link_target=target,
        release_current=installed and target == release,
        files={path: read_file(module, path) for path in params["read"]},
        present={path: os.path.exists(path) for path in params["present"]},
        four_letter_reply=four_letter_reply(params["four_letter"], active),
    )


if __name__ == "__main__":
    main()
