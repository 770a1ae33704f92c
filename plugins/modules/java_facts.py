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

import os
import re

from ansible.module_utils.basic import AnsibleModule


def home_of(java: str) -> str:
    """The home of a java binary: its real path's grandparent (<home>/bin/java)."""
    return os.path.dirname(os.path.dirname(os.path.realpath(java)))


def major_version(version: str) -> int:
    """The major version of a JAVA_VERSION or java.specification.version value: 1.8.0_402 -> 8."""
    match = re.match(r"^(\d+)(?:\.(\d+))?", version.strip().strip('"'))
    if not match:
        return 0
    first = int(match.group(1))
    return int(match.group(2) or 0) if first == 1 else first


def release_version(home: str) -> int:
    """JAVA_VERSION from <home>/release (a Java 8 JRE's home is <jdk>/jre: its release is one up)."""
    for folder in (home, os.path.dirname(home)):
        try:
            with open(os.path.join(folder, "release"), encoding="utf-8") as release:
                text = release.read()
        except OSError:
            continue
        match = re.search(r'^JAVA_VERSION="?([^"\n]+)', text, re.MULTILINE)
        if match:
            return major_version(match.group(1))
    return 0


def jvm_settings(output: str) -> tuple[str, int]:
    """java.home and the major of java.specification.version from -XshowSettings:properties output."""
    home = re.search(r"java\.home = (\S+)", output)
    spec = re.search(r"java\.specification\.version = (\S+)", output)
    return (home.group(1) if home else "", major_version(spec.group(1)) if spec else 0)


def main() -> None:
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    java = module.get_bin_path("java")
    if not java:
        module.exit_json(changed=False, java_home="", java_major_version=0, source="none")
    home = home_of(java)
    version = release_version(home)
    if version:
        module.exit_json(changed=False, java_home=home, java_major_version=version, source="release")
    _, _, stderr = module.run_command([java, "-XshowSettings:properties", "-version"])
    home, version = jvm_settings(stderr)
    module.exit_json(changed=False, java_home=home, java_major_version=version, source="jvm")


if __name__ == "__main__":
    main()
