"""One way for the unit and integration tests to run an Ansible command line tool."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def load_collections() -> None:
    """Make the project's collections importable (ansible_collections.kafka_aws...), once per process: a test
    file imports a plugin's code with it, and a second init_plugin_loader would only warn."""
    from ansible.plugins.loader import init_plugin_loader

    init_plugin_loader([str(ROOT / "collections")])


def ansible_tool(
    tool: str,
    *args: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: int | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess:
    """`tool` (ansible, ansible-playbook, ansible-inventory...) from this interpreter's environment with
    the project's ansible.cfg and no colour, output captured; `env` adds variables. With check=False a
    failed run does not raise: the test judges the result."""
    return subprocess.run(
        [str(Path(sys.executable).parent / tool), *args],
        cwd=cwd,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"} | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def module_result(module: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """One module run ad hoc on localhost (its own inventory, not the lab's; this interpreter), its result
    as ansible.posix.json reports it; a failed run raises. `args` follow `-m module` (e.g. "-a", "k=v")."""
    callback = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    interpreter = f"ansible_python_interpreter={sys.executable}"
    command = ("localhost", "-i", "localhost,", "-c", "local", "-e", interpreter, "-m", module, *args)
    result = ansible_tool("ansible", *command, env=callback | (env or {}), check=True)
    return json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
