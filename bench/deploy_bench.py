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

`--anchor DIR` measures the issue's anchor in the same run: sleighzy's plain Galaxy roles
(DIR/sleighzy.zookeeper and DIR/sleighzy.kafka, unchanged copies, see DIR/README.md) applied by
bench/anchor_site.yml to fresh lab nodes in ZooKeeper mode (3 nodes, ZooKeeper 3.9.4, Kafka 3.9.2 from
the lab's mirror, each socket on the node's own address), Java installed first by the project's java
role as site.yml installs it; then its no-change re-run. Its repetitions alternate with kafka-aws's
zookeeper mode. After each cold deploy, of both, the bench waits (untimed) until the cluster's
metadata lists every broker, then writes and reads back a topic replicated on all of them. Prints
both, the ratios kafka-aws/anchor against the issue's targets (cold at most 60%, re-run at most 35%)
and the anchor's re-run changes (reported, not fatal: the anchor is measured as it is).

The download cache is the role's `apache_release_cache_dir`, passed as an extra variable pointing
at a folder of the bench's own (.cache/bench-downloads), so that emptying it never deletes an
archive that another run (a molecule scenario, `lab deploy`) is reading from ~/.cache/kafka-aws.

Recreates the lab nodes: run it on a lab you don't mind resetting.

Usage: python bench/deploy_bench.py [--reps 3] [--modes MODE ...] [--repo PATH] [--ab OTHER_PATH]
                                    [--anchor DIR] [--nodes N] [--top 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

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
# The anchor: sleighzy's Galaxy roles; kafka-aws/anchor targets for the cold deploy and re-run.
ANCHOR_PLAYBOOK = ROOT / "bench" / "anchor_site.yml"
ANCHOR_ROLES = ("sleighzy.zookeeper", "sleighzy.kafka")
ANCHOR_INVENTORY = ROOT / ".cache" / "bench-anchor" / "inventory.yml"
ANCHOR_NODES = 3
COLD_TARGET = 0.60
RERUN_TARGET = 0.35
CLIENT_PORT = 9092  # both deployments' client listener on each node's address
READY_TIMEOUT_S = 240.0


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
    anchor: Path | None = None  # the folder of the anchor's roles: deploy bench/anchor_site.yml, not site.yml
    verify: bool = False  # after each cold deploy, wait for every broker and write and read a topic
    cold: list[Run] = field(default_factory=list)
    rerun: list[Run] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)  # seconds after the cold deploy until all brokers serve


@dataclass(frozen=True)
class Deploy:
    """One ansible-playbook invocation: folder, arguments after `ansible-playbook`, environment overrides."""

    cwd: Path
    args: list[str]
    env: dict[str, str]


def checkout(path: str) -> Path:
    repo = Path(path).expanduser().resolve()
    missing = [p for p in ("site.yml", "ansible.cfg", "inventory/lab") if not (repo / p).exists()]
    if missing:
        raise SystemExit(f"{repo} is not a kafka-aws checkout: no {', '.join(missing)}")
    return repo


def anchor_dir(path: str) -> Path:
    folder = Path(path).expanduser().resolve()
    missing = [r for r in ANCHOR_ROLES if not (folder / r / "tasks").is_dir()]
    if missing:
        raise SystemExit(f"{folder} holds no anchor role {', '.join(missing)} (see bench/anchor_site.yml)")
    return folder


def site_deploy(repo: Path) -> Deploy:
    """kafka-aws: the checkout's site.yml on inventory/lab, downloading into the bench's own cache."""
    args = ["-i", "inventory/lab", "-e", f"apache_release_cache_dir={DOWNLOADS}", "site.yml"]
    return Deploy(repo, args, {"ANSIBLE_CONFIG": str(repo / "ansible.cfg")})


