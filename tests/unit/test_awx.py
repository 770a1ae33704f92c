"""AWX as code: the job templates' data file, the filters that turn it into awx.awx arguments, and
tools/awx_job.py (the same templates through ansible-runner, as the tests run them)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.plugins.loader import init_plugin_loader

from tests.unit.conftest import ROOT, load

init_plugin_loader([str(ROOT / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.filter import awx  # noqa: E402

awx_job = load("tools/awx_job.py", "awx_job")
DATA = awx_job.load()
TEMPLATES = {t["name"]: t for t in DATA["job_templates"]}


def spec_option(role: str, name: str) -> dict:
    specs = yaml.safe_load((ROOT / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    return next(e["options"][name] for e in specs.values() if name in e.get("options", {}))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_template_names_a_playbook_an_inventory_and_credentials_that_exist(name):
    job = TEMPLATES[name]
    assert (ROOT / job["playbook"]).is_file()
    assert job["inventory"] in ("cluster", "control")
    assert set(job["credentials"]) <= {"aws", "machine"}
    playbook = (ROOT / job["playbook"]).read_text()
    for tag in filter(None, f"{job.get('job_tags', '')},{job.get('skip_tags', '')}".split(",")):
        assert f"[{tag}]" in playbook, tag


def test_the_survey_choices_are_the_variables_own():
    questions = {q["variable"]: q for q in TEMPLATES["kafka migrate to KRaft"]["survey"]}
    assert (
        questions["kafka_migration_stop_after"]["choices"]
        == spec_option("kafka", "kafka_migration_stop_after")["choices"]
    )
    assert questions["kafka_migration_stop_after"]["default"] == "finalize"
    for name in ("kafka rolling restart", "kafka upgrade"):
        strategy = {q["variable"]: q for q in TEMPLATES[name]["survey"]}["kafka_restart_strategy"]
        assert strategy["choices"] == spec_option("kafka", "kafka_restart_strategy")["choices"]
        assert strategy["default"] == spec_option("kafka", "kafka_restart_strategy")["default"]
    assert spec_option("ec2_cluster", "kafka_teardown_cluster")["required"]


def test_the_workflow_runs_templates_that_exist():
    steps = DATA["workflow"]["steps"]
    assert all(step in TEMPLATES or step == awx.INVENTORY_SYNC for step in steps)
    nodes = awx.awx_workflow_nodes(DATA["workflow"], "org", {"name": "src", "inventory": "inv"})
    assert [n["identifier"] for n in nodes] == ["step1", "step2", "step3", "step4"]
    assert [n["related"]["success_nodes"] for n in nodes] == [
        [{"identifier": "step2"}],
        [{"identifier": "step3"}],
        [{"identifier": "step4"}],
        [],
    ]
    assert nodes[1]["unified_job_template"] == {
        "name": "src",
        "type": "inventory_source",
        "inventory": {"name": "inv", "organization": {"name": "org"}},
    }
    assert nodes[0]["unified_job_template"]["type"] == "job_template"


def test_survey_spec_as_awx_stores_it():
    spec = awx.awx_survey_spec(TEMPLATES["kafka rolling restart"])
    assert spec["spec"] == [
        {
            "question_name": "Services to restart",
            "variable": "kafka_restart_services",
            "type": "multiselect",
            "required": True,
            "default": "zookeeper\nkafka",
            "choices": ["zookeeper", "kafka"],
        },
        {
            "question_name": "Brokers restart (zone - a zone's brokers together, where placement allows)",
            "variable": "kafka_restart_strategy",
            "type": "multiplechoice",
            "required": True,
            "default": "one_at_a_time",
            "choices": ["one_at_a_time", "zone"],
        },
    ]
    assert awx.awx_survey_spec(TEMPLATES["kafka deploy"]) == {}


def test_survey_answers_become_extra_variables_as_in_awx():
    job = TEMPLATES["kafka migrate to KRaft"]
    assert awx_job.survey_vars(job, {}) == {
        "kafka_migration_stop_after": "finalize",
        "kafka_migration_finalize": "false",
    }
    assert awx_job.survey_vars(job, {"kafka_migration_stop_after": "controllers"})[
        "kafka_migration_stop_after"
    ] == ("controllers")
    restart = TEMPLATES["kafka rolling restart"]
    assert awx_job.survey_vars(restart, {"kafka_restart_services": "kafka"}) == {
        "kafka_restart_services": ["kafka"],
        "kafka_restart_strategy": "one_at_a_time",
    }


@pytest.mark.parametrize(
    "name, answers, message",
    [
        ("kafka teardown", {}, "kafka_teardown_cluster is required"),
        ("kafka migrate to KRaft", {"kafka_migration_stop_after": "phase9"}, "phase9 is not one of"),
        ("kafka rolling restart", {"kafka_restart_services": "kafka,broker"}, "broker is not one of"),
        ("kafka deploy", {"kafka_version": "4.4.0"}, "asks no question kafka_version"),
    ],
)
def test_answers_awx_would_refuse(name, answers, message):
    with pytest.raises(awx_job.SurveyError, match=message):
        awx_job.survey_vars(TEMPLATES[name], answers)


def test_launch_time_variables_win_over_survey_and_template():
    job = {**TEMPLATES["kafka upgrade"], "extra_vars": {"a": 1, "kafka_version": "3.9.2"}, "job_tags": "x"}
    kwargs = awx_job.launch(job, {"kafka_version": "4.4.0"}, {"a": 2})
    assert kwargs == {
        "playbook": "playbooks/upgrade.yml",
        "extravars": {"a": 2, "kafka_version": "4.4.0", "kafka_restart_strategy": "one_at_a_time"},
        "limit": None,
        "tags": "x",
        "skip_tags": None,
    }


def test_the_tool_refuses_before_running(capsys):
    assert awx_job.main(["kafka nothing", "-i", "localhost,"]) == 2
    assert "no job template 'kafka nothing'" in capsys.readouterr().err
    assert awx_job.main(["kafka teardown", "-i", "localhost,", "--answer", "novalue"]) == 2


def test_the_execution_environment_holds_the_data_file():
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    sources = {Path(entry["src"]).parts[0] for entry in definition["additional_build_files"]}
    assert {"awx", "roles", "plugins", "playbooks"} <= sources
