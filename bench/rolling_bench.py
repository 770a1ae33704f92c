"""Rolling-change time on the lab: 3 brokers against 6, one at a time against zone at a time (issue 17).

A configuration change that every broker must restart for (log.retention.hours, a new value each
time) is rolled by `playbooks/kafka.yml`, timed from start to end of ansible-playbook. The lab runs in
kraft-dedicated mode: nodes 1-3 are controllers (untouched by the change), the others brokers, in zones
a, b, c in turn (the kafka_ec2 inventory's kafka_rack: the zone id), so every partition created by
Kafka's rack-aware placement has one replica per zone. First 6 nodes (3 brokers, one per zone); then 3
more nodes join as brokers and `playbooks/add_brokers.yml` spreads the partitions onto them (6 brokers,
two per zone). For each cluster size the repetitions alternate the two strategies
(kafka_restart_strategy one_at_a_time and zone), so both are measured under the same load; each roll
must report the restarts it was asked for (the zone roll's batches are printed). A no-change run of
the same playbook is measured too: the rest of a roll's time is the restarts and their gates.

Prints per cluster size and strategy: the median (min-max) of the rolls, and the ratio 6 brokers / 3
brokers per strategy (the issue: a zone-at-a-time roll of 6 brokers over 3 zones takes about as long as
a roll of 3 brokers).

Recreates the lab nodes: run it on a lab you don't mind resetting (`lab down` afterwards frees it).

Usage: python bench/rolling_bench.py [--reps 2]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_bench import ROOT, BenchError, Deploy, fresh_lab, idempotent, parse, playbook

MODE = "kraft-dedicated"
STRATEGIES = ("one_at_a_time", "zone")
SIZES = ((6, 3), (9, 6))  # lab nodes, brokers (3 controllers each)
CHANGE_INVENTORY = ROOT / ".cache" / "bench-rolling" / "change.yml"
BATCHES = re.compile(r"Restart batches: ([^.\"]+)\.")


def run(args: list[str]) -> tuple[float, str]:
    return playbook(
        Deploy(ROOT, ["-i", "inventory/lab", *args], {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")})
    )


def change(hours: int) -> list[str]:
    """The inventory that sets log.retention.hours on the brokers only (the controllers keep theirs)."""
    CHANGE_INVENTORY.parent.mkdir(parents=True, exist_ok=True)
    doc = {"broker": {"vars": {"kafka_server_properties": {"log.retention.hours": hours}}}}
    CHANGE_INVENTORY.write_text(json.dumps(doc) + "\n")  # JSON is YAML
    return ["-i", str(CHANGE_INVENTORY)]


def grow(nodes: int) -> None:
    """`lab up` to `nodes` nodes (existing ones kept); add_brokers.yml moves partitions onto the new ones."""
    subprocess.run(
        [str(Path(sys.executable).parent / "lab"), "up", "--mode", MODE, "--nodes", str(nodes)], check=True
    )
    seconds, output = run(["playbooks/add_brokers.yml"])
    moved = re.search(r"Moving (\d+) partition", output)
    count = moved.group(1) if moved else 0
    print(f"  add_brokers.yml to {nodes - 3} brokers: {seconds:.0f} s, {count} partitions moved", flush=True)


def roll(strategy: str, hours: int, brokers: int) -> float:
    seconds, output = run([*change(hours), "-e", f"kafka_restart_strategy={strategy}", "playbooks/kafka.yml"])
    restarted = len(re.findall(r"TASK \[kafka_aws\.kafka\._common : Restart the service on ", output))
    batches = BATCHES.search(output)
    expected = brokers if strategy == "one_at_a_time" else 3  # zone: one batch per zone
    if restarted != expected:
        notes = re.findall(r"zone \S+ \([^)]*\) holds two replicas[^;\"]*|\S+ has no kafka_rack", output)
        raise BenchError(
            f"{strategy} roll of {brokers} brokers restarted in {restarted} batches, not {expected}: {notes}"
        )
    print(
        f"  {brokers} brokers, {strategy}: {seconds:.1f} s"
        f"{' (batches ' + batches.group(1) + ')' if batches else ''}",
        flush=True,
    )
    return seconds


def size_figures(brokers: int, reps: int, hours: int) -> tuple[dict[str, list[float]], float, int]:
    """Rolls alternating the strategies, then a no-change run; returns the rolls, that run, the next value."""
    rolls: dict[str, list[float]] = {s: [] for s in STRATEGIES}
    for _ in range(reps):
        for strategy in STRATEGIES:
            hours += 1
            rolls[strategy].append(roll(strategy, hours, brokers))
    seconds, output = run([*change(hours), "playbooks/kafka.yml"])
    if not idempotent(parse(seconds, output)):
        raise BenchError(f"the no-change run of {brokers} brokers changed something")
    print(f"  {brokers} brokers, no-change run: {seconds:.1f} s", flush=True)
    return rolls, seconds, hours


def cell(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} s ({min(values):.0f}-{max(values):.0f})"


def report(figures: dict[int, tuple[dict[str, list[float]], float]]) -> None:
    print("\n| brokers (3 zones) | one at a time | zone at a time | no-change run |")
    print("|---|---|---|---|")
    for brokers, (rolls, still) in figures.items():
        print(f"| {brokers} | {cell(rolls['one_at_a_time'])} | {cell(rolls['zone'])} | {still:.0f} s |")
    small, large = (figures[b][0] for b in sorted(figures))
    for strategy in STRATEGIES:
        ratio = statistics.median(large[strategy]) / statistics.median(small[strategy])
        print(f"6 brokers / 3 brokers, {strategy}: {ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=2, help="rolls per strategy and cluster size (default 2)")
    args = parser.parse_args()
    figures: dict[int, tuple[dict[str, list[float]], float]] = {}
    hours = 100
    try:
        for nodes, brokers in SIZES:
            if nodes == SIZES[0][0]:
                print(f"fresh lab, {nodes} nodes ({MODE}): {fresh_lab(nodes, MODE):.0f} s", flush=True)
                seconds, _ = run(["site.yml"])
                print(f"  site.yml: {seconds:.0f} s", flush=True)
            else:
                grow(nodes)
            rolls, still, hours = size_figures(brokers, args.reps, hours)
            figures[brokers] = (rolls, still)
    except (BenchError, subprocess.CalledProcessError) as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 1
    report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
