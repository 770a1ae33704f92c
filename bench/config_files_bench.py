"""config_files against the pattern it replaces, on localhost: 3 folders and 3 templated files.

The old pattern is the one the roles used (roles/kafka/tasks/main.yml before config_files): one `file`
task per folder, a `find` for the checksums, then a `template` loop whose `when` renders each template
a second time through the template lookup to compare checksums. The new one is a single
kafka_aws.kafka.config_files task. Each is run on a fresh folder (first run) and again (no-change run),
REPS times, alternating; printed per approach and run: the median wall time of ansible-playbook, the
median time of the tasks themselves (ansible.posix.json's task durations, without Ansible's start-up)
and the module executions per host (counted by a wrapper around the host's Python: with SSH, each is
a round trip). Connection local: no docker, no SSH, so the times are the floor; on a real host every
module execution adds a network round trip.

Usage: python bench/config_files_bench.py [--reps 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FOLDERS = ("conf", "data", "logs")
FILES = (("server.properties", "0640"), ("log4j.properties", "0644"), ("kafka.service", "0644"))
# About the size of server.properties: a header, then 60 key=value lines.
TEMPLATE = """\
# {{ ansible_managed }}
{% for index in range(60) %}
property.{{ index }}.of.{{ name }}={{ value }}-{{ index }}
{% endfor %}
"""


def old_tasks(out: str) -> list[dict]:
    files = [{"src": f"{name}.j2", "dest": f"{out}/conf/{name}", "mode": mode} for name, mode in FILES]
    return [
        {
            "name": "Create the configuration folder",
            "ansible.builtin.file": {"path": f"{out}/conf", "state": "directory", "mode": "0750"},
        },
        {
            "name": "Create the data and log folders",
            "ansible.builtin.file": {"path": "{{ item }}", "state": "directory", "mode": "0750"},
            "loop": [f"{out}/data", f"{out}/logs"],
        },
        {
            "name": "Read the checksums, modes and owners of the configuration files (one round trip)",
            "ansible.builtin.find": {
                "paths": [f"{out}/conf"],
                "patterns": [n for n, _ in FILES],
                "get_checksum": True,
            },
            "register": "current",
        },
        {
            "name": "Render the configuration",
            "ansible.builtin.template": {
                "src": "{{ item.src }}",
                "dest": "{{ item.dest }}",
                "mode": "{{ item.mode }}",
            },
            "loop": files,
            "when": [
                "found.checksum | default('') != lookup('ansible.builtin.template', item.src) | hash('sha1')"
                " or found.mode | default('') != item.mode"
            ],
            "vars": {
                "found": "{{ current.files | selectattr('path', 'eq', item.dest) | first | default({}) }}"
            },
            "loop_control": {"label": "{{ item.dest }}"},
        },
    ]


def new_tasks(out: str) -> list[dict]:
    return [
        {
            "name": "Render the folders and configuration",
            "kafka_aws.kafka.config_files": {
                "directories": [{"path": f"{out}/{name}", "mode": "0750"} for name in FOLDERS],
                "files": [
                    {"src": f"{name}.j2", "dest": f"{out}/conf/{name}", "mode": mode} for name, mode in FILES
                ],
            },
        }
    ]


def write_project(work: Path, approach: str) -> Path:
    (work / "templates").mkdir(parents=True, exist_ok=True)
    for name, _ in FILES:
        (work / "templates" / f"{name}.j2").write_text(TEMPLATE)
    out = str(work / "out")
    tasks = old_tasks(out) if approach == "old" else new_tasks(out)
    play = {"name": approach, "hosts": "all", "gather_facts": False, "vars": {"name": "kafka", "value": 42}}
    playbook = work / f"{approach}.yml"
    playbook.write_text(yaml.safe_dump([{**play, "tasks": tasks}], sort_keys=False))
    return playbook


def write_inventory(work: Path) -> Path:
    """localhost through a wrapper interpreter that logs each start (one per module execution)."""
    wrapper = work / "python-counting"
    wrapper.write_text(f'#!/bin/sh\necho x >> "{work}/executions.log"\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    inventory = work / "hosts.yml"
    host = {"ansible_connection": "local", "ansible_python_interpreter": str(wrapper)}
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": host}}}))
    return inventory


def task_seconds(report: dict) -> float:
    """Sum of the tasks' durations (ansible.posix.json timestamps), Ansible's start-up left out."""
    total = 0.0
    for task in report["plays"][0]["tasks"]:
        duration = task["task"]["duration"]
        start, end = (datetime.fromisoformat(duration[k].replace("Z", "+00:00")) for k in ("start", "end"))
        total += (end - start).total_seconds()
    return total


def run(work: Path, playbook: Path, inventory: Path) -> tuple[float, float, int, int]:
    """Wall time, task time, module executions and changed count of one ansible-playbook run."""
    log = work / "executions.log"
    log.write_text("")
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
    }
    start = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"{playbook.name} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr}"
        )
    report = json.loads(result.stdout)
    changed = report["stats"]["localhost"]["changed"]
    return wall, task_seconds(report), len(log.read_text().split()), changed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    samples: dict[tuple[str, str], list[tuple[float, float, int, int]]] = {}
    with tempfile.TemporaryDirectory(prefix="config-files-bench-") as tmp:
        for rep in range(args.reps):
            for approach in ("old", "new"):
                work = Path(tmp) / f"{approach}-{rep}"
                work.mkdir()
                playbook, inventory = write_project(work, approach), write_inventory(work)
                samples.setdefault((approach, "first run"), []).append(run(work, playbook, inventory))
                samples.setdefault((approach, "no-change run"), []).append(run(work, playbook, inventory))
    print(f"3 folders + 3 templated files, localhost (connection local), median of {args.reps}")
    print(f"{'approach':<42} {'run':<14} {'wall s':>7} {'tasks s':>8} {'module execs':>13} {'changed':>8}")
    labels = {"old": "find + template loop (lookup compare)", "new": "kafka_aws.kafka.config_files"}
    for (approach, kind), runs in samples.items():
        wall, tasks, execs, changed = (statistics.median(column) for column in zip(*runs, strict=True))
        print(f"{labels[approach]:<42} {kind:<14} {wall:7.2f} {tasks:8.2f} {execs:13.0f} {changed:8.0f}")
    for kind in ("first run", "no-change run"):
        old = statistics.median(r[1] for r in samples[("old", kind)])
        new = statistics.median(r[1] for r in samples[("new", kind)])
        print(f"{kind}: tasks {old / new:.1f}x faster with config_files ({old:.2f} s -> {new:.2f} s)")


if __name__ == "__main__":
    main()
