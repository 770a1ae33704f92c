"""kafka_topic's admin-client backend: result mapping and error paths, with a fake AdminClient."""

from __future__ import annotations

import time
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.module_utils import (  # noqa: E402
    kafka_admin as ka,
)
from ansible_collections.kafka_aws.kafka.plugins.module_utils import (  # noqa: E402
    kafka_topics as kt,
)

admin = pytest.importorskip("confluent_kafka.admin")
from confluent_kafka import KafkaError, KafkaException  # noqa: E402

from tests.unit.admin_fakes import Failed, done, fail  # noqa: E402


def entry(name, value, source=admin.ConfigSource.DEFAULT_CONFIG):
    return admin.ConfigEntry(name, value, source=source)


DYNAMIC = admin.ConfigSource.DYNAMIC_TOPIC_CONFIG


def partition(replicas):
    return SimpleNamespace(replicas=replicas)


class FakeAdmin:
    """What the backend calls of confluent_kafka's AdminClient, with canned answers."""

    def __init__(self, topics, configs, brokers=3, errors=None):
        self.topics = topics  # name -> (partitions, replication)
        self.configs = configs  # name -> [ConfigEntry]
        self.brokers = brokers
        self.errors = errors or {}  # call name -> exception for its futures
        self.calls: list[tuple] = []

    def list_topics(self, timeout):
        if "list_topics" in self.errors:
            raise self.errors["list_topics"]
        topics = {
            name: SimpleNamespace(
                topic=name,
                error=None,
                partitions={i: partition(list(range(rf))) for i in range(count)},
            )
            for name, (count, rf) in self.topics.items()
        }
        return SimpleNamespace(topics=topics, brokers={i: object() for i in range(self.brokers)})

    def describe_configs(self, resources, request_timeout):
        self.calls.append(("describe_configs", sorted(r.name for r in resources)))
        return {
            r: done({e.name: e for e in self.configs.get(r.name, [])}, self.errors.get("describe_configs"))
            for r in resources
        }

    def _write(self, call, keys, payload):
        self.calls.append((call, payload))
        return {k: done(None, self.errors.get(call)) for k in keys}

    def create_topics(self, new, operation_timeout, request_timeout):
        t = new[0]
        return self._write(
            "create_topics", [t.topic], (t.topic, t.num_partitions, t.replication_factor, t.config)
        )

    def create_partitions(self, new, operation_timeout, request_timeout):
        p = new[0]
        return self._write("create_partitions", [p.topic], (p.topic, p.new_total_count))

    def incremental_alter_configs(self, resources, request_timeout):
        r = resources[0]
        ops = [(e.name, e.value, e.incremental_operation.name) for e in r.incremental_configs]
        return self._write("incremental_alter_configs", [r], (r.name, ops))

    def delete_topics(self, names, operation_timeout, request_timeout):
        return self._write("delete_topics", names, tuple(names))


def backend(fake, timeout=5.0):
    return ka.AdminBackend(fake, fail, timeout, admin)


def cluster(**kwargs):
    return FakeAdmin(
        {"orders": (2, 2), "audit_log": (3, 3), "__consumer_offsets": (50, 3)},
        {
            "orders": [
                entry("retention.ms", "86400000", DYNAMIC),
                entry("cleanup.policy", "compact,delete", DYNAMIC),
                entry("min.insync.replicas", "1", admin.ConfigSource.STATIC_BROKER_CONFIG),
                entry("segment.bytes", "1073741824"),
            ],
            "audit_log": [entry("retention.ms", "604800000")],
        },
        **kwargs,
    )


def test_describe_maps_metadata_and_keeps_only_dynamic_topic_overrides():
    fake = cluster()
    topics = backend(fake).describe(["orders", "audit_log", "missing"])
    assert topics["orders"].as_dict() == {
        "partitions": 2,
        "replication_factor": 2,
        "configs": {"cleanup.policy": "compact,delete", "retention.ms": "86400000"},
    }
    assert topics["audit_log"].as_dict() == {"partitions": 3, "replication_factor": 3, "configs": {}}
    assert topics["__consumer_offsets"].partitions == 50  # listed, like kafka-topics --describe
    assert fake.calls == [("describe_configs", ["audit_log", "orders"])]  # one request, declared only


