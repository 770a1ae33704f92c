"""tools/failure_digest.py: what failed in a long Molecule log, named at the log's end."""

from __future__ import annotations

import json
import sys

from tests.unit.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import failure_digest

ANSI_RED = "\x1b[0;31m"


def fatal(host: str, result: dict, item: str = "") -> str:
    head = f"failed: [{host}] (item={item}) =>" if item else f"fatal: [{host}]: FAILED! =>"
    return f"{head} {json.dumps(result)}"


def digest(log: str) -> list[str]:
    return failure_digest.digest(log)


def test_names_the_task_host_and_message_and_skips_ignored_failures_in_molecule_output() -> None:
    log = "\n".join(
        [
            "TASK [Probe] ***",
            fatal("c1", {"msg": "probe failed"}),
            "...ignoring",
            "TASK [Start kafka] ***",
            "  \x1b[2m\x1b[31m\u2502\x1b[0m "
            + ANSI_RED
            + fatal("c2", {"msg": "kafka did not start\nsee journal"})
            + "\x1b[0m",
            "PLAY RECAP ***",
        ]
    )
    assert digest(log) == ["FAILED: Start kafka [c2]", "  kafka did not start", "  see journal"]


def test_a_failed_command_shows_its_output_tail_and_a_loop_item_is_read() -> None:
    stdout = "\n".join(f"line {n}" for n in range(40)) + "\nFAIL: 3 sends failed"
    log = "TASK [Judge] ***\n" + fatal(
        "c1 -> localhost",
        {"msg": "non-zero return code", "rc": 1, "stdout": stdout, "stderr": "trace"},
        item="a => b",
    )
    lines = digest(log)
    assert lines[:2] == ["FAILED: Judge [c1 -> localhost]", "  non-zero return code"]
    assert lines[-2:] == ["  FAIL: 3 sends failed", "  trace"]
    assert len(lines) == 2 + failure_digest.KEEP_LINES


def test_a_nested_runs_failure_is_digested_inside_the_outer_one() -> None:
    inner = "TASK [Roll the node] ***\n" + fatal("cluster-4", {"msg": "gate timed out"}) + "\nPLAY RECAP"
    log = "\n".join(
        [
            "TASK [The step succeeded] ***",
            "fatal: [cluster-1]: FAILED! => {",
            '    "changed": false,',
            f'    "msg": {json.dumps("upgrade: rc=2" + chr(10) + inner)}',
            "}",
        ]
    )
    assert digest(log) == [
        "FAILED: The step succeeded [cluster-1]",
        "  upgrade: rc=2",
        "  FAILED: Roll the node [cluster-4]",
        "    gate timed out",
    ]


def test_main_says_when_it_found_no_failed_task(tmp_path, capsys) -> None:
    log = tmp_path / "molecule.log"
    log.write_text("TASK [ok] ***\nok: [c1]\n")
    assert failure_digest.main(["failure_digest.py", str(log)]) == 0
    assert "(no failed task found in the log)" in capsys.readouterr().out
