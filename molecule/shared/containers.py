#!/usr/bin/env python3
"""Start or remove a Molecule scenario's containers, all at once, with the lab's systemd options.

  containers.py up NAME=IMAGE...   start each container from its pre-built image (lab/image.py), systemd
                                   as PID 1 with lab/nodes.py's SYSTEMD_FLAGS, labelled owner=molecule
  containers.py down NAME...       remove (kill) each of these containers that exists; prints the removed

Used by create.yml and destroy.yml beside it, for every scenario. Exits 1 with docker's message when a
container can't be started or removed.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from lab.nodes import SYSTEMD_FLAGS, container_state
from lab.util import LabError, run


def start(spec: str) -> None:
    name, _, image = spec.partition("=")
    if not name or not image:
        raise LabError(f"{spec!r}: expected NAME=IMAGE")
    run(["docker", "run", "-d", "--name", name, "--hostname", name, "--label", "owner=molecule",
         *SYSTEMD_FLAGS, image, "/sbin/init"])  # fmt: skip


def remove(name: str) -> str | None:
    """The name when the container existed and is removed, None when there was none."""
    if container_state(name) is None:
        return None
    run(["docker", "rm", "-f", name])
    return name


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("up", "down"):
        print(__doc__, file=sys.stderr)
        return 2
    action = start if argv[0] == "up" else remove
    with ThreadPoolExecutor(max_workers=len(argv) - 1) as pool:
        futures = [pool.submit(action, item) for item in argv[1:]]
    failures = [str(f.exception()) for f in futures if f.exception() is not None]
    for name in (f.result() for f in futures if f.exception() is None):
        if name:
            print(name)
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
