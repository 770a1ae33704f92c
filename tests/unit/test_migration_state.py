"""migrate_to_kraft.yml's reading of the cluster: each node's stage, the next phase, the refusals."""

from __future__ import annotations

import pytest
from ansible.plugins.loader import init_plugin_loader

from tests.unit.conftest import ROOT, load

init_plugin_loader([str(ROOT / "collections")])
migration = load("plugins/filter/migration.py", "migration_filter")

CONF = "/etc/kafka/server.properties"
META = "/var/lib/kafka/data/meta.properties"
ZK = "broker.id=1\nzookeeper.connect=z:2181\n"
PREPARED = ZK + "inter.broker.protocol.version=3.9\n"
BROKER_MIGRATING = PREPARED + "zookeeper.metadata.migration.enable=true\ncontroller.quorum.voters=4@c:9093\n"
BROKER_KRAFT = "node.id=1\nprocess.roles=broker\ncontroller.quorum.voters=4@c:9093\n"
CONTROLLER_MIGRATING = "node.id=4\nprocess.roles=controller\nzookeeper.metadata.migration.enable=true\n"
CONTROLLER_FINAL = "node.id=4\nprocess.roles=controller\n"
MIGRATED = '{"version":0,"kraft_metadata_offset":199,"kraft_controller_id":5,"kraft_metadata_epoch":3}'
NOT_MIGRATED = '{"version":0,"kraft_metadata_offset":-1,"kraft_controller_id":-1,"kraft_metadata_epoch":-1}'
CLUSTER = '{"version":"1","id":"jtkQ-D00RWmMGAvmZn4VYg"}'


def probe(properties: str | None, formatted: bool = True, active: bool = True, pending: bool = False) -> dict:
    return {
        "active": active,
        "restart_pending": pending,
        "files": {CONF: properties, META: "cluster.id=x\n" if formatted else None},
    }


def state(brokers: list[dict], controllers: list[dict], znode: str | None = None) -> dict:
    probes = {f"b{i}": p for i, p in enumerate(brokers, 1)}
    probes.update({f"c{i}": p for i, p in enumerate(controllers, 1)})
    return migration.migration_state(
        probes, [f"c{i}" for i in range(1, len(controllers) + 1)], znode, CLUSTER
    )


ABSENT = probe(None, formatted=False, active=False)


@pytest.mark.parametrize(
    ("brokers", "controllers", "znode", "phase"),
    [
        ([probe(ZK)] * 3, [ABSENT] * 3, None, "prepare"),
        ([probe(PREPARED), probe(ZK), probe(PREPARED)], [ABSENT] * 3, None, "prepare"),
        ([probe(PREPARED)] * 3, [ABSENT] * 3, None, "controllers"),
        # a controller formatted but down (a phase 2 that stopped part-way) is not deployed yet
        (
            [probe(PREPARED)] * 3,
            [probe(CONTROLLER_MIGRATING)] * 2 + [probe(CONTROLLER_MIGRATING, active=False)],
            None,
            "controllers",
        ),
        ([probe(PREPARED)] * 3, [probe(CONTROLLER_MIGRATING)] * 3, NOT_MIGRATED, "brokers_migration"),
        # every broker in migration mode, the metadata not copied yet: still phase 3 (it waits for it)
        ([probe(BROKER_MIGRATING)] * 3, [probe(CONTROLLER_MIGRATING)] * 3, NOT_MIGRATED, "brokers_migration"),
        ([probe(BROKER_MIGRATING)] * 3, [probe(CONTROLLER_MIGRATING)] * 3, MIGRATED, "brokers_kraft"),
        # a broker whose KRaft file is written but not running yet (restart pending): phase 4 resumes
        (
            [probe(BROKER_KRAFT), probe(BROKER_KRAFT, pending=True), probe(BROKER_MIGRATING)],
            [probe(CONTROLLER_MIGRATING)] * 3,
            MIGRATED,
            "brokers_kraft",
        ),
        ([probe(BROKER_KRAFT)] * 3, [probe(CONTROLLER_MIGRATING)] * 3, MIGRATED, "finalize"),
        (
            [probe(BROKER_KRAFT)] * 3,
            [probe(CONTROLLER_FINAL)] * 2 + [probe(CONTROLLER_MIGRATING)],
            MIGRATED,
            "finalize",
        ),
        ([probe(BROKER_KRAFT)] * 3, [probe(CONTROLLER_FINAL)] * 3, MIGRATED, "done"),
    ],
)
def test_the_phase_is_the_first_whose_result_is_missing(brokers, controllers, znode, phase):
    found = state(brokers, controllers, znode)
    assert found["phase"] == phase
    assert found["index"] == migration.PHASES.index(phase) + 1
    assert found["problems"] == []
    assert found["cluster_id"] == "jtkQ-D00RWmMGAvmZn4VYg"


