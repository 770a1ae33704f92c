"""The home and major version of the Java on PATH, read from its files; the JVM asked only without them.

Shared by the java_facts module (the java role) and node_facts (preflight reads it with the distribution,
in the same round trip, so a run's java role need not read it again).
"""

from __future__ import annotations

import os
import re
from typing import Any


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


def read(module: Any) -> dict[str, Any]:
    """{java_home, java_major_version, source} of the java on PATH (empty, 0 and none without one)."""
    java = module.get_bin_path("java")
    if not java:
        return {"java_home": "", "java_major_version": 0, "source": "none"}
    home = home_of(java)
    version = release_version(home)
    if version:
        return {"java_home": home, "java_major_version": version, "source": "release"}
    _, _, stderr = module.run_command([java, "-XshowSettings:properties", "-version"])
    home, version = jvm_settings(stderr)
    return {"java_home": home, "java_major_version": version, "source": "jvm"}
