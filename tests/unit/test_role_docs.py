"""Every role README's variable table matches its argument specs."""

from __future__ import annotations

from tests.unit.conftest import ROOT, load

role_docs = load("tools/role_docs.py", "role_docs")


def test_readmes_are_in_sync():
    assert role_docs.main(["--check"]) == 0


def test_every_role_has_specs_and_a_readme():
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())
    assert [r.name for r in role_docs.roles()] == roles
    assert all((ROOT / "roles" / r / "README.md").exists() for r in roles)


def test_table_lists_suboptions_and_required():
    table = role_docs.table(ROOT / "roles/kafka")
    common = role_docs.table(ROOT / "roles/_common")
    assert "| `kafka_listeners[].protocol` | str | (required) |" in common
    assert "| `kafka_listeners[].advertise` | str | `private` |" in common
    assert "| `kafka_host_address` | str | (required) |" in table
    assert "| `kafka_controller_quorum` | str | `static` |" in table