def test_each_node_reports_the_stage_its_file_describes():
    found = state(
        [probe(ZK), probe(PREPARED), probe(BROKER_MIGRATING)],
        [probe(CONTROLLER_MIGRATING), ABSENT, probe(CONTROLLER_FINAL)],
    )
    assert found["stages"] == {"b1": 0, "b2": 1, "b3": 2, "c1": 1, "c2": 0, "c3": 2}


def test_a_broker_in_kraft_before_the_metadata_was_migrated_is_refused():
    found = state(
        [probe(BROKER_KRAFT), probe(BROKER_MIGRATING), probe(BROKER_MIGRATING)],
        [probe(CONTROLLER_MIGRATING)] * 3,
        NOT_MIGRATED,
    )
    assert found["phase"] == "brokers_migration"
    assert found["problems"] == [
        "b1 is in KRaft (broker) while the cluster has not completed phase brokers_migration, "
        "which comes first"
    ]


def test_brokers_in_migration_mode_without_controllers_are_refused():
    found = state([probe(BROKER_MIGRATING)] * 2 + [probe(PREPARED)], [ABSENT] * 3)
    assert found["phase"] == "controllers"
    assert len(found["problems"]) == 2 and all("migration mode (broker)" in p for p in found["problems"])


def test_a_finalized_controller_while_brokers_are_not_in_kraft_is_refused():
    found = state(
        [probe(BROKER_MIGRATING)] * 3, [probe(CONTROLLER_FINAL)] + [probe(CONTROLLER_MIGRATING)] * 2, MIGRATED
    )
    assert found["phase"] == "brokers_kraft"
    assert found["problems"] == [
        "c1 is in finalized (controller) while the cluster has not completed phase brokers_kraft, "
        "which comes first"
    ]


@pytest.mark.parametrize(
    ("znode", "migrated"),
    [
        (MIGRATED, True),
        (NOT_MIGRATED, False),
        ("Node does not exist: /kafka/x/migration", False),
        ("", False),
        (None, False),
    ],
)
def test_the_metadata_counts_as_migrated_once_zookeeper_records_a_kraft_offset(znode, migrated):
    assert migration.migrated(znode) is migrated


def test_zookeeper_without_a_cluster_id_gives_an_empty_id():
    found = migration.migration_state({"b1": probe(ZK)}, [], None, "Node does not exist: /kafka/x/cluster/id")
    assert found["cluster_id"] == ""


def test_the_migration_znode_is_parsed_for_the_record():
    assert migration.migration_znode_json("WATCHER::\n" + MIGRATED + "\n")["kraft_metadata_offset"] == 199
    assert migration.migration_znode_json("Node does not exist: /migration") == {}


def test_a_broker_keeps_its_broker_id_as_its_node_id():
    problems = migration.migration_id_problems(
        [
            {"inventory_hostname": "b1", "kafka_broker_id": 1, "kafka_node_id": 1},
            {"inventory_hostname": "b2", "kafka_broker_id": 2, "kafka_node_id": 7},
        ]
    )
    assert problems == [
        "b2: kafka_node_id=7 is not its kafka_broker_id=2 (a migrated broker keeps its broker.id as its "
        "node.id: remove kafka_node_id or make it equal)"
    ]


@pytest.mark.parametrize(
    ("tags", "changes"),
    [
        (
            {"kafka:role": "zookeeper,broker", "kafka:cluster": "prod", "Name": "prod-1"},
            {"set": {"kafka:role": "broker"}, "remove": {}},
        ),
        (
            {"kafka:role": "zookeeper", "kafka:cluster": "prod", "Name": "prod-zk-1"},
            {"set": {}, "remove": {"kafka:role": "zookeeper", "kafka:cluster": "prod"}},
        ),
        ({"kafka:role": "broker", "kafka:cluster": "prod"}, {"set": {}, "remove": {}}),
        # a tag that merely mentions zookeeper is not the role tag
        ({"Note": "old zookeeper host", "kafka:role": "broker"}, {"set": {}, "remove": {}}),
    ],
)
def test_a_retired_member_leaves_the_zookeeper_group(tags, changes):
    assert migration.retired_tags(tags, "prod") == changes