def anchor_deploy(roles: Path, count: int) -> Deploy:
    """The anchor: bench/anchor_site.yml with this repository's ansible.cfg (connection, forks,
    pipelining, the java role by FQCN), the roles found in `roles` and facts injected as variables
    (Ansible's default, which sleighzy.kafka relies on: it reads ansible_os_family)."""
    write_anchor_inventory(count)
    args = ["-i", str(ANCHOR_INVENTORY), "-e", f"anchor_mirror_url={config.MIRROR_URL}", str(ANCHOR_PLAYBOOK)]
    env = {
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(roles),
        "ANSIBLE_INJECT_FACT_VARS": "True",
    }
    return Deploy(ROOT, args, env)


def anchor_inventory(count: int) -> dict[str, Any]:
    """The lab's nodes for the anchor's roles: named by address (what zoo.cfg and listeners need),
    reached through their containers, ZooKeeper id and broker id = node index."""
    hosts = {
        node.address: {"ansible_host": node.container, "zookeeper_id": index, "kafka_broker_id": index}
        for index, node in enumerate(nodes.planned(count), start=1)
    }
    return {
        "all": {
            "vars": {
                "ansible_connection": "community.docker.docker",
                "ansible_python_interpreter": "/usr/bin/python3",
            },
            "children": {
                "zookeeper-nodes": {"hosts": hosts},
                "kafka-nodes": {"hosts": {address: {} for address in hosts}},
            },
        }
    }


def write_anchor_inventory(count: int) -> None:
    ANCHOR_INVENTORY.parent.mkdir(parents=True, exist_ok=True)
    ANCHOR_INVENTORY.write_text(json.dumps(anchor_inventory(count), indent=2) + "\n")  # JSON is YAML


def deploy_of(version: Version) -> Deploy:
    return anchor_deploy(version.anchor, version.nodes) if version.anchor else site_deploy(version.repo)


