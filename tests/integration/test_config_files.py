"""kafka_aws.kafka.config_files against localhost (connection local), writing under pytest's tmp_path.

Needs no lab service: only ansible-playbook, run as the current user.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import ansible

pytestmark = pytest.mark.integration

SECRET = "Zq9-s3cr3t-Pa55w0rd"
NEW_SECRET = "Xk7-n3w-s3cr3t-Pa55"

SERVER_TEMPLATE = """\
# {{ ansible_managed }}
greeting={{ greeting }}
{% for key in ['a', 'b'] %}
{{ key }}=1
{% endfor %}
"""
CLIENT_TEMPLATE = """\
# profile {{ item.name }}
sasl.jaas.config=user="{{ item.user }}" password="{{ item.password }}";
"""
# Everything the template action adds, but template_destpath and template_run_date (they differ per file
# and per rendering by design).
TEMPLATE_VARS = """\
{{ ansible_managed }}|{{ template_host }}|{{ template_path }}|{{ template_fullpath }}|{{ template_uid }}
mtime={{ template_mtime }} item={{ item.name }}
{% if true %}
  trimmed block, {{ 'kept' }}   indentation
{% endif %}
no newline at the end"""


def config_task(out: str = "{{ out }}") -> dict:
    """The task under test: two folders, a template, a literal and a secret template with per-file vars."""
    return {
        "name": "Render the folders and configuration",
        "kafka_aws.kafka.config_files": {
            "directories": [
                {"path": out, "mode": "0750"},
                {"path": f"{out}/conf", "mode": "0700"},
            ],
            "files": [
                {"src": "server.properties.j2", "dest": f"{out}/conf/server.properties", "mode": "0640"},
                {"content": "{{ myid ~ '\n' }}", "dest": f"{out}/myid", "mode": "0644"},
                {
                    "src": "client.properties.j2",
                    "dest": f"{out}/conf/p1.properties",
                    "mode": "0600",
                    "vars": {"item": {"name": "p1", "user": "app", "password": "{{ client_password }}"}},
                    "secret": True,
                },
            ],
        },
        "register": "config",
    }


def write_project(tmp_path: Path, tasks: list[dict] | None = None, hosts: str = "localhost") -> Path:
    """Templates, a vars file and the playbook; the vars file is what tests change between runs."""
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "server.properties.j2").write_text(SERVER_TEMPLATE)
    (tmp_path / "templates" / "client.properties.j2").write_text(CLIENT_TEMPLATE)
    set_vars(tmp_path)
    play = {
        "name": "config_files",
        "hosts": hosts,
        "gather_facts": False,
        "vars_files": [str(tmp_path / "vars.yml")],
        "vars": {"out": str(tmp_path / "out")},
        "tasks": tasks if tasks is not None else [config_task()],
    }
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    return playbook


def set_vars(tmp_path: Path, greeting: str = "hello", myid: int = 1, password: str = SECRET) -> None:
    values = {"greeting": greeting, "myid": myid, "client_password": password}
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(values))


def playbook(*args: str, callback: str = "ansible.posix.json") -> subprocess.CompletedProcess:
    """The conftest's ansible() with a chosen stdout callback (JSON by default: the whole result)."""
    saved = os.environ.get("ANSIBLE_STDOUT_CALLBACK")
    os.environ["ANSIBLE_STDOUT_CALLBACK"] = callback
    try:
        return ansible("ansible-playbook", *args, check=False)
    finally:
        if saved is None:
            del os.environ["ANSIBLE_STDOUT_CALLBACK"]
        else:
            os.environ["ANSIBLE_STDOUT_CALLBACK"] = saved


def run(tmp_path: Path, *args: str, callback: str = "ansible.posix.json", check: bool = True) -> str:
    """ansible-playbook on the project in tmp_path against localhost (connection local)."""
    local = ("-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}")
    result = playbook(*local, *args, str(tmp_path / "play.yml"), callback=callback)
    if check and result.returncode != 0:
        pytest.fail(
            f"ansible-playbook failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr}"
        )
    return result.stdout + result.stderr


def write_inventory(tmp_path: Path, hosts: dict[str, dict]) -> None:
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))


def task_result(output: str, host: str = "localhost", task: int = 0) -> dict:
    """The task's result (and the run's stats) from ansible.posix.json's output."""
    report, _ = json.JSONDecoder().raw_decode(output[output.index("{") :])  # stderr may follow
    result = report["plays"][0]["tasks"][task]["hosts"][host]
    result["stats"] = report["stats"][host]
    return result


