#!/usr/bin/env python3
"""Judge a rolling restart from the cluster's side (used by the cluster and zookeeper side effects).

Reads one JSON document on stdin:
  kind       "kafka" (samples from roll_sampler.py) or "zookeeper" (samples: begin end address mode)
  unit       systemd unit without .service
  t0         Unix time the watch started (journal lines before it are ignored)
  order      hosts expected to restart, in the expected order
  hosts      {host: address sampled for that host}
  journal    {host: `journalctl -u <unit> -o short-unix` since t0}
  samples    the sampler's output; gaps: false skips the health-between-restarts check
  ids        (kafka) every broker id of the cluster; host_ids: {host: broker id}
  producer   (optional) kafka-verifiable-producer.sh output; consumed: the values read back;
             consumer: the values a consumer group read while the roll went on
Checks that every host restarted exactly once in the given order, that before each stop every host
was seen healthy after the previous host's start (kafka: every broker registered and no partition
under-replicated, seen by every broker; zookeeper: every member serving as leader or follower), that
two brokers were never down at once, that the producer lost nothing, and that the consumer group that
ran through the roll read every acknowledged message. Prints what it found; exits
1 with the reasons when a check fails.
"""

from __future__ import annotations

import itertools
import json
import re
import sys


def events(text: str, unit: str, t0: float) -> list[tuple[float, str]]:
    found = []
    for line in text.splitlines():
        match = re.match(
            rf"^(\d+\.\d+) \S+ systemd\[1\]: (Stopping|Started) {re.escape(unit)}\.service", line
        )
        if match and float(match.group(1)) >= t0:
            found.append((float(match.group(1)), match.group(2)))
    return found


def sample_row(kind: str, parts: list[str]) -> dict:
    row = {
        "begin": float(parts[0]),
        "end": float(parts[1]),
        "address": parts[2],
        "state": " ".join(parts[3:]),
    }
    if kind == "kafka":
        fields = dict(p.split("=", 1) for p in parts[3:] if "=" in p)
        row["live"] = {int(i) for i in fields.get("live", "").split(",") if i}
        row["partitions"] = int(fields.get("partitions", 0))
        row["urp"] = int(fields.get("urp", -1))
        row["up"] = parts[3] != "down"
    else:
        row["up"] = parts[3] in ("leader", "follower")
    return row


def parse_samples(kind: str, text: str) -> tuple[list[dict], list[str]]:
    """The samples, and the lines that are not one (a sampler's stray output: named, never guessed at)."""
    rows, unreadable = [], []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        try:
            rows.append(sample_row(kind, parts))
        except (IndexError, ValueError):
            unreadable.append(line)
    return rows, unreadable


def producer_events(text: str) -> tuple[set[str], list[dict], list[float]]:
    """kafka-verifiable-producer.sh output: the acknowledged values, the failed sends, the ack times."""
    acked, failed, stamps = set(), [], []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("name") == "producer_send_success":
            acked.add(event["value"])
            stamps.append(event["timestamp"] / 1000)
        elif event.get("name") == "producer_send_error":
            failed.append(event)
    return acked, failed, stamps


def healthy(kind: str, row: dict, ids: set[int]) -> bool:
    """kafka: the broker answers, every broker of `ids` is registered (a broker the watch doesn't judge,
    e.g. one added by another inventory, may be too), nothing under-replicated."""
    if kind == "kafka":
        return row["up"] and ids <= row["live"] and row["urp"] == 0 and row["partitions"] > 0
    return row["up"]


def restarts(doc: dict, flat: list[str], problems: list[str]) -> tuple[dict, dict]:
    """Each expected host's one stop and one start after t0; any other host must not restart."""
    stops, starts = {}, {}
    for host, text in doc["journal"].items():
        seen = events(text, doc["unit"], float(doc["t0"]))
        kinds = [k for _, k in seen]
        if host in flat:
            if kinds != ["Stopping", "Started"]:
                problems.append(f"{host}: expected one stop then one start after t0, journal has {seen}")
                continue
            stops[host], starts[host] = seen[0][0], seen[1][0]
        elif seen:
            problems.append(f"{host}: must not restart, journal has {seen}")
    return stops, starts


def order_problems(batches: list[list[str]], stops: dict, starts: dict) -> list[str]:
    """Batches in order, each stopped only after every host of the one before started again."""
    problems = []
    position = {host: i for i, batch in enumerate(batches) for host in batch}
    actual = sorted(stops, key=stops.get)
    if [position[h] for h in actual] != sorted(position[h] for h in actual):
        problems.append(f"restart order {actual}, expected {batches}")
    for before, batch in itertools.pairwise(batches):
        if min(stops[h] for h in batch) < max(starts[h] for h in before):
            problems.append(f"{batch} stopped before all of {before} had started again")
    return problems


