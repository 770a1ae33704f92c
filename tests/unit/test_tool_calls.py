"""Kafka's tools run from kafka_topic and kafka_features when the tools are not installed (a wrong
kafka_home, a node not installed yet): one failed result naming the tool, not one result per thread, which
Ansible can't read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.modules import (  # noqa: E402
    kafka_features,
    kafka_topic,
)


def module_output(main, params: dict, capsys) -> str:
    with patch_module_args(params), pytest.raises(SystemExit):
        main()
    return capsys.readouterr().out


def test_kafka_topic_without_the_tools_fails_once_naming_the_tool(tmp_path: Path, capsys) -> None:
    home = tmp_path / "no-kafka"
    params = {"client": "cli", "kafka_home": str(home), "bootstrap_server": "b1:9092"}
    params["topics"] = [{"name": "t"}]
    out = module_output(kafka_topic.main, params, capsys)
    result = json.loads(out)  # one document: json.loads refuses a second one after it
    assert result["failed"] is True
    missing = f"{home}/bin/kafka-topics.sh: No such file or directory"
    assert result["msg"] == f"kafka-topics.sh failed (127): {missing}"


def test_kafka_features_without_the_tools_fails_once_naming_the_tool(tmp_path: Path, capsys) -> None:
    home = tmp_path / "no-kafka"
    params = {"kafka_home": str(home), "bootstrap_server": "b1:9092", "release_version": "4.4"}
    out = module_output(kafka_features.main, params, capsys)
    result = json.loads(out)
    assert result["failed"] is True
    assert result["msg"].startswith("kafka-features.sh ")
    assert f"failed (127): {home}/bin/kafka-features.sh: No such file or directory" in result["msg"]
