"""The artifact mirror's layout, checksums, reproducibility and rebuild decisions."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

from lab import config, mirror

METADATA = """<metadata><groupId>org.apache.zookeeper</groupId><artifactId>zookeeper</artifactId><versioning>
<versions><version>3.8.4</version><version>3.9.2</version><version>3.9.10</version><version>3.9.3</version>
<version>4.0.0-alpha1</version><version>3.10.0</version></versions></versioning></metadata>"""


def test_apache_layout_and_names(tmp_path: Path):
    kafka = mirror.kafka_dist("3.9.2")
    zookeeper = mirror.zookeeper_dist("3.9.4")
    assert kafka.archive_path(tmp_path) == tmp_path / "kafka/3.9.2/kafka_2.13-3.9.2.tgz"
    assert zookeeper.archive_path(tmp_path) == (
        tmp_path / "zookeeper/zookeeper-3.9.4/apache-zookeeper-3.9.4-bin.tar.gz"
    )
    assert not kafka.log4j2 and mirror.kafka_dist("4.4.0").log4j2
    assert "ch.qos.reload4j:reload4j:1.2.25" in kafka.extra


def test_sha512_file_is_sha512sum_format():
    line = mirror.sha512_line(b"data", "kafka_2.13-3.9.2.tgz")
    assert line == f"{hashlib.sha512(b'data').hexdigest()}  kafka_2.13-3.9.2.tgz\n"


def test_newest_version_from_maven_metadata():
    assert mirror.newest_version(METADATA, "3.9.") == "3.9.10"
    assert mirror.newest_version(METADATA, "3.") == "3.10.0"


def test_archives_are_reproducible(tmp_path: Path):
    jar = tmp_path / "a.jar"
    jar.write_bytes(b"jar")
    files = {"bin/run.sh": b"#!/bin/sh\n", "config/x.properties": b"a=b\n"}
    first = mirror.archive_bytes("top", files, [jar], "libs")
    assert first == mirror.archive_bytes("top", dict(reversed(files.items())), [jar], "libs")
    archive = tmp_path / "t.tgz"
    archive.write_bytes(first)
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["top/bin/run.sh"].mode == 0o755 and members["top/config/x.properties"].mode == 0o644
    assert members["top/libs/a.jar"].uid == 0 and members["top/libs/a.jar"].mtime == mirror.FIXED_MTIME


def test_rebuild_only_when_missing_or_recipe_changed(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(config, "MAVEN_DIR", tmp_path / "maven")
    dist = mirror.zookeeper_dist("3.9.4")
    assert mirror.needs_build(dist, tmp_path)
    archive = dist.archive_path(tmp_path)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"x")
    archive.with_name(archive.name + ".sha512").write_text(mirror.sha512_line(b"x", archive.name))
    marker = mirror.recipe_file(dist)
    marker.parent.mkdir(parents=True)
    marker.write_text(mirror.recipe(dist))
    assert not mirror.needs_build(dist, tmp_path)
    marker.write_text("an older recipe")
    assert mirror.needs_build(dist, tmp_path)
    assert mirror.recipe(dist) != mirror.recipe(mirror.zookeeper_dist("3.9.3"))


def test_kafka_tools_get_the_main_class_present_in_the_jars():
    files = mirror.dist_files(mirror.kafka_dist("3.9.2"))
    classes = {"kafka.Kafka", "org.apache.kafka.tools.TopicCommand", "kafka.admin.ConfigCommand"}
    rendered = mirror.render_kafka(mirror.kafka_dist("3.9.2"), files, classes)
    assert "org.apache.kafka.tools.TopicCommand" in rendered["bin/kafka-topics.sh"].decode()
    assert "kafka.admin.ConfigCommand" in rendered["bin/kafka-configs.sh"].decode()
    assert "bin/kafka-storage.sh" not in rendered  # no candidate class in this jar set
    assert "-Dlog4j.configuration" in rendered["bin/kafka-server-start.sh"].decode()
    assert "config/log4j2.properties" not in rendered
