#!/usr/bin/env python3
"""Run Molecule scenarios in lanes: the scenarios of a lane one after another, the lanes at once.

Each scenario has its own loopback block and container names, so two lanes don't meet (on two cores,
one lane is fastest: `make molecule` uses one unless LANES says otherwise). Each scenario's output
goes to .cache/logs/molecule-<scenario>.log, and to stdout too when there is one lane (two lanes'
output interleaved would be unreadable). A line is printed when a scenario starts and ends, and
for each failed one the end of its log and a digest of what failed (failure_digest.py), last,
where a CI log's tail shows it.

Usage: molecule_lanes.py [--all] LANE [LANE ...]
  LANE   scenario names separated by commas, run in that order
  --all  fail unless the lanes name every scenario under molecule/ exactly once
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from failure_digest import ANSI, MOLECULE_BORDER, digest

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".cache" / "logs"
TAIL_LINES = 25
# Molecule wraps each line at the terminal's width (80 without a terminal), breaking results apart.
WIDE = {"COLUMNS": "1000000"}


@dataclass
class Outcome:
    scenario: str
    seconds: float
    returncode: int

    @property
    def log(self) -> Path:
        return LOGS / f"molecule-{self.scenario}.log"


def say(text: str) -> None:
    print(f"=== {time.strftime('%H:%M:%S')} {text}", flush=True)


def run_scenario(scenario: str, echo: bool) -> Outcome:
    """Run one scenario, its output to its log (and to stdout too when `echo`: a single lane)."""
    say(f"molecule scenario {scenario}: started")
    began = time.monotonic()
    log = LOGS / f"molecule-{scenario}.log"
    # line-buffered: a scenario's verify may read its own log so far (KAFKA_AWS_MOLECULE_LOG), e.g. to
    # make sure no secret was printed
    with log.open("w", encoding="utf-8", buffering=1) as out:
        process = subprocess.Popen(
            ["molecule", "test", "-s", scenario],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **WIDE, "KAFKA_AWS_MOLECULE_LOG": str(log)},
            text=True,
            errors="replace",
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            if echo:
                sys.stdout.write(line)
        returncode = process.wait()
    outcome = Outcome(scenario, time.monotonic() - began, returncode)
    verdict = "passed" if outcome.returncode == 0 else f"FAILED (exit {outcome.returncode})"
    say(f"molecule scenario {scenario}: {verdict} in {outcome.seconds / 60:.1f} min, log {outcome.log}")
    return outcome


def run_lane(lane: list[str], outcomes: list[Outcome], echo: bool) -> None:
    for scenario in lane:
        outcomes.append(run_scenario(scenario, echo))


def report(failed: Outcome) -> str:
    text = failed.log.read_text(encoding="utf-8", errors="replace")
    tail = MOLECULE_BORDER.sub("", ANSI.sub("", text)).splitlines()[-TAIL_LINES:]
    return "\n".join(
        [f"==== the end of {failed.log}", *tail, f"==== what failed in {failed.scenario}", *digest(text)]
    )


def problems_with(lanes: list[list[str]], want_all: bool) -> list[str]:
    named = [scenario for lane in lanes for scenario in lane]
    present = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
    problems = [f"no scenario molecule/{s}" for s in named if s not in present]
    problems += [f"scenario {s} is named twice" for s in sorted(set(named)) if named.count(s) > 1]
    if want_all:
        problems += [
            f"scenario {s} is in no lane (add it to LANES in the Makefile)" for s in present if s not in named
        ]
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="the lanes must name every scenario")
    parser.add_argument("lanes", nargs="+", metavar="LANE", help="scenarios separated by commas")
    args = parser.parse_args(argv)
    lanes = [[s for s in lane.split(",") if s] for lane in args.lanes]
    problems = problems_with(lanes, args.all)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    LOGS.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    lanes = [lane for lane in lanes if lane]
    threads = [threading.Thread(target=run_lane, args=(lane, outcomes, len(lanes) == 1)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = [outcome for outcome in outcomes if outcome.returncode != 0]
    for outcome in failed:
        print(report(outcome), flush=True)
    # a lane whose thread died (molecule not found, say) left its scenarios without an outcome: they failed
    ran = {outcome.scenario for outcome in outcomes}
    unrun = [scenario for lane in lanes for scenario in lane if scenario not in ran]
    for scenario in unrun:
        say(f"molecule scenario {scenario}: did not run (the error is above)")
    say(f"{len(outcomes) - len(failed)} of {len(outcomes) + len(unrun)} scenarios passed")
    return 1 if failed or unrun else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
