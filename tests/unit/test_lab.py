"""The lab's pure logic: apt sources, image recipes, addresses, the CLI's arguments."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

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


def test_a_derived_image_holds_its_base_recipe():
    derived = image.RELEASES["debian12-java"]
    assert derived.base == "debian12" and derived.jre == image.RELEASES["debian12"].jre
    data = image.recipe(derived, "http://deb.debian.org/debian")
    assert data["base"] == image.recipe(image.RELEASES["debian12"], "http://deb.debian.org/debian")
    assert image.recipe_hash(data) != image.recipe_hash(data["base"])
    assert "debian12-java" in image.DEFAULT_RELEASES
    assert "derive" in data and "def derive(" not in image.build_script()


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
    assert fake_ec2.tags_for("lab", 2, "kafka-lab-", "zookeeper") == tags


def test_fake_ec2_kraft_tags_carry_a_node_id_only():
    assert fake_ec2.tags_for("lab", 3, "kafka-lab-", "kraft") == {
        "Name": "node3",
        "kafka:cluster": "lab",
        "kafka:role": "controller,broker",
        "kafka:node-id": "3",
        "lab:container": "kafka-lab-node3",
    }
    with pytest.raises(ValueError, match="unknown lab mode 'kraftt'"):
        fake_ec2.tags_for("lab", 1, "kafka-lab-", "kraftt")


def test_fake_ec2_kraft_dedicated_tags_three_controllers_then_brokers():
    tags = [fake_ec2.tags_for("lab", n, "kafka-lab-", "kraft-dedicated") for n in range(1, 7)]
    assert [t["kafka:role"] for t in tags] == ["controller"] * 3 + ["broker"] * 3
    assert [t["kafka:node-id"] for t in tags] == ["1", "2", "3", "4", "5", "6"]
    assert not any("kafka:broker-id" in t or "zookeeper:myid" in t for t in tags)
    assert tags[3] == {
        "Name": "node4",
        "kafka:cluster": "lab",
        "kafka:role": "broker",
        "kafka:node-id": "4",
        "lab:container": "kafka-lab-node4",
    }


def tags_of(instance: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in instance["Tags"]}


@pytest.fixture
def moto_ec2(monkeypatch):
    """fake_ec2's client answered by moto in-process (the lab's moto server is not needed).

    Importing lab.moto_server applies the server's one allowance (a loopback private IP in any subnet)
    to this process's moto too; addresses that are not loopback are checked as before.
    """
    from lab import moto_server  # noqa: F401

    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with mock_aws():
        monkeypatch.setattr(
            fake_ec2,
            "client",
            lambda endpoint, region=config.REGION: boto3.client(
                "ec2", region_name=region, aws_access_key_id="lab", aws_secret_access_key="lab"
            ),
        )
        yield


def test_seeding_in_another_mode_retags_the_same_instances(moto_ec2):
    zookeeper = fake_ec2.seed_cluster("moto", "lab", 3)
    assert [tags_of(i)["kafka:broker-id"] for i in zookeeper] == ["1", "2", "3"]
    assert [i["PrivateIpAddress"] for i in zookeeper] == ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
    kraft = fake_ec2.seed_cluster("moto", "lab", 3, mode="kraft")
    assert [i["InstanceId"] for i in kraft] == [i["InstanceId"] for i in zookeeper]  # retagged, not new
    assert [tags_of(i) for i in kraft] == [
        fake_ec2.tags_for("lab", n, "kafka-lab-", "kraft") for n in (1, 2, 3)
    ]
    assert [fake_ec2.node_index(i) for i in kraft] == [1, 2, 3]  # by node id now: no broker id left
    # No mode: the instances keep theirs, and a new one joins in it.
    grown = fake_ec2.seed_cluster("moto", "lab", 4)
    assert [i["InstanceId"] for i in grown[:3]] == [i["InstanceId"] for i in kraft]
    assert tags_of(grown[3]) == fake_ec2.tags_for("lab", 4, "kafka-lab-", "kraft")
    back = fake_ec2.seed_cluster("moto", "lab", 4, mode="zookeeper")
    assert [tags_of(i) for i in back] == [fake_ec2.tags_for("lab", n, "kafka-lab-") for n in (1, 2, 3, 4)]
    assert [i["InstanceId"] for i in back] == [i["InstanceId"] for i in grown]


def test_seeding_kraft_dedicated_then_fewer_nodes_parks_the_surplus(moto_ec2):
    zookeeper = fake_ec2.seed_cluster("moto", "lab", 3)
    dedicated = fake_ec2.seed_cluster("moto", "lab", 6, mode="kraft-dedicated")
    assert [i["InstanceId"] for i in dedicated[:3]] == [i["InstanceId"] for i in zookeeper]
    assert [tags_of(i) for i in dedicated] == [
        fake_ec2.tags_for("lab", n, "kafka-lab-", "kraft-dedicated") for n in range(1, 7)
    ]
    assert [i["PrivateIpAddress"] for i in dedicated] == [config.node_address(n) for n in range(1, 7)]
    assert fake_ec2.seeded_mode(dedicated) == "kraft-dedicated"
    assert fake_ec2.seed_cluster("moto", "lab", 6) == dedicated  # no mode: kept as seeded
    combined = fake_ec2.seed_cluster("moto", "lab", 3, mode="kraft")
    assert [i["InstanceId"] for i in combined] == [i["InstanceId"] for i in zookeeper]
    assert fake_ec2.seeded_mode(combined) == "kraft"
    assert [tags_of(i) for i in combined] == [
        fake_ec2.tags_for("lab", n, "kafka-lab-", "kraft") for n in (1, 2, 3)
    ]
    parked = fake_ec2.running_instances(fake_ec2.client("moto"), "lab", fake_ec2.PARKED_TAG)
    assert sorted(i["InstanceId"] for i in parked) == sorted(i["InstanceId"] for i in dedicated[3:])
    assert not any("kafka:cluster" in tags_of(i) for i in parked)
    # Grown again: the parked instances rejoin (moto would refuse their addresses to new ones).
    again = fake_ec2.seed_cluster("moto", "lab", 6, mode="kraft-dedicated")
    assert [i["InstanceId"] for i in again] == [i["InstanceId"] for i in dedicated]
    assert [tags_of(i) for i in again] == [tags_of(i) for i in dedicated]
    assert fake_ec2.running_instances(fake_ec2.client("moto"), "lab", fake_ec2.PARKED_TAG) == []


def test_cli_arguments():
    parser = cli.parser()
    assert parser.parse_args(["up", "--nodes", "5"]).nodes == 5
    assert parser.parse_args(["up"]).mode == "zookeeper"
    assert parser.parse_args(["up", "--mode", "kraft"]).mode == "kraft"
    assert parser.parse_args(["up", "--mode", "kraft-dedicated"]).nodes is None  # the mode's default
    with pytest.raises(SystemExit):
        parser.parse_args(["up", "--mode", "zk"])
    assert parser.parse_args(["prepare", "--image", "debian13"]).image == ["debian13"]
    assert parser.parse_known_args(["deploy", "--check", "-v"])[1] == ["--check", "-v"]
    with pytest.raises(SystemExit):
        parser.parse_args(["prepare", "--image", "centos"])
    assert cli.main(["up", "--nodes", "0"]) == 1
    with pytest.raises(SystemExit):
        cli.main(["status", "--check"])


def test_up_passes_the_mode(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "up", lambda count, mode: calls.append((count, mode)))
    assert cli.main(["up", "--mode", "kraft", "--nodes", "3"]) == 0
    assert cli.main(["up"]) == 0
    assert cli.main(["up", "--mode", "kraft-dedicated"]) == 0
    assert cli.main(["up", "--mode", "kraft-dedicated", "--nodes", "4"]) == 0
    assert calls == [
        (3, "kraft"),
        (config.NODE_COUNT, "zookeeper"),
        (6, "kraft-dedicated"),
        (4, "kraft-dedicated"),
    ]
    assert config.default_node_count("kraft") == config.NODE_COUNT


def test_up_in_another_mode_recreates_the_nodes_and_retags(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(config, "STATE_DIR", tmp_path)
    containers = ["kafka-lab-node1", "kafka-lab-node2", "kafka-lab-node3"]  # a lab from before modes
    removed, seeded = [], []
    monkeypatch.setattr(cli, "prepare", lambda images: None)
    monkeypatch.setattr(nodes, "lab_containers", lambda: list(containers))
    monkeypatch.setattr(nodes, "remove_all", lambda: removed.append(list(containers)) or containers)
    monkeypatch.setattr(nodes, "ensure_nodes", lambda count, image: nodes.planned(count))
    monkeypatch.setattr(
        fake_ec2, "seed_cluster", lambda endpoint, cluster, count, mode: seeded.append(mode) or []
    )
    cli.up(3, "zookeeper")  # no mode recorded: the lab ran zookeeper, nothing to switch
    assert removed == [] and seeded == ["zookeeper"] and cli.recorded_mode() == "zookeeper"
    cli.up(3, "kraft")
    assert removed == [containers] and seeded[-1] == "kraft"
    assert config.mode_file().read_text() == "kraft\n"
    cli.up(3, "kraft")  # same mode: the nodes and their data are kept
    assert len(removed) == 1
    with pytest.raises(LabError, match="unknown mode"):
        cli.up(3, "both")
    with pytest.raises(LabError, match="kraft-dedicated mode needs at least 4 nodes, not 3"):
        cli.up(3, "kraft-dedicated")


def test_up_kraft_dedicated_then_zookeeper_leaves_three_nodes(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(config, "STATE_DIR", tmp_path)
    containers: list[str] = []
    removed, seeded = [], []

    def ensure(count: int, image: str) -> list[nodes.Node]:
        containers[:] = sorted(set(containers) | {n.container for n in nodes.planned(count)})
        return nodes.planned(count)

    def remove_all() -> list[str]:
        removed.extend(containers)
        gone, containers[:] = list(containers), []
        return gone

    monkeypatch.setattr(cli, "prepare", lambda images: None)
    monkeypatch.setattr(nodes, "lab_containers", lambda: list(containers))
    monkeypatch.setattr(nodes, "remove_all", remove_all)
    monkeypatch.setattr(nodes, "ensure_nodes", ensure)
    monkeypatch.setattr(
        fake_ec2, "seed_cluster", lambda endpoint, cluster, count, mode: seeded.append((count, mode)) or []
    )
    commands: list[list[str]] = []
    monkeypatch.setattr(cli, "run", lambda cmd: commands.append(cmd) or "")
    cli.up(6, "kraft-dedicated")
    assert len(containers) == 6 and cli.recorded_mode() == "kraft-dedicated"
    cli.up(6, "kraft-dedicated")  # same mode and count: nothing removed
    assert removed == [] and commands == []
    cli.up(3, "zookeeper")
    assert len(removed) == 6  # another mode: every node recreated
    assert containers == ["kafka-lab-node1", "kafka-lab-node2", "kafka-lab-node3"]
    assert seeded == [(6, "kraft-dedicated"), (6, "kraft-dedicated"), (3, "zookeeper")]
    cli.up(5, "zookeeper")
    cli.up(4, "zookeeper")  # same mode, fewer nodes: the surplus node is removed, the others kept
    assert commands == [["docker", "rm", "-f", "kafka-lab-node5"]] and len(removed) == 6


def test_deploy_names_missing_playbooks(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    assert cli.missing_playbooks() == [f"playbooks/{n}.yml" for n in cli.SITE_IMPORTS]
