"""The lab's pure logic: apt sources, image recipes, addresses, the CLI's arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import cli, config, fake_ec2, image, nodes
from lab.util import LabError

DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_deb822_and_one_line_sources():
    assert image.parse_deb822_sources(DEB822) == [
        "http://deb.debian.org/debian",
        "http://deb.debian.org/debian-security",
    ]
    disabled = "Types: deb\nURIs: http://mirror.example/debian\nEnabled: no\n"
    assert image.parse_deb822_sources(disabled) == []
    lines = (
        "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://ftp.fr.debian.org/debian bookworm main\n"
        "deb-src x y\n"
    )
    assert image.parse_one_line_sources(lines) == ["http://ftp.fr.debian.org/debian"]


def test_mirror_is_read_from_the_sources_and_skips_other_repositories(tmp_path: Path):
    third_party = tmp_path / "nodesource.list"
    third_party.write_text("deb https://deb.nodesource.com/node_20.x nodistro main\n")
    debian = tmp_path / "debian.sources"
    debian.write_text(DEB822.replace("deb.debian.org", "mirror.internal"))
    assert image.debian_mirror([third_party, debian]) == "http://mirror.internal/debian"
    with pytest.raises(LabError):
        image.debian_mirror([third_party])


def test_recipe_hash_changes_with_the_recipe():
    release = image.RELEASES["debian12"]
    base = image.recipe_hash(image.recipe(release, "http://deb.debian.org/debian"))
    assert base == image.recipe_hash(image.recipe(release, "http://deb.debian.org/debian"))
    assert base != image.recipe_hash(image.recipe(release, "http://mirror.internal/debian"))
    assert base != image.recipe_hash(image.recipe(image.RELEASES["debian13"], "http://deb.debian.org/debian"))
    assert image.RELEASES["debian13"].jre == "openjdk-21-jre-headless"


def test_recipe_script_is_the_build_code_only():
    script = image.build_script()
    assert "def configure(" in script and "def build(" in script and "def chroot(" in script
    assert "def ensure_image(" not in script and "DEFAULT_RELEASES" not in script


def test_node_plan_addresses_and_zones():
    planned = nodes.planned(4)
    assert [n.address for n in planned] == ["127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"]
    assert [n.zone for n in planned] == ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a"]
    assert planned[0].container == "kafka-lab-node1" and planned[0].name == "node1"


def test_state_round_trip(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(nodes, "STATE_FILE", tmp_path / "state.json")
    monkeypatch.setattr(config, "STATE_DIR", tmp_path)
    nodes.save_state(nodes.planned(2))
    assert nodes.load_state() == nodes.planned(2)


def test_fake_ec2_tags_follow_the_design():
    tags = fake_ec2.tags_for("lab", 2, "kafka-lab-")
    assert tags == {
        "Name": "node2",
        "kafka:cluster": "lab",
        "kafka:role": "zookeeper,broker",
        "kafka:broker-id": "2",
        "zookeeper:myid": "2",
        "lab:container": "kafka-lab-node2",
    }
    assert fake_ec2.tags_for("e2e", 1, "x-")["Name"] == "e2e-node1"


def test_cli_arguments():
    parser = cli.parser()
    assert parser.parse_args(["up", "--nodes", "5"]).nodes == 5
    assert parser.parse_args(["prepare", "--image", "debian13"]).image == ["debian13"]
    assert parser.parse_known_args(["deploy", "--check", "-v"])[1] == ["--check", "-v"]
    with pytest.raises(SystemExit):
        parser.parse_args(["prepare", "--image", "centos"])
    assert cli.main(["up", "--nodes", "0"]) == 1
    with pytest.raises(SystemExit):
        cli.main(["status", "--check"])


def test_deploy_names_missing_playbooks(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    assert cli.missing_playbooks() == [f"playbooks/{n}.yml" for n in cli.SITE_IMPORTS]
