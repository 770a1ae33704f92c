"""upgrade.yml's rules: the release steps it takes or refuses, and the metadata.version Kafka 4 needs."""

from __future__ import annotations

import pytest

from tests.ansible_run import load_collections
from tests.unit.conftest import load

load_collections()
upgrade = load("plugins/filter/upgrade.py", "upgrade_filter")


@pytest.mark.parametrize(
    ("path", "version"),
    [
        ("/opt/kafka_2.13-3.9.2", "3.9.2"),
        ("/opt/kafka_2.13-4.4.0/", "4.4.0"),
        (
            "java -cp /opt/kafka_2.13-3.9.2/bin/../libs/a-1.jar:/opt/kafka_2.13-3.9.2/bin/../libs/b.jar x",
            "3.9.2",
        ),
        ("/opt/kafka", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_the_release_a_directory_names(path, version):
    assert upgrade.kafka_release_of(path) == version


@pytest.mark.parametrize(
    ("running", "target"),
    [
        ({"a": "3.9.2", "b": "3.9.2"}, "4.4.0"),  # 3.9 KRaft to 4.x
        ({"a": "3.3.2"}, "4.0.0"),  # the oldest 3.x Kafka 4 upgrades from
        ({"a": "3.9.1", "b": "3.9.2"}, "3.9.2"),  # a patch, one node already done (a resumed run)
        ({"a": "4.0.0"}, "4.4.0"),  # minors within 4.x
        ({"a": "4.4.0"}, "4.4.0"),  # nothing to do
    ],
)
def test_allowed_steps(running, target):
    assert upgrade.upgrade_problems(running, target) == []


@pytest.mark.parametrize(
    ("running", "target", "expected"),
    [
        (
            {"a": "3.2.3"},
            "4.4.0",
            ["a runs 3.2.3: Kafka 4.4.0 upgrades from 3.3 or later; upgrade to 3.9 first"],
        ),
        ({"a": "2.8.2"}, "4.4.0", ["a runs 2.8.2: upgrade to the last 3.x first, then to 4.4.0"]),
        (
            {"a": "4.4.0", "b": "3.9.2"},
            "3.9.2",
            ["a runs 4.4.0, newer than kafka_version 3.9.2: upgrade.yml does not downgrade"],
        ),
        (
            {"b": "", "a": "3.9.2"},
            "4.4.0",
            ["b runs no Kafka: start it (or deploy it with site.yml) first"],
        ),
    ],
)
def test_refused_steps_name_the_host_and_the_way(running, target, expected):
    assert upgrade.upgrade_problems(running, target) == expected


@pytest.mark.parametrize(
    ("finalized", "target", "refused"),
    [
        ("3.9-IV0", "4.4.0", False),
        ("3.3-IV3", "4.0.0", False),
        ("4.0-IV3", "4.4.0", False),
        ("3.3-IV2", "4.4.0", True),
        ("3.0-IV1", "4.0.0", True),
        ("", "4.4.0", True),
        ("3.0-IV1", "3.9.2", False),  # 3.x reads it
    ],
)
def test_kafka_4_needs_metadata_version_3_3_iv3(finalized, target, refused):
    # kafka-features.sh describe as Kafka 3.9 prints it (tab separated), metadata.version among others
    describe = (
        "Feature: kraft.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\t"
        "FinalizedVersionLevel: 0\tEpoch: 5\n"
        + (
            f"Feature: metadata.version\tSupportedMinVersion: 3.0-IV1\tSupportedMaxVersion: 3.9-IV0\t"
            f"FinalizedVersionLevel: {finalized}\tEpoch: 5\n"
            if finalized
            else ""
        )
    )
    problem = upgrade.metadata_version_problem(describe, target)
    assert bool(problem) is refused
    if refused:
        assert "finalize_features.yml" in problem and "3.3-IV3" in problem
