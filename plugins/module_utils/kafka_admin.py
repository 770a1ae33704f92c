"""The kafka_topic module's admin-client backend: the cluster through confluent-kafka's AdminClient.

Only the I/O lives here; the rules (validate, plan) stay in kafka_topics.py. confluent_kafka is
imported when the backend is built, never at import time, so the module still runs on a host
without it when the CLI backend is used.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_topics import Change, Topic

# ConfigSource.DYNAMIC_TOPIC_CONFIG in Kafka's protocol (and confluent_kafka's enum): a topic's own
# override, what `kafka-configs.sh --entity-type topics --describe` lists.
DYNAMIC_TOPIC_CONFIG = 1


def read_properties(text: str) -> dict[str, str]:
    """`key=value` (or `key: value`) lines of a Java client properties file; `#`/`!` comments."""
    props: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            props[line] = ""
            continue
        props[line[:cut].strip()] = line[cut + 1 :].strip()
    return props


# Settings whose values are secrets: a module adds them to its no_log values (hide_secrets).
SECRET_KEYS = ("sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.jaas.config")
JAAS_OPTION = re.compile(r'(\w+)="([^"]*)"')


def client_settings(
    bootstrap: str, properties: dict[str, str], extra: dict[str, Any] | None
) -> dict[str, str]:
    """The AdminClient configuration: the properties file's settings (Java client keys translated),
    then `extra`, then bootstrap."""
    settings = librdkafka_settings(properties)
    settings.update({str(k): str(v) for k, v in (extra or {}).items()})
    settings["bootstrap.servers"] = bootstrap
    return settings


def librdkafka_settings(properties: dict[str, str]) -> dict[str, str]:
    """A Java client properties file's settings as librdkafka names them: a PEM trust store becomes
    ssl.ca.location, a JAAS login's username and password become sasl.username and sasl.password (the
    admin client files the kafka role writes hold those Java keys)."""
    settings = dict(properties)
    if settings.get("ssl.truststore.type", "").upper() == "PEM" and "ssl.truststore.location" in settings:
        settings.setdefault("ssl.ca.location", settings.pop("ssl.truststore.location"))
        settings.pop("ssl.truststore.type")
    jaas = settings.pop("sasl.jaas.config", None)
    if jaas is not None:
        options = dict(JAAS_OPTION.findall(jaas))
        settings.setdefault("sasl.username", options.get("username", ""))
        settings.setdefault("sasl.password", options.get("password", ""))
    return settings


def hide_secrets(no_log_values: set[str], settings: dict[str, Any]) -> None:
    """Keep every secret setting's value out of the module's output (Ansible masks no_log values).

    Only those values: marking the whole client_config no_log would mask every value in it (a user name,
    SSL) wherever it appears in the output.
    """
    no_log_values.update(str(settings[key]) for key in SECRET_KEYS if settings.get(key))


def command_properties(module: Any) -> dict[str, str]:
    """The settings of a module's command_config (a properties file; none when unset), every secret among
    them hidden from the module's output. Fails naming a file it can't read."""
    path = module.params.get("command_config")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            properties = read_properties(handle.read())
    except OSError as exc:
        module.fail_json(msg=f"can't read command_config {path}: {exc}")
        raise  # not reached: fail_json exits
    hide_secrets(module.no_log_values, librdkafka_settings(properties))
    return properties


def module_settings(module: Any, properties: dict[str, str] | None = None) -> dict[str, str]:
    """The AdminClient settings of a module's bootstrap_server, command_config (`properties` when the
    module read it already) and client_config, every secret among them hidden from the module's output."""
    hide_secrets(module.no_log_values, module.params["client_config"])
    if properties is None:
        properties = command_properties(module)
    settings = client_settings(module.params["bootstrap_server"], properties, module.params["client_config"])
    hide_secrets(module.no_log_values, settings)
    return settings


def kafka_error(exc: BaseException) -> str:
    """The broker's or librdkafka's own words for a failed request."""
    if isinstance(exc, FutureTimeout):
        return "no answer before the timeout"
    err = exc.args[0] if exc.args else None
    if hasattr(err, "str") and hasattr(err, "name"):
        return f"{err.name()}: {err.str()}"
    return str(exc) or type(exc).__name__