def summary(result: dict) -> dict:
    return {key: result[key] for key in ("changed", "changed_files", "files", "directories")}


def mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root: mode, owner, inode, and for files the modification time (what a write changes).

    A folder's own modification time changes whenever a file in it is replaced, so it is left out.
    """
    shots = {}
    for path in sorted(root.rglob("*")):
        status = path.stat()
        mtime = None if path.is_dir() else status.st_mtime_ns
        shots[str(path.relative_to(root))] = (
            status.st_mode,
            status.st_uid,
            status.st_gid,
            status.st_ino,
            mtime,
        )
    return shots


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path)
    return tmp_path


def test_first_run_creates_everything_and_second_run_changes_nothing(project: Path) -> None:
    out = project / "out"
    first = task_result(run(project))
    assert first["changed"] is True
    assert [d["reason"] for d in first["directories"]] == ["created", "created"]
    assert [(f["dest"], f["changed"], f["reason"]) for f in first["files"]] == [
        (f"{out}/conf/server.properties", True, "created"),
        (f"{out}/myid", True, "created"),
        (f"{out}/conf/p1.properties", True, "created"),
    ]
    assert first["changed_files"] == [
        f"{out}/conf/server.properties",
        f"{out}/myid",
        f"{out}/conf/p1.properties",
    ]
    assert (out / "conf" / "server.properties").read_text() == "# Ansible managed\ngreeting=hello\na=1\nb=1\n"
    assert (out / "myid").read_text() == "1\n"
    assert (out / "conf" / "p1.properties").read_text() == (
        f'# profile p1\nsasl.jaas.config=user="app" password="{SECRET}";\n'
    )
    assert [mode(out), mode(out / "conf")] == ["0750", "0700"]
    assert [
        mode(out / "conf" / "server.properties"),
        mode(out / "myid"),
        mode(out / "conf" / "p1.properties"),
    ] == [
        "0640",
        "0644",
        "0600",
    ]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")], "temporary files left behind"

    before = snapshot(out)
    second = task_result(run(project))
    assert second["stats"]["changed"] == 0
    assert second["changed"] is False and second["changed_files"] == []
    assert all(
        not entry["changed"] and entry["reason"] is None for entry in second["files"] + second["directories"]
    )
    assert snapshot(out) == before


def test_a_content_change_rewrites_only_that_file(project: Path) -> None:
    out = project / "out"
    run(project)
    before = snapshot(out)
    set_vars(project, greeting="bonjour")
    result = task_result(run(project))
    assert result["changed_files"] == [f"{out}/conf/server.properties"]
    assert [f["reason"] for f in result["files"]] == ["content", None, None]
    assert (
        out / "conf" / "server.properties"
    ).read_text() == "# Ansible managed\ngreeting=bonjour\na=1\nb=1\n"
    after = snapshot(out)
    assert after.pop("conf/server.properties")[3] != before.pop("conf/server.properties")[3], "not a new file"
    assert after == before, "a file whose content did not change was touched"
    assert task_result(run(project))["stats"]["changed"] == 0


def test_a_mode_change_alone_is_reported_as_attributes_and_fixed(project: Path) -> None:
    out = project / "out"
    run(project)
    (out / "myid").chmod(0o666)
    (out / "conf").chmod(0o755)
    inode = (out / "myid").stat().st_ino
    result = task_result(run(project))
    assert result["changed"] is True
    assert result["changed_files"] == [f"{out}/myid"]
    assert [f["reason"] for f in result["files"]] == [None, "attributes", None]
    assert [d["reason"] for d in result["directories"]] == [None, "attributes"]
    assert [mode(out / "myid"), mode(out / "conf")] == ["0644", "0700"]
    assert (out / "myid").stat().st_ino == inode, "an attributes-only change must not rewrite the file"


def test_check_mode_writes_nothing_and_reports_what_a_real_run_changes(project: Path) -> None:
    out = project / "out"
    checked = task_result(run(project, "--check"))
    assert not out.exists(), "check mode created something"
    assert checked["stats"]["changed"] == 1
    assert summary(checked) == summary(task_result(run(project)))

    (out / "myid").chmod(0o600)
    set_vars(project, greeting="bonjour")
    before = snapshot(out)
    checked = task_result(run(project, "--check"))
    assert snapshot(out) == before, "check mode changed something"
    assert summary(checked) == summary(task_result(run(project)))
    assert [f["reason"] for f in checked["files"]] == ["content", "attributes", None]


def test_diff_shows_normal_files_and_only_a_placeholder_for_secrets(project: Path) -> None:
    out = project / "out"
    created = run(project, "--diff", "-vvv", callback="default")
    assert f"(secret content of {out}/conf/p1.properties not shown)" in created
    assert "+greeting=hello" in created
    assert SECRET not in created

    set_vars(project, greeting="bonjour", myid=2, password=NEW_SECRET)
    changed = run(project, "--diff", "-vvv", callback="default")
    assert "-greeting=hello\n+greeting=bonjour" in changed
    assert "-1\n+2" in changed
    assert f"+(secret content of {out}/conf/p1.properties not shown)" in changed
    for secret in (SECRET, NEW_SECRET):
        assert secret not in changed
    assert (out / "conf" / "p1.properties").read_text().count(NEW_SECRET) == 1

    # The structured result (ansible.posix.json shows all of it) holds no content but the diffs' own.
    set_vars(project, greeting="hello", password=SECRET)
    output = run(project, "--diff")
    result = task_result(output)
    assert SECRET not in output and NEW_SECRET not in output
    assert "invocation" not in result
    assert [d["before_header"] for d in result["diff"]] == [
        f"{out}/conf/server.properties",
        f"{out}/myid",
        f"{out}/conf/p1.properties",
    ]
    # Ansible masks no_log values wherever they appear: myid's "1\n" must not garble "a=1\n" here.
    assert result["diff"][0]["before"] == "# Ansible managed\ngreeting=bonjour\na=1\nb=1\n"
    assert result["diff"][0]["after"] == "# Ansible managed\ngreeting=hello\na=1\nb=1\n"
    assert result["diff"][2] == {
        "before_header": f"{out}/conf/p1.properties",
        "after_header": "client.properties.j2",
        "before": f"(previous secret content of {out}/conf/p1.properties not shown)\n",
        "after": f"(secret content of {out}/conf/p1.properties not shown)\n",
    }


def test_rendering_matches_the_template_module_with_per_file_vars(tmp_path: Path) -> None:
    out = tmp_path / "out"
    common = {"mode": "0644"}
    tasks = [
        {
            "name": "Render with config_files",
            "kafka_aws.kafka.config_files": {
                "directories": [{"path": str(out), "mode": "0755"}],
                "files": [
                    {"src": "vars.j2", "dest": f"{out}/one", "vars": {"item": {"name": "first"}}, **common},
                    {"src": "vars.j2", "dest": f"{out}/two", "vars": {"item": {"name": "second"}}, **common},
                ],
            },
        },
        {
            "name": "Render with ansible.builtin.template",
            "ansible.builtin.template": {"src": "vars.j2", "dest": f"{out}/{{{{ item.dest }}}}", **common},
            "loop": [{"name": "first", "dest": "template-one"}, {"name": "second", "dest": "template-two"}],
        },
    ]
    write_project(tmp_path, tasks)
    (tmp_path / "templates" / "vars.j2").write_text(TEMPLATE_VARS)
    run(tmp_path)
    one = (out / "one").read_text()
    assert one.startswith("Ansible managed|") and "item=first" in one
    assert "item=second" in (out / "two").read_text()
    assert one == (out / "template-one").read_text()
    assert (out / "two").read_text() == (out / "template-two").read_text()


def test_a_missing_template_is_an_error_naming_the_file(project: Path) -> None:
    task = config_task()
    task["kafka_aws.kafka.config_files"]["files"][0]["src"] = "absent.properties.j2"
    write_project(project, [task])
    output = run(project, callback="default", check=False)
    assert "files[0]" in output and f"{project}/out/conf/server.properties" in output
    assert "absent.properties.j2" in output and "Could not find or access" in output
    assert not (project / "out").exists()


def test_an_unknown_owner_fails_on_the_host_naming_the_file_and_changes_nothing(project: Path) -> None:
    task = config_task()
    task["kafka_aws.kafka.config_files"]["files"][1]["owner"] = "no-such-user-kafka-aws"
    write_project(project, [task])
    result = task_result(run(project, check=False))
    assert result["failed"] is True
    assert result["msg"] == (
        f"config_files: nothing changed: files[1] {project}/out/myid: "
        "owner 'no-such-user-kafka-aws' does not exist on this host"
    )
    assert not (project / "out").exists()


def test_check_mode_reports_a_change_for_an_owner_an_earlier_task_would_create(project: Path) -> None:
    """In check mode the role's user task only pretends: its user and group are missing, yet not an error."""
    out = project / "out"
    run(project)
    before = snapshot(out)
    task = config_task()
    module = task["kafka_aws.kafka.config_files"]
    module["directories"][1]["group"] = "no-such-group-kafka-aws"
    module["files"][1]["owner"] = "no-such-user-kafka-aws"
    module["directories"].append({"path": f"{out}/new", "owner": "no-such-user-kafka-aws", "mode": "0750"})
    write_project(project, [task])
    checked = task_result(run(project, "--check"))
    assert snapshot(out) == before, "check mode changed something"
    assert checked["changed"] is True and not checked.get("failed")
    assert [d["reason"] for d in checked["directories"]] == [None, "attributes", "created"]
    assert [f["reason"] for f in checked["files"]] == [None, "attributes", None]
    assert checked["changed_files"] == [f"{out}/myid"]
    refused = task_result(run(project, check=False))
    assert refused["failed"] is True and "'no-such-group-kafka-aws' does not exist" in refused["msg"]
    assert snapshot(out) == before, "a refused run changed something"


