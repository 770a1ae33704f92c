"""Helpers shared by the unit tests: load project plugins by path, without installing them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.ansible_run import ansible_tool

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")


def load(relative: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def ansible_playbook(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: int = 180
) -> subprocess.CompletedProcess:
    """ansible-playbook (tests/ansible_run.py), never raising on a failed run: the tests judge the result."""
    return ansible_tool("ansible-playbook", *args, cwd=cwd, env=env, timeout=timeout)
