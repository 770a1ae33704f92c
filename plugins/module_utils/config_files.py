"""Shared by the config_files action plugin (controller) and module (target): the argument spec, modes.

No Ansible import here; the module side must run on the targets' Python (3.9 and later).
"""

from __future__ import annotations

import copy
from typing import Any

CREATED = "created"
CONTENT = "content"
ATTRIBUTES = "attributes"

# Ansible's default MAX_FILE_SIZE_FOR_DIFF; the action plugin passes the configured value.
DEFAULT_DIFF_MAX_SIZE = 104448

_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw", "required": True},
}

_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "directories": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"path": {"type": "path", "required": True}, **_ATTRIBUTES},
    },
    "files": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "dest": {"type": "path", "required": True},
            "src": {"type": "str"},
            # The rendered or literal text; the action plugin fills it in from src. no_log keeps it out of
            # the module's own logging (syslog/journal) and out of its invocation record.
            "content": {"type": "str", "no_log": True},
            "vars": {"type": "dict", "default": {}},
            "secret": {"type": "bool", "default": False},
            **_ATTRIBUTES,
        },
    },
    "diff_max_size": {"type": "int", "default": DEFAULT_DIFF_MAX_SIZE},
}


def argument_spec() -> dict[str, dict[str, Any]]:
    """A fresh copy of the argument spec (validators may annotate what they are given)."""
    return copy.deepcopy(_ARGUMENT_SPEC)


def parse_mode(value: Any) -> int:
    """An octal permission mode: a string of octal digits ("0640", "640") or an int (YAML's 0640)."""
    if isinstance(value, bool):
        raise ValueError(f"mode must be octal digits such as '0640', not {value!r}")
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and value.strip().isdigit():
        try:
            mode = int(value.strip(), 8)
        except ValueError:
            raise ValueError(f"mode must be octal digits such as '0640', not {value!r}") from None
    else:
        raise ValueError(f"mode must be octal digits such as '0640', not {value!r}")
    if not 0 <= mode <= 0o7777:
        raise ValueError(f"mode {value!r} is out of range (0000-7777)")
    return mode


def format_mode(mode: int) -> str:
    return f"{mode:04o}"
