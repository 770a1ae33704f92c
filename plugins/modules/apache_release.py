"""apache_release: an Apache release archive installed once on the host, behind a stable link."""

from __future__ import annotations

DOCUMENTATION = r"""
module: apache_release
short_description: Install an Apache release archive, verified on the control node, behind a stable link
description:
  - Downloads the archive once into a cache folder on the control node and checks it against its
    published SHA-512 (or O(checksum), or uses O(local_archive)), then unpacks it on the host into
    O(install_root)/O(name), owned by root, writes a marker holding the archive's name and digest, and
    points O(link) at it.
  - A release whose marker is there is not downloaded, transferred or unpacked again; only O(link) is
    corrected. That check is one round trip per host, and a cold install three (read, transfer, unpack).
  - Check mode reports what would change and downloads nothing.
  - The action plugin of the same name does the control-node side; this module is its host side.
version_added: "0.6.0"
author: kafka-aws
options:
  name:
    description: Release name, also the archive's top directory (e.g. C(kafka_2.13-3.9.2)).
    type: str
    required: true
  url:
    description: Where to download the archive from. Required unless O(local_archive) is set.
    type: str
    default: ""
  checksum_url:
    description: Published checksum file, C(sha512sum) format or Apache's older C(gpg --print-md) format.
    type: str
    default: ""
  checksum:
    description: The SHA-512 hex digest itself; when set, no checksum file is read.
    type: str
    default: ""
  local_archive:
    description: An archive already on the control node, used instead of O(url).
    type: str
    default: ""
  cache_dir:
    description: Control-node folder where downloads are kept.
    type: str
    required: true
  install_root:
    description: Folder the archive is unpacked into.
    type: str
    default: /opt
  link:
    description: Stable symbolic link pointing at O(install_root)/O(name).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Install Kafka 3.9.2 under /opt, linked as /opt/kafka
  kafka_aws.kafka.apache_release:
    name: kafka_2.13-3.9.2
    url: https://archive.apache.org/dist/kafka/3.9.2/kafka_2.13-3.9.2.tgz
    checksum_url: https://archive.apache.org/dist/kafka/3.9.2/kafka_2.13-3.9.2.tgz.sha512
    cache_dir: ~/.cache/kafka-aws
    link: /opt/kafka
"""

RETURN = r"""
installed:
  description: Whether the release was already installed before this run.
  type: bool
  returned: always
dir:
  description: The release's folder.
  type: str
  returned: always
archive:
  description: The archive's file name and SHA-512, as written to the marker (after an install).
  type: str
  returned: when installed by this run
"""

import os
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

MARKER = ".kafka-aws-release"


def link_target(link: Path) -> str | None:
    return os.readlink(link) if link.is_symlink() else None


def point_link(module: AnsibleModule, link: Path, target: Path) -> bool:
    """Point `link` at `target` (replaced atomically); True when it changed."""
    if link_target(link) == str(target):
        return False
    if link.exists() and not link.is_symlink():
        module.fail_json(
            msg=f"apache_release: {link} (the release's link) exists and is not a symbolic link; "
            "move it away."
        )
    if not module.check_mode:
        fresh = link.parent / f".{link.name}.kafka-aws-new"
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(target)
        os.replace(fresh, link)
    return True


def unpack(module: AnsibleModule, archive: str, root: Path, release: Path) -> None:
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    if not (release / "bin").is_dir():
        rc, _, err = module.run_command(["tar", "--no-same-owner", "-xzf", archive, "-C", str(root)])
        if rc != 0:
            module.fail_json(msg=f"apache_release: unpacking into {root} failed: {err.strip()}")
    if not (release / "bin").is_dir():
        module.fail_json(
            msg=f"apache_release: the archive did not unpack to {release}; check apache_release_name "
            "matches the archive's top directory."
        )


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "dir": {"type": "str", "required": True},
            "install_root": {"type": "str", "required": True},
            "link": {"type": "str", "required": True},
            "archive": {"type": "str"},
            "marker": {"type": "str"},
        },
        required_together=[("archive", "marker")],
        supports_check_mode=True,
    )
    release, link = Path(module.params["dir"]), Path(module.params["link"])
    result: dict[str, Any] = {"dir": str(release), "installed": (release / MARKER).is_file()}
    if not result["installed"] and module.params["archive"] is None:
        module.exit_json(changed=False, **result)  # the action plugin transfers the archive, then calls again
    if not result["installed"] and not module.check_mode:
        unpack(module, module.params["archive"], Path(module.params["install_root"]), release)
        (release / MARKER).write_text(module.params["marker"] + "\n")
        (release / MARKER).chmod(0o644)
        result["archive"] = module.params["marker"]
    changed = point_link(module, link, release) or not result["installed"]
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
