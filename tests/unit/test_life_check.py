"""The judges of the lab's client checks: life_check.py (the full life) and roll_check.py's client part.

Each must fail when a client lost something, so a scenario that passes proves the clients lost nothing.
"""

from __future__ import annotations

import io
import json
import sys

import pytest

from tests.unit.conftest import ROOT

sys.path.insert(0, str(ROOT / "molecule" / "cluster"))
import life_check
import roll_check


def producer(acked: list[int], failed: list[int] = ()) -> str:
    lines = [json.dumps({"name": "startup_complete"})]
    lines += [
        json.dumps({"name": "producer_send_success", "value": str(v), "timestamp": 1000 * (100 + v)})
        for v in acked
    ]
    lines += [json.dumps({"name": "producer_send_error", "value": str(v), "exception": "x"}) for v in failed]
    return "\n".join(lines)


def sample(t: float, noleader: int) -> str:
    return f"{t:.3f} {t + 0.01:.3f} 127.0.0.31:9092 live=1,2,3 partitions=56 urp=0 noleader={noleader}"


def judge(doc: dict, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(doc)))
    code = life_check.main()
    return code, capsys.readouterr().out


def life(**change) -> dict:
    doc = {
        "producer": producer([1, 2, 3]),
        "consumed": "1\n2\n3\n",
        "consumer": "1\n2\n3\n",
        "samples": "\n".join([sample(10, 0), sample(11, 2), sample(11.5, 1), sample(12, 0), sample(20, 0)]),
        "phases": [
            {"name": "migrate", "t_begin": 9, "t_end": 15},
            {"name": "upgrade", "t_begin": 15, "t_end": 25},
        ],
    }
    return {**doc, **change}


def test_a_clean_life_passes_with_its_figures(monkeypatch, capsys):
    code, out = judge(life(), monkeypatch, capsys)
    figures = json.loads(out.splitlines()[0])
    assert code == 0
    assert figures["acknowledged"] == 3 and figures["failed"] == 0
    assert figures["leaderless_s"] == 1.0  # from the first sample without a leader to the next sound one
    assert figures["leaderless_s_by_phase"] == {"migrate": 1.0, "upgrade": 0.0}
    assert figures["phases_s"] == {"migrate": 6.0, "upgrade": 10.0}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"producer": producer([1, 2, 3], failed=[4])}, "1 sends failed"),
        ({"consumed": "1\n3\n"}, "1 acknowledged messages not read back"),
        ({"consumer": "1\n2\n"}, "the running consumer missed 1"),
        ({"producer": producer([])}, "nothing was acknowledged"),
    ],
)
def test_a_lost_or_failed_message_fails_the_life(change, reason, monkeypatch, capsys):
    code, out = judge(life(**change), monkeypatch, capsys)
    assert code == 1
    assert f"FAIL: {reason}" in out


def test_a_partition_without_leader_until_the_end_counts_to_the_last_sample():
    spans = life_check.leaderless_spans("\n".join([sample(1, 0), sample(2, 3), sample(4, 3)]))
    assert spans == [(2.0, 4.0)]


def test_the_roll_judge_fails_when_the_consumer_group_missed_a_message(monkeypatch, capsys):
    doc = {
        "kind": "kafka",
        "unit": "kafka",
        "t0": 0,
        "order": [],
        "hosts": {"cluster-1": "127.0.0.31:9092"},
        "journal": {},
        "samples": sample(1, 0),
        "gaps": False,
        "ids": [1, 2, 3],
        "host_ids": {"cluster-1": 1},
        "producer": producer([1, 2, 3]),
        "consumed": "1 2 3",
        "consumer": "1 3",
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(doc)))
    assert roll_check.main() == 1
    assert (
        "the consumer group running through the roll missed 1 acknowledged messages"
        in capsys.readouterr().out
    )


