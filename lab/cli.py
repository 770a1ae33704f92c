"""`lab`: the local lab that stands in for EC2 (prepare, up, deploy, status, down)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from lab import config, engine, fake_ec2, image, mirror, nodes, prometheus, services
from lab.util import LabError, run, step

SITE_IMPORTS = ("preflight", "java", "zookeeper", "kafka", "topics", "clients")
LAB_IMAGE = "debian12"  # what `lab up` (and so `make lab`) runs its nodes on


def prepare(images: Sequence[str] = image.DEFAULT_RELEASES) -> None:
    """Engine, host images, artifact mirror (built and served) and fake EC2 API; no nodes.

    The images (debootstrap from the Debian mirror) and the artifact mirror (jars from Maven Central)
    don't depend on each other, so the mirror is assembled while the images build.
    """
    with step("docker engine"):
        started = engine.ensure_engine()
        print(f"    dockerd {'started by the lab' if started else 'already running'}")
    with ThreadPoolExecutor(max_workers=1) as pool:
        assembled = pool.submit(mirror.ensure_mirror)
        for name in images:
            with step(f"host image {name}"):
                print(f"    {image.ensure_image(name)}")
        with step("artifact mirror (Kafka and ZooKeeper from Maven Central jars, assembled meanwhile)"):
            for path in assembled.result():
                print(f"    {config.MIRROR_URL}/{path.relative_to(config.MIRROR_DIR)}")
    with step("Prometheus and promtool (Debian's package, unpacked)"):
        print(f"    {prometheus.ensure_prometheus()}")
    with step("mirror server"):
        services.start(services.MIRROR)
    with step("fake EC2 API (moto server)"):
        services.start(services.FAKE_EC2)


def recorded_mode() -> str:
    """The mode the lab's nodes were set up for; a lab from before modes existed ran zookeeper."""
    path = config.mode_file()
    mode = path.read_text().strip() if path.exists() else ""
    return mode if mode in config.MODES else config.DEFAULT_MODE


def record_mode(mode: str) -> None:
    config.STATE_DIR.mkdir(parents=True, exist_ok=True)
    config.mode_file().write_text(f"{mode}\n")


def up(count: int, mode: str = config.DEFAULT_MODE) -> None:
    """Nodes and fake EC2 instances for a cluster in `mode` (zookeeper, kraft or kraft-dedicated).

    The nodes' disks hold the data of the mode they were deployed in (ZooKeeper's data, log dirs
    formatted for it), which the other mode cannot start from. So when the lab's nodes were set up
    for another mode they are removed and created afresh (their data is gone), and the fake EC2
    instances are retagged for `mode` (same instances and addresses). Nodes beyond `count` (a 3-node
    lab after a 6-node one) are removed and their instances parked out of the cluster.
    """
    if mode not in config.MODES:
        raise LabError(f"unknown mode {mode!r} (one of {', '.join(config.MODES)})")
    if count < config.minimum_node_count(mode):
        raise LabError(f"{mode} mode needs at least {config.minimum_node_count(mode)} nodes, not {count}")
    prepare(images=[LAB_IMAGE])  # only the image the nodes use (the tests build the others)
    previous = recorded_mode()
    if previous != mode and nodes.lab_containers():
        with step(f"switch the lab from {previous} to {mode} mode: remove the {previous}-mode nodes"):
            print(f"    their disks hold the {previous}-mode cluster, which {mode} mode cannot start from")
            for container in nodes.remove_all():
                print(f"    removed {container} (and its data)")
    surplus = sorted(set(nodes.lab_containers()) - {n.container for n in nodes.planned(count)})
    if surplus:
        with step(f"remove the nodes beyond {count}"):
            run(["docker", "rm", "-f", *surplus])
            print(f"    removed {' '.join(surplus)} (and their data)")
    with step(f"{count} lab nodes"):
        for node in nodes.ensure_nodes(count, f"kafka-lab/{LAB_IMAGE}:latest"):
            print(f"    {node.name}  {node.container}  {node.address}  {node.zone}")
    record_mode(mode)
    with step(f"seed fake EC2 with the lab's instances ({mode} mode)"):
        fake_ec2.seed_cluster(config.EC2_ENDPOINT, config.CLUSTER_NAME, count, mode=mode)


def missing_playbooks() -> list[str]:
    return [
        f"playbooks/{name}.yml"
        for name in SITE_IMPORTS
        if not (config.PROJECT_ROOT / "playbooks" / f"{name}.yml").exists()
    ]


def ansible_env() -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(config.PROJECT_ROOT / "ansible.cfg")}