def playbook(deploy: Deploy) -> tuple[float, str]:
    env = {
        **os.environ,
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all",
        "ANSIBLE_NOCOLOR": "1",
        **deploy.env,
    }
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), *deploy.args]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=deploy.cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        name = deploy.args[-1]
        raise BenchError(
            f"{deploy.cwd}: ansible-playbook {name} failed (rc {result.returncode}) after {elapsed:.0f} s\n"
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
    # the archives only: apache_release's lock files (one per archive, empty) are not downloads
    found = DOWNLOADS.glob("*") if DOWNLOADS.exists() else []
    files = sorted(p for p in found if p.is_file() and p.suffix != ".lock")
    return ", ".join(f"{p.name} ({p.stat().st_size / 1e6:.0f} MB)" for p in files) or "nothing"


def repetition(version: Version, rep: int, reps: int) -> None:
    setup_s = fresh_lab(version.nodes, version.mode)
    deploy = deploy_of(version)
    cold = parse(*playbook(deploy))
    version.cold.append(cold)
    checked = f"; {verify_cluster(version)}" if version.verify else ""
    rerun = parse(*playbook(deploy))
    version.rerun.append(rerun)
    idem = "changed=0" if idempotent(rerun) else f"NOT idempotent {rerun.changed}"
    fetched = "on the nodes" if version.anchor else downloaded()
    print(
        f"  {version.label} ({version.mode}, {version.nodes} nodes) {rep}/{reps}: fresh nodes "
        f"{setup_s:.0f} s; cold {cold.seconds:.1f} s (downloaded {fetched}){checked}; "
        f"re-run {rerun.seconds:.1f} s, {idem}",
        flush=True,
    )
    if not idempotent(rerun) and not version.anchor:
        raise BenchError(f"{version.label}: the no-change re-run changed something: changed={rerun.changed}")


def bootstrap(count: int) -> str:
    return ",".join(f"{node.address}:{CLIENT_PORT}" for node in nodes.planned(count))


def quiet(settings: dict[str, Any]) -> dict[str, Any]:
    """librdkafka settings without its connection-refused logs while brokers start."""
    return {**settings, "log_level": 0}


def wait_brokers(servers: str, count: int, timeout: float = READY_TIMEOUT_S) -> float:
    """Seconds until the cluster's metadata lists `count` brokers; BenchError after `timeout`."""
    admin = AdminClient(quiet({"bootstrap.servers": servers}))
    start = time.perf_counter()
    seen = 0
    while time.perf_counter() - start < timeout:
        try:
            seen = len(admin.list_topics(timeout=5).brokers)
        except KafkaException:
            seen = 0
        if seen >= count:
            return time.perf_counter() - start
        time.sleep(0.5)
    raise BenchError(f"{servers}: {seen} of {count} brokers in the metadata after {timeout:.0f} s")


def create_topic(servers: str, topic: str, replicas: int) -> None:
    admin = AdminClient(quiet({"bootstrap.servers": servers}))
    future = admin.create_topics([NewTopic(topic, num_partitions=replicas, replication_factor=replicas)])
    future[topic].result(timeout=60)


def produce(servers: str, topic: str, values: list[str]) -> None:
    producer = Producer(quiet({"bootstrap.servers": servers, "acks": "all"}))
    failures: list[str] = []

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    for value in values:
        producer.produce(topic, value.encode(), on_delivery=delivered)
    left = producer.flush(60)
    if failures or left:
        raise BenchError(f"{servers}: writing {topic} failed: {failures or f'{left} not delivered'}")


def consume(servers: str, topic: str, count: int, timeout: float = 60.0) -> list[str]:
    group = f"bench-{topic}-{time.time_ns()}"
    consumer = Consumer(
        quiet({"bootstrap.servers": servers, "group.id": group, "auto.offset.reset": "earliest"})
    )
    consumer.subscribe([topic])
    values: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while len(values) < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                values.append(message.value().decode())
    finally:
        consumer.close()
    return values


def verify_cluster(version: Version) -> str:
    """Untimed: wait until every broker is in the metadata, then write and read back a topic replicated
    on all of them (acks=all). Records the wait; a cluster that doesn't serve fails the bench."""
    servers = bootstrap(version.nodes)
    waited = wait_brokers(servers, version.nodes)
    version.ready.append(waited)
    topic = f"bench-check-{len(version.cold)}"
    create_topic(servers, topic, version.nodes)
    sent = [f"{version.label}-{i}" for i in range(10)]
    produce(servers, topic, sent)
    got = consume(servers, topic, len(sent))
    if sorted(got) != sorted(sent):
        raise BenchError(
            f"{version.label}: read back {len(got)} of the {len(sent)} records written to {topic}"
        )
    return (
        f"{version.nodes} brokers serving {waited:.1f} s after it, {len(sent)} records written (acks=all) "
        f"to a topic replicated {version.nodes}x and read back"
    )


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


def target_row(name: str, ours: list[Run], anchor: list[Run], target: float) -> None:
    mine, theirs = stats(ours)[0], stats(anchor)[0]
    share = mine / theirs
    verdict = "met" if share <= target else "NOT met"
    print(f"{name:22}{spread(ours):>26}{spread(anchor):>26}{share:>8.0%}{target:>8.0%}  {verdict}")


def anchor_table(ours: Version, anchor: Version) -> None:
    """kafka-aws's zookeeper mode against the anchor: medians (min-max), kafka-aws/anchor, the targets."""
    if not ours.rerun or not anchor.rerun:
        print("anchor comparison: not every version completed a repetition")
        return
    print(f"{'':22}{'kafka-aws (zookeeper)':>26}{'anchor (sleighzy roles)':>26}{'ratio':>8}{'target':>8}")
    target_row("cold deploy", ours.cold, anchor.cold, COLD_TARGET)
    target_row("no-change re-run", ours.rerun, anchor.rerun, RERUN_TARGET)
    if ours.ready and anchor.ready:
        ready_row(ours, anchor)
    changes = [sum(r.changed.values()) for r in anchor.rerun]
    print(f"anchor re-runs: changed tasks per run (all hosts) {changes}; kafka-aws re-runs changed=0")


def ready_row(ours: Version, anchor: Version) -> None:
    """Cold deploy plus the wait until every broker serves (the anchor's roles don't wait for it)."""
    mine = [r.seconds + w for r, w in zip(ours.cold, ours.ready, strict=False)]
    theirs = [r.seconds + w for r, w in zip(anchor.cold, anchor.ready, strict=False)]
    share = statistics.median(mine) / statistics.median(theirs)
    waits = {v.label: ", ".join(f"{w:.1f}" for w in v.ready) for v in (ours, anchor)}
    print(
        f"{'cold until all serve':22}{statistics.median(mine):>24.1f} s{statistics.median(theirs):>24.1f} s"
        f"{share:>8.0%}{COLD_TARGET:>8.0%}  (waits after the playbook, s: {waits})"
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
        "--anchor",
        metavar="DIR",
        help="also measure the issue's anchor, sleighzy.zookeeper and sleighzy.kafka from DIR "
        "(e.g. /work/shared/anchors), alternating with kafka-aws's zookeeper mode",
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
    if args.anchor and (args.ab or args.modes not in (None, ["zookeeper"])):
        parser.error("--anchor compares with ZooKeeper mode only: no --ab, no --modes but zookeeper")
    if args.anchor and args.nodes not in (None, ANCHOR_NODES):
        parser.error(f"--anchor measures the issue's cluster shape: {ANCHOR_NODES} nodes")
    args.modes = args.modes or (["zookeeper"] if args.ab or args.anchor else list(config.MODES))
    for mode in args.modes:
        if args.nodes is not None and args.nodes < config.minimum_node_count(mode):
            parser.error(f"{mode} mode needs at least {config.minimum_node_count(mode)} nodes")
    return args


def plan(args: argparse.Namespace) -> list[Version]:
    """What to measure: the two checkouts in ZooKeeper mode (--ab), kafka-aws's zookeeper mode and the
    anchor (--anchor), else each mode with --repo."""
    if args.anchor:
        repo = checkout(args.repo)
        roles = anchor_dir(args.anchor)
        return [
            Version("kafka-aws", repo, "zookeeper", ANCHOR_NODES, verify=True),
            Version("anchor", repo, "zookeeper", ANCHOR_NODES, anchor=roles, verify=True),
        ]
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


def report(versions: list[Version], args: argparse.Namespace) -> None:
    print()
    if args.ab:
        table(versions)
        ratios(versions[0], versions[1])
    elif args.anchor:
        anchor_table(versions[0], versions[1])
    else:
        mode_table(versions)
    print()
    for version in versions:
        slowest(version, args.top)
    for version in versions[:1] if args.ab or args.anchor else versions:
        goals(version)


def foreign_instances() -> list[str]:
    """Instances that seeding the lab would retag or park (the lab cluster's, and those parked out of
    it) but that carry no lab container tag: another user's. The bench refuses to run beside them."""
    ec2 = fake_ec2.client(config.EC2_ENDPOINT)
    touched = [
        *fake_ec2.running_instances(ec2, config.CLUSTER_NAME),
        *fake_ec2.running_instances(ec2, config.CLUSTER_NAME, fake_ec2.PARKED_TAG),
    ]
    tags = [{t["Key"]: t["Value"] for t in i.get("Tags", [])} for i in touched]
    return [
        f"{i['InstanceId']} ({t.get('Name', 'no Name')})"
        for i, t in zip(touched, tags, strict=True)
        if not t.get("lab:container", "").startswith(config.CONTAINER_PREFIX)
    ]


def main() -> int:
    args = arguments()
    versions = plan(args)
    cli.prepare(images=[cli.LAB_IMAGE])
    foreign = foreign_instances()
    if foreign:
        print(f"refusing to run: the lab's cluster tags are on instances it did not create: {foreign}")
        return 2
    for v in versions:
        what = f"{ANCHOR_PLAYBOOK.name} with the roles in {v.anchor}" if v.anchor else str(v.repo)
        print(f"{v.label}: {what}, {v.mode} mode on {v.nodes} nodes")
    failure = None
    try:
        for rep in range(1, args.reps + 1):
            for version in versions:
                repetition(version, rep, args.reps)
    except BenchError as error:
        failure = error
    report(versions, args)
    if failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
