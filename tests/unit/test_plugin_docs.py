"""Every plugin's DOCUMENTATION, EXAMPLES and RETURN is valid YAML: ansible-doc shows them, and ansible-lint
reads them (a block that does not parse is only reported there, and the run still passes)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from tests.unit.conftest import ROOT

DOC_BLOCKS = ("DOCUMENTATION", "EXAMPLES", "RETURN")
PLUGINS = sorted((ROOT / "plugins").glob("*/*.py"))


def doc_blocks(path: Path) -> dict[str, str]:
    """The module-level string constants named DOCUMENTATION, EXAMPLES or RETURN of a plugin file."""
    blocks = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name) and t.id in DOC_BLOCKS]
            blocks |= dict.fromkeys(names, node.value.value)
    return blocks


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_doc_blocks_parse(path):
    for name, text in doc_blocks(path).items():
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as error:
            pytest.fail(f"{path.relative_to(ROOT)} {name} is not valid YAML: {error}")