def deploy(extra: Sequence[str]) -> int:
    missing = missing_playbooks()
    if missing:
        raise LabError(f"site.yml imports playbooks that don't exist yet: {', '.join(missing)}")
    if not nodes.load_state():
        raise LabError("no lab nodes: run `lab up` first")
    bindir = os.path.dirname(sys.executable)
    inventory = str(config.PROJECT_ROOT / "inventory/lab")
    for playbook in ("site.yml", "playbooks/smoke.yml"):
        if not (config.PROJECT_ROOT / playbook).exists():
            continue
        with step(f"ansible-playbook {playbook}"):
            result = subprocess.run(
                [f"{bindir}/ansible-playbook", "-i", inventory, playbook, *extra],
                cwd=config.PROJECT_ROOT,
                env=ansible_env(),
            )
        if result.returncode != 0:
            return result.returncode
    # The smoke play's summary printed the bootstrap servers (the cluster facts of the _common role).
    return 0


def status() -> int:
    state = {n.container: n for n in nodes.load_state()}
    names = sorted(set(state) | set(nodes.lab_containers())) if engine.engine_answers() else sorted(state)
    print("nodes:")
    for container in names:
        node = state.get(container)
        where = f"{node.name:6} {node.address:12} {node.zone}" if node else "(not in state.json)"
        print(f"  {container:20} {where:36} {nodes.container_state(container) or 'absent'}")
    if not names:
        print("  (none: run `lab up`)")
    else:
        print(f"mode:     {recorded_mode()}")
    for service in services.SERVICES:
        up_ = "answering" if services.answers(service.url) else "not answering"
        print(f"{service.name:9} {service.url:40} {up_}")
    if engine.engine_answers():
        print("images:   " + (" ".join(image.image_tags()) or "(none)"))
    else:
        print("docker:   not running")
    return 0


def down() -> None:
    if engine.engine_answers():
        with step("remove lab nodes"):
            for container in nodes.remove_all():
                print(f"    removed {container}")
            config.mode_file().unlink(missing_ok=True)
    for service in services.SERVICES:
        with step(f"stop {service.name}"):
            print(f"    {'stopped' if services.stop(service) else 'was not started by the lab'}")
    with step("docker engine"):
        print(f"    {engine.stop_engine_if_ours()}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="engine, images, artifact mirror and fake EC2 (no nodes)")
    prep.add_argument(
        "--image",
        action="append",
        choices=sorted(image.RELEASES),
        help="host image(s) to build (default: debian12 and debian13)",
    )
    up_ = sub.add_parser("up", help="prepare, then start the lab nodes and seed the fake EC2 API")
    up_.add_argument(
        "--nodes",
        type=int,
        help=(
            f"number of nodes (default {config.DEDICATED_NODE_COUNT} in kraft-dedicated mode, "
            f"else {config.NODE_COUNT})"
        ),
    )
    up_.add_argument(
        "--mode",
        choices=config.MODES,
        default=config.DEFAULT_MODE,
        help=(
            "zookeeper: every node tagged kafka:role=zookeeper,broker with kafka:broker-id and "
            "zookeeper:myid (Kafka 3.9.2); kraft: every node tagged kafka:role=controller,broker with "
            "kafka:node-id only (Kafka 4.4.0); kraft-dedicated: nodes 1-3 tagged kafka:role=controller, "
            "the others (4-6 by default) kafka:role=broker, each with kafka:node-id only (Kafka 4.4.0). "
            "Default %(default)s. Switching an existing lab to another mode removes its nodes, with their "
            "data, and creates them afresh (the fake EC2 instances are retagged, and those beyond the node "
            "count parked out of the cluster)"
        ),
    )
    sub.add_parser(
        "deploy",
        help="run site.yml (and the smoke check) against the lab; extra arguments go to ansible-playbook",
    )
    sub.add_parser("status", help="nodes, addresses, mirror and fake EC2 endpoints")
    sub.add_parser("down", help="remove everything the lab started, and nothing else")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args, extra = p.parse_known_args(argv)
    if extra and args.command != "deploy":
        p.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "prepare":
            prepare(args.image or image.DEFAULT_RELEASES)
        elif args.command == "up":
            count = config.default_node_count(args.mode) if args.nodes is None else args.nodes
            if count < 1:
                raise LabError("--nodes must be at least 1")
            up(count, args.mode)
        elif args.command == "deploy":
            return deploy(extra)
        elif args.command == "status":
            return status()
        elif args.command == "down":
            down()
    except LabError as error:
        print(f"lab {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
