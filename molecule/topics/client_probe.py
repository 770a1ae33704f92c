#!/usr/bin/env python3
"""An independent client's view of a listener: librdkafka (confluent-kafka), not Kafka's own tools.

Usage: client_probe.py BOOTSTRAP SETTINGS_JSON
Asks the cluster for its metadata with the given client settings and prints one line: `ok: <broker
ids>` when the cluster answered, `refused: <librdkafka's reason>` when it did not (a wrong protocol,
a certificate it does not trust, a failed handshake). Exits 0 either way; the caller judges the line.
"""

from __future__ import annotations

import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

TIMEOUT_S = 8.0


def probe(bootstrap: str, settings: dict[str, str]) -> str:
    errors: list[str] = []
    client = AdminClient(
        {
            **settings,
            "bootstrap.servers": bootstrap,
            "socket.timeout.ms": int(TIMEOUT_S * 1000),
            "log_level": 0,  # the reasons come through error_cb, once, not as a log line per retry
            "error_cb": lambda error: errors.append(str(error)),
        }
    )
    try:
        metadata = client.list_topics(timeout=TIMEOUT_S)
    except KafkaException as error:
        client.poll(0.5)  # serves error_cb: librdkafka's reason (a handshake's) comes through it
        return f"refused: {error}; first reason: {errors[0] if errors else 'none given'}"
    return "ok: " + ",".join(str(broker) for broker in sorted(metadata.brokers))


def main() -> int:
    bootstrap, settings = sys.argv[1], json.loads(sys.argv[2])
    print(probe(bootstrap, {str(key): str(value) for key, value in settings.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
