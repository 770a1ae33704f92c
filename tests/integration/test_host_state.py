"""host_state's release_current: the one rule for "this release is installed and linked", which the
zookeeper and kafka roles read to skip or run the release install."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ansible_run import module_result

pytestmark = pytest.mark.integration


def probe(release_dir: Path, link: Path) -> dict:
    return module_result(
        "kafka_aws.kafka.host_state", "-a", f"service=kafka-aws-test release_dir={release_dir} link={link}"
    )


def state(found: dict) -> tuple[bool, str | None, bool]:
    return found["release_installed"], found["link_target"], found["release_current"]


def test_release_current_only_when_installed_and_linked(tmp_path):
    release, other, link = tmp_path / "kafka_2.13-3.9.2", tmp_path / "kafka_2.13-3.9.1", tmp_path / "kafka"
    release.mkdir()
    assert state(probe(release, link)) == (False, None, False)  # unpacked, no marker: not installed
    (release / ".kafka-aws-release").write_text("")
    assert state(probe(release, link)) == (True, None, False)  # installed, no link yet
    link.symlink_to(other)
    assert state(probe(release, link)) == (True, str(other), False)  # the link names the old release
    link.unlink()
    link.symlink_to(release)
    assert state(probe(release, link)) == (True, str(release), True)
