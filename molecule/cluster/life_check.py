#!/usr/bin/env python3
"""Judge the cluster scenario's full life (ZooKeeper 3.9 -> KRaft -> 4.x) from the clients' side.

Reads one JSON document on stdin:
  producer   kafka-verifiable-producer.sh output (acks=all, ran throughout)
  consumed   the values read back from the beginning at the end
  consumer   the values a consumer group read while the life went on (console consumer output)
  samples    roll_sampler.py output (every broker's metadata, several times a second)
  phases     [{name, t_begin, t_end}] of the runs, in order
Prints the figures as one JSON line (acknowledged, failed, read back, read by the running consumer, each
phase's seconds, the seconds any partition had no leader as a broker reported it, overall and per
phase); exits 1, naming the reason, when a send failed, an acknowledged message was not read back, or
the running consumer missed one.
"""

from __future__ import annotations

import json
import re
import sys

from roll_check import producer_events

SAMPLE = re.compile(r"^(\d+\.\d+) (\d+\.\d+) (\S+) .*noleader=(\d+)")


def leaderless_spans(samples: str) -> list[tuple[float, float]]:
    """[start, end) spans during which some broker reported a partition without a leader."""
    rows = sorted((float(m[1]), int(m[4])) for m in map(SAMPLE.match, samples.splitlines()) if m)
    spans: list[tuple[float, float]] = []
    start = None
    for (t, bad), nxt in zip(rows, [*rows[1:], None], strict=True):
        if bad and start is None:
            start = t
        if start is not None and not bad:
            spans.append((start, t))
            start = None
        if start is not None and nxt is None:
            spans.append((start, t))
    return spans


def overlap(spans: list[tuple[float, float]], begin: float, end: float) -> float:
    return sum(max(0.0, min(e, end) - max(s, begin)) for s, e in spans)


def main() -> int:
    doc = json.load(sys.stdin)
    acked, failed, _ = producer_events(doc["producer"])
    consumed = set(doc["consumed"].split())
    running = set(doc["consumer"].split())
    spans = leaderless_spans(doc["samples"])
    figures = {
        "acknowledged": len(acked),
        "failed": len(failed),
        "read_back": len(acked & consumed),
        "read_by_running_consumer": len(acked & running),
        "phases_s": {p["name"]: round(float(p["t_end"]) - float(p["t_begin"]), 1) for p in doc["phases"]},
        "leaderless_s": round(sum(e - s for s, e in spans), 2),
        "leaderless_s_by_phase": {
            p["name"]: round(overlap(spans, float(p["t_begin"]), float(p["t_end"])), 2) for p in doc["phases"]
        },
        "samples": len(doc["samples"].splitlines()),
    }
    print(json.dumps(figures))
    problems = []
    if failed:
        problems.append(f"{len(failed)} sends failed, first: {failed[0]}")
    if not acked:
        problems.append("nothing was acknowledged")
    if acked - consumed:
        problems.append(
            f"{len(acked - consumed)} acknowledged messages not read back, "
            f"e.g. {sorted(acked - consumed)[:10]}"
        )
    if acked - running:
        problems.append(
            f"the running consumer missed {len(acked - running)}, e.g. {sorted(acked - running)[:10]}"
        )
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