def test_live_brokers_and_config_keys():
    kafka = backend(cluster(brokers=2))
    assert kafka.live_brokers() == 2
    assert kafka.config_keys("orders") == {
        "retention.ms",
        "cleanup.policy",
        "min.insync.replicas",
        "segment.bytes",
    }


def test_the_same_rules_refuse_through_the_admin_backend():
    kafka = backend(cluster(brokers=3))
    specs = [{"name": "fresh", "replication_factor": 4, "configs": {}, "state": "present"}]
    errors = kt.validate(specs, kafka.describe(["fresh"]), kafka.live_brokers(), kt.TOPIC_CONFIG_KEYS, False)
    assert errors == ["topic 'fresh': replication_factor 4 is above the 3 live broker(s)"]


def test_apply_maps_each_change_to_its_request():
    fake = cluster()
    kafka = backend(fake)
    kafka.apply(kt.Change("new", "create", None, {}, set_configs={"retention.ms": "1"}))
    kafka.apply(kt.Change("sized", "create", None, {}, partitions=6, replication_factor=3))
    kafka.apply(kt.Change("orders", "partitions", {}, {}, partitions=4))
    kafka.apply(
        kt.Change(
            "orders",
            "configs",
            {},
            {},
            set_configs={"retention.ms": "3600000"},
            delete_configs=["cleanup.policy"],
        )
    )
    kafka.apply(kt.Change("audit_log", "delete", {}, None))
    assert fake.calls == [
        ("create_topics", ("new", -1, -1, {"retention.ms": "1"})),  # -1: the brokers' defaults
        ("create_topics", ("sized", 6, 3, {})),
        ("create_partitions", ("orders", 4)),
        (
            "incremental_alter_configs",
            ("orders", [("retention.ms", "3600000", "SET"), ("cleanup.policy", None, "DELETE")]),
        ),
        ("delete_topics", ("audit_log",)),
    ]


@pytest.mark.parametrize(
    ("call", "change", "expect"),
    [
        (
            "create_topics",
            kt.Change("orders", "create", None, {}),
            "creating topic 'orders' failed: TOPIC_ALREADY_EXISTS: Topic 'orders' already exists.",
        ),
        (
            "create_partitions",
            kt.Change("orders", "partitions", {}, {}, partitions=1),
            "adding partitions to topic 'orders' failed: TOPIC_ALREADY_EXISTS",
        ),
        (
            "incremental_alter_configs",
            kt.Change("orders", "configs", {}, {}, set_configs={"retention.ms": "x"}),
            "changing the configs of topic 'orders' failed",
        ),
        ("delete_topics", kt.Change("orders", "delete", {}, None), "deleting topic 'orders' failed"),
    ],
)
def test_a_failed_write_fails_naming_the_topic(call, change, expect):
    error = KafkaException(KafkaError(KafkaError.TOPIC_ALREADY_EXISTS, "Topic 'orders' already exists."))
    with pytest.raises(Failed, match="^" + expect.replace("(", r"\(").replace(")", r"\)")):
        backend(cluster(errors={call: error})).apply(change)


def test_unreachable_cluster_and_timeouts_are_clear_failures():
    down = KafkaException(KafkaError(KafkaError._TRANSPORT, "Failed to get metadata: Broker transport"))
    with pytest.raises(Failed, match="reading the cluster metadata failed: _TRANSPORT: "):
        backend(cluster(errors={"list_topics": down})).describe(["orders"])

    class Slow(FakeAdmin):
        def describe_configs(self, resources, request_timeout):
            return {r: Future() for r in resources}  # never answered

    slow = Slow({"orders": (1, 1)}, {})
    with pytest.raises(Failed, match="describing the configs of topic 'orders' failed: no answer before"):
        ka.AdminBackend(slow, fail, 0.05, admin).describe(["orders"])


