"""The collection as users get it: built with ansible-galaxy, installed from the tarball into an empty
collections path, and used by FQCN from a folder outside the repository (no ansible.cfg of ours)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from lab import config, fake_ec2

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent
CLUSTER = "packaged"
FILTER_CHECK = (
    "kafka_listeners | kafka_aws.kafka.advertised_listeners(hostvars[inventory_hostname]) | length == 2"
)


def run(tool: str, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / tool), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The tarball built from the repository and installed into a fresh collections path."""
    build = tmp_path_factory.mktemp("build")
    collections = tmp_path_factory.mktemp("collections")
    outside = tmp_path_factory.mktemp("outside")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))} | {
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_NOCOLOR": "1",
        "HOME": str(outside),
    }
    built = run(
        "ansible-galaxy",
        "collection",
        "build",
        str(config.PROJECT_ROOT),
        "--output-path",
        str(build),
        cwd=outside,
        env=env,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = next(build.glob("kafka_aws-kafka-*.tar.gz"))
    done = run(
        "ansible-galaxy", "collection", "install", str(tarball), "-p", str(collections), cwd=outside, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return tarball, env | {"ANSIBLE_INVENTORY_ENABLED": "kafka_aws.kafka.kafka_ec2", "OUTSIDE": str(outside)}


def test_tarball_holds_the_collection_and_nothing_of_the_lab(installed):
    tarball, _ = installed
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for path in (
        "roles/_common/tasks/rolling_restart.yml",
        "roles/kafka/tasks/main.yml",
        "plugins/inventory/kafka_ec2.py",
        "plugins/modules/kafka_topic.py",
        "plugins/module_utils/cluster_rules.py",
        "plugins/filter/cluster.py",
        "playbooks/preflight.yml",
        "LICENSE",
    ):
        assert path in names, path
    assert not [n for n in names if n.startswith(("lab/", "molecule/", "tests/", "collections/", ".venv"))]


def test_roles_module_filters_and_inventory_plugin_by_fqcn_from_outside(installed, lab_services):
    """Outside the repository: the plugin lists a cluster from the fake EC2 API, the preflight playbook
    of the installed collection validates it, and a play uses a role, a module and a filter by FQCN."""
    _, env = installed
    outside = Path(env["OUTSIDE"])
    fake_ec2.seed_cluster(config.EC2_ENDPOINT, CLUSTER, 3, container_prefix="packaged-", address_base=91)
    (outside / "cluster.kafka_ec2.yml").write_text(
        yaml.safe_dump(
            {
                "plugin": "kafka_aws.kafka.kafka_ec2",
                "cluster": CLUSTER,
                "regions": [config.REGION],
                "endpoint_url": config.EC2_ENDPOINT,
                "aws_access_key": "lab",
                "aws_secret_key": "lab",
                "compose": {
                    "ansible_connection": "'local'",
                    "ansible_python_interpreter": f"'{sys.executable}'",
                },
            }
        )
    )
    listed = run("ansible-inventory", "-i", "cluster.kafka_ec2.yml", "--list", cwd=outside, env=env)
    assert listed.returncode == 0, listed.stderr
    groups = json.loads(listed.stdout)
    assert len(groups["broker"]["hosts"]) == 3 and len(groups["zookeeper"]["hosts"]) == 3

    preflight = run(
        "ansible-playbook", "-i", "cluster.kafka_ec2.yml", "kafka_aws.kafka.preflight", cwd=outside, env=env
    )
    assert preflight.returncode == 0, preflight.stdout[-3000:] + preflight.stderr
    assert "failed=0" in preflight.stdout

    target = outside / "rendered"
    (outside / "play.yml").write_text(
        yaml.safe_dump(
            [
                {
                    "name": "FQCN use of the installed collection",
                    "hosts": "broker[0]",
                    "gather_facts": False,
                    "roles": [{"role": "kafka_aws.kafka._common"}],
                    "tasks": [
                        {
                            "name": "Write a file with the collection's module",
                            "kafka_aws.kafka.config_files": {
                                "directories": [{"path": str(target), "mode": "0755"}],
                                "files": [
                                    {
                                        "content": "{{ _kafka_bootstrap_servers }}\n",
                                        "dest": f"{target}/bootstrap",
                                        "mode": "0644",
                                    }
                                ],
                            },
                        },
                        {
                            "name": "Use a filter of the collection",
                            "ansible.builtin.assert": {"that": [FILTER_CHECK]},
                        },
                    ],
                }
            ]
        )
    )
    played = run("ansible-playbook", "-i", "cluster.kafka_ec2.yml", "play.yml", cwd=outside, env=env)
    assert played.returncode == 0, played.stdout[-3000:] + played.stderr
    servers = (target / "bootstrap").read_text().strip().split(",")
    assert [s.rsplit(":", 1)[1] for s in servers] == ["9092"] * 3
    assert all(s.startswith("127.0.0.9") for s in servers), servers
