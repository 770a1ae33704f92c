"""apache_release: verified installs from the lab mirror; a bad checksum installs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab import config, mirror
from tests.integration.conftest import ansible

pytestmark = pytest.mark.integration
ZK = mirror.zookeeper_dist(mirror.ZOOKEEPER_VERSION)


def run_role(tmp_path: Path, **role_vars) -> subprocess.CompletedProcess:
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Install a release",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "vars": {"ansible_python_interpreter": sys.executable},
                    "roles": [{"role": "kafka_aws.kafka.apache_release", "vars": role_vars}],
                }
            ]
        )
    )
    return ansible("ansible-playbook", "-i", "localhost,", str(playbook), check=False)


def role_vars(tmp_path: Path, **extra) -> dict:
    relative = ZK.archive_path(config.MIRROR_DIR).relative_to(config.MIRROR_DIR)
    return {
        "apache_release_name": ZK.top,
        "apache_release_url": f"{config.MIRROR_URL}/{relative}",
        "apache_release_cache_dir": str(tmp_path / "cache"),
        "apache_release_install_root": str(tmp_path / "opt"),
        "apache_release_link": str(tmp_path / "opt/zookeeper"),
        **extra,
    }


def test_verified_install_then_no_change(lab_services, tmp_path: Path):
    first = run_role(tmp_path, **role_vars(tmp_path))
    assert first.returncode == 0, first.stdout[-3000:]
    assert (tmp_path / "opt/zookeeper/bin/zkServer.sh").exists()
    assert (tmp_path / "opt" / ZK.top / ".kafka-aws-release").read_text().startswith(ZK.archive_name)
    second = run_role(tmp_path, **role_vars(tmp_path))
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout[-3000:]


def test_checksum_mismatch_removes_the_download_and_installs_nothing(lab_services, tmp_path: Path):
    result = run_role(tmp_path, **role_vars(tmp_path, apache_release_checksum="ab" * 64))
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "apache_release_url" in output and "expected sha512 " + "ab" * 64 in output
    assert "Nothing was installed" in output
    assert not (tmp_path / "cache" / ZK.archive_name).exists()
    assert not (tmp_path / "opt" / ZK.top).exists() and not (tmp_path / "opt/zookeeper").exists()


def test_check_mode_reports_the_install_and_changes_nothing(lab_services, tmp_path: Path):
    playbook = tmp_path / "play.yml"
    result = run_role(tmp_path, **role_vars(tmp_path))  # writes play.yml; installs
    assert result.returncode == 0, result.stdout[-3000:]
    (tmp_path / "opt/zookeeper").unlink()
    checked = ansible("ansible-playbook", "-i", "localhost,", "--check", str(playbook), check=False)
    assert checked.returncode == 0 and "changed=1" in checked.stdout, checked.stdout[-3000:]
    assert not (tmp_path / "opt/zookeeper").exists()


def test_local_archive_installs_without_the_mirror_and_a_moved_link_is_put_back(lab_services, tmp_path: Path):
    archive = ZK.archive_path(config.MIRROR_DIR)
    local = role_vars(tmp_path, apache_release_url="", apache_release_local_archive=str(archive))
    assert run_role(tmp_path, **local).returncode == 0
    assert not (tmp_path / "cache").exists()  # nothing downloaded
    link = tmp_path / "opt/zookeeper"
    link.unlink()
    link.symlink_to(tmp_path)
    again = run_role(tmp_path, **local)
    assert again.returncode == 0 and "changed=1" in again.stdout, again.stdout[-3000:]
    assert link.resolve() == (tmp_path / "opt" / ZK.top).resolve()
