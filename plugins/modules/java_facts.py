"""java_facts: the home and major version of the Java on PATH, read from its files (no JVM start); with
`job`, first waits in the same run for a background install to end."""

from __future__ import annotations

DOCUMENTATION = r"""
module: java_facts
short_description: Read the home and major version of the Java on PATH without starting a JVM
description:
  - Follows C(java) on C(PATH) through its links (C(/usr/bin/java), the alternatives) to its home,
    the folder holding C(bin/java), the value of the JVM's own C(java.home) property.
  - Reads the major version from C(JAVA_VERSION) in the home's C(release) file (C(1.8.0_402) is 8,
    C(17.0.13) is 17), which every OpenJDK build since Java 9 ships (Debian, Ubuntu, Amazon Corretto,
    Red Hat). Only where that file is missing does it ask the JVM (C(java -XshowSettings:properties
    -version)), about a second on a busy host.
  - No Java on C(PATH) is no error; the module then returns an empty home and version 0.
  - With O(job), first waits for that background job (a task run with C(async) and C(poll=0), such as the
    java role's package install) to end, checking every 0.1 s, and returns its result with the facts in the
    same round trip, with the job's C(changed); a failed job fails the module with the job's message. The
    job's result file is then removed. Without O(job) it never changes anything.
version_added: "0.6.0"
author: kafka-aws
options:
  job:
    description: The id of a background job to wait for (C(ansible_job_id) of the task that started it).
    type: str
    default: ""
    version_added: "0.7.0"
  timeout:
    description: Seconds to wait for O(job) to end; the module fails when it has not.
    type: int
    default: 900
    version_added: "0.7.0"
  async_dir:
    description: >-
      Where background jobs write their results on the host: the shell's C(async_dir) (C(ansible_async_dir)),
      expanded for the user the module runs as, like the job did.
    type: str
    default: ~/.ansible_async
    version_added: "0.7.0"
"""

EXAMPLES = r"""
- name: Read the installed Java's home and version
  kafka_aws.kafka.java_facts:
  register: _java

- name: Wait for the package install started in the background, then read the Java's home and version
  kafka_aws.kafka.java_facts:
    job: "{{ _java_install.ansible_job_id }}"
    timeout: 930
  register: _java
"""

RETURN = r"""
java_home:
  description: The Java home (the JVM's C(java.home)); empty when no C(java) is on C(PATH).
  type: str
  returned: always
java_major_version:
  description: The major version (8, 11, 17, 21, ...); 0 when no C(java) is on C(PATH).
  type: int
  returned: always
source:
  description: Where the version came from, C(release) (the home's release file), C(jvm) or C(none).
  type: str
  returned: always
"""

import json
import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kafka_aws.kafka.plugins.module_utils.java_home import read

POLL_S = 0.1


def job_state(path: str) -> dict[str, Any] | None:
    """The job's result once it ended; None while it runs (its file says "started", or is being written)."""
    try:
        with open(path, encoding="utf-8") as result:
            data = json.load(result)
    except ValueError:
        return None
    return None if "started" in data else dict(data)


def job_result(path: str, timeout: float) -> dict[str, Any]:
    """Wait until the background job writing `path` ends; its result, or a failure saying why it has none."""
    deadline = time.monotonic() + timeout
    while True:
        if not os.path.exists(path):
            return {"failed": True, "msg": f"no background job writes {path} (cleaned up, or never started)"}
        data = job_state(path)
        if data is not None:
            return data
        if time.monotonic() >= deadline:
            return {"failed": True, "msg": f"the background job did not end within {timeout:.0f}s ({path})"}
        time.sleep(POLL_S)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "job": {"type": "str", "default": ""},
            "timeout": {"type": "int", "default": 900},
            "async_dir": {"type": "str", "default": "~/.ansible_async"},
        },
        supports_check_mode=True,
    )
    job = module.params["job"]
    if not job:
        module.exit_json(changed=False, **read(module))
    path = os.path.join(os.path.expanduser(module.params["async_dir"]), job)
    ended = job_result(path, module.params["timeout"])
    if ended.get("failed"):
        module.fail_json(msg=str(ended.get("msg", "the background job failed")), job_result=ended)
    os.remove(path)
    module.exit_json(changed=bool(ended.get("changed")), **read(module))


if __name__ == "__main__":
    main()
