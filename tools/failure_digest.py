#!/usr/bin/env python3
"""Print what failed in an Ansible or Molecule log, briefly, so that it stands at the end of a long run.

A CI log often keeps only its last lines, and Molecule's destroy step follows a failure with pages of
its own output. `make molecule` passes the log of a failed scenario here. For the last failures in it
(`fatal:`/`failed:` lines that were not ignored; a failure a block rescued looks the same, so only the
last few are shown) it prints the task, the host and the message, the tail of the command's stdout
and stderr when there is no message of its own, and, when the message holds a nested run's output
(the full-life steps), that run's own failures the same way. Molecule wraps lines at the terminal's
width, which breaks a result's JSON apart: `make molecule` sets COLUMNS so that it doesn't.

Usage: failure_digest.py LOG
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MOLECULE_BORDER = re.compile(r"^  \u2502 ?", re.MULTILINE)  # Molecule prefixes each line of a run with "  │ "
TASK = re.compile(r"^TASK \[(?P<name>.*)\]")
FAILED = re.compile(
    r"^(?:fatal|failed): \[(?P<host>[^\]]+)\](?: \(item=.*?\))?(?:: FAILED!)? => (?P<body>.*)$"
)
KEEP_LINES = 12
KEEP_CHARS = 400
NESTED_DEPTH = 2
LAST_FAILURES = 3


@dataclass(frozen=True)
class Failure:
    task: str
    host: str
    text: str


def failures(log: str) -> Iterator[Failure]:
    """Every failure in the log that the play did not ignore, with its task's name."""
    lines = MOLECULE_BORDER.sub("", ANSI.sub("", log)).splitlines()
    task = "(no task)"
    for index, line in enumerate(lines):
        header = TASK.match(line)
        if header:
            task = header["name"]
            continue
        failed = FAILED.match(line)
        if not failed:
            continue
        body, end = result_body(lines, index, failed["body"])
        if not (end < len(lines) and lines[end].strip() == "...ignoring"):
            yield Failure(task, failed["host"], result_text(body))


def result_body(lines: list[str], index: int, first: str) -> tuple[str, int]:
    """A result's JSON (one line, or indented up to its closing brace) and the index after it."""
    if first != "{":
        return first, index + 1
    end = next((i for i in range(index + 1, len(lines)) if lines[i] == "}"), len(lines) - 1)
    return "\n".join([first, *lines[index + 1 : end + 1]]), end + 1


def result_text(body: str) -> str:
    """The message of a failed result, or the tail of its output when it has none of its own."""
    try:
        result = json.loads(body)
    except ValueError:
        return body
    if not isinstance(result, dict):
        return body
    parts = [str(result.get("msg", ""))]
    if parts[0] in ("", "non-zero return code") or "rc" in result:
        parts += [str(result.get(key, "")) for key in ("stdout", "stderr")]
    return "\n".join(part for part in parts if part)


def render(found: Failure, depth: int = 0) -> list[str]:
    """A few lines for one failure, and those of the failures inside its text (a nested run)."""
    indent = "  " * depth
    text = [line[:KEEP_CHARS] for line in found.text.splitlines() if line.strip()]
    lines = [f"{indent}FAILED: {found.task} [{found.host}]"]
    nested = list(failures(found.text)) if depth < NESTED_DEPTH else []
    shown = text[:1] if nested else text[:1] + text[max(1, len(text) - KEEP_LINES) :]
    lines += [f"{indent}  {line}" for line in shown]
    for inner in nested:
        lines += render(inner, depth + 1)
    return lines


def digest(log: str) -> list[str]:
    """The lines that describe the log's last failures."""
    found = list(failures(log))
    lines = []
    if len(found) > LAST_FAILURES:
        lines.append(
            f"({len(found) - LAST_FAILURES} earlier failures, rescued or tolerated by their plays, not shown)"
        )
    for failure in found[-LAST_FAILURES:]:
        lines += render(failure)
    return lines or ["(no failed task found in the log)"]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    print(f"==== what failed, from {argv[1]} ====")
    print("\n".join(digest(text)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
