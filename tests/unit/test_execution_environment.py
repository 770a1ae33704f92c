"""The AWX execution environment's definition, checked with `ansible-builder create` (no image is built)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import ansible
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def pins(path: Path) -> dict[str, str]:
    found = (re.match(r"^([A-Za-z0-9_.\[\],-]+)==(\S+)", line) for line in path.read_text().splitlines())
    return {m.group(1).split("[")[0].lower(): m.group(2) for m in found if m}


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ee")
    subprocess.run(
        [str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def test_the_build_installs_the_pinned_ansible_core_and_runner(context):
    containerfile = next(
        p for p in context.iterdir() if p.name in ("Containerfile", "Dockerfile")
    ).read_text()
    project = pins(ROOT / "requirements.txt")
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]+)"', containerfile).group(1).split()
    assert sorted(refs) == sorted(f"{name}=={project[name]}" for name in ("ansible-core", "ansible-runner"))
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile


def test_python_packages_are_pinned_as_in_requirements_txt(context):
    ee = pins(context / "_build" / "requirements.txt")
    project = pins(ROOT / "requirements.txt")
    assert ee and all(project[name] == version for name, version in ee.items())


def test_collections_are_the_versions_the_ansible_package_bundles(context):
    wanted = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    bundled = Path(ansible.__file__).resolve().parent.parent / "ansible_collections"  # bundled by `ansible`
    for entry in wanted:
        if entry.get("type") == "dir":
            continue
        namespace, name = entry["name"].split(".")
        manifest = json.loads((bundled / namespace / name / "MANIFEST.json").read_text())
        assert manifest["collection_info"]["version"] == entry["version"], entry


def test_the_context_holds_this_collection_whole(context, tmp_path):
    source = context / "_build" / "kafka_aws_kafka"
    subprocess.run(
        # --force: the project's own copy (collections/) would otherwise count as installed
        [str(BIN / "ansible-galaxy"), "collection", "install", "--force", str(source), "-p", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    installed = tmp_path / "ansible_collections" / "kafka_aws" / "kafka"
    for part in (
        "plugins/inventory/kafka_ec2.py",
        "roles/ec2_cluster/tasks/main.yml",
        "playbooks/provision.yml",
    ):
        assert (installed / part).is_file(), part
    assert {p.name for p in (installed / "roles").iterdir()} == {p.name for p in (ROOT / "roles").iterdir()}