def test_a_file_whose_folder_is_missing_fails_naming_it(project: Path) -> None:
    task = config_task()
    task["kafka_aws.kafka.config_files"]["directories"] = []
    write_project(project, [task])
    result = task_result(run(project, check=False))
    assert result["failed"] is True
    assert result["msg"].startswith(f"config_files: files[0] {project}/out/conf/server.properties: ")
    assert "folder does not exist" in result["msg"]


def test_delegated_to_localhost_without_owner_keeps_the_current_user(tmp_path: Path) -> None:
    """A host that is never contacted; the task runs on the control node, as kafka_clients does."""
    task = config_task()
    task.update({"delegate_to": "localhost", "run_once": True, "become": False})
    write_project(tmp_path, [task], hosts="broker1")
    write_inventory(tmp_path, {"broker1": {"ansible_host": "192.0.2.1", "ansible_connection": "ssh"}})
    play = yaml.safe_load((tmp_path / "play.yml").read_text())
    play[0]["vars"]["ansible_python_interpreter"] = sys.executable
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    completed = playbook("-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"))
    assert completed.returncode == 0, completed.stdout[-4000:]
    result = task_result(completed.stdout, host="broker1")
    assert len(result["changed_files"]) == 3
    for path in (tmp_path / "out" / "myid", tmp_path / "out" / "conf" / "p1.properties"):
        assert (path.stat().st_uid, path.stat().st_gid) == (os.getuid(), os.getgid())


