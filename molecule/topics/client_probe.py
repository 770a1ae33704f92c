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
# Reasons after which retrying cannot succeed: a failed login, a failed TLS handshake (an untrusted CA, a
# name outside the certificate), or every bootstrap broker refusing the connection. A probe stops at the
# first of them instead of retrying until its timeout; any other error is retried.
FINAL = {KafkaError._AUTHENTICATION, KafkaError._SSL, KafkaError._ALL_BROKERS_DOWN}


def quiet(settings: dict[str, str], errors: list[KafkaError]) -> dict[str, object]:
    """The settings plus a short socket timeout; the reasons come through error_cb, once, not as a log
    line per retry."""
    return {
        **settings,
        "socket.timeout.ms": int(TIMEOUT_S * 1000),
        "log_level": 0,
        "error_cb": errors.append,
    }


def first_reason(errors: list[KafkaError]) -> str:
    return str(errors[0]) if errors else "none given"


def final(errors: list[KafkaError]) -> bool:
    return any(error.code() in FINAL for error in errors)


def metadata(bootstrap: str, settings: dict[str, str]) -> str:
    errors: list[KafkaError] = []
    client = AdminClient({**quiet(settings, errors), "bootstrap.servers": bootstrap})
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            found = client.list_topics(timeout=max(0.1, min(1.0, deadline - time.monotonic())))
        except KafkaException as error:
            client.poll(0.2)  # serves error_cb: librdkafka's reason (a handshake's) comes through it
            if final(errors) or time.monotonic() >= deadline:
                return f"refused: {error}; first reason: {first_reason(errors)}"
            continue
        return "ok: " + ",".join(str(broker) for broker in sorted(found.brokers))


def produce(bootstrap: str, settings: dict[str, str], topic: str, count: int) -> str:
    errors: list[KafkaError] = []
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
    deadline = time.monotonic() + 30
    while producer.flush(0.5) and not final(errors) and time.monotonic() < deadline:
        pass
    if failed or delivered != count:
        reasons = sorted(set(failed)) or [str(error) for error in errors[:1]] or ["no acknowledgement"]
        return f"refused: {count - delivered} of {count} not acknowledged: {', '.join(reasons)}"
    return f"ok: produced {count}"


def consume(bootstrap: str, settings: dict[str, str], topic: str, group: str, count: int) -> str:
    errors: list[KafkaError] = []
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
        while got < count and time.monotonic() < deadline and not final(errors):
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
        return f"refused: consumed {got} of {count}; first reason: {first_reason(errors)}"
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