def gap_problems(doc: dict, batches: list[list[str]], stops: dict, starts: dict, rows: list) -> list[str]:
    """Before each batch's first stop, each address was seen healthy after the previous batch's last start."""
    problems = []
    kind, ids = doc["kind"], {int(i) for i in doc.get("ids", [])}
    addresses = sorted(set(doc["hosts"].values()))
    previous = ("the watch start", float(doc["t0"]))
    for batch in batches:
        first_stop = min(stops[h] for h in batch)
        for address in addresses:
            if not any(
                r["address"] == address
                and previous[1] < r["begin"]
                and r["end"] < first_stop
                and healthy(kind, r, ids)
                for r in rows
            ):
                problems.append(
                    f"{', '.join(batch)} stopped at {first_stop:.3f} but {address} was never seen healthy "
                    f"after {previous[0]} ({previous[1]:.3f})"
                )
        previous = (f"{', '.join(batch)} started", max(starts[h] for h in batch))
    for address in addresses:
        if not any(
            r["address"] == address and r["begin"] > previous[1] and healthy(kind, r, ids) for r in rows
        ):
            problems.append(f"{address} never seen healthy after the last restart ({previous[0]})")
    return problems


def down_together(doc: dict, batches: list[list[str]], rows: list, ids: set) -> list[str]:
    """In each sampling round (one line per broker), the brokers not answering or missing from every
    answering broker's live set all belong to one batch (a zone restarting together), or are one broker."""
    hosts = doc["hosts"]
    addresses = sorted(set(hosts.values()))
    per_round = len(addresses)
    address_id = {hosts[h]: int(i) for h, i in doc["host_ids"].items()}
    allowed = [{int(doc["host_ids"][h]) for h in batch if h in doc["host_ids"]} for batch in batches]
    for start in range(0, len(rows) - per_round + 1, per_round):
        batch = rows[start : start + per_round]
        if sorted(r["address"] for r in batch) != addresses:
            continue
        down = {address_id[r["address"]] for r in batch if not r["up"]}
        live = set().union(*(r["live"] for r in batch if r["up"]))
        down |= ids - live
        if len(down) > 1 and not any(down <= group for group in allowed):
            return [f"brokers {sorted(down)} down together at {batch[0]['begin']:.3f}"]
    return []


def main() -> int:
    doc = json.load(sys.stdin)
    kind = doc["kind"]
    # an entry of `order` is a host, or a list of hosts restarted together (a zone)
    batches = [item if isinstance(item, list) else [item] for item in doc["order"]]
    flat = [host for batch in batches for host in batch]
    ids = {int(i) for i in doc.get("ids", [])}
    problems: list[str] = []
    stops, starts = restarts(doc, flat, problems)
    rows, unreadable = parse_samples(kind, doc["samples"])
    print(f"{len(rows)} samples; stops {stops}; starts {starts}")
    if unreadable:
        problems.append(
            f"{len(unreadable)} line(s) of the samples are not samples (begin end address state...), "
            f"the first: {unreadable[0]!r}; the sampler wrote something else into its file"
        )
    if not problems:
        problems += order_problems(batches, stops, starts)
        if doc.get("gaps", True):
            problems += gap_problems(doc, batches, stops, starts, rows)
    if kind == "kafka":
        problems += down_together(doc, batches, rows, ids)
    if doc.get("producer") is not None:
        acked, failed, stamps = producer_events(doc["producer"])
        consumed = set(doc["consumed"].split())
        lost = acked - consumed
        running = set(doc.get("consumer", "").split())
        print(
            f"producer: {len(acked)} acknowledged, {len(failed)} failed; {len(consumed)} read back; "
            f"{len(acked & running)} of the acknowledged read by the consumer group during the roll"
        )
        if "consumer" in doc and acked - running:
            problems.append(
                f"the consumer group running through the roll missed {len(acked - running)} acknowledged "
                f"messages, e.g. {sorted(acked - running)[:10]}"
            )
        if failed:
            problems.append(f"{len(failed)} sends failed, first: {failed[0]}")
        if lost:
            problems.append(f"{len(lost)} acknowledged messages not read back, e.g. {sorted(lost)[:10]}")
        if stops and starts:
            first_stop, last_start = min(stops.values()), max(starts.values())
            if not [s for s in stamps if s < first_stop] or not [s for s in stamps if s > last_start]:
                problems.append(
                    "the producer did not run through the whole roll "
                    "(no ack before the first stop or after the last start)"
                )
            if not [s for s in stamps if first_stop < s < last_start]:
                problems.append("no message acknowledged during the roll")
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