def test_settle_describes_again_until_the_change_shows():
    fake = cluster()
    kafka = backend(fake)
    seen = iter([(2, 2), (2, 2), (4, 2)])

    def list_topics(timeout, original=fake.list_topics):
        fake.topics["orders"] = next(seen)
        return original(timeout)

    fake.list_topics = list_topics
    change = kt.Change("orders", "partitions", {}, {}, partitions=4)
    assert kafka.settle([change], ["orders"], pause=0)["orders"].partitions == 4


def test_client_settings_read_the_properties_file():
    text = "# managed\n! also a comment\nsecurity.protocol=SASL_SSL\nsasl.mechanism : PLAIN\n\n"
    props = ka.read_properties(text)
    assert props == {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}
    settings = ka.client_settings("a:9092,b:9092", props, {"security.protocol": "SSL", "retries": 3})
    assert settings == {
        "security.protocol": "SSL",
        "sasl.mechanism": "PLAIN",
        "retries": "3",
        "bootstrap.servers": "a:9092,b:9092",
    }


def test_a_refused_client_setting_is_a_clear_failure():
    with pytest.raises(Failed, match="admin client configuration refused: _INVALID_ARG: Java TrustStores"):
        ka.AdminBackend.connect(
            {"bootstrap.servers": "127.0.0.1:1", "ssl.truststore.location": "/x.jks"}, fail, 1.0
        )


class LateTopic(FakeAdmin):
    """A broker that answers "unknown topic" for the first `late` describe_configs calls."""

    def __init__(self, late, **kwargs):
        super().__init__({"fresh": (1, 1)}, {"fresh": [entry("retention.ms", "1000", DYNAMIC)]}, **kwargs)
        self.late = late

    def describe_configs(self, resources, request_timeout):
        self.calls.append(("describe_configs", sorted(r.name for r in resources)))
        if self.late:
            self.late -= 1
            unknown = KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART))
            return {r: done(None, unknown) for r in resources}
        return {r: done({e.name: e for e in self.configs.get(r.name, [])}) for r in resources}


def test_a_topic_not_yet_known_to_the_answering_broker_is_asked_again():
    fake = LateTopic(late=2)
    topics = ka.AdminBackend(fake, fail, 5.0, admin).describe(["fresh"])
    assert topics["fresh"].configs == {"retention.ms": "1000"}
    assert fake.calls == [("describe_configs", ["fresh"])] * 3


def test_a_topic_that_stays_unknown_fails_after_the_timeout():
    fake = LateTopic(late=10**6)
    with pytest.raises(Failed, match="describing the configs of topic 'fresh' failed: UNKNOWN_TOPIC_OR_PART"):
        ka.AdminBackend(fake, fail, 0.5, admin).describe(["fresh"])
    assert 1 < len(fake.calls) < 10


class LaggingDelete(LateTopic):
    """After a delete a broker's metadata still lists the topic; describe_configs no longer knows it."""

    def __init__(self):
        super().__init__(late=0)

    def delete_topics(self, names, operation_timeout, request_timeout):
        self.late = 10**6  # every describe_configs from now on: unknown topic
        return super().delete_topics(names, operation_timeout, request_timeout)


def test_a_deleted_topic_a_lagging_broker_still_lists_is_gone_at_once():
    fake = LaggingDelete()
    kafka = ka.AdminBackend(fake, fail, 5.0, admin)
    change = kt.Change("fresh", "delete", {}, {})
    kafka.apply(change)
    began = time.monotonic()
    assert kafka.settle([change], ["fresh"], pause=0) == {}
    assert time.monotonic() - began < 1.0
    # a topic the run did not delete still waits for the answering broker, then fails naming it
    with pytest.raises(Failed, match="describing the configs of topic 'fresh' failed: UNKNOWN_TOPIC_OR_PART"):
        ka.AdminBackend(fake, fail, 0.3, admin).describe(["fresh"])
