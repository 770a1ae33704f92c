"""java_facts: the home and major version of the Java on PATH, read from its files (no JVM start)."""

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
  - Never changes anything.
version_added: "0.6.0"
author: kafka-aws
options: {}
"""

EXAMPLES = r"""
- name: Read the installed Java's home and version
  kafka_aws.kafka.java_facts:
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kafka_aws.kafka.plugins.module_utils.java_home import read


def main() -> None:
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, **read(module))


if __name__ == "__main__":
    main()
