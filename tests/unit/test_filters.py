"""The roles' filter plugins: server.properties blocks and Apache checksum formats."""

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from tests.unit.conftest import load

props = load("plugins/filter/kafka_properties.py", "kafka_properties_filter")
checksums = load("plugins/filter/checksums.py", "checksums_filter")


def test_blocks_merge_in_order_and_overrides_win():
    blocks = {
        "base": {"broker.id": 3, "auto.create.topics.enable": False, "num.partitions": 3},
        "listeners": {"listeners": ["INTERNAL://10.0.0.1:9091", "CLIENT://10.0.0.1:9092"]},
        "rack": {"broker.rack": None},
        "replication": {"num.partitions": 6},
    }
    merged = props.kafka_properties(blocks, {"log.retention.hours": 72, "num.partitions": 12})
    assert merged == {
        "broker.id": "3",
        "auto.create.topics.enable": "false",
        "num.partitions": "12",
        "listeners": "INTERNAL://10.0.0.1:9091,CLIENT://10.0.0.1:9092",
        "log.retention.hours": "72",
    }


def test_rendered_file_is_sorted_key_value_lines():
    text = props.kafka_properties_text({"z.key": "1", "a.key": "true", "m": "x,y"})
    assert text == "a.key=true\nm=x,y\nz.key=1\n"


def test_line_breaks_and_bad_blocks_are_refused():
    with pytest.raises(AnsibleFilterError):
        props.kafka_properties({"base": {"a": "1\nb=2"}})
    with pytest.raises(AnsibleFilterError):
        props.kafka_properties({"base": ["not", "a", "mapping"]})


DIGEST = hashlib.sha512(b"kafka").hexdigest()


def gpg_format(name: str, digest: str) -> str:
    groups = [digest[i : i + 8].upper() for i in range(0, 128, 8)]
    lines = [" ".join(groups[:6]), " ".join(groups[6:12]), " ".join(groups[12:])]
    return f"{name}: {lines[0]}\n{' ' * len(name)}  {lines[1]}\n  {lines[2]}\n"


@pytest.mark.parametrize(
    "text",
    [
        DIGEST,
        f"{DIGEST}  kafka_2.13-3.9.2.tgz\n",
        f"{DIGEST.upper()} *kafka.tgz",
        gpg_format("kafka_2.13-3.5.1.tgz", DIGEST),
    ],
)
def test_sha512_formats(text):
    assert checksums.apache_sha512(text) == DIGEST


def test_not_a_checksum():
    with pytest.raises(AnsibleFilterError):
        checksums.apache_sha512("<html>404 Not Found</html>")
