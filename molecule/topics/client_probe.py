#!/usr/bin/env python3
"""An independent client's view of a listener: librdkafka (confluent-kafka), not Kafka's own tools.

Usage:
  client_probe.py BOOTSTRAP SETTINGS_JSON                        ask for the cluster's metadata
  client_probe.py BOOTSTRAP SETTINGS_JSON produce TOPIC COUNT    produce COUNT records, acks=all
  client_probe.py BOOTSTRAP SETTINGS_JSON consume TOPIC GROUP COUNT
                                                                 consume COUNT records in GROUP
Prints one line: `ok: <broker ids>` (metadata), `ok: produced N`, `ok: consumed N` when the cluster
served the client, `refused: <the reason>` when it did not (a wrong protocol, a certificate it does not
trust, a failed handshake or login, a denied request). Exits 0 either way; the caller judges the line.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient

TIMEOUT_S = 8.0
CONSUME_S = 30.0


def quiet(settings: dict[str, str], errors: list[str]) -> dict[str, object]:
    """The settings plus a short socket timeout; the reasons come through error_cb, once, not as a log
    line per retry."""
    return {
        **settings,
        "socket.timeout.ms": int(TIMEOUT_S * 1000),
        "log_level": 0,
        "error_cb": lambda error: errors.append(str(error)),
    }


def metadata(bootstrap: str, settings: dict[str, str]) -> str:
    errors: list[str] = []
    client = AdminClient({**quiet(settings, errors), "bootstrap.servers": bootstrap})
    try:
        found = client.list_topics(timeout=TIMEOUT_S)
    except KafkaException as error:
        client.poll(0.5)  # serves error_cb: librdkafka's reason (a handshake's) comes through it
        return f"refused: {error}; first reason: {errors[0] if errors else 'none given'}"
    return "ok: " + ",".join(str(broker) for broker in sorted(found.brokers))


def produce(bootstrap: str, settings: dict[str, str], topic: str, count: int) -> str:
    errors: list[str] = []
    failed: list[str] = []
    delivered = 0

    def report(error: KafkaError | None, _message: object) -> None:
        nonlocal delivered
        if error is None:
            delivered += 1
        else:
            failed.append(error.name())

    producer = Producer(
        {
            **quiet(settings, errors),
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "message.timeout.ms": 20000,
        }
    )
    run = uuid.uuid4().hex[:8]
    for number in range(count):
        producer.produce(topic, f"probe-{run}-{number}".encode(), on_delivery=report)
    producer.flush(30)
    if failed or delivered != count:
        reasons = sorted(set(failed)) or errors[:1] or ["no acknowledgement"]
        return f"refused: {count - delivered} of {count} not acknowledged: {', '.join(reasons)}"
    return f"ok: produced {count}"


def consume(bootstrap: str, settings: dict[str, str], topic: str, group: str, count: int) -> str:
    errors: list[str] = []
    consumer = Consumer(
        {
            **quiet(settings, errors),
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got, deadline = 0, time.monotonic() + CONSUME_S
    try:
        while got < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            error = message.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                return f"refused: {error.name()}: {error.str()}"
            if error is None:
                got += 1
    finally:
        consumer.close()
    if got < count:
        reason = errors[0] if errors else "none"
        return f"refused: consumed {got} of {count} in {CONSUME_S:g}s; first reason: {reason}"
    return f"ok: consumed {got}"


def main() -> int:
    bootstrap, settings = sys.argv[1], json.loads(sys.argv[2])
    settings = {str(key): str(value) for key, value in settings.items()}
    action = sys.argv[3:]
    if not action:
        print(metadata(bootstrap, settings))
    elif action[0] == "produce":
        print(produce(bootstrap, settings, action[1], int(action[2])))
    elif action[0] == "consume":
        print(consume(bootstrap, settings, action[1], action[2], int(action[3])))
    else:
        print(f"usage: {__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
