"""tools/molecule_lanes.py: scenarios in lanes, each logged apart, a failed one digested at the end."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from tests.unit.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import molecule_lanes

FAKE_MOLECULE = """#!/bin/sh
# molecule test -s NAME: prints a task; fails for scenario "kraft", with a Molecule-style border
echo "  \\342\\224\\202 TASK [Converge $3]"
if [ "$3" = kraft ]; then
  echo '  \\342\\224\\202 fatal: [kraft-1]: FAILED! => {"msg": "quorum not formed"}'
  exit 2
fi
echo "width $COLUMNS"
"""


@pytest.fixture
def fake_molecule(tmp_path, monkeypatch):
    binary = tmp_path / "molecule"
    binary.write_text(FAKE_MOLECULE)
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(molecule_lanes, "LOGS", tmp_path / "logs")
    return tmp_path


def test_every_scenario_must_be_in_exactly_one_lane_when_all_are_asked_for() -> None:
    assert (
        molecule_lanes.problems_with([["cluster"], ["default", "kraft", "topics", "zookeeper"]], True) == []
    )
    assert molecule_lanes.problems_with([["cluster"], ["kraft", "cluster", "nope"]], True) == [
        "no scenario molecule/nope",
        "scenario cluster is named twice",
        "scenario default is in no lane (add it to LANES in the Makefile)",
        "scenario topics is in no lane (add it to LANES in the Makefile)",
        "scenario zookeeper is in no lane (add it to LANES in the Makefile)",
    ]
    assert molecule_lanes.problems_with([["kraft"]], False) == []


def test_lanes_run_every_scenario_and_a_failure_ends_the_output_with_its_digest(
    fake_molecule, capsys
) -> None:
    assert molecule_lanes.main(["default,kraft", "topics"]) == 1
    out = capsys.readouterr().out
    for scenario in ("default", "topics"):
        assert f"molecule scenario {scenario}: passed" in out
        log = (fake_molecule / "logs" / f"molecule-{scenario}.log").read_text()
        assert f"TASK [Converge {scenario}]" in log and "width 1000000" in log
    assert "molecule scenario kraft: FAILED (exit 2)" in out
    assert out.rstrip().splitlines()[-4:-1] == [
        "==== what failed in kraft",
        "FAILED: Converge kraft [kraft-1]",
        "  quorum not formed",
    ]
    assert out.rstrip().endswith("2 of 3 scenarios passed")


def test_a_lane_naming_an_unknown_scenario_runs_nothing(fake_molecule, capsys) -> None:
    assert molecule_lanes.main(["default,nope"]) == 2
    assert "no scenario molecule/nope" in capsys.readouterr().err
    assert not (fake_molecule / "logs").exists()


def test_one_lane_also_streams_each_scenarios_output(fake_molecule, capsys) -> None:
    assert molecule_lanes.main(["default,topics"]) == 0
    out = capsys.readouterr().out
    assert "TASK [Converge default]" in out and "TASK [Converge topics]" in out


@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnhandledThreadExceptionWarning"
)  # the thread's death is the case
def test_a_scenario_that_could_not_start_fails_the_run(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(
        "PATH", str(tmp_path)
    )  # no molecule anywhere: the lane's thread dies at the first Popen
    monkeypatch.setattr(molecule_lanes, "LOGS", tmp_path / "logs")
    assert molecule_lanes.main(["default,topics"]) == 1
    out = capsys.readouterr().out
    assert "molecule scenario default: did not run" in out and "molecule scenario topics: did not run" in out
    assert out.rstrip().endswith("0 of 2 scenarios passed")
