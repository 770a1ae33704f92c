#!/usr/bin/env python3
"""Sample the cluster's own view during a rolling restart, several times a second.

Usage: roll_sampler.py HOST:PORT [HOST:PORT ...]

Every round sends a Metadata request (v4, all topics: the request kafka-topics.sh and
kafka-broker-api-versions.sh build on; v4 is served from Kafka 1.0 to 4.x) to every broker and prints
one line per broker:

    <begin> <end> <address> live=<ids registered, as it sees them> partitions=<n> urp=<n> noleader=<n>

or `<begin> <end> <address> down` when the broker does not answer. begin/end are Unix times taken
just before the request was sent and just after the answer was read, so a line proves the state
held at some moment between them. urp counts partitions whose ISR is smaller than their replica
set (what --under-replicated-partitions lists); noleader those without a leader (leader id -1).
"""

from __future__ import annotations

import socket
import struct
import sys
import time


def recv(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value[0]

    def string(self) -> str | None:
        size = self.take(">h")
        if size < 0:
            return None
        value = self.data[self.pos : self.pos + size].decode()
        self.pos += size
        return value

    def int_array(self) -> list[int]:
        return [self.take(">i") for _ in range(self.take(">i"))]


def metadata(address: str) -> tuple[list[int], int, int, int]:
    host, port = address.rsplit(":", 1)
    client = b"roll-sampler"
    body = struct.pack(">hhih", 3, 4, 7, len(client)) + client + struct.pack(">ib", -1, 0)
    with socket.create_connection((host, int(port)), timeout=1.0) as sock:
        sock.settimeout(2.0)
        sock.sendall(struct.pack(">i", len(body)) + body)
        answer = Reader(recv(sock, struct.unpack(">i", recv(sock, 4))[0]))
    answer.take(">i")  # correlation id
    answer.take(">i")  # throttle time
    live = []
    for _ in range(answer.take(">i")):
        live.append(answer.take(">i"))
        answer.string()
        answer.take(">i")
        answer.string()
    answer.string()  # cluster id
    answer.take(">i")  # controller id
    partitions = urp = noleader = 0
    for _ in range(answer.take(">i")):
        answer.take(">h")
        answer.string()
        answer.take(">b")
        for _ in range(answer.take(">i")):
            answer.take(">h")
            answer.take(">i")
            leader = answer.take(">i")
            replicas, isr = answer.int_array(), answer.int_array()
            partitions += 1
            urp += len(isr) < len(replicas)
            noleader += leader < 0
    return sorted(live), partitions, urp, noleader


def main() -> None:
    while True:
        for address in sys.argv[1:]:
            begin = time.time()
            try:
                live, partitions, urp, noleader = metadata(address)
                state = (
                    f"live={','.join(map(str, live))} partitions={partitions} urp={urp} noleader={noleader}"
                )
            except (OSError, ConnectionError, struct.error):
                state = "down"
            print(f"{begin:.3f} {time.time():.3f} {address} {state}", flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    main()