def zone_roll(batches: list, stops: dict[str, float], down: list[tuple[float, set[int]]]) -> dict:
    """Four brokers (1 and 4 share a zone), each restarted once; samples every 0.5 s from every broker,
    with the brokers in `down` (time, ids) missing from the live set in the rounds after that time."""
    hosts = {f"b{i}": f"127.0.0.3{i}:9092" for i in (1, 2, 3, 4)}
    journal = {
        host: f"{t:.3f} {host} systemd[1]: Stopping kafka.service - Kafka\n"
        f"{t + 2:.3f} {host} systemd[1]: Started kafka.service - Kafka\n"
        for host, t in stops.items()
    }
    lines = []
    for step in range(80):
        t = step / 2
        out = next((ids for begin, ids in down if begin <= t < begin + 2.5), set())
        live = ",".join(str(i) for i in (1, 2, 3, 4) if i not in out)
        for address in sorted(hosts.values()):
            lines.append(f"{t:.3f} {t + 0.01:.3f} {address} live={live} partitions=56 urp={1 if out else 0}")
    return {
        "kind": "kafka",
        "unit": "kafka",
        "t0": 0,
        "order": batches,
        "hosts": hosts,
        "journal": journal,
        "samples": "\n".join(lines),
        "ids": [1, 2, 3, 4],
        "host_ids": {f"b{i}": i for i in (1, 2, 3, 4)},
    }


def roll_verdict(doc: dict, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(doc)))
    return roll_check.main(), capsys.readouterr().out


def test_the_roll_judge_accepts_a_zone_restarting_together(monkeypatch, capsys):
    stops = {"b1": 5.0, "b4": 5.2, "b2": 15.0, "b3": 25.0}
    down = [(5.0, {1, 4}), (15.0, {2}), (25.0, {3})]
    code, out = roll_verdict(zone_roll([["b1", "b4"], "b2", "b3"], stops, down), monkeypatch, capsys)
    assert code == 0, out


def test_the_roll_judge_refuses_two_brokers_of_different_zones_down_together(monkeypatch, capsys):
    stops = {"b1": 5.0, "b4": 5.2, "b2": 15.0, "b3": 25.0}
    down = [(5.0, {1, 2}), (15.0, {2}), (25.0, {3})]
    code, out = roll_verdict(zone_roll([["b1", "b4"], "b2", "b3"], stops, down), monkeypatch, capsys)
    assert code == 1
    assert "FAIL: brokers [1, 2] down together at 5.000" in out


def test_the_roll_judge_refuses_a_zone_that_stopped_before_the_last_one_was_back(monkeypatch, capsys):
    stops = {"b1": 5.0, "b4": 5.2, "b2": 6.0, "b3": 25.0}
    down = [(5.0, {1, 4}), (25.0, {3})]
    code, out = roll_verdict(zone_roll([["b1", "b4"], "b2", "b3"], stops, down), monkeypatch, capsys)
    assert code == 1
    assert "FAIL: ['b2'] stopped before all of ['b1', 'b4'] had started again" in out
    assert "b2 stopped at 6.000 but 127.0.0.31:9092 was never seen healthy after b1, b4 started" in out


def test_the_roll_judge_of_a_run_that_restarts_nothing_refuses_any_restart(monkeypatch, capsys):
    """order [] (the cluster scenario's scale-out: adding and removing a broker restarts no other one)."""
    quiet = zone_roll([], {}, [])
    quiet["journal"] = {f"b{i}": "" for i in (1, 2, 3, 4)}
    code, out = roll_verdict(quiet, monkeypatch, capsys)
    assert code == 0, out
    restarted = zone_roll([], {"b2": 5.0}, [(5.0, {2})])
    code, out = roll_verdict(restarted, monkeypatch, capsys)
    assert code == 1
    assert "FAIL: b2: must not restart" in out


def test_the_roll_judge_names_a_line_of_the_samples_that_is_not_a_sample(monkeypatch, capsys):
    """A sampler's stray output (here `date`'s error) fails the check by name, never as a traceback."""
    stops = {"b1": 5.0, "b4": 5.2, "b2": 15.0, "b3": 25.0}
    down = [(5.0, {1, 4}), (15.0, {2}), (25.0, {3})]
    doc = zone_roll([["b1", "b4"], "b2", "b3"], stops, down)
    doc["samples"] += "\ndate: invalid date '@x'\n"
    code, out = roll_verdict(doc, monkeypatch, capsys)
    assert code == 1
    assert "1 line(s) of the samples are not samples" in out
    assert "the first: \"date: invalid date '@x'\"" in out
    assert "320 samples" in out
