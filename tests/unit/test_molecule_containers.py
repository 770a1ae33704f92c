"""molecule/shared/containers.py: a scenario's containers started and removed at once, the lab's way."""

from __future__ import annotations

import sys

from tests.unit.conftest import ROOT

sys.path.insert(0, str(ROOT / "molecule" / "shared"))
import containers

from lab.nodes import SYSTEMD_FLAGS
from lab.util import LabError


def test_up_starts_each_container_with_the_labs_systemd_options(monkeypatch):
    started: list[list[str]] = []
    monkeypatch.setattr(containers, "run", lambda cmd: started.append(cmd) or "")
    images = {"kraft-1": "kafka-lab/debian12-java:latest", "kraft-2": "kafka-lab/debian13:latest"}
    assert containers.main(["up", *(f"{name}={image}" for name, image in images.items())]) == 0
    assert sorted(started) == sorted(
        [
            ["docker", "run", "-d", "--name", name, "--hostname", name, "--label", "owner=molecule",
             *SYSTEMD_FLAGS, image, "/sbin/init"]
            for name, image in images.items()
        ]
    )  # fmt: skip


def test_a_container_that_fails_to_start_fails_the_run_with_dockers_message(monkeypatch, capsys):
    def run(cmd):
        if "kraft-2" in cmd:
            raise LabError("docker run: Conflict. The container name /kraft-2 is already in use")
        return ""

    monkeypatch.setattr(containers, "run", run)
    assert containers.main(["up", "kraft-1=img", "kraft-2=img"]) == 1
    assert "The container name /kraft-2 is already in use" in capsys.readouterr().err


def test_down_removes_only_the_containers_that_exist_and_names_them(monkeypatch, capsys):
    removed: list[list[str]] = []
    monkeypatch.setattr(containers, "container_state", lambda name: "running" if name == "kraft-1" else None)
    monkeypatch.setattr(containers, "run", lambda cmd: removed.append(cmd) or "")
    assert containers.main(["down", "kraft-1", "kraft-2"]) == 0
    assert removed == [["docker", "rm", "-f", "kraft-1"]]
    assert capsys.readouterr().out == "kraft-1\n"


def test_an_item_without_an_image_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(containers, "run", lambda cmd: "")
    assert containers.main(["up", "kraft-1"]) == 1
    assert "'kraft-1': expected NAME=IMAGE" in capsys.readouterr().err
