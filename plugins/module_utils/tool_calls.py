"""Kafka's command-line tools run at once from a module (each call is a JVM start-up).

One place for what kafka_topic and kafka_features share: independent calls run in threads, and a call
whose tool can't start (not installed yet) comes back as an error result like a failed call, so the
module reports it once. AnsibleModule.run_command would otherwise call fail_json from each thread, and
the module would print one result per thread (Ansible then fails to read any of them).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

# The tools' heap: the default (a quarter of the host's memory) is far more than any call needs.
TOOL_ENVIRONMENT = {"KAFKA_HEAP_OPTS": "-Xmx256m"}
NOT_STARTED = 127  # the shell's code for a command that could not be run


def run_tool(module: AnsibleModule, command: list[str]) -> tuple[int, str, str]:
    """rc, stdout and stderr of one call; a tool that can't start gives NOT_STARTED and the reason."""
    try:
        return module.run_command(command, environ_update=TOOL_ENVIRONMENT, handle_exceptions=False)
    except OSError as error:
        return NOT_STARTED, "", f"{command[0]}: {error.strerror or error}"


def run_tools(module: AnsibleModule, commands: list[list[str]]) -> list[tuple[int, str, str]]:
    """Each command's rc, stdout and stderr, in order; the commands run at once."""
    with ThreadPoolExecutor(max_workers=max(len(commands), 1)) as pool:
        return list(pool.map(lambda command: run_tool(module, command), commands))
