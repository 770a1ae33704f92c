"""The cluster's health from the JMX exporter agents' metrics (module_utils kafka_metrics), scraped over
real HTTP from servers on 127.0.0.1, as service_gate (option metrics) and kafka_health read it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.filter.cluster import metrics_endpoints  # noqa: E402
from ansible_collections.kafka_aws.kafka.plugins.module_utils import kafka_metrics as km  # noqa: E402
from ansible_collections.kafka_aws.kafka.plugins.modules import kafka_health, service_gate  # noqa: E402

from tests.fake_exporter import Exporter  # noqa: E402


def kafka_text(state=3, urp=0, min_isr=0, offline=0, active=0) -> str:
    """A Kafka node's exposition as the roles' rules name it (with help lines and a labelled metric)."""
    return "\n".join(
        [
            "# HELP kafka_server_kafkaserver_brokerstate Attribute exposed for management",
            "# TYPE kafka_server_kafkaserver_brokerstate gauge",
            f"kafka_server_kafkaserver_brokerstate {state}.0",
            f"kafka_server_replicamanager_underreplicatedpartitions {urp}.0",
            f"kafka_server_replicamanager_underminisrpartitioncount {min_isr}.0",
            f"kafka_controller_kafkacontroller_offlinepartitionscount {offline}.0",
            f"kafka_controller_kafkacontroller_activecontrollercount {active}.0",
            'kafka_network_requestmetrics_requests_total{request="Produce",version="9"} 12.0',
            "jvm_threads_current 42.0",
        ]
    )


def zookeeper_text(role: str, myid: int) -> str:
    return (
        f'zookeeper_numaliveconnections{{membertype="{role}",myid="{myid}"}} 2.0\n'
        f'zookeeper_quorumsize{{myid="{myid}"}} 3.0\n'
    )


@pytest.fixture
def nodes() -> Iterator[list[Exporter]]:
    started: list[Exporter] = []
    yield started
    for node in started:
        node.close()


def serve(nodes: list[Exporter], *texts: str | list[str]) -> list[Exporter]:
    served = [Exporter(text) for text in texts]
    nodes.extend(served)
    return served


def endpoints(served: list[Exporter], brokers: int | None = None) -> list[dict]:
    return [
        {
            "name": f"kafka-{i + 1}",
            "url": node.url,
            "broker": brokers is None or i < brokers,
            "required": True,
        }
        for i, node in enumerate(served)
    ]


def test_parse_reads_names_labels_and_values_and_skips_comments():
    samples = km.parse(kafka_text(urp=2) + '\nbad_value{a="b"} NaNx\n')
    assert ("kafka_server_replicamanager_underreplicatedpartitions", {}, 2.0) in samples
    assert (
        "kafka_network_requestmetrics_requests_total",
        {"request": "Produce", "version": "9"},
        12.0,
    ) in samples
    assert all(not name.startswith("#") for name, _, _ in samples)
    assert km.total(samples, "no_such_metric") is None


def test_a_healthy_cluster_has_no_problem(nodes):
    served = serve(nodes, kafka_text(active=1), kafka_text(), kafka_text())
    result = km.read(endpoints(served), [])
    assert result["problems"] == []
    assert [r["state"] for r in result["kafka"]] == [3, 3, 3]


@pytest.mark.parametrize(
    ("texts", "problem"),
    [
        ([kafka_text(active=1, urp=2), kafka_text(urp=1), kafka_text()], "3 partition(s) under-replicated"),
        ([kafka_text(active=1), kafka_text(min_isr=1), kafka_text()], "1 partition(s) under min ISR"),
        ([kafka_text(active=1, offline=4), kafka_text(), kafka_text()], "4 partition(s) offline"),
        ([kafka_text(), kafka_text(), kafka_text()], "0 active controllers (exactly 1 expected)"),
        (
            [kafka_text(active=1), kafka_text(active=1), kafka_text()],
            "2 active ZooKeeper-mode controllers (at most 1 expected)",
        ),
        ([kafka_text(active=1), kafka_text(state=1), kafka_text()], "kafka-2: the broker is starting"),
        ([kafka_text(active=1), kafka_text(state=7), kafka_text()], "kafka-2: the broker is shutting down"),
        (
            [kafka_text(active=1), "jvm_threads_current 3.0\n", kafka_text()],
            "kafka-2: the broker is reporting no broker state",
        ),
    ],
)
def test_each_unhealthy_figure_is_named(nodes, texts, problem):
    assert problem in km.read(endpoints(serve(nodes, *texts)), [])["problems"]


def test_a_required_node_that_does_not_answer_is_named_and_an_optional_one_is_not_counted(nodes):
    served = serve(nodes, kafka_text(), kafka_text(), kafka_text(active=1))
    served[2].close()
    nodes.remove(served[2])
    required = km.read(endpoints(served), [])
    assert "kafka-3: its metrics do not answer" in required["problems"]
    optional = km.read(
        [*endpoints(served[:2]), {**endpoints(served)[2], "broker": False, "required": False}], []
    )
    # the stopped controller is not counted: only its missing active controller is a problem
    assert optional["problems"] == ["0 active controllers (exactly 1 expected)"]


def test_a_controller_needs_no_broker_state(nodes):
    served = serve(nodes, kafka_text(), "kafka_controller_kafkacontroller_activecontrollercount 1.0\n")
    assert km.read(endpoints(served, brokers=1), [])["problems"] == []


def test_active_controllers_are_counted_apart_for_kraft_and_zookeeper_mode(nodes):
    """Part-way through a migration the ZooKeeper controller (a broker) and the KRaft quorum's leader are
    both active; two on one side is a problem."""
    controller = "kafka_controller_kafkacontroller_activecontrollercount {}.0\n"
    served = serve(nodes, kafka_text(active=1), kafka_text(), controller.format(1), controller.format(0))
    migrating = endpoints(served, brokers=2)
    for node in migrating[2:]:
        node["controller"] = True
    assert km.read(migrating, [])["problems"] == []
    served[3].texts = [controller.format(1)]
    assert km.read(migrating, [])["problems"] == ["2 active KRaft controllers (exactly 1 expected)"]


def test_zookeeper_needs_one_leader_and_every_member_serving(nodes):
    served = serve(
        nodes, zookeeper_text("Follower", 1), zookeeper_text("Leader", 2), "jvm_threads_current 1.0\n"
    )
    members = [{"name": f"zk-{i + 1}", "url": n.url, "required": True} for i, n in enumerate(served)]
    assert km.read([], members)["problems"] == ["zk-3: not serving"]
    no_leader = serve(nodes, zookeeper_text("Follower", 4))
    assert (
        "0 ZooKeeper leaders (exactly 1 expected)"
        in km.read([], [{"name": "zk-4", "url": no_leader[0].url}])["problems"]
    )
    standalone = serve(nodes, 'zookeeper_numaliveconnections{membertype="Standalone"} 1.0\n')
    assert km.read([], [{"name": "zk-1", "url": standalone[0].url}])["problems"] == []


def test_the_table_has_a_row_per_node_aligned(nodes):
    served = serve(nodes, kafka_text(active=1), kafka_text(urp=5))
    served[1].close()
    nodes.remove(served[1])
    zk = serve(nodes, zookeeper_text("Leader", 1))
    lines = km.table(km.read(endpoints(served), [{"name": "zk-1", "url": zk[0].url}]))
    assert lines[0].split() == [
        "node",
        "broker",
        "state",
        "under-replicated",
        "under",
        "min",
        "ISR",
        "offline",
        "active",
        "controller",
    ]
    assert lines[1].split() == ["kafka-1", "running", "0", "0", "0", "1"]
    assert lines[2].split() == ["kafka-2", "no", "answer", "-", "-", "-", "-"]
    assert lines[1].index("running") == lines[2].index("no answer")
    assert lines[-1].split() == ["zk-1", "Leader"]


def test_metrics_endpoints_bracket_ipv6_and_fall_back_when_a_node_runs_no_agent():
    hostvars = {
        "a": {"kafka_host_address": "10.0.1.10"},
        "b": {"kafka_host_address": "fd00::2", "kafka_metrics_port": 7171},
        "c": {"kafka_host_address": "10.0.1.12"},
    }
    got = metrics_endpoints(
        ["a", "b", "c"], hostvars, "kafka_metrics_port", 7071, ["a", "b"], ["b", "c"], ["c"]
    )
    url = {
        "a": "http://10.0.1.10:7071/metrics",
        "b": "http://[fd00::2]:7171/metrics",
        "c": "http://10.0.1.12:7071/metrics",
    }
    assert got == [
        {"name": "a", "url": url["a"], "required": True, "broker": True, "controller": False},
        {"name": "b", "url": url["b"], "required": True, "broker": True, "controller": True},
        {"name": "c", "url": url["c"], "required": False, "broker": False, "controller": True},
    ]
    assert "broker" not in metrics_endpoints(["a"], hostvars, "kafka_metrics_port", 7071)[0]
    assert (
        metrics_endpoints(
            ["a", "b"],
            {**hostvars, "a": {**hostvars["a"], "kafka_metrics_port": 0}},
            "kafka_metrics_port",
            7071,
        )
        == []
    )


def test_the_gate_waits_until_the_restarted_broker_runs_and_partitions_are_in_sync(
    nodes, monkeypatch, capsys
):
    served = serve(
        nodes,
        [kafka_text(active=1, urp=2), kafka_text(active=1, urp=1), kafka_text(active=1)],
        ["jvm_threads_current 1.0\n", kafka_text(state=1), kafka_text()],
        kafka_text(),
    )
    monkeypatch.setattr(service_gate.time, "sleep", lambda seconds: None)
    with (
        patch_module_args(
            {"metrics": endpoints(served), "timeout": 60, "interval": 0, "what": "broker 2 back"}
        ),
        pytest.raises(SystemExit),
    ):
        service_gate.main()
    result = json.loads(capsys.readouterr().out)
    assert result.get("failed") is not True
    assert result["tries"] == 3


def test_the_gate_times_out_naming_each_problem_of_the_last_try(nodes, capsys):
    served = serve(nodes, kafka_text(active=1, urp=2), kafka_text(state=7))
    args = {"metrics": endpoints(served), "timeout": 0, "what": "broker 2 back"}
    with patch_module_args(args), pytest.raises(SystemExit):
        service_gate.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert result["msg"] == (
        "broker 2 back not reached within 0s; by the metrics at the last try:\n"
        "- kafka-2: the broker is shutting down\n- 2 partition(s) under-replicated"
    )


def test_the_gate_refuses_a_check_and_metrics_at_once(capsys):
    with (
        patch_module_args({"check": "true", "metrics": [{"name": "a", "url": "http://127.0.0.1:1/metrics"}]}),
        pytest.raises(SystemExit),
    ):
        service_gate.main()
    assert "mutually exclusive: check|metrics" in json.loads(capsys.readouterr().out)["msg"]


def test_kafka_health_returns_the_table_and_fails_on_problems(nodes, capsys):
    served = serve(nodes, kafka_text(active=1), kafka_text(offline=1))
    with patch_module_args({"kafka": endpoints(served)}), pytest.raises(SystemExit):
        kafka_health.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert result["msg"] == "The cluster is not healthy: 1 partition(s) offline"
    assert result["table"][2].split()[:2] == ["kafka-2", "running"]
    with (
        patch_module_args({"kafka": endpoints(served), "fail_on_problems": False}),
        pytest.raises(SystemExit),
    ):
        kafka_health.main()
    quiet = json.loads(capsys.readouterr().out)
    assert quiet.get("failed") is not True
    assert quiet["problems"] == ["1 partition(s) offline"]