def test_one_module_execution_per_host(tmp_path: Path) -> None:
    """Every module execution starts the host's Python once: a wrapper interpreter counts them per host."""
    log = tmp_path / "executions.log"
    wrapper = tmp_path / "python-counting"
    wrapper.write_text(f'#!/bin/sh\necho "$CONFIG_FILES_HOST" >> {log}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    task = config_task("{{ out }}/{{ inventory_hostname }}")
    task["environment"] = {"CONFIG_FILES_HOST": "{{ inventory_hostname }}"}
    write_project(tmp_path, [task], hosts="all")
    connection = {"ansible_connection": "local", "ansible_python_interpreter": str(wrapper)}
    write_inventory(tmp_path, {"h1": connection, "h2": connection})
    (tmp_path / "out").mkdir()
    # Check mode on fresh hosts, the real run, then a no-change run in diff mode: one execution each.
    for args, changed in ((("--check", "--diff"), 1), ((), 1), (("--diff",), 0)):
        log.write_text("")
        completed = playbook(
            "-i", str(tmp_path / "hosts.yml"), *args, str(tmp_path / "play.yml"), callback="default"
        )
        assert completed.returncode == 0, completed.stdout[-4000:]
        for host in ("h1", "h2"):
            assert re.search(rf"^{host}\s+: ok=1\s+changed={changed}\s", completed.stdout, re.MULTILINE)
        assert sorted(log.read_text().split()) == ["h1", "h2"], (
            f"module executions with {args}: {log.read_text()!r}"
        )


def test_the_secret_stays_out_of_a_failed_run(project: Path) -> None:
    """A module-side failure after rendering (unknown group) shows the reason, never the secret content."""
    task = config_task()
    task["kafka_aws.kafka.config_files"]["files"][2]["group"] = "no-such-group-kafka-aws"
    write_project(project, [task])
    output = run(project, "-vvv", callback="default", check=False)
    assert (
        f"files[2] {project}/out/conf/p1.properties: group 'no-such-group-kafka-aws' does not exist" in output
    )
    assert SECRET not in output
    assert not (project / "out").exists()