class AdminBackend:
    """The cluster through an AdminClient: one client, no JVM, the same reads and writes as the CLI."""

    def __init__(
        self,
        client: Any,
        fail: Callable[..., Any],
        timeout: float = 30.0,
        api: Any = None,
    ) -> None:
        self.client = client
        self.fail = fail  # module.fail_json: does not return
        self.timeout = timeout
        self.api = api  # confluent_kafka.admin (classes for requests); a stand-in in unit tests
        self._metadata: Any = None

    @classmethod
    def connect(cls, settings: dict[str, str], fail: Callable[..., Any], timeout: float) -> AdminBackend:
        from confluent_kafka import KafkaException, admin  # only on this path

        try:
            client = admin.AdminClient(settings)
        except (KafkaException, ValueError, TypeError) as exc:
            fail(msg=f"admin client configuration refused: {kafka_error(exc)}")
        return cls(client, fail, timeout, admin)

    def wait(self, future: Any, what: str) -> Any:
        try:
            return future.result(timeout=self.timeout)
        except Exception as exc:  # KafkaException, a timeout, or what librdkafka raises
            self.fail(msg=f"{what} failed: {kafka_error(exc)}")

    def metadata(self) -> Any:
        try:
            self._metadata = self.client.list_topics(timeout=self.timeout)
        except Exception as exc:
            self.fail(msg=f"reading the cluster metadata failed: {kafka_error(exc)}")
        return self._metadata

    def describe(self, names: list[str] | None = None, deleted: Collection[str] = ()) -> dict[str, Topic]:
        """Partitions and replication from the metadata, configs from the topics' own overrides.

        Overrides are read for `names` (every topic when None): the only topics whose configs the
        module compares or returns. A topic of `deleted` (this run deleted it) that a broker's lagging
        metadata still lists is gone once describe_configs no longer knows it.
        """
        topics: dict[str, Topic] = {}
        for name, meta in self.metadata().topics.items():
            partitions = meta.partitions or {}
            if not partitions:  # an error (e.g. being deleted) and nothing to describe
                continue
            first = partitions[min(partitions)]
            topics[name] = Topic(name, len(partitions), len(first.replicas))
        wanted = sorted(topics if names is None else {n for n in names if n in topics})
        described = self.configs(wanted, deleted)
        for name in set(wanted) - set(described):
            del topics[name]
        for name, entries in described.items():
            topics[name].configs = {
                key: "null" if entry.value is None else str(entry.value)
                for key, entry in entries.items()
                if getattr(entry.source, "value", entry.source) == DYNAMIC_TOPIC_CONFIG
            }
        return topics

    def configs(
        self, names: list[str], deleted: Collection[str] = (), pause: float = 0.3
    ) -> dict[str, dict[str, Any]]:
        """Every config entry of each topic (describe_configs), by topic.

        The metadata may come from a broker that has seen a topic just created while the broker
        answering describe_configs has not yet (KRaft propagates metadata asynchronously): a topic
        that answers "unknown" is asked again, until the module's timeout, before failing. A topic of
        `deleted` that answers "unknown" is left out: it is gone, whatever a lagging broker still lists.
        """
        found: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + self.timeout
        pending = list(names)
        while pending:
            resources = [self.api.ConfigResource(self.api.ResourceType.TOPIC, name) for name in pending]
            futures = self.client.describe_configs(resources, request_timeout=self.timeout)
            pending = []
            for resource, future in futures.items():
                what = f"describing the configs of topic {resource.name!r}"
                unknown = unknown_topic(future, self.timeout)
                if unknown and resource.name in deleted:
                    continue
                if unknown and time.monotonic() < deadline:
                    pending.append(resource.name)
                else:
                    found[resource.name] = self.wait(future, what)
            if pending:
                time.sleep(pause)
        return found

    def live_brokers(self) -> int:
        metadata = self._metadata if self._metadata is not None else self.metadata()
        return len(metadata.brokers)

    def config_keys(self, topic: str) -> set[str]:
        return set(self.configs([topic]).get(topic, {}))

    def apply(self, change: Change) -> None:
        api, name, wait = self.api, change.name, self.timeout
        if change.action == "create":
            new = api.NewTopic(
                name,
                num_partitions=change.partitions or -1,  # -1: the broker's num.partitions
                replication_factor=change.replication_factor or -1,  # default.replication.factor
                config=dict(change.set_configs),
            )
            futures = self.client.create_topics([new], operation_timeout=wait, request_timeout=wait)
            self.wait(futures[name], f"creating topic {name!r}")
        elif change.action == "partitions":
            new = api.NewPartitions(name, int(change.partitions))
            futures = self.client.create_partitions([new], operation_timeout=wait, request_timeout=wait)
            self.wait(futures[name], f"adding partitions to topic {name!r}")
        elif change.action == "configs":
            entries = [
                api.ConfigEntry(k, v, incremental_operation=api.AlterConfigOpType.SET)
                for k, v in sorted(change.set_configs.items())
            ] + [
                api.ConfigEntry(k, None, incremental_operation=api.AlterConfigOpType.DELETE)
                for k in change.delete_configs
            ]
            resource = api.ConfigResource(api.ResourceType.TOPIC, name, incremental_configs=entries)
            futures = self.client.incremental_alter_configs([resource], request_timeout=wait)
            for future in futures.values():
                self.wait(future, f"changing the configs of topic {name!r}")
        elif change.action == "delete":
            futures = self.client.delete_topics([name], operation_timeout=wait, request_timeout=wait)
            self.wait(futures[name], f"deleting topic {name!r}")

    def settle(self, changes: list[Change], names: list[str], pause: float = 0.3) -> dict[str, Topic]:
        """Describe again until every applied change shows (metadata reaches brokers asynchronously)."""
        deadline = time.monotonic() + self.timeout
        deleted = {change.name for change in changes if change.action == "delete"}
        while True:
            topics = self.describe(names, deleted)
            if all(shows(change, topics) for change in changes) or time.monotonic() >= deadline:
                return topics
            time.sleep(pause)


def unknown_topic(future: Any, timeout: float) -> bool:
    """Whether a request failed only because the answering broker does not know the topic."""
    try:
        exc = future.exception(timeout=timeout)
    except Exception:  # no answer or cancelled: not this case (wait() reports it)
        return False
    err = exc.args[0] if exc is not None and exc.args else None
    return hasattr(err, "name") and err.name() == "UNKNOWN_TOPIC_OR_PART"


def shows(change: Change, topics: dict[str, Topic]) -> bool:
    """Whether a description reflects an applied change."""
    topic = topics.get(change.name)
    if change.action == "delete":
        return topic is None
    if topic is None:
        return False
    if change.action == "create":
        return (not change.partitions or topic.partitions == change.partitions) and all(
            topic.configs.get(k) == v for k, v in change.set_configs.items()
        )
    if change.action == "partitions":
        return topic.partitions >= int(change.partitions or 0)
    return topic.configs == dict((change.after or {}).get("configs", {}))
