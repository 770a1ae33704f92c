"""Deploy speed on the lab: cold `site.yml` on fresh nodes, then a no-change re-run, N times each.

Goals (issue 4): cold deploy of the three-node cluster under 5 minutes; re-run reports changed=0
and takes under 30 s. Each repetition recreates the lab nodes and empties the control node's
download cache, so every cold run really downloads Kafka (and ZooKeeper) from the lab mirror; then
`site.yml` runs again and must report changed=0 on every host (the bench fails otherwise). Prints
the median, min and max of the N cold runs and of the N re-runs, and the slowest tasks
(ansible.posix.profile_tasks) of the median run (for an even N, the faster of the two middle runs).

`--modes` measures the lab modes (`lab up --mode`, default: zookeeper kraft kraft-dedicated) in one
run on the same lab: each repetition goes through the modes in turn, and each mode's run starts from
fresh nodes tagged for it (the previous mode's nodes removed with their data; 3 nodes, 6 for
kraft-dedicated unless --nodes is given), so all modes are measured under the same load. Prints one
table: per mode, the median (min-max) cold deploy and re-run, and their ratio to ZooKeeper mode.

`--repo PATH` runs another checkout of the project: ansible-playbook runs in that checkout's folder
with its ansible.cfg and inventory/lab, while the lab itself (nodes, fake EC2, mirror) is always
this repository's `lab` package, with LAB_CACHE_DIR at this repository's .cache. `--ab OTHER`
alternates repetitions of --repo (A) and OTHER (B), A, B, A, B, ..., so both are measured on the
same machine under the same load, then prints both tables side by side and the ratio of the medians.
--ab measures ZooKeeper mode only (an older checkout need not know KRaft).

The download cache is the role's `apache_release_cache_dir`, passed as an extra variable pointing
at a folder of the bench's own (.cache/bench-downloads), so that emptying it never deletes an
archive that another run (a molecule scenario, `lab deploy`) is reading from ~/.cache/kafka-aws.

Recreates the lab nodes: run it on a lab you don't mind resetting.

Usage: python bench/deploy_bench.py [--reps 3] [--modes MODE ...] [--repo PATH] [--ab OTHER_PATH]
                                    [--nodes N] [--top 8]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The lab is always this repository's, whichever checkout's playbooks run against it.
os.environ["LAB_CACHE_DIR"] = str(ROOT / ".cache")
sys.path.insert(0, str(ROOT))

from lab import cli, config, fake_ec2, nodes  # noqa: E402

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
TASK_TIME = re.compile(r"^(.+?) -{3,} (\d+\.\d+)s$", re.MULTILINE)
DOWNLOADS = ROOT / ".cache" / "bench-downloads"
COLD_GOAL_S = 300.0
RERUN_GOAL_S = 30.0


class BenchError(Exception):
    """A playbook failed, or a re-run changed something; the message says which and how."""


@dataclass(frozen=True)
class Run:
    seconds: float
    changed: dict[str, int]
    tasks: list[tuple[float, str]]


@dataclass
class Version:
    """One column of the figures: a checkout deployed in one lab mode on `nodes` nodes."""

    label: str
    repo: Path
    mode: str
    nodes: int
    cold: list[Run] = field(default_factory=list)
    rerun: list[Run] = field(default_factory=list)


def checkout(path: str) -> Path:
    repo = Path(path).expanduser().resolve()
    missing = [p for p in ("site.yml", "ansible.cfg", "inventory/lab") if not (repo / p).exists()]
    if missing:
        raise SystemExit(f"{repo} is not a kafka-aws checkout: no {', '.join(missing)}")
    return repo


def playbook(repo: Path, name: str) -> tuple[float, str]:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(repo / "ansible.cfg"),
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all",
        "ANSIBLE_NOCOLOR": "1",
    }
    cmd = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "inventory/lab",
        "-e",
        f"apache_release_cache_dir={DOWNLOADS}",
        name,
    ]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise BenchError(
            f"{repo}: ansible-playbook {name} failed (rc {result.returncode}) after {elapsed:.0f} s\n"
            f"--- stdout tail ---\n{result.stdout[-4000:]}\n--- stderr tail ---\n{result.stderr[-2000:]}"
        )
    return elapsed, result.stdout


def parse(seconds: float, output: str) -> Run:
    changed = {host: int(c) for host, _, c, _, _ in RECAP.findall(output)}
    tasks = sorted(((float(t), n.strip()) for n, t in TASK_TIME.findall(output)), reverse=True)
    return Run(seconds, changed, tasks)


def fresh_lab(count: int, mode: str) -> float:
    """Fresh lab nodes in `mode` (any others removed) and an empty download cache; returns the seconds."""
    start = time.perf_counter()
    nodes.remove_all()
    nodes.ensure_nodes(count, f"kafka-lab/{cli.LAB_IMAGE}:latest")
    cli.record_mode(mode)
    # Retags the instances for `mode` and parks those beyond `count` (6 kraft-dedicated nodes before).
    fake_ec2.seed_cluster(config.EC2_ENDPOINT, config.CLUSTER_NAME, count, mode=mode)
    shutil.rmtree(DOWNLOADS, ignore_errors=True)
    return time.perf_counter() - start


def downloaded() -> str:
    files = sorted(p for p in DOWNLOADS.glob("*") if p.is_file()) if DOWNLOADS.exists() else []
    return ", ".join(f"{p.name} ({p.stat().st_size / 1e6:.0f} MB)" for p in files) or "nothing"


def repetition(version: Version, rep: int, reps: int) -> None:
    setup_s = fresh_lab(version.nodes, version.mode)
    cold = parse(*playbook(version.repo, "site.yml"))
    version.cold.append(cold)
    rerun = parse(*playbook(version.repo, "site.yml"))
    version.rerun.append(rerun)
    idem = "changed=0" if idempotent(rerun) else f"NOT idempotent {rerun.changed}"
    print(
        f"  {version.label} ({version.mode}, {version.nodes} nodes) {rep}/{reps}: fresh nodes "
        f"{setup_s:.0f} s; cold {cold.seconds:.1f} s (downloaded {downloaded()}); "
        f"re-run {rerun.seconds:.1f} s, {idem}",
        flush=True,
    )
    if not idempotent(rerun):
        raise BenchError(f"{version.label}: the no-change re-run changed something: changed={rerun.changed}")


def idempotent(run: Run) -> bool:
    return bool(run.changed) and not any(run.changed.values())


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.seconds)
    return ordered[(len(ordered) - 1) // 2]


def stats(runs: list[Run]) -> tuple[float, float, float]:
    seconds = [r.seconds for r in runs]
    return statistics.median(seconds), min(seconds), max(seconds)


def spread(runs: list[Run]) -> str:
    """'median s (min-max)' of the runs."""
    med, low, high = stats(runs)
    return f"{med:.1f} s ({low:.1f}-{high:.1f})"


def ratio(runs: list[Run], base: list[Run]) -> str:
    return f"{stats(runs)[0] / stats(base)[0]:.2f}" if runs and base else "-"


def mode_table(versions: list[Version]) -> None:
    """One row per mode: median (min-max) cold deploy and re-run, each with its ratio to ZooKeeper mode."""
    base = next((v for v in versions if v.mode == "zookeeper"), None)
    print(
        f"{'mode':17}{'nodes':>6}{'cold site.yml':>26}{'/ zookeeper':>13}"
        f"{'no-change re-run':>26}{'/ zookeeper':>13}{'runs':>6}"
    )
    for v in versions:
        cold = spread(v.cold) if v.cold else "-"
        rerun = spread(v.rerun) if v.rerun else "-"
        print(
            f"{v.mode:17}{v.nodes:>6}{cold:>26}{ratio(v.cold, base.cold if base else []):>13}"
            f"{rerun:>26}{ratio(v.rerun, base.rerun if base else []):>13}{len(v.rerun):>6}"
        )


def cells(runs: list[Run]) -> list[str]:
    if not runs:
        return ["-", "-", "-"]
    return [f"{s:.1f}" for s in stats(runs)]


def table(versions: list[Version]) -> None:
    head = f"{'':16}{'':8}" + "".join(f"{v.label + ': ' + str(v.repo):>44}" for v in versions)
    print(head)
    for phase in ("cold", "rerun"):
        name = "cold deploy" if phase == "cold" else "no-change rerun"
        columns = [cells(getattr(v, phase)) for v in versions]
        for i, stat in enumerate(("median", "min", "max")):
            first = name if i == 0 else ""
            print(f"{first:16}{stat:8}" + "".join(f"{c[i] + ' s':>44}" for c in columns))
    runs = "".join(f"{str(len(v.cold)) + ' runs':>44}" for v in versions)
    print(f"{'':16}{'n':8}{runs}")


def slowest(version: Version, top: int) -> None:
    for phase, runs in (("cold deploy", version.cold), ("no-change re-run", version.rerun)):
        if not runs:
            continue
        run = median_run(runs)
        print(f"{version.label} slowest tasks of the median {phase} ({run.seconds:.1f} s):")
        for seconds, name in run.tasks[:top]:
            print(f"    {seconds:7.2f} s  {name}")


def ratios(a: Version, b: Version) -> None:
    for phase, name in (("cold", "cold deploy"), ("rerun", "no-change re-run")):
        runs_a, runs_b = getattr(a, phase), getattr(b, phase)
        if not runs_a or not runs_b:
            continue
        med_a, med_b = stats(runs_a)[0], stats(runs_b)[0]
        print(
            f"ratio of medians, {name}: A/B = {med_a / med_b:.2f} "
            f"(A {med_a:.1f} s, B {med_b:.1f} s; B/A = {med_b / med_a:.2f})"
        )


def goals(version: Version) -> None:
    if not version.cold or not version.rerun:
        return
    cold, rerun = stats(version.cold)[0], stats(version.rerun)[0]
    clean = all(idempotent(r) for r in version.rerun)
    verdict = "changed=0 on every host in every re-run" if clean else "NOT idempotent"
    print(
        f"goals ({version.label}, medians of {len(version.cold)}): cold < {COLD_GOAL_S:.0f} s: "
        f"{cold < COLD_GOAL_S} ({cold:.0f} s, max {stats(version.cold)[2]:.0f} s); "
        f"re-run < {RERUN_GOAL_S:.0f} s: {rerun < RERUN_GOAL_S} ({rerun:.0f} s); {verdict}"
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3, help="runs of each version (default %(default)s)")
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=config.MODES,
        help=f"lab modes to measure, in this order in each repetition (default: {' '.join(config.MODES)})",
    )
    parser.add_argument("--repo", default=str(ROOT), help="checkout to run (default: this repository)")
    parser.add_argument(
        "--ab",
        metavar="OTHER_PATH",
        help="alternate runs with this other checkout, in ZooKeeper mode only (no --modes but zookeeper)",
    )
    parser.add_argument(
        "--nodes",
        type=int,
        help=f"nodes per mode (default: the mode's lab default, {config.DEDICATED_NODE_COUNT} for "
        f"kraft-dedicated, else {config.NODE_COUNT})",
    )
    parser.add_argument("--top", type=int, default=8, help="slowest tasks listed (default %(default)s)")
    args = parser.parse_args()
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    if args.ab and args.modes not in (None, ["zookeeper"]):
        parser.error("--ab measures ZooKeeper mode only: drop --modes or give --modes zookeeper")
    args.modes = args.modes or (["zookeeper"] if args.ab else list(config.MODES))
    for mode in args.modes:
        if args.nodes is not None and args.nodes < config.minimum_node_count(mode):
            parser.error(f"{mode} mode needs at least {config.minimum_node_count(mode)} nodes")
    return args


def plan(args: argparse.Namespace) -> list[Version]:
    """What to measure: the two checkouts in ZooKeeper mode (--ab), else each mode with --repo."""
    if args.ab:
        count = args.nodes or config.default_node_count("zookeeper")
        return [
            Version("A", checkout(args.repo), "zookeeper", count),
            Version("B", checkout(args.ab), "zookeeper", count),
        ]
    repo = checkout(args.repo)
    return [
        Version(m, repo, m, args.nodes or config.default_node_count(m)) for m in dict.fromkeys(args.modes)
    ]


def report(versions: list[Version], ab: bool, top: int) -> None:
    print()
    if ab:
        table(versions)
        ratios(versions[0], versions[1])
    else:
        mode_table(versions)
    print()
    for version in versions:
        slowest(version, top)
    for version in versions[:1] if ab else versions:
        goals(version)


def main() -> int:
    args = arguments()
    versions = plan(args)
    cli.prepare(images=[cli.LAB_IMAGE])
    for v in versions:
        print(f"{v.label}: {v.repo}, {v.mode} mode on {v.nodes} nodes")
    failure = None
    try:
        for rep in range(1, args.reps + 1):
            for version in versions:
                repetition(version, rep, args.reps)
    except BenchError as error:
        failure = error
    report(versions, bool(args.ab), args.top)
    if failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
