"""Deploy speed on the lab: a cold `site.yml` on fresh nodes, then a no-change re-run.

Goals (issue 4): cold deploy of the three-node cluster under 5 minutes; re-run reports changed=0
and takes under 30 s. Prints both times, each host's changed count and the slowest tasks
(ansible.posix.profile_tasks). Recreates the lab nodes: run it on a lab you don't mind resetting.

Usage: python bench/deploy_bench.py [--nodes 3] [--top 8]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab import cli, config, fake_ec2, nodes  # noqa: E402

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
TASK_TIME = re.compile(r"^(.+?) -{3,} (\d+\.\d+)s$", re.MULTILINE)


def playbook(name: str) -> tuple[float, str]:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "40",
        "ANSIBLE_NOCOLOR": "1",
    }
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventory/lab", name]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-2000:])
        raise SystemExit(f"{name} failed ({result.returncode})")
    return elapsed, result.stdout


def report(label: str, seconds: float, output: str, top: int) -> dict[str, int]:
    changed = {host: int(c) for host, _, c, _, _ in RECAP.findall(output)}
    print(f"{label}: {seconds:.1f} s; changed per host: {changed}")
    slowest = sorted(((float(t), n.strip()) for n, t in TASK_TIME.findall(output)), reverse=True)[:top]
    for seconds_, name in slowest:
        print(f"    {seconds_:7.2f} s  {name}")
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=config.NODE_COUNT)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    cli.prepare()
    nodes.remove_all()
    start = time.perf_counter()
    nodes.ensure_nodes(args.nodes, "kafka-lab/debian12:latest")
    fake_ec2.seed_cluster(config.EC2_ENDPOINT, config.CLUSTER_NAME, args.nodes)
    print(f"fresh lab nodes: {time.perf_counter() - start:.1f} s")
    cold_s, cold = playbook("site.yml")
    report("cold deploy (site.yml on fresh nodes)", cold_s, cold, args.top)
    warm_s, warm = playbook("site.yml")
    changed = report("no-change re-run", warm_s, warm, args.top)
    verdict = "changed=0 on every host" if changed and not any(changed.values()) else "NOT idempotent"
    print(
        f"goals: cold < 300 s: {cold_s < 300} ({cold_s:.0f} s); "
        f"re-run < 30 s: {warm_s < 30} ({warm_s:.0f} s); {verdict}"
    )


if __name__ == "__main__":
    main()
