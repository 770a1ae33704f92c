"""The KRaft quorum check: parsing `kafka-metadata-quorum.sh describe --replication --human-readable`,
judging the quorum, and service_gate's pass/fail decision with its `quorum` option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.module_utils import (  # noqa: E402
    kraft_quorum as kq,
)
from ansible_collections.kafka_aws.kafka.plugins.modules import (  # noqa: E402
    service_gate as gate,
)

# Kafka 4.x, as printed (tabs between cells, cells padded with spaces, a trailing tab).
SAMPLE_4 = (
    "NodeId\tDirectoryId           \tLogEndOffset\tLag\t"
    "LastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t\n"
    "2     \tQkcGFL1NSieT2l0iuxY5HQ\t141         \t0  \t"
    "5 ms ago          \t5 ms ago             \tLeader  \t\n"
    "1     \t2w8KtR7qTGSInjgbpql9lQ\t141         \t0  \t"
    "377 ms ago        \t377 ms ago           \tFollower\t\n"
    "3     \thj1ssX2OSaO6DGowFUecTw\t118         \t23 \t"
    "10897 ms ago      \t11375 ms ago         \tFollower\t\n"
    "4     \txj1ssX2OSaO6DGowFUecTw\t141         \t0  \t12 ms ago      \t12 ms ago         \tObserver\t\n"
)
# Kafka 3.9: the same layout; a healthy three-voter quorum with a broker observing it.
SAMPLE_3_9 = (
    "NodeId\tDirectoryId           \tLogEndOffset\tLag\t"
    "LastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t\n"
    "1     \tAAAAAAAAAAAAAAAAAAAAAA\t3521        \t0  \t"
    "2 ms ago          \t2 ms ago             \tLeader  \t\n"
    "2     \tBBBBBBBBBBBBBBBBBBBBBB\t3521        \t0  \t"
    "140 ms ago        \t140 ms ago           \tFollower\t\n"
    "3     \tCCCCCCCCCCCCCCCCCCCCCC\t3519        \t2  \t"
    "141 ms ago        \t141 ms ago           \tFollower\t\n"
    "101   \tDDDDDDDDDDDDDDDDDDDDDD\t3521        \t0  \t"
    "300 ms ago        \t300 ms ago           \tObserver\t\n"
)
HEADER = SAMPLE_4.splitlines(keepends=True)[0]


def row(node_id: int, status: str, lag: int = 0, caught_up: int | None = 10) -> kq.Row:
    return kq.Row(
        node_id=node_id,
        log_end_offset=100 - lag,
        lag=lag,
        last_fetch_ms_ago=caught_up,
        last_caught_up_ms_ago=caught_up,
        status=status,
    )


HEALTHY = [row(1, "Leader"), row(2, "Follower"), row(3, "Follower"), row(101, "Observer", caught_up=None)]


# --- parse_replication


def test_parse_kafka_4_sample():
    assert kq.parse_replication(SAMPLE_4) == [
        {
            "node_id": 2,
            "log_end_offset": 141,
            "lag": 0,
            "last_fetch_ms_ago": 5,
            "last_caught_up_ms_ago": 5,
            "status": "Leader",
        },
        {
            "node_id": 1,
            "log_end_offset": 141,
            "lag": 0,
            "last_fetch_ms_ago": 377,
            "last_caught_up_ms_ago": 377,
            "status": "Follower",
        },
        {
            "node_id": 3,
            "log_end_offset": 118,
            "lag": 23,
            "last_fetch_ms_ago": 10897,
            "last_caught_up_ms_ago": 11375,
            "status": "Follower",
        },
        {
            "node_id": 4,
            "log_end_offset": 141,
            "lag": 0,
            "last_fetch_ms_ago": 12,
            "last_caught_up_ms_ago": 12,
            "status": "Observer",
        },
    ]


def test_parse_kafka_3_9_sample():
    rows = kq.parse_replication(SAMPLE_3_9)
    assert [(r["node_id"], r["status"], r["lag"]) for r in rows] == [
        (1, "Leader", 0),
        (2, "Follower", 0),
        (3, "Follower", 2),
        (101, "Observer", 0),
    ]
    assert rows[2]["log_end_offset"] == 3519 and rows[2]["last_caught_up_ms_ago"] == 141


def test_columns_are_found_by_name_without_directory_id():
    text = (
        "NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t\n"
        "1     \t57          \t0  \t4 ms ago          \t4 ms ago             \tLeader  \t\n"
        "2     \t50          \t7  \t900 ms ago        \t                     \tFollower\t\n"
    )
    assert kq.parse_replication(text) == [
        {
            "node_id": 1,
            "log_end_offset": 57,
            "lag": 0,
            "last_fetch_ms_ago": 4,
            "last_caught_up_ms_ago": 4,
            "status": "Leader",
        },
        {
            "node_id": 2,
            "log_end_offset": 50,
            "lag": 7,
            "last_fetch_ms_ago": 900,
            "last_caught_up_ms_ago": None,
            "status": "Follower",
        },
    ]


def test_timestamps_that_are_not_ms_ago_are_unknown():
    line = (
        "3     \tCCCCCCCCCCCCCCCCCCCCCC\t10          \t5  \t-1                \t               \tFollower\t\n"
    )
    (parsed,) = kq.parse_replication(HEADER + line)
    assert parsed["last_fetch_ms_ago"] is None and parsed["last_caught_up_ms_ago"] is None
    assert parsed["lag"] == 5


def test_header_only_gives_no_rows():
    assert kq.parse_replication(HEADER) == []
    assert kq.parse_replication("") == []


def test_junk_lines_are_ignored():
    lines = SAMPLE_3_9.splitlines(keepends=True)
    text = (
        "[2025-01-01 10:00:00,000] WARN The configuration 'foo' was supplied but isn't a known config.\n"
        + lines[0]
        + "[2025-01-01 10:00:00,001] WARN [AdminClient clientId=adminclient-1] Connection refused\n"
        + lines[1]
        + "\n"
        + "x     \tZZZZZZZZZZZZZZZZZZZZZZ\t1           \t0  \t"
        "1 ms ago          \t1 ms ago             \tFollower\t\n"
        + "5     \tZZZZZZZZZZZZZZZZZZZZZZ\t1           \t0  \t"
        "1 ms ago          \t1 ms ago             \tVoter   \t\n" + "6\tshort\n" + "".join(lines[2:])
    )
    assert [r["node_id"] for r in kq.parse_replication(text)] == [1, 2, 3, 101]


def test_rows_before_any_header_are_not_read():
    assert kq.parse_replication("".join(SAMPLE_3_9.splitlines(keepends=True)[1:])) == []


# --- quorum_problems


def test_healthy_quorum_has_no_problem():
    assert kq.quorum_problems(HEALTHY, [1, 2, 3], 10, 5000) == []
    assert kq.quorum_problems(kq.parse_replication(SAMPLE_3_9), [1, 2, 3], 10, 5000) == []


def test_the_sample_names_the_lagging_controller_with_its_figures():
    assert kq.quorum_problems(kq.parse_replication(SAMPLE_4), [1, 2, 3], 0, 5000) == [
        "controller 3 lags 23 records, last caught up 11375 ms ago (limits 0 records / 5000 ms)"
    ]


def test_no_leader():
    rows = [row(1, "Follower"), row(2, "Follower"), row(3, "Follower")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == ["the quorum has no leader"]
    assert kq.quorum_problems([], [1], 10, 5000) == [
        "the quorum has no leader",
        "controller 1 is missing from the quorum",
    ]


def test_more_than_one_leader():
    rows = [row(1, "Leader"), row(2, "Leader"), row(3, "Follower")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == [
        "the quorum lists more than one leader: controllers 1, 2"
    ]


def test_voter_missing():
    rows = [row(1, "Leader"), row(2, "Follower")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == ["controller 3 is missing from the quorum"]


def test_voter_only_an_observer():
    rows = [row(1, "Leader"), row(2, "Follower"), row(3, "Observer")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == [
        "controller 3 is only an observer of the quorum, not a voter"
    ]


def test_voter_the_inventory_does_not_list():
    rows = [*HEALTHY, row(4, "Follower")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == [
        "controller 4 votes in the quorum but is not one of the expected voters (1, 2, 3)"
    ]


def test_voter_behind_in_records():
    rows = [row(1, "Leader"), row(2, "Follower"), row(3, "Follower", lag=11)]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == [
        "controller 3 lags 11 records, last caught up 10 ms ago (limits 10 records / 5000 ms)"
    ]
    rows[2]["lag"] = 10
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == []


def test_voter_behind_in_time():
    rows = [row(1, "Leader"), row(2, "Follower", caught_up=5001), row(3, "Follower")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == [
        "controller 2 lags 0 records, last caught up 5001 ms ago (limits 10 records / 5000 ms)"
    ]
    rows[1]["last_caught_up_ms_ago"] = 5000
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == []


def test_voter_never_caught_up_is_a_problem_but_the_leader_is_not():
    rows = [row(1, "Leader", caught_up=None), row(2, "Follower", caught_up=None), row(3, "Follower")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == [
        "controller 2 lags 0 records, last caught up unknown (limits 10 records / 5000 ms)"
    ]


def test_observers_lag_is_not_judged():
    rows = [*HEALTHY[:3], row(101, "Observer", lag=500, caught_up=60000)]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == []


def test_every_problem_is_reported_at_once():
    rows = [row(2, "Follower", lag=50), row(3, "Observer"), row(9, "Follower")]
    assert kq.quorum_problems(rows, [1, 2, 3], 10, 5000) == [
        "the quorum has no leader",
        "controller 1 is missing from the quorum",
        "controller 3 is only an observer of the quorum, not a voter",
        "controller 9 votes in the quorum but is not one of the expected voters (1, 2, 3)",
        "controller 2 lags 50 records, last caught up 10 ms ago (limits 10 records / 5000 ms)",
    ]


# --- service_gate with quorum


def params(**overrides) -> dict:
    base = {"pattern": None, "expect_empty": False, "quorum": None}
    return base | overrides


QUORUM = {"voters": [1, 2, 3], "max_lag": 10, "max_lag_ms": 5000}


def test_gate_decision_with_quorum():
    assert gate.problems(params(quorum=QUORUM), 0, SAMPLE_3_9) == []
    assert gate.problems(params(quorum=QUORUM), 0, SAMPLE_4) == [
        "controller 3 lags 23 records, last caught up 11375 ms ago (limits 10 records / 5000 ms)"
    ]
    assert gate.problems(params(quorum=QUORUM), 1, SAMPLE_3_9) == ["the check exited with status 1"]
    assert gate.problems(params(quorum=QUORUM), 0, HEADER) == [
        "the quorum has no leader",
        "controller 1 is missing from the quorum",
        "controller 2 is missing from the quorum",
        "controller 3 is missing from the quorum",
    ]


def test_gate_decision_without_quorum_is_unchanged():
    assert gate.problems(params(pattern=r"id: 2 rack"), 0, "x (id: 2 rack: null)") == []
    assert gate.problems(params(pattern=r"id: 2 rack"), 0, "nothing") != []
    assert gate.problems(params(expect_empty=True), 0, "  \n") == []
    assert gate.problems(params(expect_empty=True), 0, "topic-a 0") != []
    assert gate.problems(params(), 0, "anything") == []


def run_gate(monkeypatch, capsys, args: dict, outputs: list[str]) -> dict:
    """Run the module's main() with the check's successive outputs (exit status 0), the last repeated."""
    calls = iter(outputs)
    last = {"out": ""}

    def fake_check(check, timeout):
        last["out"] = next(calls, last["out"])
        return 0, last["out"]

    monkeypatch.setattr(gate, "run_check", fake_check)
    monkeypatch.setattr(gate.time, "sleep", lambda seconds: None)
    with (
        patch_module_args({"check": "kafka-metadata-quorum.sh", "interval": 0, **args}),
        pytest.raises(SystemExit),
    ):
        gate.main()
    return json.loads(capsys.readouterr().out)


def test_gate_waits_until_the_quorum_is_healthy(monkeypatch, capsys):
    result = run_gate(
        monkeypatch,
        capsys,
        {"quorum": {"voters": [1, 2, 3]}, "timeout": 60},
        [SAMPLE_4, SAMPLE_4, SAMPLE_3_9],
    )
    assert not result.get("failed") and result["tries"] == 3 and result["changed"] is False


def test_gate_timeout_lists_the_quorum_problems_of_the_last_try(monkeypatch, capsys):
    result = run_gate(
        monkeypatch,
        capsys,
        {"quorum": {"voters": [1, 2, 3], "max_lag": 0}, "timeout": 0, "what": "the quorum healthy"},
        [SAMPLE_4],
    )
    assert result["failed"] is True and result["tries"] == 1
    assert result["msg"].startswith("the quorum healthy not reached within 0s (last check exit status 0")
    assert result["msg"].endswith(
        "Quorum problems at the last try:\n"
        "- controller 3 lags 23 records, last caught up 11375 ms ago (limits 0 records / 5000 ms)"
    )


def test_gate_refuses_quorum_with_pattern(monkeypatch, capsys):
    result = run_gate(monkeypatch, capsys, {"quorum": {"voters": [1]}, "pattern": "x"}, [SAMPLE_3_9])
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
