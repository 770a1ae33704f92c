"""A KRaft quorum's health, read from `kafka-metadata-quorum.sh describe --replication --human-readable`.

Used by the service_gate module to hold a rolling restart of controllers until the quorum has one
leader and every voter of the inventory caught up. No Ansible import here.

API:
  parse_replication(text) -> list of rows, one per replica (see Row).
  quorum_problems(rows, voters, max_lag, max_lag_ms) -> messages; an empty list means healthy.

The tool prints a header line then one line per replica, cells separated by tabs and padded with
spaces (Kafka 3.9 and 4.x; versions before 3.7 lack the DirectoryId column, so columns are found by
their header name). Timestamps read `N ms ago`; any other value (empty, or a timestamp the tool could
not make relative) is read as unknown.
"""

from __future__ import annotations

import re
from typing import TypedDict

STATUSES = ("Leader", "Follower", "Observer")
VOTING = ("Leader", "Follower")
# Header name of each column read -> key of the row.
COLUMNS = {
    "NodeId": "node_id",
    "LogEndOffset": "log_end_offset",
    "Lag": "lag",
    "LastFetchTimestamp": "last_fetch_ms_ago",
    "LastCaughtUpTimestamp": "last_caught_up_ms_ago",
    "Status": "status",
}
INTEGER = re.compile(r"-?[0-9]+")
MS_AGO = re.compile(r"(-?[0-9]+) ms ago")


class Row(TypedDict):
    node_id: int
    log_end_offset: int
    lag: int
    last_fetch_ms_ago: int | None
    last_caught_up_ms_ago: int | None
    status: str


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("\t")]


def header_columns(line: str) -> dict[str, int] | None:
    """Column index of each name of COLUMNS when the line is the header, else None."""
    names = cells(line)
    if not set(COLUMNS) <= set(names):
        return None
    return {name: names.index(name) for name in COLUMNS}


def ms_ago(cell: str) -> int | None:
    match = MS_AGO.fullmatch(cell)
    return int(match.group(1)) if match else None


def parse_row(line: str, columns: dict[str, int]) -> Row | None:
    """The row a line describes, or None when it is not a replica's row (e.g. a tool warning)."""
    values = cells(line)
    if len(values) <= max(columns.values()):
        return None
    node_id, log_end_offset, lag, status = (
        values[columns[name]] for name in ("NodeId", "LogEndOffset", "Lag", "Status")
    )
    if status not in STATUSES or not all(INTEGER.fullmatch(v) for v in (node_id, log_end_offset, lag)):
        return None
    return Row(
        node_id=int(node_id),
        log_end_offset=int(log_end_offset),
        lag=int(lag),
        last_fetch_ms_ago=ms_ago(values[columns["LastFetchTimestamp"]]),
        last_caught_up_ms_ago=ms_ago(values[columns["LastCaughtUpTimestamp"]]),
        status=status,
    )


def parse_replication(text: str) -> list[Row]:
    """The replicas listed, in the tool's order; lines before the header and lines that are not rows
    are ignored, so an output without a header gives no rows."""
    columns: dict[str, int] | None = None
    rows: list[Row] = []
    for line in text.splitlines():
        if columns is None:
            columns = header_columns(line)
            continue
        row = parse_row(line, columns)
        if row is not None:
            rows.append(row)
    return rows


def ids_text(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids) or "none"


def leader_problems(rows: list[Row]) -> list[str]:
    leaders = [row["node_id"] for row in rows if row["status"] == "Leader"]
    if not leaders:
        return ["the quorum has no leader"]
    if len(leaders) > 1:
        return [f"the quorum lists more than one leader: controllers {ids_text(leaders)}"]
    return []


def membership_problems(rows: list[Row], voters: list[int]) -> list[str]:
    voting = {row["node_id"] for row in rows if row["status"] in VOTING}
    observers = {row["node_id"] for row in rows if row["status"] == "Observer"}
    problems = []
    for node in voters:
        if node in voting:
            continue
        if node in observers:
            problems.append(f"controller {node} is only an observer of the quorum, not a voter")
        else:
            problems.append(f"controller {node} is missing from the quorum")
    problems.extend(
        f"controller {node} votes in the quorum but is not one of the expected voters ({ids_text(voters)})"
        for node in sorted(voting - set(voters))
    )
    return problems


def lag_problem(row: Row, max_lag: int, max_lag_ms: int) -> str | None:
    """Why a voter is behind, or None. The leader is caught up by definition, so its timestamps are not
    read."""
    caught_up = row["last_caught_up_ms_ago"]
    late = row["status"] != "Leader" and (caught_up is None or caught_up > max_lag_ms)
    if row["lag"] <= max_lag and not late:
        return None
    when = "unknown" if caught_up is None else f"{caught_up} ms ago"
    return (
        f"controller {row['node_id']} lags {row['lag']} records, last caught up {when} "
        f"(limits {max_lag} records / {max_lag_ms} ms)"
    )


def quorum_problems(rows: list[Row], voters: list[int], max_lag: int, max_lag_ms: int) -> list[str]:
    """Every way the quorum is not healthy: not exactly one leader, a voter of `voters` missing (or
    only an observer), a voter the quorum has and `voters` lacks, a voter of `voters` behind the leader
    by more than max_lag records or last caught up more than max_lag_ms ago (or at an unknown time)."""
    problems = leader_problems(rows) + membership_problems(rows, voters)
    for row in rows:
        if row["status"] in VOTING and row["node_id"] in voters:
            problem = lag_problem(row, max_lag, max_lag_ms)
            if problem:
                problems.append(problem)
    return problems
