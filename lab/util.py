"""Small helpers shared by the lab modules: running commands and timing steps."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


class LabError(RuntimeError):
    """A lab step failed in a way the user can act on; the CLI prints the message, not a traceback."""


def run(
    cmd: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    capture: bool = False,
    input_bytes: bytes | None = None,
) -> str:
    """Run a command; raise LabError with its output tail when it fails."""
    result = subprocess.run(
        [str(c) for c in cmd],
        env=dict(env) if env is not None else None,
        cwd=cwd,
        input=input_bytes,
        capture_output=True,
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).decode(errors="replace").strip().splitlines()[-20:]
        raise LabError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n" + "\n".join(tail))
    return result.stdout.decode(errors="replace") if capture else ""


@contextmanager
def step(name: str) -> Iterator[None]:
    """Print how long a step took."""
    start = time.monotonic()
    print(f"==> {name}", flush=True)
    try:
        yield
    finally:
        print(f"    {name}: {time.monotonic() - start:.1f}s", file=sys.stdout, flush=True)
